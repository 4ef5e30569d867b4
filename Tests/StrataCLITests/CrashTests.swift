import Foundation
import Strata
import StrataCLIKit
import Testing

/// Kills a real writer process with SIGKILL at random moments and checks that every
/// acknowledged sample survived and that the database verifies clean.
/// `STRATA_CRASH_ROUNDS` raises the number of rounds (default 12).
@Suite("Crash recovery (SIGKILL)")
struct CrashTests {
    @Test func everyAcknowledgedSampleSurvivesSIGKILL() throws {
        try killRounds(compactEvery: 0)
    }

    /// The same with a compaction every 25 batches (one-minute blocks merge into 3, 9 and 27
    /// minute ones): merges are killed in the middle too, and no sample may be lost or doubled.
    @Test func everyAcknowledgedSampleSurvivesSIGKILLDuringCompactions() throws {
        let compactions = try killRounds(compactEvery: 25)
        #expect(compactions > 0, "compactions ran while the writer was killed")
    }

    /// Runs the kill rounds; returns how many compaction steps the writers reported.
    @discardableResult
    func killRounds(compactEvery: Int) throws -> Int {
        var compactions = 0
        let rounds = Int(ProcessInfo.processInfo.environment["STRATA_CRASH_ROUNDS"] ?? "") ?? 12
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = dir.path + "/db"
        var next = 0
        var acked = -1
        let series = 20
        for round in 0..<rounds {
            let r = try KilledWriter.run(
                [db, "--from", "\(next)", "--series", "\(series)", "--compact-every", "\(compactEvery)"], ackFile: dir.path + "/acks-\(round)")
            acked = max(acked, r.acked ?? -1)
            compactions += r.compactions
            next = acked + 1

            // Reopen in this process and check every acknowledged batch, bit-exact.
            let d = try Database(path: db)
            let set = try d.metrics.select([.equal("__name__", "crash_test_value")], from: .min, through: .max)
            var bySeries: [String: [Sample]] = [:]
            for s in set.series { bySeries[s.labels["series"]!] = try s.samples() }
            for s in 0..<series where acked >= 0 {
                let got = bySeries["\(s)"] ?? []
                #expect(Set(got.map(\.timestamp)).count == got.count, "round \(round): series \(s) has a sample twice")
                let byTime = Dictionary(got.map { ($0.timestamp, $0.value.bitPattern) }, uniquingKeysWith: { a, _ in a })
                for b in 0...acked {
                    let want = CrashWorkload.value(batch: b, series: s).bitPattern
                    #expect(byTime[CrashWorkload.timestamp(b)] == want, "round \(round): series \(s) batch \(b) lost")
                }
            }
            #expect(d.metrics.verify().isEmpty)
            try d.close()
        }
        #expect(acked > 0, "the writer acknowledged something")
        let v = try CLI.run(["verify", db])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        return compactions
    }
}
