import Foundation
import StrataWire
import SwiftProtobuf
import Testing

/// A remote_write body: the series' samples as a snappy `prometheus.WriteRequest`.
func remoteWriteBody(_ series: [(labels: [(String, String)], samples: [(ms: Int64, value: Double)])]) throws -> [UInt8] {
    var req = Prometheus_WriteRequest()
    req.timeseries = series.map { s in
        var ts = Prometheus_TimeSeries()
        ts.labels = s.labels.sorted { $0.0 < $1.0 }.map { l in
            var x = Prometheus_Label()
            x.name = l.0
            x.value = l.1
            return x
        }
        ts.samples = s.samples.map { p in
            var x = Prometheus_Sample()
            x.timestamp = p.ms
            x.value = p.value
            return x
        }
        return ts
    }
    let raw: [UInt8] = try req.serializedBytes()
    return Snappy.compress(raw)
}

let remoteWriteHeaders = [
    ("Content-Type", "application/x-protobuf"), ("Content-Encoding", "snappy"), ("X-Prometheus-Remote-Write-Version", "0.1.0"),
]

/// A second real Prometheus reads from Strata through remote_read (it stores nothing itself), so
/// every value promtool prints from it came through Strata's /api/v1/read.
@Suite(.serialized)
struct RealClientRemoteReadTest {
    @Test(.timeLimit(.minutes(1)))
    func prometheusReadsStrataThroughRemoteRead() throws {
        let dir = ScratchDir("rr")
        defer { dir.cleanup() }
        let server = try ServerProcess(db: dir.sub("db"), logDir: dir.path)
        defer { server.kill() }

        // Ten samples 10 s apart per series, ending about 30 s ago; 0 is left off the wire.
        let base = (Int64(unixSeconds()) - 120) * 1000
        let aValues: [Double] = [0, 1.5, -2.25, 0.001, 12345.678, 0.1, 3, 1e21, -0.5, 42]
        let bValues: [Double] = [7, 7, 7, 8, 8, 8, 9, 9, 9, 2.5]
        let times = (0..<10).map { base + Int64($0) * 10_000 }
        let body = try remoteWriteBody([
            ([("__name__", "rr_metric"), ("job", "rr"), ("instance", "a")], Array(zip(times, aValues)).map { ($0.0, $0.1) }),
            ([("__name__", "rr_metric"), ("job", "rr"), ("instance", "b")], Array(zip(times, bValues)).map { ($0.0, $0.1) }),
            ([("__name__", "rr_other"), ("job", "rr"), ("instance", "a")], [(times[9], 99)]),
        ])
        let w = try server.post("/api/v1/write", body: body, headers: remoteWriteHeaders)
        #expect(w.status == 204, "remote_write: \(w)")

        let promPort = try freePort()
        let template = try String(contentsOfFile: Paths.client("prometheus-remote-read.yml.in"), encoding: .utf8)
        let config = try dir.write("prometheus.yml", template.replacingOccurrences(of: "@STRATA@", with: server.hostPort))
        let prom = try Child(
            Paths.prometheus,
            [
                "--config.file=\(config)", "--storage.tsdb.path=\(dir.sub("tsdb"))", "--web.listen-address=127.0.0.1:\(promPort)",
                "--storage.remote.flush-deadline=1s",
            ], name: "prometheus", logDir: dir.path)
        defer { prom.stop() }
        _ = try poll("Prometheus ready", timeout: 15, interval: 0.05) { note -> Bool? in
            if !prom.isRunning { throw HarnessError("prometheus exited: \(prom.stderr.suffix(2000))") }
            guard let r = try? RawHTTP.request(port: promPort, "GET", "/-/ready", timeout: 2) else { return nil }
            note = r.description
            return r.status == 200 ? true : nil
        }
        let promURL = "http://127.0.0.1:\(promPort)"
        let readsBefore = try readRequests(server)

        let T = times[9] / 1000 + 5
        let instant = try promtool(["query", "instant", "--time=\(T)", promURL, "rr_metric"])
        #expect(instant.ok, "\(instant)")
        #expect(
            instant.stdout == """
                rr_metric{instance="a", job="rr"} => 42 @[\(T)]
                rr_metric{instance="b", job="rr"} => 2.5 @[\(T)]

                """, "promtool query instant through remote_read: \(instant)")

        let start = times[0] / 1000, end = times[9] / 1000
        let range = try promtool(["query", "range", "--start=\(start)", "--end=\(end)", "--step=10s", promURL, #"rr_metric{instance=~"a|x", job!="other"}"#])
        #expect(range.ok, "\(range)")
        let expectedA = ["0", "1.5", "-2.25", "0.001", "12345.678", "0.1", "3", "1000000000000000000000", "-0.5", "42"]
        #expect(
            range.stdout == "rr_metric{instance=\"a\", job=\"rr\"} =>\n"
                + zip(expectedA, times).map { "\($0.0) @[\($0.1 / 1000)]\n" }.joined(),
            "promtool query range through remote_read: \(range)")

        let sum = try promtool(["query", "instant", "--time=\(start + 35)", promURL, #"sum by (job) ({job="rr"})"#])
        #expect(sum.stdout == "{job=\"rr\"} => 8.001 @[\(start + 35)]\n", "\(sum)")  // 0.001 + 8, the samples at start+30

        let json = try promtool(["query", "-o", "json", "instant", "--time=\(T)", promURL, "rr_other"])
        #expect(json.stdout.hasPrefix(#"[{"metric":{"__name__":"rr_other","instance":"a","job":"rr"},"value":["#) && json.stdout.contains(#","99"]"#), "\(json)")

        // Nothing matches: an empty vector, not an error.
        let none = try promtool(["query", "instant", "--time=\(T)", promURL, "rr_absent"])
        #expect(none.ok && none.stdout == "\n", "\(none)")

        // The same commands straight against Strata print the same.
        for args in [["query", "instant", "--time=\(T)", "rr_metric"], ["query", "instant", "--time=\(start + 35)", #"sum by (job) ({job="rr"})"#]] {
            let viaProm = try promtool(Array(args.dropLast()) + [promURL, args.last!])
            let direct = try promtool(Array(args.dropLast()) + [server.base, args.last!])
            #expect(direct.ok && direct.stdout == viaProm.stdout, "\(args): direct \(direct) vs remote_read \(viaProm)")
        }
        #expect(try readRequests(server) >= readsBefore + 5, "Prometheus's queries went through /api/v1/read")

        #expect(prom.stop(grace: 10), "Prometheus stopped on SIGTERM")
        server.stop()
    }

    /// Requests served on /api/v1/read so far (from the server's /metrics).
    func readRequests(_ server: ServerProcess) throws -> Int {
        let text = try server.get("/metrics").text
        var n = 0
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && line.contains("/api/v1/read") && line.contains("_requests_total") {
            n += Int(Double(line.split(separator: " ").last ?? "") ?? 0)
        }
        return n
    }
}
