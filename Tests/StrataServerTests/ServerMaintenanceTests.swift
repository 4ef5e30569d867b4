import Foundation
import StrataServer
import StrataWire
import SwiftProtobuf
import Testing

/// The server runs maintenance in the background: the stored policy's retention removes what it
/// no longer keeps while the server answers.
@Suite("server maintenance", .serialized)
struct ServerMaintenanceTests {
    @Test func retentionRunsInTheBackground() throws {
        let dir = ScratchDir("maint")
        defer { dir.cleanup() }
        let db = dir.sub("db")
        let policy = try dir.write("policy.yml", "retention:\n  metrics: 1h\n")
        // The policy is set with the database closed (the server holds its lock while it runs).
        let first = try ServerProcess(db: db, logDir: dir.path)
        first.stop()
        let set = try runProgram(Paths.strata, ["policy", "set", db, policy])
        #expect(set.status == 0, "\(set)")
        let server = try ServerProcess(db: db, logDir: dir.path, extra: ["--maintenance-interval", "1s"])
        defer { server.kill() }
        let t0: Int64 = 1_700_000_000_000
        func write(_ name: String, _ t: Int64) throws {
            var req = Prometheus_WriteRequest()
            req.timeseries = [promSeries([("__name__", name), ("job", "m")], [(t, 1), (t + 10_000, 2)])]
            let r = try server.post(
                "/api/v1/write", body: Snappy.compress(try req.serializedBytes() as [UInt8]),
                headers: [("Content-Type", "application/x-protobuf"), ("Content-Encoding", "snappy")])
            #expect(r.status == 204, "\(r)")
        }
        try write("old_series", t0)
        try write("new_series", t0 + 3 * 3_600_000)
        func count(_ name: String, at t: Int64) throws -> Int {
            let (_, j) = try server.getJSON("/api/v1/query", [("query", "count_over_time(\(name)[5m])"), ("time", String(Double(t) / 1000 + 60))])
            return (jsonPath(j, "data", "result") as? [Any])?.count ?? -1
        }
        #expect(try count("old_series", at: t0) == 1)
        // The newest data is 3 h after the old series: a 1 h retention drops it at the next pass.
        let gone = try poll("the background pass to drop old_series", timeout: 20) { _ in try count("old_series", at: t0) == 0 ? true : nil }
        #expect(gone)
        #expect(try count("new_series", at: t0 + 3 * 3_600_000) == 1)
        server.stop()
    }
}

@Suite("server config file", .serialized)
struct ServerConfigFileTests {
    /// The file's limits apply; a flag given on the command line wins over the file.
    @Test func limitsFromTheFile() throws {
        let dir = ScratchDir("config")
        defer { dir.cleanup() }
        let config = try dir.write("strata.yml", "listen: 127.0.0.1:1\nlimits:\n  max_body_bytes: 1000\nquery:\n  timeout: 30s\n")
        let server = try ServerProcess(db: dir.sub("db"), logDir: dir.path, extra: ["--config", config])
        defer { server.kill() }
        let big = try server.post("/loki/api/v1/push", body: [UInt8](repeating: 0x20, count: 2000), headers: [("Content-Type", "application/json")])
        #expect(big.status == 413, "\(big)")
        #expect(String(decoding: big.body, as: UTF8.self).contains("--max-body-bytes"), "\(big)")
        let small = try server.post(
            "/loki/api/v1/push", body: Array(#"{"streams":[{"stream":{"a":"b"},"values":[["1","x"]]}]}"#.utf8), headers: [("Content-Type", "application/json")])
        #expect(small.status == 204, "\(small)")
        server.stop()
        #expect(throws: ServerConfigError.self) { try ServerConfigFile.parse("limits: [1, 2]\n", path: "c.yml") }
        let f = try ServerConfigFile.parse("query:\n  threads: 3\nfsync: false\n", path: "c.yml")
        #expect(f["query.threads"] == "3" && f["fsync"] == "false" && f.lines["fsync"] == 3)
    }
}
