// swift-tools-version: 6.2
import PackageDescription

// Strata's benchmarks live in their own package so the root build stays lean.
// Run them with `swift package benchmark` from this directory (see README.md).
let package = Package(
    name: "StrataBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "strata", path: ".."),
        // The benchmark package needs tools 6.1+ and an explicit trait list, or resolution fails.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: []
)

// One executable target per benchmark suite, in Benchmarks/<Suite>/ (the plugin's layout).
package.targets += [
    .executableTarget(
        name: "MetricBenchmarks",
        dependencies: [
            "MetricWorkloads",
            .product(name: "Benchmark", package: "benchmark"),
            .product(name: "StrataEncoding", package: "strata"),
            .product(name: "StrataMetrics", package: "strata"),
        ],
        path: "Benchmarks/MetricBenchmarks",
        swiftSettings: [.swiftLanguageMode(.v6)],
        plugins: [
            .plugin(name: "BenchmarkPlugin", package: "benchmark")
        ]
    )
]

// The workloads the suites share with MetricBench, and MetricBench itself: a plain driver that
// prints the figures as a few tables (Tools/bench-metrics.sh runs it). Under Sources/, so the
// benchmark plugin does not take them for suites.
package.targets += [
    .target(
        name: "MetricWorkloads",
        dependencies: [
            .product(name: "StrataEncoding", package: "strata"),
            .product(name: "StrataLabels", package: "strata"),
            .product(name: "StrataMetrics", package: "strata"),
        ],
        path: "Sources/MetricWorkloads",
        swiftSettings: [.swiftLanguageMode(.v6)]
    ),
    .executableTarget(
        name: "MetricBench",
        dependencies: [
            "MetricWorkloads",
            .product(name: "StrataEncoding", package: "strata"),
            .product(name: "StrataLabels", package: "strata"),
            .product(name: "StrataMetrics", package: "strata"),
            // For StrataQuery (the PromQL engine), which the root does not export as a product of its own.
            .product(name: "Strata", package: "strata"),
        ],
        path: "Sources/MetricBench",
        swiftSettings: [.swiftLanguageMode(.v6)]
    ),
]

// The log-store figures: LogWorkloads (the OpenStack_2k replicator and a minimal oslo header
// splitter) and LogBench, a plain driver (Tools/bench-logs.sh runs it).
package.targets += [
    .target(
        name: "LogWorkloads",
        dependencies: [
            .product(name: "StrataLogs", package: "strata"),
            .product(name: "StrataLabels", package: "strata"),
        ],
        path: "Sources/LogWorkloads",
        swiftSettings: [.swiftLanguageMode(.v6)]
    ),
    .executableTarget(
        name: "LogBench",
        dependencies: [
            "LogWorkloads",
            .product(name: "StrataLogs", package: "strata"),
        ],
        path: "Sources/LogBench",
        swiftSettings: [.swiftLanguageMode(.v6)]
    ),
]

// TraceBench: the trace store's figures (bytes/span, ingest spans/s, trace lookup and search
// latency) on simulator traces scaled up; Tools/bench-traces.sh runs it.
package.targets += [
    .executableTarget(
        name: "TraceBench",
        dependencies: [
            .product(name: "StrataTraces", package: "strata"),
            .product(name: "Strata", package: "strata"),
        ],
        path: "Sources/TraceBench",
        swiftSettings: [.swiftLanguageMode(.v6)]
    )
]
