import Foundation
import Strata
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

    @Test func secondWriterGetsTheHoldersPid() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = try Database(path: dir.path + "/db")
        defer { try? db.close() }
        let r = try CLI.run(["inspect", dir.path + "/db"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("pid \(getpid())"))
    }
}
