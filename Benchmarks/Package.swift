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
            .product(name: "Benchmark", package: "benchmark"),
            .product(name: "Strata", package: "strata"),
        ],
        path: "Benchmarks/MetricBenchmarks",
        swiftSettings: [.swiftLanguageMode(.v6)],
        plugins: [
            .plugin(name: "BenchmarkPlugin", package: "benchmark")
        ]
    )
]
