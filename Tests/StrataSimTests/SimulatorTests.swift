import Foundation
import Testing

@testable import StrataSim

/// Runs a small simulation into a fresh temporary directory.
func simulate(
    minutes: Int, seed: UInt64 = 7, faults: [FaultSpec]? = nil, debug: Bool = true, tag: String,
    configure: (inout SimulationConfig) -> Void = { _ in }
) throws -> (dir: String, summary: SimulationSummary) {
    let dir = NSTemporaryDirectory() + "strata-sim-\(tag)-\(getpid())"
    try? FileManager.default.removeItem(atPath: dir)
    var config = SimulationConfig()
    config.durationMillis = Int64(minutes) * 60_000
    config.seed = seed
    config.faults = faults
    config.debugLogs = debug
    configure(&config)
    let summary = try Simulator(config).run(into: dir)
    return (dir, summary)
}

func files(under dir: String) -> [String] {
    let e = FileManager.default.enumerator(atPath: dir)!
    return e.compactMap { $0 as? String }.filter {
        var isDir: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: dir + "/" + $0, isDirectory: &isDir)
        return !isDir.boolValue
    }.sorted()
}

func groundTruth(_ dir: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/ground_truth.json"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

@Suite struct SimulatorTests {
    @Test func sameSeedSameBytes() throws {
        let a = try simulate(minutes: 3, tag: "det-a")
        let b = try simulate(minutes: 3, tag: "det-b")
        defer {
            try? FileManager.default.removeItem(atPath: a.dir)
            try? FileManager.default.removeItem(atPath: b.dir)
        }
        let fa = files(under: a.dir)
        #expect(fa == files(under: b.dir))
        #expect(fa.count > 20)
        for f in fa {
            let x = try Data(contentsOf: URL(fileURLWithPath: a.dir + "/" + f))
            let y = try Data(contentsOf: URL(fileURLWithPath: b.dir + "/" + f))
            #expect(x == y, "\(f) differs")
        }
        let c = try simulate(minutes: 3, seed: 8, tag: "det-c")
        defer { try? FileManager.default.removeItem(atPath: c.dir) }
        let x = try Data(contentsOf: URL(fileURLWithPath: a.dir + "/traces/osprofiler.jsonl"))
        let y = try Data(contentsOf: URL(fileURLWithPath: c.dir + "/traces/osprofiler.jsonl"))
        #expect(x != y)
    }

    @Test func faultSpecsParse() {
        #expect(FaultSpec.parse("ovs-crash@30m") == FaultSpec(kind: .ovsCrash, offsetMillis: 1_800_000))
        #expect(
            FaultSpec.parse("nova-compute-restart/wally122@1h:45s")
                == FaultSpec(kind: .novaComputeRestart, offsetMillis: 3_600_000, durationMillis: 45_000, host: "wally122"))
        #expect(FaultSpec.parse("meteor@1m") == nil)
        #expect(FaultSpec.parse("ovs-crash") == nil)
        #expect(FaultSpec.parse("ovs-crash@1x") == nil)
        #expect(FaultSpec.defaultScenario(durationMillis: 3_600_000).count == 4)
    }

    @Test func unknownFaultHostIsAnError() {
        var config = SimulationConfig()
        config.durationMillis = 60_000
        config.faults = [FaultSpec(kind: .ovsCrash, offsetMillis: 1000, host: "nowhere")]
        #expect(throws: SimulationError.self) { _ = try Simulator(config).run(into: NSTemporaryDirectory() + "strata-sim-bad-\(getpid())") }
        try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "strata-sim-bad-\(getpid())")
    }
}
