import Foundation
import Strata
import StrataCLIKit
import StrataLabels
import Testing

@Suite("strata query for logs")
struct LogQueryCLITests {
    static let text = """
        2019-11-19 21:00:01.000 100 INFO nova.api [req-00000000-0000-0000-0000-000000000001 u p - - -] 10.0.0.1 "GET /v2.1/servers HTTP/1.1" status: 200 len: 10 time: 0.1
        2019-11-19 21:00:02.000 100 ERROR nova.api [req-00000000-0000-0000-0000-000000000002 u p - - -] Build failed: boom
        2019-11-19 21:00:03.000 100 INFO nova.api [req-00000000-0000-0000-0000-000000000003 u p - - -] 10.0.0.1 "POST /v2.1/servers HTTP/1.1" status: 500 len: 20 time: 1.5
        2019-11-19 21:00:04.000 100 INFO nova.api [-] idle
        2019-11-19 21:01:05.000 100 ERROR nova.api [-] Build failed again

        """

    func ingested() throws -> Scratch {
        let dir = Scratch()
        try FileManager.default.createDirectory(atPath: dir.path + "/logs/wally113", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dir.path + "/logs/wally113/nova-api.log", contents: Data(Self.text.utf8))
        let r = try CLI.run(["ingest", dir.path + "/db", dir.path + "/logs"])
        #expect(r.status == 0, "\(r.stderr)")
        return dir
    }

