import Foundation
import Strata
import StrataLabels
import Testing

@Suite("strata ingest / export / inspect")
struct IngestExportTests {
    static let sample = """
        # HELP node_load1 1m load average.
        # TYPE node_load1 gauge
        node_load1{instance="a:9100"} 0.42 1700000000000
        node_load1{instance="a:9100"} 0.5 1700000010000
        node_load1{instance="b:9100"} NaN 1700000000000
        # TYPE http_requests_total counter
        http_requests_total{code="200",path="/a\\"b"} 1027 1700000000000
        http_requests_total{code="200",path="/a\\"b"} +Inf 1700000010000

        """

    @Test func ingestExportIngestIsBitExact() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let input = dir.file("in.prom", Self.sample)
        let r = try CLI.run(["ingest", dir.path + "/db", input])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("5 samples"))
        let e = try CLI.run(["export", dir.path + "/db", "{__name__=~\".+\"}"])
        #expect(e.status == 0, "\(e.stderr)")
        #expect(e.stdout.contains("node_load1{instance=\"a:9100\"} 0.42 1700000000.000"))
        #expect(e.stdout.hasSuffix("# EOF\n"))
        let exported = dir.file("out.om", e.stdout)
        let r2 = try CLI.run(["ingest", dir.path + "/db2", exported])
        #expect(r2.status == 0, "\(r2.stderr)")
        let e2 = try CLI.run(["export", dir.path + "/db2", "{__name__=~\".+\"}"])
        #expect(e2.stdout == e.stdout)
    }

    @Test func staleMarkersAndNaNPayloadsRoundTripThroughExport() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = try Database(path: dir.path + "/db")
        let l = try Labels(validating: ["__name__": "m"])
        let values = [Sample.staleNaN, Double(bitPattern: 0x7ff8_0000_0000_0001), .nan, -.infinity, 1e-300]
        _ = try db.metrics.append(l, values.enumerated().map { Sample(Int64($0.offset) * 1500 - 3000, $0.element) })
        try db.close()
        let e = try CLI.run(["export", dir.path + "/db", "m"])
        #expect(e.status == 0, "\(e.stderr)")
        let out = dir.file("m.om", e.stdout)
        #expect(try CLI.run(["ingest", dir.path + "/db2", out]).status == 0)
        let db2 = try Database(path: dir.path + "/db2")
        defer { try? db2.close() }
        let got = try db2.metrics.select([.equal("__name__", "m")], from: .min, through: .max).series[0].samples()
        #expect(got.map(\.value.bitPattern) == values.map(\.bitPattern))
        #expect(got.map(\.timestamp) == [-3000, -1500, 0, 1500, 3000])
    }

    @Test func badLinesAreReportedAndTheRestIsKept() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let input = dir.file(
            "bad.prom",
            """
            ok_metric 1 1000
            bad metric line
            ok_metric 2 2000
            other{1bad="x"} 3 1000

            """)
        let r = try CLI.run(["ingest", dir.path + "/db", input])
        #expect(r.status == 1)
        #expect(r.stderr.contains("bad.prom:2:"))
        #expect(r.stderr.contains("bad.prom:4:"))
        let e = try CLI.run(["export", dir.path + "/db", "ok_metric"])
        #expect(e.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("ok_metric") }.count == 2)
        // --strict takes nothing from a file with a bad line.
        let s = try CLI.run(["ingest", dir.path + "/strictdb", input, "--strict"])
        #expect(s.status == 1)
        let j = try CLI.run(["inspect", dir.path + "/strictdb", "--json"])
        let obj = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as! [String: [String: Any]]
        #expect(obj["metrics"]!["samples"] as? Int == 0)
    }

    @Test func inspectJSONHasTheContractKeys() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let input = dir.file("in.prom", Self.sample)
        #expect(try CLI.run(["ingest", dir.path + "/db", input]).status == 0)
        let j = try CLI.run(["inspect", dir.path + "/db", "--json"])
        #expect(j.status == 0)
        let obj = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as! [String: [String: Any]]
        #expect(obj["metrics"]!["series"] as? Int == 3)
        #expect(obj["metrics"]!["samples"] as? Int == 5)
        #expect((obj["metrics"]!["bytes"] as? Int ?? 0) > 0)
        for k in ["records", "raw_bytes", "bytes"] { #expect(obj["logs"]![k] != nil) }
        for k in ["spans", "traces", "bytes"] { #expect(obj["traces"]![k] != nil) }
    }

    @Test func realGlancesFileIngests() throws {
        let path = try sharedData("msds/workloads/network_create_delete_config/glances_out.csv")
        let dir = Scratch()
        defer { dir.cleanup() }
        let r = try CLI.run(["ingest", dir.path + "/db", path, "--host", "wally113"])
        #expect(r.status == 0, "\(r.stderr.prefix(500))")
        let e = try CLI.run(["export", dir.path + "/db", "glances_load_min1{host=\"wally113\"}"])
        let lines = e.stdout.split(separator: "\n").filter { $0.hasPrefix("glances_load_min1") }
        #expect(lines.count > 60_000)
    }

    @Test func usageErrorsExitTwoAndHelpHasExamples() throws {
        let h = try CLI.run(["ingest", "--help"])
        #expect(h.status == 0)
        #expect(h.stdout.contains("Examples"))
        let u = try CLI.run(["ingest"])
        #expect(u.status == 2)
        let bad = try CLI.run(["export", "/nonexistent-db-dir-\(UUID())", "up{"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("column"))
    }

    @Test func secondWriterGetsTheHoldersPidWhileReadersRead() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let path = dir.path + "/db"
        let db = try Database(path: path)
        // What the writer has acknowledged is only in its WAL (no flush yet).
        let up = try Labels(validating: ["__name__": "up", "job": "node"])
        _ = try db.metrics.append(up, (0..<10).map { Sample(1_700_000_000_000 + Int64($0) * 15_000, Double($0)) })
        let stream = try Labels(validating: ["host": "h1", "program": "nova-api", "level": "ERROR"])
        try db.logs.append([LogRecord(timestamp: 1_700_000_050_000_000_000, stream: stream, line: Array("boom".utf8))])
        let base = TraceID(high: 7, low: 7)
        try db.traces.append(spans: [
            Span(baseID: base, traceID: TraceID(high: 7, low: 8), parentID: base, name: "wsgi", project: "nova", start: 1_700_000_050_000_000)
        ])
        let walBefore = try FileManager.default.subpathsOfDirectory(atPath: path).sorted()

        let om = dir.path + "/more.om"
        try "up{job=\"x\"} 1 1700000000000\n# EOF\n".write(toFile: om, atomically: true, encoding: .utf8)
        let w = try CLI.run(["ingest", path, om])
        #expect(w.status == 2)
        #expect(w.stderr.contains("pid \(getpid())"), "\(w.stderr)")

        // Readers open without the lock and see every acknowledged record.
        let r = try CLI.run(["inspect", path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""samples":10"#) && r.stdout.contains(#""records":1"#) && r.stdout.contains(#""spans":1"#), "\(r.stdout)")
        let q = try CLI.run(["query", path, "up", "--time", "1700000135"])
        #expect(q.status == 0 && q.stdout.contains("node") && q.stdout.contains("9"), "\(q.stdout) \(q.stderr)")
        let l = try CLI.run(["query", path, #"{program="nova-api"} |= "boom""#, "--start", "1700000000", "--end", "1700000100"])
        #expect(l.stdout.contains("boom"), "\(l.stdout) \(l.stderr)")
        let t = try CLI.run(["trace", path, "\(base)"])
        #expect(t.status == 0 && t.stdout.contains("1 spans"), "\(t.stdout) \(t.stderr)")

        // A read-only open changes nothing on disk and refuses writes.
        var options = DatabaseOptions()
        options.readOnly = true
        let reader = try Database(path: path, options: options)
        #expect(throws: MetricStoreError.self) { try reader.metrics.append(up, [Sample(1_700_000_200_000, 1)]) }
        #expect(throws: LogStoreError.self) { try reader.logs.append([LogRecord(timestamp: 1, stream: stream, line: [])]) }
        #expect(throws: TraceStoreError.self) { try reader.traces.flush() }
        try reader.close()
        #expect(try FileManager.default.subpathsOfDirectory(atPath: path).sorted() == walBefore)
        // The writer goes on.
        _ = try db.metrics.append(up, [Sample(1_700_000_300_000, 42)])
    }
}
