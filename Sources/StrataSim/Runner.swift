/// The Rally scenarios the simulator runs.
enum Workload: CaseIterable {
    case bootAndDeleteServer, createAndDeleteImage, createAndDeleteNetwork

    var name: StaticString {
        switch self {
        case .bootAndDeleteServer: "NovaServers.boot_and_delete_server"
        case .createAndDeleteImage: "GlanceImages.create_and_delete_image"
        case .createAndDeleteNetwork: "NeutronNetworks.create_and_delete_networks"
        }
    }
}

/// A Rally constant runner: `slots` iterations in flight, each slot starting its next
/// iteration when the previous one ends (plus an idle pause).
struct Runner {
    var workload: Workload
    var nextStart: [Int64]
    var idleMicros: Int64

    static func defaultRunners(start: Int64) -> [Runner] {
        [
            Runner(workload: .bootAndDeleteServer, nextStart: [start + 1_000_000, start + 9_000_000], idleMicros: 1_000_000),
            Runner(workload: .createAndDeleteImage, nextStart: [start + 2_000_000, start + 6_500_000], idleMicros: 500_000),
            Runner(workload: .createAndDeleteNetwork, nextStart: [start + 3_000_000], idleMicros: 4_000_000),
        ]
    }
}

/// One finished iteration, for ground_truth.json.
struct IterationRecord {
    var base: ID128
    var workload: Workload
    var start: Int64
    var end: Int64
    var host: SimHost?
    var error: (etype: StaticString, message: String)?
    var fault: Int?
}
