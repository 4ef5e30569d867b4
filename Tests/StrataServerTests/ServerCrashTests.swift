import Foundation
import StrataWire
import SwiftProtobuf
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An OTLP/HTTP protobuf body: one trace whose first span is the root and the others its
/// children (ids as hex: 32 digits for the trace, 16 for each span).
func otlpTraceBody(traceHex: String, spanHexes: [String], startNs: UInt64, service: String = "crash") throws -> [UInt8] {
    func bytes(_ h: String) -> Data {
        var out = Data()
        var i = h.startIndex
        while i < h.endIndex {
            let j = h.index(i, offsetBy: 2)
            out.append(UInt8(h[i..<j], radix: 16)!)
            i = j
        }
        return out
    }
    var rs = Opentelemetry_Proto_Trace_V1_ResourceSpans()
    var kv = Opentelemetry_Proto_Common_V1_KeyValue()
    kv.key = "service.name"
    kv.value.stringValue = service
    rs.resource.attributes = [kv]
    var ss = Opentelemetry_Proto_Trace_V1_ScopeSpans()
    ss.scope.name = "strata-itest"
    ss.spans = spanHexes.enumerated().map { i, h in
        var s = Opentelemetry_Proto_Trace_V1_Span()
        s.traceID = bytes(traceHex)
        s.spanID = bytes(h)
        if i > 0 { s.parentSpanID = bytes(spanHexes[0]) }
        s.name = i == 0 ? "root" : "child\(i)"
        s.kind = .internal
        s.startTimeUnixNano = startNs + UInt64(i) * 1_000_000
        s.endTimeUnixNano = startNs + UInt64(i) * 1_000_000 + 500_000
        return s
    }
    rs.scopeSpans = [ss]
    var req = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest()
    req.resourceSpans = [rs]
    return try req.serializedBytes()
}

/// Samples of a matrix selector `query` evaluated at `time`: labels (JSON text) → [(ms, value)].
func rawSamples(_ server: ServerProcess, _ query: String, at time: Int64) throws -> [[String: String]: [Int64: String]] {
    let (r, o) = try server.getJSON("/api/v1/query", [("query", query), ("time", String(time))])
    #expect(r.status == 200 && jsonPath(o, "data", "resultType") as? String == "matrix", "\(query): \(r.description.prefix(500))")
    var out: [[String: String]: [Int64: String]] = [:]
    for s in (jsonPath(o, "data", "result") as? [[String: Any]]) ?? [] {
        let labels = (s["metric"] as? [String: String]) ?? [:]
        var points: [Int64: String] = [:]
        for v in (s["values"] as? [[Any]]) ?? [] {
            let ts = Int64((((v.first as? NSNumber)?.doubleValue ?? -1) * 1000).rounded())
            #expect(points[ts] == nil, "\(labels): timestamp \(ts) twice")
            points[ts] = v.count > 1 ? v[1] as? String : nil
        }
        out[labels] = points
    }
    return out
}

/// Crash safety over real HTTP: every write the server acknowledged survives a SIGKILL.
@Suite(.serialized)
struct ServerCrashTests {
    static let metricClients = 8, logClients = 2, spanClients = 1, requestsPerClient = 50
    static let samplesPerRequest = 5, entriesPerRequest = 3, spansPerTrace = 3
    static let rounds = 3

    /// What one request of a load carries: kind 0 remote_write, 1 Loki push, 2 OTLP.
    struct RequestID: Hashable, Sendable {
        var round: Int, kind: Int, client: Int, request: Int
    }

    static func sampleValue(_ round: Int, _ c: Int, _ r: Int, _ k: Int) -> Double { Double(round * 10_000_000 + c * 100_000 + r * 10 + k) }
    static func sampleTime(_ baseMs: Int64, _ r: Int, _ k: Int) -> Int64 { baseMs + Int64(r * samplesPerRequest + k) * 1000 }
    static func traceHex(_ round: Int, _ c: Int, _ r: Int) -> String {
        String(format: "c0ffee%02x%02x%06x", round, c, r) + String(repeating: "0", count: 14) + "01"
    }
    static func spanHex(_ round: Int, _ c: Int, _ r: Int, _ i: Int) -> String { String(format: "5%01x%02x%06x%06x", round, c, r, i + 1) }
    static func logLine(_ round: Int, _ c: Int, _ r: Int, _ k: Int) -> String { "crash log round \(round) client \(c) request \(r) entry \(k)" }

