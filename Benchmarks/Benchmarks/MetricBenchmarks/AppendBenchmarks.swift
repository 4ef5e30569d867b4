import Benchmark
import MetricWorkloads
import StrataMetrics

/// Target 2: `MetricStore.append` on one thread. Each iteration appends 1 M samples (1,000
/// series x 1,000 scrapes, batches prebuilt, scrape-major unless named series-major) to a fresh
/// store; only the appends are measured.
/// With the `.mega` scaling factor time reads as ns/sample and throughput as M samples/s.
func registerAppendBenchmarks() {
    let state = BenchmarkState<NodeLikeWorkload>()
    let setup: Benchmark.BenchmarkSetupHook = {
        if state.value == nil { state.value = NodeLikeWorkload(series: 1000, samples: 1000) }
    }
    let cases: [(String, MetricStoreOptions.Durability)] = [("none", .none), ("buffered", .buffered), ("fsync", .fsync)]
    for (name, durability) in cases {
        for (batch, seriesMajor) in [(1000, false), (10_000, false), (10_000, true)] {
            Benchmark(
                "Append 1M durability \(name) batch \(batch)\(seriesMajor ? " series-major" : "")",
                configuration: BenchmarkDefaults.configuration(
                    scalingFactor: .mega, maxDuration: .seconds(5), maxIterations: durability == .fsync ? 3 : 10),
                closure: { benchmark in
                    do {
                        let pass = try AppendRun.prepare(
                            state.value!, durability: durability, batchSize: batch, seriesMajor: seriesMajor)
                        defer { pass.finish() }
                        benchmark.startMeasurement()
                        let accepted = try pass.run()
                        benchmark.stopMeasurement()
                        if accepted != pass.sampleCount { benchmark.error("accepted \(accepted) of \(pass.sampleCount)") }
                    } catch {
                        benchmark.error("\(error)")
                    }
                }, setup: setup)
        }
    }
}
