import Foundation
import Testing

@Suite("strata compact")
struct CompactCLITests {
    /// Ingests the first `lines` of Loghub's OpenStack_2k in `pieces` separate ingests.
    func piecewiseDatabase(_ dir: Scratch, pieces: Int, lines: Int = 1_200) throws -> String {
        let text = try String(contentsOfFile: "../shared/data/loghub/OpenStack/OpenStack_2k.log", encoding: .utf8)
        let all = text.split(separator: "\n").prefix(lines).map(String.init)
        let per = (all.count + pieces - 1) / pieces
        let db = dir.path + "/db"
        for k in 0..<pieces {
            let f = dir.file("openstack-\(k).log", all[(k * per)..<min(all.count, (k + 1) * per)].joined(separator: "\n") + "\n")
            let r = try CLI.run(["ingest", db, f])
            #expect(r.status == 0, "\(r.stderr)")
        }
        return db
    }

    func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    @Test func mergesPiecesAndEveryQueryAnswersAsBefore() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = try piecewiseDatabase(dir, pieces: 12)
        let queries = [
            #"{program=~".+"} |= "req-"#,
            #"{program="nova-compute"} |~ "Instance [a-z]+""#,
            #"sum by (program) (count_over_time({program=~".+"}[1h]))"#,
        ]
        let before = try queries.map { try CLI.run(["query", db, $0, "--limit", "5000", "--format", "json", "--time", "2017-05-17T12:00:00Z"]).stdout }

        let dry = try CLI.run(["compact", db, "--dry-run", "--json"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let plan = try json(dry.stdout)["logs"] as? [String: Any]
        #expect(plan?["segments_before"] as? Int == 12)
        #expect(plan?["segments_after"] as? Int == 1, "\(dry.stdout)")

        let r = try CLI.run(["compact", db])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("12 segments went to 1"), "\(r.stdout)")
        #expect(r.stdout.contains("traces: 0 segments went to 0"), "\(r.stdout)")
        #expect(r.stderr.isEmpty, "no progress bar in a pipe: \(r.stderr)")

        let inspect = try json(try CLI.run(["inspect", db, "--json"]).stdout)
        #expect((inspect["logs"] as? [String: Any])?["segments"] as? Int == 1)
        let after = try queries.map { try CLI.run(["query", db, $0, "--limit", "5000", "--format", "json", "--time", "2017-05-17T12:00:00Z"]).stdout }
        #expect(after == before)
        let v = try CLI.run(["verify", db])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        // Again: nothing to merge.
        let again = try CLI.run(["compact", db])
        #expect(again.stdout.contains("nothing to merge"), "\(again.stdout)")
    }

    @Test func helpHasAnExample() throws {
        let r = try CLI.run(["compact", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("strata compact ./db --dry-run"))
    }
}