    /// Runs every client against `server` until `server` is SIGKILLed after a random number of
    /// acknowledgements; returns the acknowledged requests.
    static func loadAndKill(_ server: ServerProcess, round: Int, baseMs: Int64) throws -> Set<RequestID> {
        let port = server.port
        let baseNs = baseMs * 1_000_000
        let acked = Locked<Set<RequestID>>([])
        let ackCount = Counter(), failures = Counter()
        let firstFailure = Locked<String?>(nil)
        let stopFlag = Locked(false)
        let done = DispatchGroup()

        func client(_ kind: Int, _ c: Int, _ request: @escaping @Sendable (Int) throws -> RawResponse) {
            done.enter()
            Thread {
                defer { done.leave() }
                for r in 0..<requestsPerClient {
                    if stopFlag.withLock({ $0 }) { return }
                    do {
                        let resp = try request(r)
                        if (200..<300).contains(resp.status) {
                            acked.withLock { _ = $0.insert(RequestID(round: round, kind: kind, client: c, request: r)) }
                            ackCount.add()
                        } else {
                            failures.add()
                            firstFailure.withLock { $0 = $0 ?? "kind \(kind) client \(c) request \(r): \(resp)" }
                            return
                        }
                    } catch {
                        return  // the server is gone
                    }
                }
            }.start()
        }
        for c in 0..<metricClients {
            client(0, c) { r in
                let samples = (0..<samplesPerRequest).map { k in (ms: sampleTime(baseMs, r, k), value: sampleValue(round, c, r, k)) }
                let body = try remoteWriteBody([
                    ([("__name__", "crash_metric"), ("round", "\(round)"), ("client", "\(c)")], samples),
                    ([("__name__", "crash_req"), ("round", "\(round)"), ("client", "\(c)"), ("req", "\(r)")], [(baseMs, 1)]),
                ])
                return try RawHTTP.request(port: port, "POST", "/api/v1/write", headers: remoteWriteHeaders, body: body, timeout: 10)
            }
        }
        for c in 0..<logClients {
            client(1, c) { r in
                let values = (0..<entriesPerRequest).map { k in
                    "[\"\(baseNs + Int64(r * entriesPerRequest + k) * 1_000_000)\",\"\(logLine(round, c, r, k))\"]"
                }
                let body = #"{"streams":[{"stream":{"app":"crash","round":"\#(round)","client":"L\#(c)"},"values":[\#(values.joined(separator: ","))]}]}"#
                return try RawHTTP.request(
                    port: port, "POST", "/loki/api/v1/push", headers: [("Content-Type", "application/json")], body: Array(body.utf8), timeout: 10)
            }
        }
        for c in 0..<spanClients {
            client(2, c) { r in
                let body = try otlpTraceBody(
                    traceHex: traceHex(round, c, r), spanHexes: (0..<spansPerTrace).map { spanHex(round, c, r, $0) },
                    startNs: UInt64(baseNs) + UInt64(r) * 10_000_000)
                return try RawHTTP.request(port: port, "POST", "/v1/traces", headers: [("Content-Type", "application/x-protobuf")], body: body, timeout: 10)
            }
        }
        let total = (metricClients + logClients + spanClients) * requestsPerClient
        // The kill comes after a random number of acknowledgements, well before the end.
        let threshold = Int.random(in: total / 8...total / 2)
        let reached = try? poll("\(threshold) acknowledged requests", timeout: 30, interval: 0.001) { _ in
            ackCount.current >= threshold || failures.current > 0 ? true : nil
        }
        server.kill()
        stopFlag.withLock { $0 = true }
        #expect(reached != nil, "round \(round): \(ackCount.current) of \(threshold) requests acknowledged before the deadline")
        #expect(done.wait(timeout: .now() + 20) == .success, "round \(round): every client thread finished")
        #expect(failures.current == 0, "round \(round): a request was refused: \(firstFailure.withLock { $0 ?? "" })")
        #expect(server.child.process.terminationReason == .uncaughtSignal, "round \(round): the server was killed")
        let ack = acked.withLock { $0 }
        #expect(ack.count >= threshold && ack.count < total, "round \(round): killed mid-load: \(ack.count) of \(total) acknowledged")
        return ack
    }

