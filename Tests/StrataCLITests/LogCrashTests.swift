import Foundation
import Strata
import StrataCLIKit
import Testing

/// Kills a real log writer (`strata _crash-writer --store logs`) with SIGKILL at random moments and
/// checks that every acknowledged record survived byte for byte and that the store verifies clean.
@Suite("Log store crash recovery (SIGKILL)")
struct LogCrashTests {
    @Test func everyAcknowledgedLogRecordSurvivesSIGKILL() throws {
        let rounds = Int(ProcessInfo.processInfo.environment["STRATA_CRASH_ROUNDS"] ?? "") ?? 8
        let dir = Scratch()
        defer { dir.cleanup() }
        let store = dir.path + "/logs"
        var rng = SystemRandomNumberGenerator()
        var acked = -1
        var sawSegments = false
        for round in 0..<rounds {
            let ackFile = dir.path + "/acks-\(round)"
            _ = FileManager.default.createFile(atPath: ackFile, contents: nil)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLI.binary)
            p.arguments = ["_crash-writer", store, "--store", "logs", "--from", "\(acked + 1)"]
            p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: ackFile))
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32.random(in: 50_000...400_000, using: &rng))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            #expect(p.terminationReason == .uncaughtSignal, "the writer was killed, not finished")
            let text = try String(contentsOfFile: ackFile, encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("ack ") {
                if let n = Int(line.dropFirst(4)) { acked = max(acked, n) }
            }

            let logs = try LogStore(directory: store, options: LogCrashWorkload.options)
            let hits = try logs.search(LogQuery(limit: 0, direction: .forward)).hits.map(\.record)
            var byTime: [Int64: LogRecord] = [:]
            for r in hits { byTime[r.timestamp] = r }
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
    }
}
