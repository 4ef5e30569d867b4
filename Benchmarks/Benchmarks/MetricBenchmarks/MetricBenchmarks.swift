import Benchmark

// Strata's metric-path benchmarks. The benchmark plugin calls `benchmarks` once to register
// every benchmark; each suite is a function in its own file that registers its benchmarks.
// To add a suite (chunks, head appends, block writes, queries), add a file with a
// `registerXxxBenchmarks()` function and one line below.

let benchmarks: @Sendable () -> Void = {
    registerEncodingBenchmarks()
}

/// Settings shared by the suites: a few seconds per benchmark, time and throughput, plus
/// allocation counts, which catch accidental copies in hot loops.
enum BenchmarkDefaults {
    static let metrics: [BenchmarkMetric] = [.wallClock, .throughput, .cpuTotal, .mallocCountTotal]

    static func configuration(scalingFactor: BenchmarkScalingFactor = .one) -> Benchmark.Configuration {
        .init(metrics: metrics, scalingFactor: scalingFactor, maxDuration: .seconds(2), maxIterations: 10_000)
    }
}
