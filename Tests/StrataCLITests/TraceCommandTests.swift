import Foundation
import Strata
import Testing

/// `strata ingest` of osprofiler JSON, `strata trace`, trace queries, inspect, verify and
/// corruption of span segments, through the real binary.
@Suite("Trace commands")
struct TraceCommandTests {
    static let base = "8f6ff588-fcb6-4983-883c-282f78922756"

    /// Event lines of two spans of one new trace; the second has an error. Returns (text, base_id).
    func lines() -> String {
        let b = "11111111-2222-4333-8444-555555555555"
        func ev(_ name: String, _ trace: String, _ parent: String, _ t: String, _ info: String) -> String {
            "{\"info\": \(info), \"name\": \"\(name)\", \"service\": \"api\", \"timestamp\": \"\(t)\", \"trace_id\": \"\(trace)\", \"project\": \"glance\", \"parent_id\": \"\(parent)\", \"base_id\": \"\(b)\"}\n"
        }
        let top = "aaaaaaaa-0000-4000-8000-000000000001", child = "aaaaaaaa-0000-4000-8000-000000000002"
        return ev("wsgi-start", top, b, "2019-11-18T12:00:00.000000", "{\"host\": \"wally113\", \"request\": {\"path\": \"/v2/images\", \"scheme\": \"http\", \"method\": \"POST\", \"query\": \"\"}}")
            + ev("db-start", child, top, "2019-11-18T12:00:00.100000", "{\"host\": \"wally113\", \"db\": {\"statement\": \"INSERT INTO images\", \"params\": {}}}")
            + ev("db-stop", child, top, "2019-11-18T12:00:02.600000", "{\"host\": \"wally113\", \"etype\": \"DBError\", \"message\": \"gone away\"}")
            + ev("wsgi-stop", top, b, "2019-11-18T12:00:03.000000", "{\"host\": \"wally113\"}")
    }

    @Test func ingestTraceAndQueryTheRealReportAndEventLines() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = dir.path + "/db"
        let events = dir.file("events.jsonl", lines())
        let report = try sharedData("msds/workloads/create_delete_image_config/test.json")
        let ing = try CLI.run(["ingest", db, report, events])
        #expect(ing.status == 0, "\(ing.stderr)")
        #expect(ing.stdout.contains("14 spans (28 events)"), "\(ing.stdout)")

        let tree = try CLI.run(["trace", db, Self.base])
        #expect(tree.status == 0)
        #expect(tree.stdout.contains("12 spans, 10.058s, 0 errors, hosts wally113"), "\(tree.stdout)")
        #expect(tree.stdout.contains("wsgi PUT /v2/images/985aa609-db14-4b4f-abd1-f1e1521237c7/file"))
        #expect(tree.stdout.contains("+4.642s    3.719s"))
        #expect(!tree.stdout.contains("\u{1B}["), "no colours when stdout is not a terminal")
        // The nested keystone call is indented under its glance parent.
        #expect(tree.stdout.contains("glance/api       wsgi GET /v2/schemas/image"))
        #expect(tree.stdout.contains("keystone/public    wsgi GET /v3/auth/tokens"))

        let json = try CLI.run(["trace", db, "11111111-2222-4333-8444-555555555555", "--format", "json"])
        #expect(json.status == 0)
        let obj = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let spans = obj?["spans"] as? [[String: Any]]
        #expect(spans?.count == 1)
        let top = spans?.first
        #expect(top?["parent_id"] as? String == "11111111-2222-4333-8444-555555555555")
        let children = top?["children"] as? [[String: Any]]
        #expect(children?.first?["trace_id"] as? String == "aaaaaaaa-0000-4000-8000-000000000002")
        #expect(children?.first?["error"] as? Bool == true)
        #expect(children?.first?["duration_us"] as? Int == 2_500_000)

        let slow = try CLI.run(["query", db, "{service=\"glance\", duration > 2s, error=true}"])
        #expect(slow.status == 0, "\(slow.stderr)")
        #expect(slow.stdout.contains("11111111-2222-4333-8444-555555555555"))
        #expect(!slow.stdout.contains(Self.base), "the image iteration has no error span")
        let count = try CLI.run(["query", db, "span_count({project=\"glance\"}[1h])", "--time", "2019-11-18T12:30:00Z", "--format", "json"])
        #expect(count.status == 0, "\(count.stderr)")
        #expect(count.stdout.contains("\"resultType\":\"vector\""))
        #expect(count.stdout.contains("{\"name\":\"wsgi\",\"project\":\"glance\",\"service\":\"api\"},\"value\":[1574080200,\"8\"]"), "\(count.stdout)")

