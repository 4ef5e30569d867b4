import Foundation
import Strata
import StrataCLIKit
import Testing

/// Kills a real log writer (`strata _crash-writer --store logs`) with SIGKILL at random moments and
/// checks that every acknowledged record survived byte for byte and that the store verifies clean.
@Suite("Log store crash recovery (SIGKILL)")
struct LogCrashTests {
    @Test func everyAcknowledgedLogRecordSurvivesSIGKILL() throws {
        try killRounds(compactEvery: 0)
    }

    /// The same with a compaction every 10 batches: merges are killed in the middle too, and
    /// every acknowledged record must be there exactly once.
    @Test func everyAcknowledgedLogRecordSurvivesSIGKILLDuringCompactions() throws {
        let compactions = try killRounds(compactEvery: 10)
        #expect(compactions > 0, "compactions ran while the writer was killed")
    }

    /// Runs the kill rounds; returns how many compaction steps the writers reported.
    @discardableResult
    func killRounds(compactEvery: Int) throws -> Int {
        let rounds = Int(ProcessInfo.processInfo.environment["STRATA_CRASH_ROUNDS"] ?? "") ?? 8
        var compactions = 0
        var resent = Set<Int>()
        let dir = Scratch()
        defer { dir.cleanup() }
        let store = dir.path + "/logs"
        var acked = -1
        var sawSegments = false
        for round in 0..<rounds {
            let r = try KilledWriter.run(
                [store, "--store", "logs", "--from", "\(acked + 1)", "--compact-every", "\(compactEvery)"], ackFile: dir.path + "/acks-\(round)")
            acked = max(acked, r.acked ?? -1)
            compactions += r.compactions

            let logs = try LogStore(directory: store, options: LogCrashWorkload.options)
            let hits = try logs.search(LogQuery(limit: 0, direction: .forward)).hits.map(\.record)
            var byTime: [Int64: LogRecord] = [:]
            var copies: [Int64: Int] = [:]
            for r in hits {
                byTime[r.timestamp] = r
                copies[r.timestamp, default: 0] += 1
            }
            // A batch can be durable and not yet acknowledged when the writer dies; the next
            // writer sends it again (at least once). Only such resent batches may be there twice,
            // and nothing three times: a compaction killed halfway must not duplicate anything.
            resent.insert(acked + 1)
            for (t, n) in copies where n > 1 {
                let batch = Int((t - LogCrashWorkload.timestamp(batch: 0, 0)) / 1_000_000_000)
                #expect(n == 2 && resent.contains(batch), "round \(round): batch \(batch) stored \(n) times")
            }
            for b in 0...max(acked, 0) where acked >= 0 {
                for (i, want) in LogCrashWorkload.records(batch: b).enumerated() {
                    #expect(byTime[want.timestamp] == want, "round \(round): batch \(b) record \(i) lost or changed")
                }
            }
            #expect(logs.verify().isEmpty)
            let segments = try logs.stats().segments
            sawSegments = sawSegments || segments > 0
        }
        #expect(acked > 0, "the writer acknowledged something")
        #expect(sawSegments, "flushes happened while the writer was killed")
        return compactions
    }
}
