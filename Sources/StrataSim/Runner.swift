/// The Rally scenarios the simulator runs (`--workload server,image,network`).
public enum Workload: String, CaseIterable, Sendable {
    /// NovaServers.boot_and_delete_server.
    case bootAndDeleteServer = "server"
    /// GlanceImages.create_and_delete_image.
    case createAndDeleteImage = "image"
    /// NeutronNetworks.create_and_delete_networks.
    case createAndDeleteNetwork = "network"

    var name: StaticString {
        switch self {
        case .bootAndDeleteServer: "NovaServers.boot_and_delete_server"
        case .createAndDeleteImage: "GlanceImages.create_and_delete_image"
        case .createAndDeleteNetwork: "NeutronNetworks.create_and_delete_networks"
        }
    }

    /// Rally's concurrency in the seed testbed's concurrent run.
    var seedConcurrency: Int { self == .createAndDeleteNetwork ? 1 : 2 }

    /// (first slot's start offset, stagger between slots, idle pause after an iteration) in µs.
    var pacing: (first: Int64, stagger: Int64, idle: Int64) {
        switch self {
        case .bootAndDeleteServer: (1_000_000, 8_000_000, 1_000_000)
        case .createAndDeleteImage: (2_000_000, 4_500_000, 500_000)
        case .createAndDeleteNetwork: (3_000_000, 2_000_000, 4_000_000)
        }
    }
}

/// A Rally constant runner: `slots` iterations in flight, each slot starting its next
/// iteration when the previous one ends (plus an idle pause), none at or after `until`.
struct Runner {
    var workload: Workload
    var nextStart: [Int64]
    var idleMicros: Int64
    var until: Int64
    /// The latest end of an iteration so far (a sequential run hands over after it).
    var lastEnd: Int64 = 0
    var done = false

    /// The runners of a config: all scenarios at once (the seed's concurrent run), or one
    /// after another in the seed's order (image, network, server), each an equal share of the
    /// time, the next starting when the previous one's last iteration ended.
    static func runners(config: SimulationConfig, start: Int64, end: Int64) -> [Runner] {
        let order: [Workload] = config.sequential
            ? [.createAndDeleteImage, .createAndDeleteNetwork, .bootAndDeleteServer]
            : [.bootAndDeleteServer, .createAndDeleteImage, .createAndDeleteNetwork]
        let selected = order.filter { config.workloads.contains($0) }
        guard !selected.isEmpty else { return [] }
        let slice = (end - start) / Int64(selected.count)
        return selected.enumerated().map { i, w in
            let slots = max(1, config.concurrency ?? (config.sequential ? 1 : w.seedConcurrency))
            let p = w.pacing
            let begin = config.sequential ? start + Int64(i) * slice : start
            let starts = (0..<slots).map { k in
                config.sequential && i > 0 ? Int64.max : begin + p.first + Int64(k) * p.stagger
            }
            let until = config.sequential && i < selected.count - 1 ? start + Int64(i + 1) * slice : Int64.max
            return Runner(workload: w, nextStart: starts, idleMicros: p.idle, until: until)
        }
    }

    /// Slot start times once the runner is handed the floor at `t` (sequential runs).
    mutating func begin(at t: Int64) {
        let p = workload.pacing
        for k in nextStart.indices { nextStart[k] = t + p.first + Int64(k) * p.stagger }
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
