import Benchmark
import MetricWorkloads
import StrataMetrics

/// Target 3: select 1,000 series over one day (8,640 samples each, 8.64 M in all) from 12
/// blocks and drain every sample. One iteration is one whole select-and-drain; malloc bytes
/// and resident memory show what it holds.
func registerSelectBenchmarks() {
    let state = BenchmarkState<(store: MetricStore, directory: String)>()
    Benchmark(
        "Select 1000 series x 1 day, drain 8.64M samples",
        configuration: BenchmarkDefaults.configuration(
            metrics: BenchmarkDefaults.metrics + [.mallocBytesCount, .peakMemoryResidentDelta],
            maxDuration: .seconds(5), maxIterations: 20),
        closure: { benchmark in
            var scratch = DecodeScratch(capacity: 8640)
            do {
                blackHole(try SelectWorkload.selectAll(state.value!.store, scratch: &scratch))
            } catch {
                benchmark.error("\(error)")
            }
        },
        setup: {
            let dir = ScratchDirectory.make(prefix: "strata-select")
            state.value = (try SelectWorkload.build(NodeLikeWorkload(series: 1000, samples: 8640), directory: dir), dir)
        },
        teardown: {
            if let dir = state.value?.directory { ScratchDirectory.remove(dir) }
            state.value = nil
        })
}
