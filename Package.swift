// swift-tools-version: 6.2
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "strata",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Strata", targets: ["Strata"]),
        // The layers under it, for benchmarks and for embedders that want one store only.
        .library(name: "StrataEncoding", targets: ["StrataEncoding"]),
        .library(name: "StrataLabels", targets: ["StrataLabels"]),
        .library(name: "StrataMetrics", targets: ["StrataMetrics"]),
        .library(name: "StrataLogs", targets: ["StrataLogs"]),
        .library(name: "StrataTraces", targets: ["StrataTraces"]),
        .executable(name: "strata", targets: ["StrataCLI"]),
        // The HTTP server behind `strata serve` (its own executable: NIO, Hummingbird and Foundation
        // stay out of the statically linked `strata`).
        .executable(name: "strata-server", targets: ["StrataServerMain"]),
        .executable(name: "strata-nodegen", targets: ["NodeExporterGen"]),
        .executable(name: "strata-promql-conformance", targets: ["PromQLConformance"]),
        .executable(name: "strata-embedding-example", targets: ["EmbeddingExample"]),
        .executable(name: "strata-loadgen", targets: ["LoadGen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C libraries from Debian's liblz4-dev and libzstd-dev.
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // Snappy (libsnappy-dev) for remote_write/read and Loki push bodies; zlib for gzip bodies.
        .systemLibrary(name: "CSnappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),

        // Bytes: buffers, varints, bit streams, CRC32C, block compression.
        .target(name: "StrataEncoding", dependencies: ["CLZ4", "CZstd"], swiftSettings: strictSwift),
        // The data model every store and query language shares: labels, label sets, label matchers.
        .target(name: "StrataLabels", swiftSettings: strictSwift),
        // Durability: atomic files, the lock, the write-ahead log, manifests and segment lifecycles.
        .target(name: "StrataStorage", dependencies: ["StrataEncoding"], swiftSettings: strictSwift),
        // The metric store: data model, chunks, head, blocks, label index, selection.
        .target(name: "StrataMetrics", dependencies: ["StrataEncoding", "StrataStorage", "StrataLabels"], swiftSettings: strictSwift),
        // The log store: records, WAL-backed head, columnar segments, field and trigram indexes, search.
        .target(name: "StrataLogs", dependencies: ["StrataEncoding", "StrataStorage", "StrataLabels"], swiftSettings: strictSwift),
        // The trace store: osprofiler spans, the head that pairs their events, span segments keyed by base_id, trace queries.
        .target(name: "StrataTraces", dependencies: ["StrataEncoding", "StrataStorage", "StrataLabels"], swiftSettings: strictSwift),
        // Text formats in: Prometheus exposition, OpenMetrics, Glances CSV; oslo.log, syslog, JSON lines; osprofiler
        // events. One JSON scanner serves the logs and the traces.
        .target(name: "StrataIngest", dependencies: ["StrataLabels", "StrataMetrics", "StrataLogs", "StrataTraces"], swiftSettings: strictSwift),
        // The query languages: lexer, parser, AST and evaluator (PromQL, LogQL, trace queries).
        .target(name: "StrataQuery", dependencies: ["StrataLabels", "StrataStorage", "StrataMetrics", "StrataLogs", "StrataTraces"], swiftSettings: strictSwift),
        // The simulated OpenStack testbed behind `strata generate` (no dependencies: fast and reusable).
        .target(name: "StrataSim", dependencies: [], swiftSettings: strictSwift),
        // The embedding surface: one database directory holding the stores, file ingest, export and queries.
        .target(
            name: "Strata",
            dependencies: ["StrataEncoding", "StrataLabels", "StrataMetrics", "StrataLogs", "StrataTraces", "StrataIngest", "StrataStorage", "StrataQuery"],
            swiftSettings: strictSwift),
        // Rules and alerts: Prometheus rule files (PromQL, LogQL or trace statistics per rule), the rule
        // manager's evaluation, Go text/template annotations, Venus-style keyword alarms and
        // promtool's unit-test format.
        .target(
            name: "StrataRules",
            dependencies: ["Strata", "StrataLabels", "StrataMetrics", "StrataLogs", "StrataTraces", "StrataQuery", "StrataStorage"],
            swiftSettings: strictSwift),
        // The command line's furniture (not a product): charts, table/CSV/JSON/colour output, time and
        // selector parsing, the demo's KPI analysis and the crash workloads, shared by the CLI and its tests.
        .target(
            name: "StrataCLIKit", dependencies: ["Strata", "StrataLabels", "StrataMetrics", "StrataLogs", "StrataTraces", "StrataQuery", "StrataStorage"],
            swiftSettings: strictSwift),
        .executableTarget(
            name: "StrataCLI",
            dependencies: [
                "Strata", "StrataCLIKit", "StrataLabels", "StrataStorage", "StrataSim", "StrataRules", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift,
            // The Swift runtime and Foundation linked in, as `--static-swift-stdlib` does: every
            // command starts in 4-5 ms instead of 6-7 (no loading and relocating of a dozen shared
            // Swift libraries). lld, because gold repeats glibc's link-time note on Foundation's
            // mktemp. Only this executable: the libraries embedders use carry no unsafe flags.
            linkerSettings: [
                .unsafeFlags(["-static-stdlib", "-l_FoundationCollections", "-l_FoundationCShims", "-use-ld=lld"], .when(platforms: [.linux])),
            ]),

        // The wire formats of the network surface: snappy and gzip bodies, remote_write/read, Loki
        // push and OTLP protobuf (generated once by Tools/gen-proto.sh, committed), and their mapping
        // onto the stores. No networking here.
        .target(
            name: "StrataWire",
            dependencies: ["Strata", "StrataIngest", "CSnappy", "CZlib", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Protos"],
            swiftSettings: [.swiftLanguageMode(.v6)]),
        // `strata serve`: the Prometheus, Loki, OTLP and Tempo HTTP APIs on Hummingbird.
        .target(
            name: "StrataServer",
            dependencies: ["Strata", "StrataWire", "StrataCLIKit", "StrataIngest", "StrataRules", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift),
        .executableTarget(
            name: "StrataServerMain",
            dependencies: ["StrataServer", "Strata", "StrataWire", "StrataQuery", "StrataRules", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSwift),

        .executableTarget(name: "EmbeddingExample", dependencies: ["Strata"], path: "Examples/Embedding", swiftSettings: strictSwift),
        .executableTarget(name: "LoadGen", dependencies: ["StrataWire"], path: "Tools/strata-loadgen", swiftSettings: strictSwift),
        .executableTarget(name: "NodeExporterGen", path: "Tools/strata-nodegen", swiftSettings: strictSwift),
        .executableTarget(name: "PromQLConformance", dependencies: ["Strata", "StrataCLIKit", "StrataLabels", "StrataQuery", "StrataMetrics"], path: "Tools/promql-conformance", exclude: ["passing.txt"], swiftSettings: strictSwift),

        .testTarget(
            name: "StrataEncodingTests",
            dependencies: ["StrataEncoding", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: strictSwift),
        .testTarget(
            name: "StrataStorageTests",
            dependencies: ["StrataStorage", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: strictSwift),
        .testTarget(name: "StrataLabelsTests", dependencies: ["StrataLabels"], swiftSettings: strictSwift),
        .testTarget(
            name: "StrataMetricsTests",
            dependencies: [
                "StrataMetrics", "StrataLabels", "StrataStorage", "StrataTestSupport", .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strictSwift),
        .testTarget(
            name: "StrataQueryTests",
            dependencies: ["StrataQuery", "Strata", "StrataLabels", "StrataTestSupport", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: strictSwift),
        .testTarget(
            name: "StrataLogsTests",
            dependencies: ["StrataLogs", "StrataLabels", "StrataStorage", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: strictSwift),
        // Fixtures the test targets share (osprofiler traces as spans and as event JSON).
        .target(name: "StrataTestSupport", dependencies: ["StrataTraces", "StrataIngest"], path: "Tests/StrataTestSupport", swiftSettings: strictSwift),
        .testTarget(
            name: "StrataTracesTests", dependencies: ["StrataTraces", "StrataStorage", "StrataLabels", "StrataTestSupport"],
            swiftSettings: strictSwift),
        .testTarget(
            name: "StrataIngestTests", dependencies: ["StrataIngest", "StrataLabels", "StrataTraces", "StrataStorage", "StrataTestSupport"],
            swiftSettings: strictSwift),
        .testTarget(name: "StrataSimTests", dependencies: ["StrataSim"], swiftSettings: strictSwift),
        .testTarget(
            name: "StrataServerTests",
            dependencies: [
                "StrataServer", "StrataWire", "Strata", "StrataIngest", "StrataRules", "StrataTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            exclude: ["Clients"],
            swiftSettings: strictSwift),
        .testTarget(
            name: "StrataRulesTests", dependencies: ["StrataRules", "Strata", "StrataLabels", "StrataMetrics", "StrataQuery", "StrataTestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strictSwift),
        .testTarget(name: "StrataCLITests", dependencies: ["Strata", "StrataCLIKit", "StrataLabels", "StrataTestSupport"], swiftSettings: strictSwift),
    ]
)
