import Foundation
import Testing

/// The entries of a Loki `streams` answer: (stream labels, timestamp ns, line), in answer order.
func lokiEntries(_ o: [String: Any]) -> [(stream: [String: String], ts: Int64, line: String)] {
    var out: [(stream: [String: String], ts: Int64, line: String)] = []
    for s in (jsonPath(o, "data", "result") as? [[String: Any]]) ?? [] {
        let labels = (s["stream"] as? [String: String]) ?? [:]
        for v in (s["values"] as? [[Any]]) ?? [] {
            out.append((labels, Int64((v.first as? String) ?? "") ?? -1, (v.count > 1 ? v[1] as? String : nil) ?? ""))
        }
    }
    return out
}

/// Real Loki clients against strata-server: python-logging-loki (JSON, one record a request), and
/// a hand-encoded protobuf + snappy push, gzip JSON and plain JSON, with structured metadata.
@Suite(.serialized)
struct RealClientLokiTests {
    func queryRange(_ server: ServerProcess, _ q: String, start: Int64, end: Int64, limit: Int = 5000) throws -> [String: Any] {
        let (r, o) = try server.getJSON(
            "/loki/api/v1/query_range",
            [("query", q), ("start", String(start)), ("end", String(end)), ("limit", String(limit)), ("direction", "forward")])
        #expect(r.status == 200 && o["status"] as? String == "success" && jsonPath(o, "data", "resultType") as? String == "streams", "\(q): \(r)")
        return o
    }