    /// Every acknowledged request of `acked` is in `server`'s database exactly once, and nothing
    /// is there that was never sent.
    static func verify(_ server: ServerProcess, _ acked: Set<RequestID>, baseMs: [Int: Int64], rounds: Int) throws {
        for round in 0..<rounds {
            let base = baseMs[round]!
            let metrics = try rawSamples(server, #"crash_metric{round="\#(round)"}[10m]"#, at: base / 1000 + 300)
            for c in 0..<metricClients {
                let points = metrics[["__name__": "crash_metric", "round": "\(round)", "client": "\(c)"]] ?? [:]
                var missing: [String] = []
                for r in 0..<requestsPerClient where acked.contains(RequestID(round: round, kind: 0, client: c, request: r)) {
                    for k in 0..<samplesPerRequest {
                        let ts = sampleTime(base, r, k)
                        if points[ts] != String(Int(sampleValue(round, c, r, k))) { missing.append("r\(r)k\(k)=\(points[ts] ?? "absent")") }
                    }
                }
                #expect(missing.isEmpty, "round \(round) client \(c): acknowledged samples missing or wrong: \(missing.prefix(20))")
                for (ts, v) in points {
                    let i = Int((ts - base) / 1000)
                    let want = String(Int(sampleValue(round, c, i / samplesPerRequest, i % samplesPerRequest)))
                    #expect(v == want, "round \(round) client \(c): \(ts)=\(v) was never sent")
                }
            }
            let reqSeries = try rawSamples(server, #"crash_req{round="\#(round)"}[1m]"#, at: base / 1000 + 1)
            let present = Set(reqSeries.keys.compactMap { l -> RequestID? in
                guard let c = Int(l["client"] ?? ""), let r = Int(l["req"] ?? "") else { return nil }
                return RequestID(round: round, kind: 0, client: c, request: r)
            })
            #expect(acked.filter { $0.round == round && $0.kind == 0 }.isSubset(of: present), "round \(round): every acknowledged request's own series")
            #expect(reqSeries.values.allSatisfy { $0 == [base: "1"] })

            let baseNs = base * 1_000_000
            let (lr, logs) = try server.getJSON(
                "/loki/api/v1/query_range",
                [("query", #"{app="crash", round="\#(round)"}"#), ("start", String(baseNs)), ("end", String(baseNs + 1_000_000_000)), ("limit", "100000"),
                 ("direction", "forward")])
            #expect(lr.status == 200, "\(lr.description.prefix(500))")
            var lineCount: [String: Int] = [:]
            for e in lokiEntries(logs) { lineCount[e.line, default: 0] += 1 }
            for (line, n) in lineCount where n != 1 { Issue.record("log line \(line) is stored \(n) times") }
            var missingLines: [String] = []
            for a in acked where a.round == round && a.kind == 1 {
                for k in 0..<entriesPerRequest where lineCount[logLine(round, a.client, a.request, k)] == nil {
                    missingLines.append(logLine(round, a.client, a.request, k))
                }
            }
            #expect(missingLines.isEmpty, "acknowledged log entries missing: \(missingLines.prefix(20))")

            var traceProblems: [String] = []
            for a in acked where a.round == round && a.kind == 2 {
                let r = try server.get("/api/traces/\(traceHex(round, a.client, a.request))")
                let ids = (try? tempoSpans(r.jsonObject()).compactMap { base64Hex($0["spanId"]) }) ?? []
                let want = (0..<spansPerTrace).map { spanHex(round, a.client, a.request, $0) }
                if r.status != 200 || ids.sorted() != want.sorted() { traceProblems.append("\(a.request): \(r.status) \(ids)") }
            }
            #expect(traceProblems.isEmpty, "round \(round): acknowledged traces missing or wrong: \(traceProblems.prefix(10))")
        }
        let (_, search) = try server.getJSON("/api/search", [("q", #"{service="crash"}"#), ("limit", "10000")])
        let counts = ((search["traces"] as? [[String: Any]]) ?? []).compactMap { $0["spanCount"] as? Int }
        #expect(counts.allSatisfy { $0 == spansPerTrace }, "no span stored twice: \(counts)")
        #expect(counts.count >= acked.filter { $0.kind == 2 }.count, "search finds every acknowledged trace")
    }

    /// Several rounds on one database: concurrent remote_write, Loki and OTLP clients, a SIGKILL at
    /// a random point of the load, a restart; every acknowledged write of every round is there.
    @Test(.timeLimit(.minutes(1)))
    func acknowledgedWritesSurviveSIGKILLMidLoad() throws {
        let dir = ScratchDir("crash")
        defer { dir.cleanup() }
        let db = dir.sub("db")
        var acked = Set<RequestID>()
        var bases: [Int: Int64] = [:]
        for round in 0..<Self.rounds {
            let server = try ServerProcess(db: db, logDir: dir.path)
            defer { server.kill() }
            if round > 0 { try Self.verify(server, acked, baseMs: bases, rounds: round) }
            bases[round] = (Int64(unixSeconds()) - 3600 + Int64(round) * 600) * 1000
            acked.formUnion(try Self.loadAndKill(server, round: round, baseMs: bases[round]!))
        }
        let server = try ServerProcess(db: db, logDir: dir.path)
        defer { server.kill() }
        try Self.verify(server, acked, baseMs: bases, rounds: Self.rounds)
        print("crash test: \(acked.count) requests acknowledged over \(Self.rounds) rounds (\((0..<3).map { k in acked.filter { $0.kind == k }.count }) by kind)")
        server.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func sigtermWhileIdleExitsZeroAndKeepsTheData() throws {
        let dir = ScratchDir("sigterm")
        defer { dir.cleanup() }
        let db = dir.sub("db")
        let server = try ServerProcess(db: db, logDir: dir.path)
        defer { server.kill() }
        let baseMs = (Int64(unixSeconds()) - 60) * 1000
        let w = try server.post(
            "/api/v1/write", body: try remoteWriteBody([([("__name__", "idle_metric"), ("job", "t")], [(baseMs, 1.25), (baseMs + 1000, 2.5)])]),
            headers: remoteWriteHeaders)
        #expect(w.status == 204, "\(w)")
        let line = #"{"streams":[{"stream":{"app":"idle"},"values":[["\#(baseMs * 1_000_000)","idle line"]]}]}"#
        let l = try server.post("/loki/api/v1/push", body: Array(line.utf8), headers: [("Content-Type", "application/json")])
        #expect(l.status == 204, "\(l)")
        let traceHex = "1d1e0000000000000000000000000001"
        let t = try server.post(
            "/v1/traces", body: try otlpTraceBody(traceHex: traceHex, spanHexes: ["1d1e000000000001", "1d1e000000000002"], startNs: UInt64(baseMs) * 1_000_000),
            headers: [("Content-Type", "application/x-protobuf")])
        #expect(t.status == 200, "\(t)")
        sleepSeconds(0.3)  // idle
        server.stop()  // SIGTERM: exit status 0

        let again = try ServerProcess(db: db, logDir: dir.path)
        defer { again.kill() }
        let m = try rawSamples(again, "idle_metric[1m]", at: baseMs / 1000 + 5)
        #expect(m == [["__name__": "idle_metric", "job": "t"]: [baseMs: "1.25", baseMs + 1000: "2.5"]], "\(m)")
        let (_, logs) = try again.getJSON(
            "/loki/api/v1/query_range", [("query", #"{app="idle"}"#), ("start", String(baseMs * 1_000_000)), ("end", String(baseMs * 1_000_000 + 1))])
        #expect(lokiEntries(logs).map(\.line) == ["idle line"], "\(logs)")
        let tr = try again.get("/api/traces/\(traceHex)")
        #expect(try tr.status == 200 && tempoSpans(tr.jsonObject()).count == 2, "\(tr)")
        again.stop()
    }
}

/// Bad input over real HTTP: refused with a 4xx in Prometheus's JSON error shape (or a text
/// reason), and the server keeps serving with its data intact.
@Suite(.serialized)
struct ServerBadInputTests {
    @Test(.timeLimit(.minutes(1)))
    func badRequestsAreRefusedAndTheServerStaysUp() throws {
        let dir = ScratchDir("badinput")
        defer { dir.cleanup() }
        let server = try ServerProcess(db: dir.sub("db"), logDir: dir.path)
        defer { server.kill() }
        let baseMs = (Int64(unixSeconds()) - 60) * 1000
        let good = try server.post(
            "/api/v1/write", body: try remoteWriteBody([([("__name__", "guard_metric")], [(baseMs, 1), (baseMs + 1000, 2), (baseMs + 2000, 3)])]),
            headers: remoteWriteHeaders)
        #expect(good.status == 204, "\(good)")
        let goodLog = #"{"streams":[{"stream":{"app":"guard"},"values":[["\#(baseMs * 1_000_000)","guard line"]]}]}"#
        #expect(try server.post("/loki/api/v1/push", body: Array(goodLog.utf8), headers: [("Content-Type", "application/json")]).status == 204)

        /// A 4xx whose body is Prometheus's JSON error (or, with `text`, a non-empty reason).
        /// `bare`: the HTTP layer's own refusal (no body), for a request line over NIO's limit.
        func refused(
            _ what: String, _ r: RawResponse, status: Int? = nil, text: Bool = false, bare: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
        ) {
            #expect((400..<500).contains(r.status) && (status == nil || r.status == status), "\(what): \(r.description.prefix(300))", sourceLocation: sourceLocation)
            if r.header("content-type")?.hasPrefix("application/json") == true {
                let o = try? r.jsonObject()
                #expect(
                    o?["status"] as? String == "error" && (o?["errorType"] as? String)?.isEmpty == false && (o?["error"] as? String)?.isEmpty == false,
                    "\(what): error shape \(r.description.prefix(300))", sourceLocation: sourceLocation)
            } else {
                #expect((text && !r.text.isEmpty) || (bare && r.body.isEmpty), "\(what): \(r.description.prefix(300)) (\(r.header("content-type") ?? "no content type"))", sourceLocation: sourceLocation)
            }
        }
        let rw = remoteWriteHeaders
        // remote_write: malformed protobuf, not snappy, a truncated message, wrong content type.
        refused("malformed protobuf", try server.post("/api/v1/write", body: Snappy.compress([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), headers: rw), status: 400)
        refused("garbage protobuf", try server.post("/api/v1/write", body: Snappy.compress(Array("not a protobuf message at all".utf8)), headers: rw), status: 400)
        refused("bad snappy", try server.post("/api/v1/write", body: Array("this is not snappy".utf8), headers: rw), status: 400)
        refused("empty body", try server.post("/api/v1/write", body: [], headers: rw), status: 400)
        let whole: [UInt8] = try {
            var req = Prometheus_WriteRequest()
            var ts = Prometheus_TimeSeries()
            var l = Prometheus_Label()
            l.name = "__name__"
            l.value = "truncated_metric"
            ts.labels = [l]
            ts.samples = (0..<20).map { i in
                var s = Prometheus_Sample()
                s.timestamp = baseMs + Int64(i)
                s.value = Double(i) + 0.5
                return s
            }
            req.timeseries = [ts]
            return try req.serializedBytes()
        }()
        refused("truncated protobuf", try server.post("/api/v1/write", body: Snappy.compress(Array(whole.prefix(whole.count / 2 + 1))), headers: rw), status: 400)
        refused(
            "text/plain remote_write",
            try server.post("/api/v1/write", body: Snappy.compress(whole), headers: [("Content-Type", "text/plain"), ("Content-Encoding", "snappy")]), status: 415)
        refused("gzip remote_write", try server.post("/api/v1/write", body: Snappy.compress(whole), headers: [("Content-Type", "application/x-protobuf"), ("Content-Encoding", "gzip")]), status: 415)
        // A body shorter than its Content-Length (the client gave up): never acknowledged.
        let cut = try RawHTTP.request(port: server.port, "POST", "/api/v1/write", headers: rw, body: Array(Snappy.compress(whole).prefix(10)), declaredLength: 4000, timeout: 10)
        #expect(!(200..<300).contains(cut.status), "a body cut short was acknowledged: \(cut)")
        // A 2 MB label value (the limit is 4096 bytes).
        let big = String(repeating: "v", count: 2 << 20)
        refused(
            "2 MB label value", try server.post("/api/v1/write", body: try remoteWriteBody([([("__name__", "big_metric"), ("big", big)], [(baseMs, 1)])]), headers: rw),
            status: 400, text: true)
        let bigLog = #"{"streams":[{"stream":{"app":"big","big":"\#(big)"},"values":[["\#(baseMs * 1_000_000)","x"]]}]}"#
        refused("2 MB stream label", try server.post("/loki/api/v1/push", body: Array(bigLog.utf8), headers: [("Content-Type", "application/json")]), status: 400, text: true)

        // Loki push and OTLP: malformed bodies and wrong types.
        let loki = [("Content-Type", "application/json")]
        refused("malformed Loki JSON", try server.post("/loki/api/v1/push", body: Array(#"{"streams":[{"stream":{"a":"b"},"values":[["1","x"#.utf8), headers: loki), status: 400)
        refused("Loki protobuf, bad snappy", try server.post("/loki/api/v1/push", body: Array("nope".utf8), headers: [("Content-Type", "application/x-protobuf")]), status: 400)
        refused("Loki bad gzip", try server.post("/loki/api/v1/push", body: Array("nope".utf8), headers: loki + [("Content-Encoding", "gzip")]), status: 400)
        refused("Loki text/plain", try server.post("/loki/api/v1/push", body: Array(goodLog.utf8), headers: [("Content-Type", "text/plain")]), status: 415)
        refused("malformed OTLP", try server.post("/v1/traces", body: [0x0a, 0xff, 0xff, 0x01], headers: [("Content-Type", "application/x-protobuf")]), status: 400)
        refused("OTLP text/xml", try server.post("/v1/traces", body: [0x0a, 0x00], headers: [("Content-Type", "text/xml")]), status: 415)

        // Queries: deeply nested, too long, unparsable, bad times.
        let deep = String(repeating: "(", count: 200_000) + "1" + String(repeating: ")", count: 200_000)
        // A 1.2 MB URL: refused by the HTTP parser before any handler (Prometheus answers 431).
        refused("200,000-deep query (GET)", try server.get("/api/v1/query" + RawHTTP.query([("query", deep)])), status: 400, bare: true)
        refused(
            "200,000-deep query (POST)",
            try server.post("/api/v1/query", body: Array(RawHTTP.form([("query", deep)]).utf8), headers: [("Content-Type", "application/x-www-form-urlencoded")]), status: 400)
        refused("unparsable query", try server.get("/api/v1/query" + RawHTTP.query([("query", "sum(")])), status: 400)
        refused("bad time", try server.get("/api/v1/query" + RawHTTP.query([("query", "up"), ("time", "yesterday")])), status: 400)
        refused("range without step", try server.get("/api/v1/query_range" + RawHTTP.query([("query", "up"), ("start", "1"), ("end", "2")])), status: 400)
        refused("series without match[]", try server.get("/api/v1/series"), status: 400)
        refused("bad trace id", try server.get("/api/traces/not-a-trace-id"), status: 400)

        // Still ready, and the data acknowledged before is intact.
        #expect(server.isRunning, "strata-server is still running: \(server.stderr.suffix(2000))")
        let ready = try server.get("/-/ready")
        #expect(ready.status == 200, "\(ready)")
        let healthy = try server.get("/-/healthy")
        #expect(healthy.status == 200 && healthy.text.contains("Healthy"), "\(healthy)")
        let m = try rawSamples(server, "guard_metric[1m]", at: baseMs / 1000 + 10)
        #expect(m == [["__name__": "guard_metric"]: [baseMs: "1", baseMs + 1000: "2", baseMs + 2000: "3"]], "\(m)")
        let (_, none) = try server.getJSON("/api/v1/series", [("match[]", #"{__name__=~"truncated_metric|big_metric"}"#)])
        #expect((none["data"] as? [Any])?.isEmpty == true, "nothing of the refused bodies was stored: \(none)")
        let (_, logs) = try server.getJSON(
            "/loki/api/v1/query_range", [("query", #"{app=~"guard|big"}"#), ("start", String(baseMs * 1_000_000)), ("end", String(baseMs * 1_000_000 + 1))])
        #expect(lokiEntries(logs).map(\.line) == ["guard line"], "\(logs)")
        server.stop()
    }

    /// Deeply nested queries under --max-query-length (128 KiB): the server may answer them or
    /// refuse them with a 4xx, but it must not die (a stack overflow kills every connection).
    @Test(.timeLimit(.minutes(1)))
    func deeplyNestedQueriesUnderTheLengthLimitDoNotKillTheServer() throws {
        let dir = ScratchDir("deep")
        defer { dir.cleanup() }
        var server = try ServerProcess(db: dir.sub("db"), logDir: dir.path)
        defer { server.kill() }
        let form = [("Content-Type", "application/x-www-form-urlencoded")]
        func nested(_ open: String, _ inner: String, _ close: String, _ n: Int) -> String {
            String(repeating: open, count: n) + inner + String(repeating: close, count: n)
        }
        let probes: [(what: String, path: String, param: String, query: String)] = [
            ("2,000 parentheses", "/api/v1/query", "query", nested("(", "1", ")", 2_000)),
            ("1+1+...+1, 5,000 terms", "/api/v1/query", "query", Array(repeating: "1", count: 5_000).joined(separator: "+")),
            ("1+1+...+1, 60,000 terms (just under --max-query-length)", "/api/v1/query", "query", Array(repeating: "1", count: 60_000).joined(separator: "+")),
            ("5,000 unary minus signs", "/api/v1/query", "query", String(repeating: "-", count: 5_000) + "1"),
            ("format_query of 1+1+...+1, 5,000 terms", "/api/v1/format_query", "query", Array(repeating: "1", count: 5_000).joined(separator: "+")),
            ("LogQL, 2,000 parentheses", "/loki/api/v1/query", "query", "sum(" + nested("(", #"count_over_time({a="b"}[1m])"#, ")", 2_000) + ")"),
            ("LogQL, 3,000 terms added", "/loki/api/v1/query", "query", Array(repeating: #"count_over_time({a="b"}[1m])"#, count: 3_000).joined(separator: "+")),
            ("trace search, 2,000 parentheses", "/api/search", "q", nested("(", "span_count({})", ")", 2_000)),
        ]
        var deaths: [String] = []
        for p in probes {
            let params = [(p.param, p.query)]
            let r: RawResponse? = try? (p.path == "/api/search"
                ? server.get(p.path + RawHTTP.query(params), timeout: 5) : server.post(p.path, body: Array(RawHTTP.form(params).utf8), headers: form, timeout: 5))
            if let r { #expect(r.status == 200 || (400..<500).contains(r.status), "\(p.what): \(r.description.prefix(300))") }
            // A crashed server can stay in the Swift runtime's backtracer for minutes: 0.5 s, then SIGKILL.
            let exited = server.child.wait(timeout: r == nil ? 0.5 : 0.2)
            if exited || r == nil {
                let how = exited ? (server.child.process.terminationReason == .uncaughtSignal ? "killed by signal \(server.child.status)" : "exited with \(server.child.status)") : "still running (in its crash handler)"
                deaths.append("\(p.what) (\(p.query.utf8.count) bytes to \(p.path)): \(r.map { "HTTP \($0.status)" } ?? "no answer"), server \(how)")
                server.kill()
                server = try ServerProcess(db: dir.sub("db"), logDir: dir.path)
            }
        }
        #expect(deaths.isEmpty, "strata-server died (or did not answer) on:\n\(deaths.joined(separator: "\n"))")
        server.stop()
    }
}
