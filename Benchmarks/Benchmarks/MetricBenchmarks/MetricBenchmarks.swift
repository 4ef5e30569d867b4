import Benchmark

// Strata's metric-path benchmarks. The benchmark plugin calls `benchmarks` once to register
// every benchmark; each suite is a function in its own file that registers its benchmarks.
// To add a suite, add a file with a `registerXxxBenchmarks()` function and one line below.
// The workloads are shared with MetricBench (Sources/MetricWorkloads), which prints the same
// figures as plain tables (Tools/bench-metrics.sh).

let benchmarks: @Sendable () -> Void = {
    registerEncodingBenchmarks()
    registerChunkDecodeBenchmarks()
    registerAppendBenchmarks()
    registerSelectBenchmarks()
}

/// Settings shared by the suites: a few seconds per benchmark, time and throughput, plus
/// allocation counts, which catch accidental copies in hot loops.
enum BenchmarkDefaults {
    static let metrics: [BenchmarkMetric] = [.wallClock, .throughput, .cpuTotal, .mallocCountTotal]

    static func configuration(
        scalingFactor: BenchmarkScalingFactor = .one, metrics: [BenchmarkMetric] = metrics,
        maxDuration: Duration = .seconds(2), maxIterations: Int = 10_000
    ) -> Benchmark.Configuration {
        .init(metrics: metrics, scalingFactor: scalingFactor, maxDuration: maxDuration, maxIterations: maxIterations)
    }
}

/// Mutable state a benchmark's setup builds and its body reads (one benchmark runs at a time).
final class BenchmarkState<Value>: @unchecked Sendable {
    var value: Value?
}