    @Test(.timeLimit(.minutes(1)))
    func pythonLoggingLokiRecordsAllComeBack() throws {
        let dir = ScratchDir("loki-logging")
        defer { dir.cleanup() }
        let server = try ServerProcess(db: dir.sub("db"), logDir: dir.path)
        defer { server.kill() }
        let url = server.base + "/loki/api/v1/push"

        for (run, count, extra) in [("sync1", 60, [String]()), ("queued1", 25, ["--queue"])] {
            let r = try runClientScript("loki_logging_push.py", ["--url", url, "--count", String(count), "--run", run] + extra)
            #expect(r.ok, "loki_logging_push.py \(run): \(r)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r)")
            #expect(report["sent"] as? Int == count && report["errors"] as? Int == 0, "\(report)")
            let startNs = try #require((report["start_ns"] as? NSNumber)?.int64Value)
            let endNs = try #require((report["end_ns"] as? NSNumber)?.int64Value)

            let o = try queryRange(server, #"{app="strata-test", run="\#(run)"}"#, start: startNs - 1_000_000, end: endNs + 1_000_000)
            let entries = lokiEntries(o)
            let expected = (0..<count).map { "strata-test message \($0) of \(count) run=\(run)" }
            // Every record once: records that got the same (256 ns-rounded) timestamp are all kept.
            #expect(entries.count == count, "\(run): \(entries.count) entries for \(count) records")
            #expect(entries.map(\.line).sorted() == expected.sorted(), "\(run): lines \(entries.map(\.line))")
            #expect(entries.allSatisfy { $0.ts % 256 == 0 && $0.ts >= startNs - 1_000 && $0.ts <= endNs + 1_000 }, "\(run): timestamps")
            let streams = Set(entries.map { $0.stream["parity"] ?? "?" })
            #expect(streams == ["even", "odd"])
            #expect(
                entries.allSatisfy {
                    $0.stream["app"] == "strata-test" && $0.stream["run"] == run && $0.stream["severity"] == "info" && $0.stream["logger"] == "strata.client"
                        && $0.stream.count == 5
                }, "stream labels: \(entries.map(\.stream))")
            for parity in ["even", "odd"] {
                let ts = entries.filter { $0.stream["parity"] == parity }.map(\.ts)
                #expect(ts == ts.sorted(), "forward order within the \(parity) stream")
                #expect(ts.count == (parity == "even" ? (count + 1) / 2 : count / 2))
            }
        }

        // Two entries with one timestamp in one stream: both are kept (as Loki does).
        let ts = String((Int64(unixSeconds()) - 10) * 1_000_000_000 + 512)
        let dup = #"{"streams":[{"stream":{"app":"strata-test","run":"dup"},"values":[["\#(ts)","first"],["\#(ts)","second"]]}]}"#
        let p = try server.post("/loki/api/v1/push", body: Array(dup.utf8), headers: [("Content-Type", "application/json")])
        #expect(p.status == 204, "\(p)")
        let t = Int64(ts)!
        let d = lokiEntries(try queryRange(server, #"{run="dup"}"#, start: t - 1, end: t + 1))
        #expect(d.map(\.line).sorted() == ["first", "second"] && d.allSatisfy { $0.ts == t }, "\(d)")
        server.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func protobufGzipAndJSONPushesComeBackWithStructuredMetadata() throws {
        let dir = ScratchDir("loki-proto")
        defer { dir.cleanup() }
        let server = try ServerProcess(db: dir.sub("db"), logDir: dir.path)
        defer { server.kill() }
        let url = server.base + "/loki/api/v1/push"
        // A whole second: line 0's protobuf timestamp has no nanos field.
        let startNs = (Int64(unixSeconds()) - 30) * 1_000_000_000
        let step: Int64 = 1_000_000
        let modes: [(run: String, flags: [String])] = [("p-proto", []), ("p-gzip", ["--gzip-json"]), ("p-json", ["--json"])]
        for m in modes {
            let r = try runClientScript(
                "loki_proto_push.py", ["--url", url, "--streams", "2", "--lines", "5", "--run", m.run, "--start-ns", String(startNs), "--step-ns", String(step)] + m.flags)
            #expect(r.ok, "loki_proto_push.py \(m.run): \(r)")
            #expect(r.stdout.contains("\"status\": 204") && r.stdout.contains("\"entries\": 10"), "\(r)")
        }
        let end = startNs + 10 * step
        for m in modes {
            let all = lokiEntries(try queryRange(server, #"{app="strata-proto", run="\#(m.run)"}"#, start: startNs, end: end))
            var expected: [String] = []
            for k in 0..<2 {
                for j in 0..<5 { expected.append("\(startNs + Int64(j) * step) \(k) proto line \(j) of stream \(k) run=\(m.run)") }
            }
            let got = all.map { "\($0.ts) \($0.stream["stream"] ?? "?") \($0.line)" }
            #expect(got.sorted() == expected.sorted(), "\(m.run): \(got)")
            #expect(all.allSatisfy { $0.stream.keys.sorted() == ["app", "run", "stream"] }, "\(m.run): \(all.map(\.stream))")

            // Structured metadata is kept with each entry and can be filtered on.
            let idx2 = lokiEntries(try queryRange(server, #"{app="strata-proto", run="\#(m.run)"} | idx="2""#, start: startNs, end: end))
            #expect(
                idx2.map(\.line).sorted() == ["proto line 2 of stream 0 run=\(m.run)", "proto line 2 of stream 1 run=\(m.run)"], "\(m.run) | idx=\"2\": \(idx2)")
            let traced = lokiEntries(
                try queryRange(server, #"{app="strata-proto", run="\#(m.run)"} | trace_id="\#(String(repeating: "0", count: 29))3eb""#, start: startNs, end: end))
            #expect(traced.map(\.line) == ["proto line 3 of stream 1 run=\(m.run)"], "\(m.run) | trace_id: \(traced)")
            let notIdx = lokiEntries(try queryRange(server, #"{app="strata-proto", run="\#(m.run)"} | idx!="0" |= "stream 0""#, start: startNs, end: end))
            #expect(notIdx.count == 4, "\(m.run) | idx!=\"0\" |= \"stream 0\": \(notIdx)")

            // Index stats of the pushed streams.
            let (sr, stats) = try server.getJSON(
                "/loki/api/v1/index/stats", [("query", #"{app="strata-proto", run="\#(m.run)"}"#), ("start", String(startNs)), ("end", String(end))])
            let bytes = expected.map { $0.split(separator: " ", maxSplits: 2)[2].utf8.count }.reduce(0, +)
            #expect(sr.status == 200 && stats["streams"] as? Int == 2 && stats["entries"] as? Int == 10 && stats["bytes"] as? Int == bytes, "\(sr)")
        }

        // A metric query over the entries.
        let (ir, inst) = try server.getJSON(
            "/loki/api/v1/query", [("query", #"sum by (run) (count_over_time({app="strata-proto"}[1m]))"#), ("time", String(startNs + 30_000_000_000))])
        let counts = ((jsonPath(inst, "data", "result") as? [[String: Any]]) ?? []).map {
            (jsonPath($0, "metric", "run") as? String ?? "?") + "=" + (jsonPath($0, "value", 1) as? String ?? "?")
        }
        #expect(ir.status == 200 && counts.sorted() == ["p-gzip=10", "p-json=10", "p-proto=10"], "\(ir)")

        // Labels, label values and series.
        let (lr, labels) = try server.getJSON("/loki/api/v1/labels")
        #expect(lr.status == 200 && labels["status"] as? String == "success")
        #expect(Set((labels["data"] as? [String]) ?? []).isSuperset(of: ["app", "run", "stream"]), "\(lr)")
        let (_, runs) = try server.getJSON("/loki/api/v1/label/run/values")
        #expect(runs["data"] as? [String] == ["p-gzip", "p-json", "p-proto"], "\(runs)")
        let (_, streamValues) = try server.getJSON("/loki/api/v1/label/stream/values")
        #expect(streamValues["data"] as? [String] == ["0", "1"], "\(streamValues)")
        let (ser, series) = try server.getJSON(
            "/loki/api/v1/series", [("match[]", #"{app="strata-proto"}"#), ("start", String(startNs)), ("end", String(end))])
        let sets = ((series["data"] as? [[String: String]]) ?? []).map { "\($0["run"] ?? "?")/\($0["stream"] ?? "?")/\($0.count)" }
        #expect(ser.status == 200 && sets.sorted() == ["p-gzip/0/3", "p-gzip/1/3", "p-json/0/3", "p-json/1/3", "p-proto/0/3", "p-proto/1/3"], "\(ser)")
        let (_, one) = try server.getJSON(
            "/loki/api/v1/series", [("match[]", #"{app="strata-proto", run="p-json", stream="1"}"#), ("start", String(startNs)), ("end", String(end))])
        #expect((one["data"] as? [[String: String]]) ?? [] == [["app": "strata-proto", "run": "p-json", "stream": "1"]], "\(one)")
        server.stop()
    }
}
