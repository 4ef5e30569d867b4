import Foundation
import Strata
import StrataCLIKit
import Testing

/// Kills a real trace writer with SIGKILL at random moments; every acknowledged batch must
/// be there after reopening: trace b - 1 whole, trace b's starts open (never lost, never doubled).
@Suite("Trace crash recovery (SIGKILL)")
struct TraceCrashTests {
    @Test func everyAcknowledgedEventSurvivesSIGKILL() throws {
        try killRounds(compactEvery: 0)
    }

    /// The same with a compaction every 20 batches (the segments flushed every 7 merge): merges
    /// are killed in the middle too, and no span may be lost or doubled.
    @Test func everyAcknowledgedEventSurvivesSIGKILLDuringCompactions() throws {
        let compactions = try killRounds(compactEvery: 20)
        #expect(compactions > 0, "compactions ran while the writer was killed")
    }

    /// Runs the kill rounds; returns how many compaction steps the writers reported.
    @discardableResult
    func killRounds(compactEvery: Int) throws -> Int {
        var compactions = 0
        let rounds = Int(ProcessInfo.processInfo.environment["STRATA_CRASH_ROUNDS"] ?? "") ?? 8
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = dir.path + "/db"
        var next = 0
        var acked = -1
        for round in 0..<rounds {
            let r = try KilledWriter.run(
                [db, "--store", "traces", "--from", "\(next)", "--compact-every", "\(compactEvery)"], ackFile: dir.path + "/acks-\(round)")
            acked = max(acked, r.acked ?? -1)
            compactions += r.compactions
            // The next writer resends the batch that may have been logged but not acknowledged.
            next = acked + 1

            var options = DatabaseOptions()
            options.traces.openSpanTimeout = .max / 4
            let d = try Database(path: db, options: options)
            for b in 0..<max(0, acked) {
                let got = try d.traces.trace(TraceCrashWorkload.baseID(b)).sorted { $0.traceID < $1.traceID }
                let want = (0..<TraceCrashWorkload.spansPerTrace).map { TraceCrashWorkload.span(batch: b, $0) }
                #expect(got.count == want.count, "round \(round): trace \(b) has \(got.count) spans")
                for (g, w) in zip(got, want) {
                    #expect(g.start == w.start && g.duration == w.duration && g.status == w.status, "round \(round): trace \(b)")
                }
            }
            if acked >= 0 {
                // Its starts are acknowledged; its stops too if the next batch was logged before the kill.
                let open = try d.traces.trace(TraceCrashWorkload.baseID(acked)).sorted { $0.traceID < $1.traceID }
                let want = (0..<TraceCrashWorkload.spansPerTrace).map { TraceCrashWorkload.span(batch: acked, $0) }
                #expect(open.count == TraceCrashWorkload.spansPerTrace, "round \(round): the last acknowledged starts")
                let allOpen = open.allSatisfy { $0.status == .incomplete }
                let allWhole = zip(open, want).allSatisfy { $0.status == $1.status && $0.duration == $1.duration }
                #expect(allOpen || allWhole, "round \(round): trace \(acked) is neither open nor whole: \(open.map(\.status))")
            }
            #expect(d.traces.verify().isEmpty)
            try d.close()
        }
        #expect(acked > 0, "the writer acknowledged something")
        let v = try CLI.run(["verify", db])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        return compactions
    }
}