    @Test func lokiJSONForStreams() throws {
        let dir = try ingested()
        defer { dir.cleanup() }
        let q = try CLI.run(["query", dir.path + "/db", #"{host="wally113"} |= "Build failed""#, "--format", "json"])
        #expect(q.status == 0, "\(q.stderr)")
        #expect(q.stdout.hasPrefix(#"{"status":"success","data":{"resultType":"streams","result":[{"stream":{"file":"nova-api.log","host":"wally113","level":"ERROR","program":"nova-api"},"values":[["1574197265000000000","2019-11-19 21:01:05.000 100 ERROR nova.api [-] Build failed again"],["1574197202000000000","#), "\(q.stdout)")
        let body = try JSONSerialization.jsonObject(with: Data(q.stdout.utf8)) as? [String: Any]
        let data = body?["data"] as? [String: Any]
        let stats = (data?["stats"] as? [String: Any])?["summary"] as? [String: Any]
        #expect(stats?["totalEntriesReturned"] as? Int == 2)
    }

    @Test func plainLinesInAPipeFiltersAndLimit() throws {
        let dir = try ingested()
        defer { dir.cleanup() }
        let q = try CLI.run(["query", dir.path + "/db", #"{program="nova-api"} | http_status >= 500"#])
        #expect(q.status == 0, "\(q.stderr)")
        #expect(!q.stdout.contains("\u{1B}["))  // no ANSI escapes in a pipe
        #expect(q.stdout.split(separator: "\n").count == 1)
        #expect(q.stdout.hasPrefix(#"2019-11-19T21:00:03.000Z {file="nova-api.log", host="wally113", level="INFO", program="nova-api"} 2019-11-19 21:00:03.000 100 INFO"#), "\(q.stdout)")
        let fwd = try CLI.run(["query", dir.path + "/db", #"{host="wally113"}"#, "--store", "logs", "--direction", "forward", "--limit", "2"])
        #expect(fwd.stdout.split(separator: "\n").map { $0.prefix(24) } == ["2019-11-19T21:00:01.000Z", "2019-11-19T21:00:02.000Z"])
        #expect(fwd.stderr.contains("showing the first 2 records"))
        let ranged = try CLI.run([
            "query", dir.path + "/db", #"{host="wally113"} != "idle""#, "--start", "2019-11-19T21:00:02Z", "--end", "2019-11-19T21:00:03Z",
        ])
        #expect(ranged.stdout.split(separator: "\n").count == 2, "\(ranged.stdout)")
        let ctx = try CLI.run(["query", dir.path + "/db", #"{level="ERROR"} |= "again""#, "--context", "1"])
        // The ERROR stream has two records: the one before the hit is its context.
        #expect(ctx.stdout.split(separator: "\n").map { $0.prefix(2) } == ["  ", "> "], "\(ctx.stdout)")
        let csv = try CLI.run(["query", dir.path + "/db", #"{host="wally113"} |= "idle""#, "--format", "csv"])
        #expect(csv.stdout.hasPrefix("timestamp,stream,line\n2019-11-19T21:00:04.000Z,\"{file=\"\"nova-api.log\"\""), "\(csv.stdout)")
    }

    @Test func metricQueriesOverLogsAndErrors() throws {
        let dir = try ingested()
        defer { dir.cleanup() }
        let m = try CLI.run([
            "query", dir.path + "/db", #"sum by (level) (count_over_time({host="wally113"} |= "" [1m]))"#, "--time", "2019-11-19T21:01:00Z",
            "--format", "json",
        ])
        #expect(m.status == 0, "\(m.stderr)")
        #expect(m.stdout == #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"level":"ERROR"},"value":[1574197260,"1"]},{"metric":{"level":"INFO"},"value":[1574197260,"3"]}]}}"# + "\n", "\(m.stdout)")
        let bad = try CLI.run(["query", dir.path + "/db", #"{host="wally113"} |= 5"#])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("parse error at column 22"), "\(bad.stderr)")
        #expect(bad.stderr.contains("^"))
        let stage = try CLI.run(["query", dir.path + "/db", #"{host="wally113"} | json"#])
        #expect(stage.status == 1)
        #expect(stage.stderr.contains("not supported"))
    }
}

@Suite("log output rendering")
struct LogQueryOutputTests {
    @Test func highlightWrapsEveryLiteralMatchOnly() throws {
        let r = LogRecord(
            timestamp: 1_574_197_201_000_000_000, stream: Labels(sorted: [Label("host", "a")]),
            line: Array("Error: disk ERROR, no error here?".utf8))
        let plain = LogQueryOutput.text(r)
        #expect(plain == #"2019-11-19T21:00:01.000Z {host="a"} Error: disk ERROR, no error here?"#)
        let lit = LogQueryOutput.text(r, highlight: [LineFilter(.contains, "ERROR")])
        #expect(lit.hasSuffix("Error: disk \u{1B}[1;31mERROR\u{1B}[0m, no error here?"))
        let ci = LogQueryOutput.text(r, highlight: [LineFilter(.contains, "error", caseInsensitive: true), LineFilter(.notContains, "disk")])
        #expect(ci.hasSuffix("\u{1B}[1;31mError\u{1B}[0m: disk \u{1B}[1;31mERROR\u{1B}[0m, no \u{1B}[1;31merror\u{1B}[0m here?"))
        let re = LogQueryOutput.text(r, highlight: [LineFilter(.matches, "(?i)err(or)? here|disk")])
        #expect(re.hasSuffix("Error: \u{1B}[1;31mdisk\u{1B}[0m ERROR, no \u{1B}[1;31merror here\u{1B}[0m?"))
        #expect(LogQueryOutput.formatTimestamp(1_574_197_201_000_000_123) == "2019-11-19T21:00:01.000000123Z")
    }

    @Test func jsonKeysMapping() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let f = dir.file("app.jsonl", #"{"when":"2019-11-19T21:00:01Z","sev":"warn","text":"disk almost full","node":"n1"}"# + "\n")
        let r = try CLI.run(["ingest", dir.path + "/db", f, "--json-keys", "time=when,level=sev,message=text,host=node"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("did not parse"), "\(r.stderr)")
        let q = try CLI.run(["query", dir.path + "/db", #"{host="n1", level="WARNING"} |= "disk""#])
        #expect(q.stdout.hasPrefix(#"2019-11-19T21:00:01.000Z {file="app.jsonl", host="n1", level="WARNING", program="app"}"#), "\(q.stdout)")
        let bad = try CLI.run(["ingest", dir.path + "/db", f, "--json-keys", "colour=x"])
        #expect(bad.status != 0)
    }
}
