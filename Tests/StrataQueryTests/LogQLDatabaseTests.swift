import Strata
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The embedding surface for logs: `Database.logs`, file ingest, search, histogram and context.
@Suite struct LogQLDatabaseTests {
    func tempDir() -> String {
        var template = Array("/tmp/strata-logdb-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        return String(cString: p!)
    }

    @Test func ingestSearchHistogramContextAndReopen() throws {
        let dir = tempDir()
        defer { _ = system("rm -rf '\(dir)'") }
        mkdir(dir + "/logs", 0o755)
        mkdir(dir + "/logs/wally117", 0o755)
        var text = ""
        for i in 0..<120 {
            let level = i % 10 == 9 ? "ERROR" : "INFO"
            text += "2019-11-19 21:\(i < 60 ? "00" : "01"):\(String(format2: i % 60)).000 42 \(level) nova.compute.manager [-] step \(i)\n"
        }
        try text.write(toFile: dir + "/logs/wally117/nova-compute.log", atomically: false)
        let db = try Database(path: dir + "/db")
        var ingester = LogFileIngester(now: 0)
        let report = try ingester.ingest(path: dir + "/logs/wally117/nova-compute.log", format: .oslo, into: db.logs)
        #expect(report.recordsAccepted == 120)
        #expect(report.counts.unparsed == 0)

        let hits = try db.searchLogs(#"{host="wally117", level="ERROR"} |= "step""#, limit: 100).hits
        #expect(hits.count == 12)
        #expect(String(decoding: hits[0].record.line, as: UTF8.self).hasSuffix("step 119"))
        let t0: Int64 = 1_574_197_200_000_000_000
        let h = try db.logHistogram(#"{program="nova-compute"} |= "step""#, start: .nanoseconds(t0), end: .nanoseconds(t0) + .seconds(120), step: .seconds(30))
        #expect(h.totals == [30, 30, 30, 30])
        #expect(h.streams.count == 2)  // INFO and ERROR
        let around = try db.logContext(of: hits[1].id, before: 1, after: 1)
        #expect(around.map { String(decoding: $0.record.line, as: UTF8.self).split(separator: " ").last! } == ["99", "109", "119"])
        try db.close()

        let again = try Database(path: dir + "/db")
        #expect(try again.logs.stats().records == 120)
        #expect(try again.searchLogs(#"{host="wally117"} |= "step 7""#, limit: 0).hits.count == 1 + 10)  // 7, 70-79
        try again.close()
    }
}

extension String {
    fileprivate init(format2 v: Int) { self = v < 10 ? "0\(v)" : "\(v)" }

    fileprivate func write(toFile path: String, atomically: Bool) throws {
        guard let f = fopen(path, "wb") else { throw QueryError(.storage, "cannot write \(path)") }
        defer { fclose(f) }
        var s = self
        _ = s.withUTF8 { fwrite($0.baseAddress, 1, $0.count, f) }
    }
}
