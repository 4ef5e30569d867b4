import Foundation
import Strata
import StrataCLIKit
import Testing

/// Readers open the database without the lock while a real writer process appends, cuts blocks,
/// swaps manifests and retires WAL segments; each reader must see every batch the writer
/// acknowledged before the reader opened.
@Suite("Read-only opens next to a writer")
struct ReadOnlyConcurrencyTests {
    @Test func readersSeeEveryAcknowledgedBatchWhileAWriterRuns() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = dir.path + "/db"
        let ackFile = dir.path + "/acks"
        _ = FileManager.default.createFile(atPath: ackFile, contents: nil)
        let series = 20
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["_crash-writer", db, "--from", "0", "--series", "\(series)"]
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: ackFile))
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        func acked() throws -> Int {
            let text = try String(contentsOfFile: ackFile, encoding: .utf8)
            return text.split(separator: "\n").compactMap { $0.hasPrefix("ack ") ? Int($0.dropFirst(4)) : nil }.max() ?? -1
        }
        let deadline = Date().addingTimeInterval(20)
        while try acked() < 50 && Date() < deadline { usleep(20_000) }
        var options = DatabaseOptions()
        options.readOnly = true
        var reads = 0, lastSeen = -1
        let stop = Date().addingTimeInterval(2.5)
        while Date() < stop {
            let before = try acked()
            let reader = try Database(path: db, options: options)
            let set = try reader.metrics.select([.equal("__name__", "crash_test_value")], from: .min, through: .max)
            #expect(set.series.count == series, "read \(reads): \(set.series.count) series")
            var newest = Int.max
            for s in set.series {
                let samples = try s.samples()
                let batches = Set(samples.map(\.timestamp))
                for b in 0...max(0, before) where !batches.contains(CrashWorkload.timestamp(b)) {
                    Issue.record("read \(reads): series \(s.labels["series"] ?? "?") lacks acknowledged batch \(b)")
                    break
                }
                newest = min(newest, samples.count)
            }
            #expect(newest >= before + 1, "read \(reads): \(newest) batches seen, \(before + 1) acknowledged")
            lastSeen = newest
            try reader.close()
            reads += 1
        }
        #expect(reads >= 3, "only \(reads) reads")
        #expect(lastSeen > 50)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        // The readers left the writer's files alone: the database recovers and verifies clean.
        let v = try CLI.run(["verify", db])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
    }
}