        let inspect = try CLI.run(["inspect", db, "--json"])
        let stats = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any]
        let traces = stats?["traces"] as? [String: Any]
        #expect(traces?["spans"] as? Int == 14 && traces?["traces"] as? Int == 2)
        let bytes = traces?["bytes"] as? Int ?? 0
        let onDisk = try FileManager.default.subpathsOfDirectory(atPath: db + "/traces").reduce(0) { sum, p in
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: db + "/traces/" + p, isDirectory: &isDir)
            return sum + (isDir.boolValue ? 0 : ((try? FileManager.default.attributesOfItem(atPath: db + "/traces/" + p)[.size] as? Int) ?? 0))
        }
        #expect(bytes == onDisk && bytes > 0)
        #expect(try CLI.run(["verify", db]).status == 0)
    }

    @Test func filesIngestedAgainAreStoredOnceAndCountedAsDuplicates() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = dir.path + "/db"
        let events = dir.file("events.jsonl", lines())
        let report = try sharedData("msds/workloads/create_delete_image_config/test.json")
        let first = try CLI.run(["ingest", db, report, events])
        #expect(first.status == 0 && first.stdout.contains("14 spans (28 events)"), "\(first.stdout)")
        // Again in a second run, and twice more within a third: nothing new is stored, and every
        // event is counted as a resend.
        let again = try CLI.run(["ingest", db, report, events])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("0 spans (28 events)  0 values          28"), "\(again.stdout)")
        let twice = try CLI.run(["ingest", db, events, report, events])
        #expect(twice.stdout.contains("0 spans (32 events)  0 values          32"), "\(twice.stdout)")
        let inspect = try CLI.run(["inspect", db, "--json"])
        let stats = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any]
        let traces = stats?["traces"] as? [String: Any]
        #expect(traces?["spans"] as? Int == 14 && traces?["traces"] as? Int == 2, "\(inspect.stdout)")
        let tree = try CLI.run(["trace", db, Self.base])
        #expect(tree.stdout.contains("12 spans, 10.058s, 0 errors"), "\(tree.stdout)")
        #expect(try CLI.run(["verify", db]).status == 0)
    }

    @Test func stopsIngestedAfterTheirStartsCompleteTheSpans() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = dir.path + "/db"
        let all = lines().split(separator: "\n").map { String($0) + "\n" }
        let starts = dir.file("starts.jsonl", all.filter { $0.contains("-start\"") }.joined())
        let stops = dir.file("stops.jsonl", all.filter { $0.contains("-stop\"") }.joined())
        #expect(try CLI.run(["ingest", db, starts]).status == 0)
        let open = try CLI.run(["trace", db, "11111111-2222-4333-8444-555555555555"])
        #expect(open.stdout.contains("[incomplete: no stop]"), "\(open.stdout)")
        let later = try CLI.run(["ingest", db, stops])
        #expect(later.status == 0 && later.stdout.contains("2 spans (2 events)"), "\(later.stdout)")
        let tree = try CLI.run(["trace", db, "11111111-2222-4333-8444-555555555555"])
        #expect(!tree.stdout.contains("incomplete") && !tree.stdout.contains("missing"), "\(tree.stdout)")
        #expect(tree.stdout.contains("2 spans, 3.000s, 1 error, hosts wally113"), "\(tree.stdout)")
        let inspect = try CLI.run(["inspect", db, "--json"])
        let stats = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any]
        let traces = stats?["traces"] as? [String: Any]
        #expect(traces?["spans"] as? Int == 2 && traces?["traces"] as? Int == 1, "\(inspect.stdout)")
        let slow = try CLI.run(["query", db, "{service=\"glance\", duration > 2s, error=true}"])
        #expect(slow.stdout.contains("11111111-2222-4333-8444-555555555555"), "\(slow.stdout)")
        #expect(try CLI.run(["verify", db]).status == 0)
    }

    @Test func badEventsAreReportedWithFileLineAndColumnAndTheRestKept() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = dir.path + "/db"
        let text = lines() + "{\"name\": \"wsgi-start\", \"trace_id\": \"x\"\n" + "{\"info\": {}, \"name\": \"rpc-start\", \"timestamp\": \"2019-11-18T12:00:01\", \"trace_id\": \"aaaaaaaa-0000-4000-8000-000000000009\", \"parent_id\": \"11111111-2222-4333-8444-555555555555\", \"base_id\": \"11111111-2222-4333-8444-555555555555\"}\n"
        let file = dir.file("bad.jsonl", text)
        let ing = try CLI.run(["ingest", db, file, "--format", "osprofiler"])
        #expect(ing.status == 1)
        #expect(ing.stderr.contains("bad.jsonl:5:1: malformed JSON: expected ',' or '}' in an object (39 bytes into the value)"), "\(ing.stderr)")
        #expect(ing.stdout.contains("3 spans (5 events)"), "\(ing.stdout)")
        // The start without a stop is kept, flagged incomplete.
        let tree = try CLI.run(["trace", db, "11111111-2222-4333-8444-555555555555"])
        #expect(tree.stdout.contains("[incomplete: no stop]"), "\(tree.stdout)")
        #expect(try CLI.run(["trace", db, "not-a-uuid"]).status == 2)
        let missing = try CLI.run(["trace", db, "11111111-2222-4333-8444-000000000000"])
        #expect(missing.status == 1 && missing.stderr.contains("no trace with base_id"))
    }

    @Test(arguments: [9, 40, -30, -10])
    func aFlippedSegmentByteIsFoundByVerifyAndTrace(offset: Int) throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = dir.path + "/db"
        let report = try sharedData("msds/workloads/create_delete_image_config/test.json")
        #expect(try CLI.run(["ingest", db, report]).status == 0)
        let segment = db + "/traces/000001.spans"
        let size = (try FileManager.default.attributesOfItem(atPath: segment)[.size] as? Int) ?? 0
        try flip(segment, at: offset >= 0 ? offset : size + offset)
        let v = try CLI.run(["verify", db])
        #expect(v.status == 1)
        #expect(v.stdout.contains("000001.spans"), "\(v.stdout)")
        let t = try CLI.run(["trace", db, Self.base])
        #expect(t.status == 1 && t.stderr.contains("000001.spans"), "\(t.stderr)")
    }
}
