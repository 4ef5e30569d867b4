import Foundation
import Strata
import StrataTestSupport
import StrataWire
import Testing

/// The spans of a Tempo trace answer (`batches` or `trace.resourceSpans`): name → span object.
func tempoSpans(_ o: [String: Any]) -> [[String: Any]] {
    let batches = (o["batches"] as? [[String: Any]]) ?? (jsonPath(o, "trace", "resourceSpans") as? [[String: Any]]) ?? []
    return batches.flatMap { b in ((b["scopeSpans"] as? [[String: Any]]) ?? []).flatMap { ($0["spans"] as? [[String: Any]]) ?? [] } }
}

/// Hex of a base64 protobuf `bytes` field in OTLP/JSON as SwiftProtobuf writes it.
func base64Hex(_ s: Any?) -> String? {
    guard let s = s as? String else { return nil }
    if s.isEmpty { return "" }
    return Data(base64Encoded: s).map { hex($0) }
}

/// osprofiler's real OTLP driver sends a four-span trace; Strata serves it back through Tempo's
/// API and `strata trace`.
@Suite(.serialized)
struct RealClientOsprofilerTests {
    @Test(.timeLimit(.minutes(1)))
    func osprofilerTraceComesBackThroughTempoAndStrataTrace() throws {
        let dir = ScratchDir("osprofiler")
        defer { dir.cleanup() }
        let db = dir.sub("db")
        let server = try ServerProcess(db: db, logDir: dir.path)
        defer { server.kill() }

        var traces: [(report: [String: Any], compression: String)] = []
        for compression in ["none", "gzip"] {
            let r = try runClientScript("osprofiler_otlp_trace.py", ["--endpoint", server.base, "--compression", compression, "--timeout", "5"])
            #expect(r.ok, "osprofiler_otlp_trace.py --compression \(compression): \(r)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r)")
            #expect(report["exported_spans"] as? Int == 4 && report["failed_spans"] as? Int == 0, "\(report)")
            traces.append((report, compression))
        }

        for (report, compression) in traces {
            let traceHex = try #require(report["trace_id_hex"] as? String)
            let sent = try #require(report["spans"] as? [[String: Any]])
            #expect(sent.count == 4)
            let r = try server.get("/api/traces/\(traceHex)")
            #expect(r.status == 200, "GET /api/traces/\(traceHex) (\(compression)): \(r)")
            let o = try r.jsonObject()
            let spans = tempoSpans(o)
            #expect(spans.count == 4, "\(compression): \(r)")
            #expect(jsonPath(o, "batches", 0, "resource", "attributes", 0, "value", "stringValue") as? String == "strata-clienttest", "\(r)")
            let byName = Dictionary(spans.map { (($0["name"] as? String) ?? "?", $0) }, uniquingKeysWith: { a, _ in a })
            #expect(byName.keys.sorted() == ["strata_child_op2", "strata_failing_op4", "strata_grandchild_op3", "strata_root_op1"], "\(byName.keys)")
            for s in sent {
                let name = s["name"] as? String ?? "?"
                guard let got = byName[name] else { continue }
                #expect(base64Hex(got["traceId"]) == traceHex, "\(name) traceId")
                #expect(base64Hex(got["spanId"]) == s["span_id_hex"] as? String, "\(name) spanId: \(got)")
                let parent = (s["parent_span_id_hex"] as? String) ?? ""
                #expect((base64Hex(got["parentSpanId"]) ?? "") == parent, "\(name) parentSpanId: \(got), want \(parent)")
                let isError = jsonPath(got, "status", "code") as? String == "STATUS_CODE_ERROR"
                #expect(isError == (s["error"] as? Bool == true), "\(name) error status: \(got)")
                let start = UInt64((got["startTimeUnixNano"] as? String) ?? "") ?? 0
                let end = UInt64((got["endTimeUnixNano"] as? String) ?? "") ?? 0
                #expect(start > 1_600_000_000_000_000_000 && end >= start, "\(name) times: \(got)")
            }
            // The tree: root ← child ← grandchild, root ← failing.
            let idOf = { (n: String) in base64Hex(byName[n]?["spanId"]) ?? "-" }
            #expect(base64Hex(byName["strata_child_op2"]?["parentSpanId"]) == idOf("strata_root_op1"))
            #expect(base64Hex(byName["strata_grandchild_op3"]?["parentSpanId"]) == idOf("strata_child_op2"))
            #expect(base64Hex(byName["strata_failing_op4"]?["parentSpanId"]) == idOf("strata_root_op1"))
            let attrs = (byName["strata_failing_op4"]?["attributes"] as? [[String: Any]]) ?? []
            #expect(attrs.contains { $0["key"] as? String == "error.kind" && jsonPath($0, "value", "stringValue") as? String == "ValueError" }, "\(attrs)")

            // The same trace as protobuf, and by its base_id (a UUID) on /api/v2.
            let pb = try server.get("/api/traces/\(traceHex)", headers: [("Accept", "application/protobuf")])
            let data = try Opentelemetry_Proto_Trace_V1_TracesData(serializedBytes: pb.body)
            #expect(pb.status == 200 && data.resourceSpans.flatMap { $0.scopeSpans.flatMap(\.spans) }.count == 4, "\(pb)")
            let v2 = try server.get("/api/v2/traces/\(report["base_id"] as? String ?? "")")
            #expect(try v2.status == 200 && tempoSpans(v2.jsonObject()).count == 4, "\(v2)")
        }
        let missing = try server.get("/api/traces/0123456789abcdef0123456789abcdef")
        #expect(missing.status == 404, "\(missing)")

        // Search: the error selector finds both traces, a name finds one of them, another service none.
        let hexes = Set(traces.compactMap { $0.report["trace_id_hex"] as? String })
        let (er, errs) = try server.getJSON("/api/search", [("q", "{error=true}")])
        let found = ((errs["traces"] as? [[String: Any]]) ?? [])
        #expect(er.status == 200 && Set(found.compactMap { $0["traceID"] as? String }) == hexes, "\(er)")
        #expect(found.allSatisfy { $0["spanCount"] as? Int == 4 && $0["errorCount"] as? Int == 1 && $0["rootServiceName"] as? String != nil }, "\(er)")
        let (_, named) = try server.getJSON("/api/search", [("q", #"{service="strata", name="strata_grandchild_op3", duration >= 0s}"#)])
        #expect(((named["traces"] as? [[String: Any]]) ?? []).count == 2, "\(named)")
        let (_, other) = try server.getJSON("/api/search", [("q", #"{service="nova"}"#)])
        #expect(((other["traces"] as? [[String: Any]]) ?? []).isEmpty, "\(other)")
        let (br, bad) = try server.getJSON("/api/search", [("q", #"{servce="x"}"#)])
        #expect(br.status == 400 && bad["status"] as? String == "error", "\(br)")

        // osprofiler's own event JSON (what its file and messaging drivers write) on /api/v1/osprofiler.
        let fixture = TraceFixture.spans(trace: 7, spans: 5, error: true)
        let events = try server.post(
            "/api/v1/osprofiler", body: Array(fixture.map(TraceFixture.eventLines).joined().utf8), headers: [("Content-Type", "application/json")])
        #expect(events.status == 204, "\(events)")
        let fixtureBase = fixture[0].baseID.description
        let ft = try server.get("/api/traces/\(fixtureBase)")
        let fspans = tempoSpans((try? ft.jsonObject()) ?? [:])
        #expect(ft.status == 200 && fspans.count == 5, "\(ft)")
        #expect(fspans.filter { jsonPath($0, "status", "code") as? String == "STATUS_CODE_ERROR" }.count == 1, "\(ft)")
        let services = Set(((try? ft.jsonObject()["batches"] as? [[String: Any]]) ?? []).compactMap {
            jsonPath($0, "resource", "attributes", 0, "value", "stringValue") as? String
        })
        #expect(services == ["keystone-public", "glance-api"], "\(services)")
        let (_, glance) = try server.getJSON("/api/search", [("q", #"{project="glance", name="wsgi", error=true}"#)])
        #expect(((glance["traces"] as? [[String: Any]]) ?? []).compactMap { $0["spanCount"] as? Int } == [5], "\(glance)")
        let notEvents = try server.post("/api/v1/osprofiler", body: Array("{\"no\": \"events\"}".utf8), headers: [("Content-Type", "application/json")])
        #expect(notEvents.status == 400, "\(notEvents)")


        // After the server stops, `strata trace` prints the tree from the database.
        server.stop()
        for (report, _) in traces {
            let baseID = try #require(report["base_id"] as? String)
            let tree = try runProgram(Paths.strata, ["trace", db, baseID], timeout: 30)
            #expect(tree.ok, "strata trace: \(tree)")
            let lines = tree.stdout.split(separator: "\n")
            func line(_ name: String) -> Int? { lines.firstIndex { $0.contains(name) } }
            for name in ["strata_root_op1", "strata_child_op2", "strata_grandchild_op3", "strata_failing_op4"] {
                #expect(line(name) != nil, "\(name) in\n\(tree.stdout)")
            }
            if let root = line("strata_root_op1"), let child = line("strata_child_op2"), let grand = line("strata_grandchild_op3"),
                let failing = line("strata_failing_op4")
            {
                #expect(root < child && child < grand && grand < failing, "tree order:\n\(tree.stdout)")
            }
            #expect(tree.stdout.contains("ValueError"), "the error is shown:\n\(tree.stdout)")

            let json = try runProgram(Paths.strata, ["trace", db, baseID, "--format", "json"], timeout: 30)
            #expect(json.ok, "\(json)")
            let o = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json)")
            let top = (o["spans"] as? [[String: Any]]) ?? []
            #expect(top.count == 1, "one top-level span: \(json.stdout.prefix(3000))")
            let children = (top.first?["children"] as? [[String: Any]]) ?? []
            #expect(children.count == 2, "the root has two children: \(json.stdout.prefix(3000))")
            let grandchildren = children.flatMap { ($0["children"] as? [[String: Any]]) ?? [] }
            #expect(grandchildren.count == 1, "one grandchild: \(json.stdout.prefix(3000))")
            #expect(o["span_count"] as? Int == 4, "\(json.stdout.prefix(3000))")
            let failing = children.first { $0["name"] as? String == "strata_failing_op4" }
            #expect(failing?["error"] as? Bool == true && jsonPath(failing, "info", "etype") as? String == "ValueError", "\(json.stdout.prefix(3000))")
        }
    }
}
