import Foundation
import Strata
import Testing

/// Flips real bytes in a log segment: `strata verify` names the file and offset, and the other
/// segment still answers `strata query`.
@Suite("Log corruption through the CLI")
struct LogCorruptionCLITests {
    func oslo(_ n: Int, _ word: String) -> String {
        (0..<n).map { i in
            "2019-11-19 21:\(String(format: "%02d", i / 60)):\(String(format: "%02d", i % 60)).000 7 INFO x.y [-] \(word) record \(i) " + String(repeating: "z", count: i % 50)
        }.joined(separator: "\n") + "\n"
    }

    @Test func flippedSegmentByteIsFoundAndTheOtherSegmentAnswers() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = dir.path + "/db"
        for (name, word) in [("a.log", "alpha"), ("b.log", "beta")] {
            let r = try CLI.run(["ingest", db, dir.file(name, oslo(1500, word)), "--host", "h"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let segments = try FileManager.default.contentsOfDirectory(atPath: db + "/logs").filter { $0.hasSuffix(".logs") }.sorted()
        #expect(segments.count == 2)
        let first = db + "/logs/" + segments[0]
        let size = try FileManager.default.attributesOfItem(atPath: first)[.size] as! Int
        try flip(first, at: size / 3)
        let v = try CLI.run(["verify", db])
        #expect(v.status == 1, "\(v.stdout)")
        #expect(v.stdout.contains(segments[0]), "\(v.stdout)")
        #expect(v.stdout.contains("offset"), "\(v.stdout)")
        let good = try CLI.run(["query", db, #"{file="b.log"} |= "beta record""#, "--limit", "2000"])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.split(separator: "\n").count == 1500)
    }
}
