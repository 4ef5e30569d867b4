import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Strata
@testable import StrataServer
import StrataWire
import SwiftProtobuf
import Testing

/// The HTTP handlers in process (Hummingbird's router test framework): shapes, statuses, limits.
@Suite("server API")
struct ServerAPITests {
    static let t0: Int64 = 1_700_000_000_000

    /// A database with `up` and `node_load1` for two instances, a sample every 10 s for 10 minutes.
    static func filled() throws -> TempDatabase {
        let tmp = try TempDatabase(options: StrataServer.databaseOptions())
        for inst in ["a:9100", "b:9100"] {
            for name in ["up", "node_load1"] {
                let labels = try Labels(validating: ["__name__": name, "instance": inst, "job": "node"])
                let samples = (0..<60).map { Sample(.milliseconds(t0 + Int64($0) * 10_000), name == "up" ? 1 : Double($0) / 10) }
                _ = try tmp.db.metrics.append(labels, samples)
            }
        }
        return tmp
    }

    static func with(
        _ tmp: TempDatabase, _ options: ServerOptions = ServerOptions(), _ body: @Sendable (any TestClientProtocol, StrataServer) async throws -> Void
    ) async throws {
        let server = StrataServer(database: tmp.db, options: options)
        let app = Application(router: server.router())
        try await app.test(.router) { client in try await body(client, server) }
    }

