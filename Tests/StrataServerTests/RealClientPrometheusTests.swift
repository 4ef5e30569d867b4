import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real Prometheus 2.42 scrapes a real node-exporter every second and remote_writes to
/// strata-server; then the same promtool commands run against Prometheus and against Strata at a
/// fixed time both have, and their outputs must be the same.
@Suite(.serialized)
struct RealClientPrometheusTests {
    @Test(.timeLimit(.minutes(1)))
    func promtoolAgreesWithPrometheusOnRemoteWrittenData() throws {
        let dir = ScratchDir("prom")
        defer { dir.cleanup() }
        let server = try ServerProcess(db: dir.sub("db"), logDir: dir.path)
        defer { server.kill() }

        let nodePort = try freePort()
        let node = try Child(
            Paths.nodeExporter,
            [
                "--web.listen-address=127.0.0.1:\(nodePort)", "--collector.disable-defaults", "--collector.loadavg", "--collector.time",
                "--web.disable-exporter-metrics",
            ], name: "node-exporter", logDir: dir.path)
        defer { node.stop() }
        _ = try poll("node-exporter to answer", timeout: 10, interval: 0.05) { note -> Bool? in
            if !node.isRunning { throw HarnessError("node-exporter exited: \(node.stderr)") }
            guard let r = try? RawHTTP.request(port: nodePort, "GET", "/metrics", timeout: 2) else { return nil }
            note = r.description
            return r.status == 200 && r.text.contains("node_load1 ") ? true : nil
        }

        let promPort = try freePort()
        let template = try String(contentsOfFile: Paths.client("prometheus-remote-write.yml.in"), encoding: .utf8)
        let config = try dir.write(
            "prometheus.yml",
            template.replacingOccurrences(of: "@NODE_EXPORTER@", with: "127.0.0.1:\(nodePort)").replacingOccurrences(of: "@STRATA@", with: server.hostPort))
        // Stopped before strata-server (defers run last-in first-out).
        let prom = try Child(
            Paths.prometheus,
            [
                "--config.file=\(config)", "--storage.tsdb.path=\(dir.sub("tsdb"))", "--web.listen-address=127.0.0.1:\(promPort)",
                "--storage.remote.flush-deadline=1s",
            ], name: "prometheus", logDir: dir.path)
        defer { prom.stop() }
        let promURL = "http://127.0.0.1:\(promPort)", strataURL = server.base

        // The first remote_write arrives about 6 s after Prometheus starts.
        let firstSeen = try poll("node_load1 in Strata", timeout: 25, interval: 0.25) { note -> Double? in
            if !prom.isRunning { throw HarnessError("prometheus exited: \(prom.stderr.suffix(2000))") }
            let (r, o) = try server.getJSON("/api/v1/query", [("query", "node_load1")])
            note = r.description
            return ((jsonPath(o, "data", "result") as? [Any])?.isEmpty == false) ? unixSeconds() : nil
        }
        // T: 10 s after Strata's first sample (so the whole range [T-10, T] is covered), and at
        // least 3 s in the past when the comparison runs.
        let T = Int(firstSeen.rounded(.up)) + 10
        sleepSeconds(Double(T) + 3 - unixSeconds())
        // Everything up to T has been forwarded once Strata has a sample after it.
        _ = try poll("a sample after T in Strata", timeout: 10, interval: 0.25) { note -> Bool? in
            let (r, o) = try server.getJSON("/api/v1/query", [("query", "timestamp(node_load1)")])
            note = r.description
            guard let v = jsonPath(o, "data", "result", 0, "value", 1) as? String, let ts = Double(v) else { return nil }
            return ts > Double(T) + 0.5 ? true : nil
        }

        /// promtool's output for `args(url)` from both servers; both must succeed.
        func both(_ what: String, sorted: Bool = false, _ args: (String) -> [String]) throws -> (prometheus: String, strata: String) {
            let p = try promtool(args(promURL)), s = try promtool(args(strataURL))
            #expect(p.ok, "promtool \(what) against Prometheus: \(p)")
            #expect(s.ok, "promtool \(what) against Strata: \(s)")
            func norm(_ t: String) -> String { sorted ? t.split(separator: "\n").sorted().joined(separator: "\n") : t }
            let (a, b) = (norm(p.stdout), norm(s.stdout))
            #expect(a == b, "promtool \(what): Prometheus printed\n\(a)\nStrata printed\n\(b)")
            return (a, b)
        }
        let inst = "127.0.0.1:\(nodePort)"

        // Instant queries at T.
        var out = try both("query instant node_load1") { ["query", "instant", "--time=\(T)", $0, "node_load1"] }
        #expect(out.prometheus.hasPrefix("node_load1{instance=\"\(inst)\", job=\"node\"} => ") && out.prometheus.hasSuffix(" @[\(T)]\n"))
        out = try both("query instant sum by (job)") { ["query", "instant", "--time=\(T)", $0, "sum by (job) (node_load1 + node_load5)"] }
        #expect(out.prometheus.hasPrefix("{job=\"node\"} => "))
        out = try both("query instant count by (job)") { ["query", "instant", "--time=\(T)", $0, #"count by (job) ({job="node"})"#] }
        #expect(out.prometheus.hasPrefix("{job=\"node\"} => "))
        out = try both("query instant up") { ["query", "instant", "--time=\(T)", $0, "up"] }
        #expect(out.prometheus == "up{instance=\"\(inst)\", job=\"node\"} => 1 @[\(T)]\n")
        out = try both("query instant scrape series", sorted: true) { ["query", "instant", "--time=\(T)", $0, #"{__name__=~"scrape_.*"}"#] }
        #expect(out.prometheus.split(separator: "\n").count >= 4)

        // Range queries ending at T.
        out = try both("query range node_load1") { ["query", "range", "--start=\(T - 10)", "--end=\(T)", "--step=1s", $0, "node_load1"] }
        let lines = out.prometheus.split(separator: "\n")
        #expect(lines.first == "node_load1{instance=\"\(inst)\", job=\"node\"} =>" && lines.count == 12, "\(out.prometheus)")
        #expect(lines.last?.hasSuffix(" @[\(T)]") == true)
        out = try both("query range node_load*") { ["query", "range", "--start=\(T - 10)", "--end=\(T)", "--step=2s", $0, #"{__name__=~"node_load(1|5|15)"}"#] }
        #expect(out.prometheus.split(separator: "\n").count == 3 * 7, "\(out.prometheus)")
        out = try both("query range rate") { ["query", "range", "--start=\(T - 6)", "--end=\(T)", "--step=1s", $0, "rate(node_time_seconds[4s])"] }
        #expect(out.prometheus.split(separator: "\n").count == 8, "\(out.prometheus)")
        out = try both("query range max_over_time -o json") {
            ["query", "-o", "json", "range", "--start=\(T - 6)", "--end=\(T)", "--step=3s", $0, "max_over_time(scrape_samples_scraped[3s])"]
        }
        #expect(out.prometheus.hasPrefix("[{\"metric\":{\"instance\":\"\(inst)\",\"job\":\"node\"},\"values\":[[\(T - 6),"), "\(out.prometheus)")

        // Series and labels.
        out = try both("query series node_load*", sorted: true) { ["query", "series", #"--match={__name__=~"node_load.*"}"#, $0] }
        #expect(
            out.prometheus
                == ["1", "15", "5"].map { "{__name__=\"node_load\($0)\", instance=\"\(inst)\", job=\"node\"}" }.joined(separator: "\n"))
        out = try both("query series up and scrape_*", sorted: true) {
            ["query", "series", "--match=up", #"--match={__name__=~"scrape_.+"}"#, "--start=\(T - 10)", "--end=\(T)", $0]
        }
        #expect(out.prometheus.split(separator: "\n").count >= 5)
        out = try both("query labels job") { ["query", "labels", $0, "job"] }
        #expect(out.prometheus == "node\n")
        out = try both("query labels __name__ --match") { ["query", "labels", #"--match={job="node"}"#, $0, "__name__"] }
        for name in ["node_load1", "node_load15", "node_time_seconds", "up", "scrape_duration_seconds"] {
            #expect(out.prometheus.split(separator: "\n").contains(Substring(name)), "\(name) in \(out.prometheus)")
        }
        out = try both("query labels instance with a window") { ["query", "labels", "--start=\(T - 10)", "--end=\(T)", $0, "instance"] }
        #expect(out.prometheus == inst + "\n")

        // The same query_range as JSON over GET: the `data` objects are equal.
        let rangeParams = [("query", "node_load1 * 2"), ("start", String(T - 10)), ("end", String(T)), ("step", "1")]
        let pr = try RawHTTP.request(port: promPort, "GET", "/api/v1/query_range" + RawHTTP.query(rangeParams))
        let sr = try server.get("/api/v1/query_range" + RawHTTP.query(rangeParams))
        #expect(pr.status == 200 && sr.status == 200, "\(pr) / \(sr)")
        #expect(
            NSDictionary(dictionary: (jsonPath(try pr.jsonObject(), "data") as? [String: Any]) ?? ["x": 1])
                == NSDictionary(dictionary: (jsonPath(try sr.jsonObject(), "data") as? [String: Any]) ?? ["y": 1]),
            "query_range JSON: Prometheus \(pr)\nStrata \(sr)")
        // And as a POST form, as promtool sends it.
        let posted = try server.post(
            "/api/v1/query_range", body: Array(RawHTTP.form(rangeParams).utf8), headers: [("Content-Type", "application/x-www-form-urlencoded")])
        #expect(posted.status == 200 && posted.text == sr.text, "POST \(posted) vs GET \(sr)")

        // Label names (plain HTTP: no promtool command calls /api/v1/labels).
        let (lr, labels) = try server.getJSON("/api/v1/labels")
        #expect(lr.status == 200 && labels["status"] as? String == "success")
        let names = (labels["data"] as? [String]) ?? []
        #expect(["__name__", "instance", "job"].allSatisfy(names.contains), "\(lr)")
        #expect(names == names.sorted())

        // Metadata: Prometheus sends it every 2 s; Strata's answer equals Prometheus's own.
        let metadata = try poll("node_load1's metadata in Strata", timeout: 10, interval: 0.25) { note -> [String: Any]? in
            let (r, o) = try server.getJSON("/api/v1/metadata", [("metric", "node_load1")])
            note = r.description
            return (jsonPath(o, "data", "node_load1") as? [Any])?.isEmpty == false ? o : nil
        }
        #expect(metadata["status"] as? String == "success")
        #expect(jsonPath(metadata, "data", "node_load1", 0, "type") as? String == "gauge")
        #expect(jsonPath(metadata, "data", "node_load1", 0, "help") as? String == "1m load average.")
        let pm = try RawHTTP.request(port: promPort, "GET", "/api/v1/metadata?metric=node_load1").jsonObject()
        #expect(
            NSDictionary(dictionary: (metadata["data"] as? [String: Any]) ?? [:]) == NSDictionary(dictionary: (pm["data"] as? [String: Any]) ?? ["x": 1]),
            "metadata: Strata \(metadata), Prometheus \(pm)")
        let (_, allMeta) = try server.getJSON("/api/v1/metadata")
        #expect(((allMeta["data"] as? [String: Any])?.keys.count ?? 0) >= 3, "\(allMeta)")

        // Build info and format_query.
        let (br, build) = try server.getJSON("/api/v1/status/buildinfo")
        #expect(br.status == 200 && build["status"] as? String == "success")
        let buildKeys = Set(((build["data"] as? [String: Any]) ?? [:]).keys)
        #expect(buildKeys.isSuperset(of: ["version", "revision", "branch", "buildUser", "buildDate", "goVersion"]), "\(br)")
        for q in ["sum(rate(http_requests_total{job=\"a\"}[5m]))by(job)", "foo   +   on(a)group_left(b) bar", "-x offset 5m"] {
            let (fr, f) = try server.getJSON("/api/v1/format_query", [("query", q)])
            let pf = try RawHTTP.request(port: promPort, "GET", "/api/v1/format_query" + RawHTTP.query([("query", q)])).jsonObject()
            #expect(fr.status == 200 && f["status"] as? String == "success", "\(fr)")
            #expect(f["data"] as? String != nil && f["data"] as? String == pf["data"] as? String, "format_query \(q): Strata \(fr), Prometheus \(pf)")
        }

        // The server's own metrics pass promtool's linter.
        let metrics = try server.get("/metrics")
        #expect(metrics.status == 200 && metrics.text.contains("# TYPE "))
        let check = try promtool(["check", "metrics"], stdin: metrics.body)
        #expect(check.ok, "promtool check metrics: \(check)")

        #expect(prom.stop(grace: 10), "Prometheus stopped on SIGTERM")
        server.stop()
    }
}
