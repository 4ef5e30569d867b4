import Foundation
import Strata
import Testing

@Suite("strata ingest / inspect / verify for logs")
struct LogIngestCLITests {
    /// The `.log` files under a directory, sorted.
    func logFiles(under dir: String) throws -> [String] {
        let e = FileManager.default.enumerator(atPath: dir)
        var out: [String] = []
        while let p = e?.nextObject() as? String {
            if p.hasSuffix(".log") { out.append(dir + "/" + p) }
        }
        return out.sorted()
    }

    func inspectJSON(_ db: String) throws -> [String: [String: Any]] {
        let r = try CLI.run(["inspect", db, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: [String: Any]] ?? [:]
    }

    @Test func simulatorOutputIngestsWithEveryLineParsed() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let g = try CLI.run(["generate", dir.path + "/sim", "--duration", "4m", "--seed", "7"])
        #expect(g.status == 0, "\(g.stderr)")
        let r = try CLI.run(["ingest", dir.path + "/db", dir.path + "/sim"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("did not parse"), "\(r.stderr)")
        #expect(!r.stderr.contains("cannot tell"), "\(r.stderr)")
        let logsRow = r.stdout.split(separator: "\n").first { $0.hasPrefix("logs") }
        #expect(logsRow?.contains("records") == true, "\(r.stdout)")
        #expect(r.stdout.contains("metrics"))

        // raw_bytes is the text as ingested: every file byte except the newline ending each record.
        let files = try logFiles(under: dir.path + "/sim/logs")
        #expect(files.count >= 20)
        var fileBytes = 0
        for f in files { fileBytes += try Data(contentsOf: URL(fileURLWithPath: f)).count }
        let stats = try inspectJSON(dir.path + "/db")
        let logs = try #require(stats["logs"])
        let records = try #require(logs["records"] as? Int)
        let raw = try #require(logs["raw_bytes"] as? Int)
        let bytes = try #require(logs["bytes"] as? Int)
        #expect(records > 1000)
        #expect(raw == fileBytes - records)
        #expect(bytes > 0 && bytes < raw)

        // A phrase count through the CLI equals grep -F -c over the nova-api files.
        var want = 0
        for f in files where f.hasSuffix("/nova-api.log") {
            let text = try String(contentsOfFile: f, encoding: .utf8)
            want += text.split(separator: "\n").filter { $0.contains("status: 200") }.count
        }
        #expect(want > 0)
        let q = try CLI.run(["query", dir.path + "/db", #"{program="nova-api"} |= "status: 200""#, "--format", "json", "--limit", "1000000"])
        #expect(q.status == 0, "\(q.stderr)")
        let body = try JSONSerialization.jsonObject(with: Data(q.stdout.utf8)) as? [String: Any]
        let result = ((body?["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
        #expect(result.reduce(0) { $0 + (($1["values"] as? [[String]])?.count ?? 0) } == want)

        let v = try CLI.run(["verify", dir.path + "/db"])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        #expect(v.stdout.contains("ok"))
        let t = try CLI.run(["inspect", dir.path + "/db"])
        #expect(t.stdout.contains("logs") && t.stdout.contains("disk/raw"), "\(t.stdout)")
    }

    @Test func loghubOpenStackIngestsAndAnswersByField() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let path = try sharedData("loghub/OpenStack/OpenStack_2k.log")
        let r = try CLI.run(["ingest", dir.path + "/db", path, "--host", "wally113"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("2000 records"), "\(r.stdout)")
        let uuid = "b9000564-fe1a-409b-b8cc-1e88b294cd1d"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let want = text.split(separator: "\n").filter { $0.contains("[instance: \(uuid)]") }
        #expect(want.count > 5)
        let q = try CLI.run(["query", dir.path + "/db", #"{host="wally113"} | instance="\#(uuid)""#, "--limit", "1000"])
        #expect(q.status == 0, "\(q.stderr)")
        let lines = q.stdout.split(separator: "\n")
        #expect(lines.count == want.count)
        // Newest first, each line ends with the raw text.
        #expect(lines.first?.hasSuffix(want.last!) == true)
        #expect(lines.last?.hasSuffix(want.first!) == true)
        #expect(lines.allSatisfy { $0.contains(#"program="nova-compute""#) })
        let errors = try CLI.run(["query", dir.path + "/db", #"{level="WARNING"} |= """#, "--limit", "1000"])
        #expect(errors.stdout.split(separator: "\n").count == 31)  // the structured CSV's WARNING count
    }

    @Test func unparseableLinesAreKeptAndReported() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let f = dir.file(
            "svc.log",
            """
            2019-11-19 21:00:04.500 2931 INFO nova.compute.manager [-] first
            this line is garbage
            2019-11-19 21:00:05.500 2931 INFO nova.compute.manager [-] second

            """)
        let r = try CLI.run(["ingest", dir.path + "/db", f, "--format", "oslo"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("svc.log: 1 lines did not parse as oslo; kept as plain records"), "\(r.stderr)")
        #expect(r.stdout.contains("3 records"), "\(r.stdout)")
        let q = try CLI.run(["query", dir.path + "/db", #"{file="svc.log"} |= "garbage""#])
        #expect(q.stdout == "2019-11-19T21:00:04.500Z {file=\"svc.log\", program=\"svc\"} this line is garbage\n", "\(q.stdout)")
    }
}