    static func json(_ r: TestResponse) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any] ?? [:]
    }

    static func form(_ s: String) -> (HTTPFields, ByteBuffer) {
        ([.contentType: "application/x-www-form-urlencoded"], ByteBuffer(string: s))
    }

    @Test func queriesGetAndPost() async throws {
        let tmp = try Self.filled()
        defer { tmp.cleanup() }
        try await Self.with(tmp) { client, _ in
            let at = Double(Self.t0) / 1000 + 300
            try await client.execute(uri: "/api/v1/query?query=sum(up)&time=\(at)", method: .get) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body) == #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000300,"2"]}]}}"#)
            }
            let (h, b) = Self.form("query=node_load1%7Binstance%3D%22a%3A9100%22%7D&time=\(at)")
            try await client.execute(uri: "/api/v1/query", method: .post, headers: h, body: b) { r in
                #expect(String(buffer: r.body).contains(#""value":[1700000300,"3"]"#))
            }
            let (h2, b2) = Self.form("query=up&start=\(at)&end=\(at + 20)&step=10s")
            try await client.execute(uri: "/api/v1/query_range", method: .post, headers: h2, body: b2) { r in
                let data = try Self.json(r)["data"] as? [String: Any]
                #expect(data?["resultType"] as? String == "matrix")
                #expect((data?["result"] as? [[String: Any]])?.first?["values"] as? [[Any]] != nil)
                #expect(((data?["result"] as? [[String: Any]])?.first?["values"] as? [[Any]])?.count == 3)
            }
            try await client.execute(uri: "/api/v1/series?match[]=up&match[]=%7Binstance%3D%22b%3A9100%22%7D", method: .get) { r in
                #expect(
                    String(buffer: r.body)
                        == #"{"status":"success","data":[{"__name__":"node_load1","instance":"b:9100","job":"node"},{"__name__":"up","instance":"a:9100","job":"node"},{"__name__":"up","instance":"b:9100","job":"node"}]}"#
                )
            }
            try await client.execute(uri: "/api/v1/labels", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":["__name__","instance","job"]}"#)
            }
            try await client.execute(uri: "/api/v1/label/instance/values?match[]=up", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":["a:9100","b:9100"]}"#)
            }
            try await client.execute(uri: "/api/v1/format_query?query=sum%20by(job)(rate(up%5B5m%5D))", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":"sum by (job) (rate(up[5m]))"}"#)
            }
            try await client.execute(uri: "/api/v1/status/buildinfo", method: .get) { r in
                let j = try Self.json(r)
                #expect((j["data"] as? [String: Any])?["version"] != nil)
            }
        }
    }

    /// Prometheus's error shapes and statuses: 400 bad parameters, 422 execution, 503 timeout.
    @Test func errorShapes() async throws {
        let tmp = try Self.filled()
        defer { tmp.cleanup() }
        var o = ServerOptions()
        o.maxQuerySamples = 150
        try await Self.with(tmp, o) { client, _ in
            func check(_ uri: String, _ status: HTTPResponse.Status, _ type: String, _ contains: String) async throws {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == status, "\(uri)")
                    let j = try Self.json(r)
                    #expect(j["status"] as? String == "error")
                    #expect(j["errorType"] as? String == type, "\(uri)")
                    #expect((j["error"] as? String)?.contains(contains) == true, "\(uri): \(j["error"] ?? "")")
                }
            }
            try await check("/api/v1/query?query=up%7B", .badRequest, "bad_data", "1:4: parse error")
            try await check("/api/v1/query", .badRequest, "bad_data", "query")
            try await check("/api/v1/query?query=up&time=yesterday", .badRequest, "bad_data", "\"time\"")
            try await check("/api/v1/query_range?query=up&start=0&end=100000&step=1", .badRequest, "bad_data", "11000 points")
            try await check("/api/v1/query_range?query=up&start=10&end=0&step=1", .badRequest, "bad_data", "end timestamp")
            try await check("/api/v1/query_range?query=up&start=0&end=10&step=0", .badRequest, "bad_data", "step")
            try await check("/api/v1/series", .badRequest, "bad_data", "no match[]")
            try await check("/api/v1/query_range?query=up%5B5m%5D&start=0&end=10&step=1", .badRequest, "bad_data", "invalid expression type \"range vector\"")
            try await check(
                "/api/v1/query?query=up%20%2B%20on()%20group_left%20node_load1&time=1700000300", .unprocessableContent, "execution",
                "many-to-many matching not allowed")
            try await check(
                "/api/v1/query?query=count_over_time(%7B__name__%3D~%22.%2B%22%7D%5B10m%5D)&time=1700000600", .unprocessableContent, "execution",
                "--query-max-samples")
            try await check("/api/v1/query?query=count_over_time(vector(1)%5B3000d:1s%5D)&time=1700000300", .unprocessableContent, "execution", "--query-max-samples")
            try await check("/api/v1/query?query=up&timeout=0s&time=1700000300", .serviceUnavailable, "timeout", "--query-timeout")
            let deep = String(repeating: "(", count: 20_000) + "1" + String(repeating: ")", count: 20_000)
            try await check("/api/v1/query?query=\(deep.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", .badRequest, "bad_data", "nested more than")
            let signs = String(repeating: "-", count: 5000) + "1"
            try await check("/api/v1/query?query=\(signs)", .badRequest, "bad_data", "nested more than")
        }
    }

    @Test func authentication() async throws {
        let tmp = try Self.filled()
        defer { tmp.cleanup() }
        var o = ServerOptions()
        o.tokens = try BearerToken.parseFile(
            "# tokens\nreader-0123456789abcdef read\nwriter-0123456789abcdef write\n", path: "tokens")
        try await Self.with(tmp, o) { client, _ in
            try await client.execute(uri: "/api/v1/query?query=up", method: .get) { r in
                #expect(r.status == .unauthorized)
                #expect(r.headers[.wwwAuthenticate] == "Bearer")
            }
            try await client.execute(uri: "/api/v1/query?query=up", method: .get, headers: [.authorization: "Bearer nope-0123456789abcdef"]) { r in
                #expect(r.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/query?query=up", method: .get, headers: [.authorization: "Bearer reader-0123456789abcdef"]) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/api/v1/query?query=up", method: .get, headers: [.authorization: "Bearer writer-0123456789abcdef"]) { r in
                #expect(r.status == .forbidden)
            }
            var req = Prometheus_WriteRequest()
            req.timeseries = [promSeries([("__name__", "w")], [(Self.t0, 1)])]
            let body = ByteBuffer(bytes: Snappy.compress(try req.serializedBytes() as [UInt8]))
            let h: HTTPFields = [.contentType: "application/x-protobuf", .contentEncoding: "snappy", .authorization: "Bearer reader-0123456789abcdef"]
            try await client.execute(uri: "/api/v1/write", method: .post, headers: h, body: body) { r in #expect(r.status == .forbidden) }
            var hw = h
            hw[.authorization] = "Bearer writer-0123456789abcdef"
            try await client.execute(uri: "/api/v1/write", method: .post, headers: hw, body: body) { r in #expect(r.status == .noContent) }
            try await client.execute(uri: "/-/healthy", method: .get) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer reader-0123456789abcdef"]) { r in
                #expect(String(buffer: r.body).contains(#"strata_auth_failures_total{code="401"} 2"#))
                #expect(String(buffer: r.body).contains(#"strata_auth_failures_total{code="403"} 2"#))
            }
        }
        #expect(throws: ServerConfigError.self) { try BearerToken.parseFile("short read\n", path: "t") }
        #expect(throws: ServerConfigError.self) { try BearerToken.parseFile("long-enough-token-here admin\n", path: "t") }
    }

    /// Bodies over a limit, wrong encodings, bad snappy: 4xx with the limit named, and what was
    /// acknowledged before is intact.
    @Test func badBodies() async throws {
        let tmp = try TempDatabase(options: StrataServer.databaseOptions())
        defer { tmp.cleanup() }
        var o = ServerOptions()
        o.maxBodyBytes = 64 << 10
        o.wire.maxDecompressedBytes = 256 << 10
        try await Self.with(tmp, o) { client, _ in
            var req = Prometheus_WriteRequest()
            req.timeseries = [promSeries([("__name__", "kept")], [(Self.t0, 1)])]
            let good = ByteBuffer(bytes: Snappy.compress(try req.serializedBytes() as [UInt8]))
            let h: HTTPFields = [.contentType: "application/x-protobuf", .contentEncoding: "snappy"]
            try await client.execute(uri: "/api/v1/write", method: .post, headers: h, body: good) { r in #expect(r.status == .noContent) }
            try await client.execute(uri: "/api/v1/write", method: .post, headers: h, body: ByteBuffer(bytes: [0x05, 1, 2])) { r in
                #expect(r.status == .badRequest)
                let j = try Self.json(r)
                #expect(j["errorType"] as? String == "bad_data")
            }
            try await client.execute(uri: "/api/v1/write", method: .post, headers: h, body: ByteBuffer(bytes: Snappy.compress([0x0A, 0x7F, 1]))) { r in
                #expect(r.status == .badRequest)
            }
            var gz = h
            gz[.contentEncoding] = "gzip"
            try await client.execute(uri: "/api/v1/write", method: .post, headers: gz, body: good) { r in #expect(r.status == .unsupportedMediaType) }
            try await client.execute(uri: "/api/v1/write", method: .post, headers: [.contentType: "text/plain"], body: good) { r in
                #expect(r.status == .unsupportedMediaType)
            }
            let big = ByteBuffer(bytes: [UInt8](repeating: 0x41, count: 100 << 10))
            try await client.execute(uri: "/api/v1/write", method: .post, headers: h, body: big) { r in
                #expect(r.status == .contentTooLarge)
                let j = try Self.json(r)
                #expect((j["error"] as? String)?.contains("--max-body-bytes") == true)
            }
            // 1 MiB of zeros in 50 KiB of snappy: refused after the header, before inflating.
            let bomb = ByteBuffer(bytes: Snappy.compress([UInt8](repeating: 0, count: 1 << 20)))
            try await client.execute(uri: "/api/v1/write", method: .post, headers: h, body: bomb) { r in
                #expect(r.status == .contentTooLarge)
                let j = try Self.json(r)
                #expect((j["error"] as? String)?.contains("--max-decompressed-bytes") == true)
            }
            let gzBomb = ByteBuffer(bytes: Gzip.compress([UInt8](repeating: 0x20, count: 4 << 20)))
            try await client.execute(
                uri: "/loki/api/v1/push", method: .post, headers: [.contentType: "application/json", .contentEncoding: "gzip"], body: gzBomb
            ) { r in #expect(r.status == .contentTooLarge) }
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                #expect(text.contains(#"strata_limit_refusals_total{limit="max-body-bytes"} 1"#))
                #expect(text.contains(#"strata_limit_refusals_total{limit="max-decompressed-bytes"} 2"#))
                #expect(text.contains("strata_samples_ingested_total 1\n"))
            }
            try await client.execute(uri: "/api/v1/query?query=kept&time=\(Double(Self.t0) / 1000)", method: .get) { r in
                #expect(String(buffer: r.body).contains(#""value":[1700000000,"1"]"#))
            }
        }
    }

    /// A request with some bad series: 400 (the sender drops, does not retry) and the good samples stored.
    @Test func partialRemoteWrite() async throws {
        let tmp = try TempDatabase(options: StrataServer.databaseOptions())
        defer { tmp.cleanup() }
        try await Self.with(tmp) { client, _ in
            var req = Prometheus_WriteRequest()
            req.timeseries = [promSeries([("__name__", "ok")], [(Self.t0, 1)]), promSeries([("__name__", "bad name")], [(Self.t0, 1)])]
            let h: HTTPFields = [.contentType: "application/x-protobuf", .contentEncoding: "snappy"]
            try await client.execute(uri: "/api/v1/write", method: .post, headers: h, body: ByteBuffer(bytes: Snappy.compress(try req.serializedBytes() as [UInt8]))) { r in
                #expect(r.status == .badRequest)
                #expect(String(buffer: r.body).hasPrefix("1 samples stored, 1 refused: invalid series"))
            }
            // Too old for the out-of-order window after newer data: refused and reported.
            var newer = Prometheus_WriteRequest()
            newer.timeseries = [promSeries([("__name__", "ok")], [(Self.t0 + 48 * 3_600_000, 2)])]
            try await client.execute(uri: "/api/v1/write", method: .post, headers: h, body: ByteBuffer(bytes: Snappy.compress(try newer.serializedBytes() as [UInt8]))) { r in
                #expect(r.status == .noContent)
            }
            var old = Prometheus_WriteRequest()
            old.timeseries = [promSeries([("__name__", "ok")], [(Self.t0 + 1000, 3)])]
            try await client.execute(uri: "/api/v1/write", method: .post, headers: h, body: ByteBuffer(bytes: Snappy.compress(try old.serializedBytes() as [UInt8]))) { r in
                #expect(r.status == .badRequest)
                #expect(String(buffer: r.body).contains("out-of-order window"))
            }
        }
        #expect(try allSamples(tmp.db)["ok"]?.count == 2)
    }

    /// Loki: push (JSON), query_range, instant metric query, labels, series, stats.
    @Test func loki() async throws {
        let tmp = try TempDatabase(options: StrataServer.databaseOptions())
        defer { tmp.cleanup() }
        try await Self.with(tmp) { client, _ in
            let t = 1_700_000_000_000_000_000 as Int64
            var values: [String] = []
            for i in 0..<10 { values.append("[\"\(t + Int64(i) * 1_000_000_000)\",\"request \(i) status=\(i % 2 == 0 ? 200 : 500)\"]") }
            let body = "{\"streams\":[{\"stream\":{\"job\":\"api\",\"host\":\"h1\"},\"values\":[\(values.joined(separator: ","))]}]}"
            try await client.execute(uri: "/loki/api/v1/push", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) { r in
                #expect(r.status == .noContent)
            }
            let q = #"{job="api"} |= "status=500""#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            try await client.execute(uri: "/loki/api/v1/query_range?query=\(q)&start=\(t)&end=\(t + 20_000_000_000)&limit=100", method: .get) { r in
                let data = try Self.json(r)["data"] as? [String: Any]
                #expect(data?["resultType"] as? String == "streams")
                let result = data?["result"] as? [[String: Any]]
                #expect((result?.first?["values"] as? [[String]])?.count == 5)
                #expect((result?.first?["stream"] as? [String: String]) == ["job": "api", "host": "h1"])
            }
            let m = #"sum(count_over_time({job="api"}[1m]))"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            try await client.execute(uri: "/loki/api/v1/query?query=\(m)&time=\(t + 30_000_000_000)", method: .get) { r in
                #expect(String(buffer: r.body).contains(#""value":[1700000030,"10"]"#))
            }
            try await client.execute(uri: "/loki/api/v1/query?query=%7Bjob%3D%22api%22%7D", method: .get) { r in #expect(r.status == .badRequest) }
            try await client.execute(uri: "/loki/api/v1/labels", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":["host","job"]}"#)
            }
            try await client.execute(uri: "/loki/api/v1/label/job/values", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":["api"]}"#)
            }
            try await client.execute(uri: "/loki/api/v1/series?match[]=%7Bjob%3D%22api%22%7D", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":[{"host":"h1","job":"api"}]}"#)
            }
            try await client.execute(uri: "/loki/api/v1/index/stats?query=%7Bjob%3D%22api%22%7D&start=\(t)&end=\(t + 20_000_000_000)", method: .get) { r in
                let j = try Self.json(r)
                #expect(j["streams"] as? Int == 1 && j["entries"] as? Int == 10)
            }
            // Structured metadata comes back beside the line with Loki 3's categorize-labels encoding.
            try await client.execute(
                uri: "/loki/api/v1/push", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"streams":[{"stream":{"job":"meta"},"values":[["\#(t)","with metadata",{"trace_id":"abc"}]]}]}"#)
            ) { r in #expect(r.status == .noContent) }
            let flags: HTTPFields = [HTTPField.Name("X-Loki-Response-Encoding-Flags")!: "categorize-labels"]
            try await client.execute(uri: "/loki/api/v1/query_range?query=%7Bjob%3D%22meta%22%7D&start=\(t)&end=\(t + 1)", method: .get, headers: flags) { r in
                let body = String(buffer: r.body)
                #expect(body.contains(#""values":[["1700000000000000000","with metadata",{"structuredMetadata":{"trace_id":"abc"}}]]"#), "\(body)")
                #expect(body.contains(#""encodingFlags":["categorize-labels"]"#))
            }
            try await client.execute(uri: "/loki/api/v1/query_range?query=%7Bjob%3D%22meta%22%7D&start=\(t)&end=\(t + 1)", method: .get) { r in
                #expect(String(buffer: r.body).contains(#""values":[["1700000000000000000","with metadata"]]"#))
            }
            // A stream with a bad label name: 400 naming it; nothing else lost.
            try await client.execute(
                uri: "/loki/api/v1/push", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"streams":[{"stream":{"bad-name":"x"},"values":[["1","l"]]},{"stream":{"job":"api"},"values":[["2","kept"]]}]}"#)
            ) { r in
                #expect(r.status == .badRequest)
                #expect(String(buffer: r.body).contains("1 entries stored, 1 refused"))
            }
        }
    }

    /// Concurrent writes share fsyncs (group commit), and every one is acknowledged.
    @Test func groupCommit() async throws {
        let tmp = try TempDatabase(options: StrataServer.databaseOptions())
        defer { tmp.cleanup() }
        try await Self.with(tmp) { client, _ in
            let h: HTTPFields = [.contentType: "application/x-protobuf", .contentEncoding: "snappy"]
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for i in 0..<64 {
                    var req = Prometheus_WriteRequest()
                    req.timeseries = (0..<50).map { promSeries([("__name__", "g"), ("i", "\(i)"), ("k", "\($0)")], [(Self.t0, Double(i))]) }
                    let body = ByteBuffer(bytes: Snappy.compress(try req.serializedBytes() as [UInt8]))
                    group.addTask { try await client.execute(uri: "/api/v1/write", method: .post, headers: h, body: body) { $0.status } }
                }
                for try await s in group { #expect(s == .noContent) }
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                #expect(text.contains("strata_wal_fsynced_requests_total 64\n"))
                #expect(text.contains("strata_samples_ingested_total 3200\n"))
            }
        }
        #expect(try allSamples(tmp.db).count == 3200)
    }
}
