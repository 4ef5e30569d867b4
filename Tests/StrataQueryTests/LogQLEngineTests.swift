import StrataLabels
import StrataLogs
import StrataMetrics
import Testing

@testable import StrataQuery

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A log store in a temp directory with records at known times: three streams, one record every
/// `gap` seconds per stream, the first half flushed into a segment and the rest in the head.
final class LogEngineFixture {
    let path: String
    let store: LogStore
    var records: [LogRecord] = []

    init(_ name: String = #function) throws {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        var template = Array("/tmp/strata-logql-\(safe)-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: p!)
        var o = LogStoreOptions()
        o.durability = .none
        store = try LogStore(directory: path, options: o)
        let streams = [("a", "nova-api", "INFO"), ("a", "nova-api", "ERROR"), ("b", "haproxy", "INFO")]
        for i in 0..<600 {
            let (host, program, level) = streams[i % 3]
            let t = Int64(i) * 1_700_000_000 + 1_000_000  // every 1.7 s across the streams (≈ 17 min)
            let status = i % 7 == 0 ? 503 : 200
            let text = "\(host) \(program) \(level) request \(i) status: \(status)\(i % 10 == 0 ? " Claim successful" : "")"
            let stream = Labels(sorted: [Label("host", host), Label("level", level), Label("program", program)])
            records.append(
                LogRecord(timestamp: t, stream: stream, line: Array(text.utf8), fields: [LogField("http_status", "\(status)")]))
        }
        try store.append(Array(records[..<300]))
        _ = try store.flush()
        try store.append(Array(records[300...]))
    }

    deinit {
        try? store.close()
        _ = system("rm -rf '\(path)'")
    }

    /// Brute force: for each stream matching `keep`, the count (or bytes) in `(t - range, t]` at each step (ms).
    func expected(
        start: Int64, end: Int64, step: Int64, range: Int64, bytes: Bool = false, keep: (LogRecord) -> Bool
    ) -> [Labels: [Int64: Double]] {
        var out: [Labels: [Int64: Double]] = [:]
        var t = start
        while t <= end {
            for r in records where keep(r) && r.timestamp > (t - range) * 1_000_000 && r.timestamp <= t * 1_000_000 {
                out[r.stream, default: [:]][t, default: 0] += bytes ? Double(r.line.count) : 1
            }
            t += step
        }
        return out
    }
}

@Suite struct LogQLEngineTests {
    func matrix(_ r: QueryResult) -> [Labels: [Int64: Double]] {
        guard case .matrix(let m) = r.value else { return [:] }
        var out: [Labels: [Int64: Double]] = [:]
        for s in m { out[s.labels] = Dictionary(uniqueKeysWithValues: zip(s.timestamps, s.values)) }
        return out
    }

    @Test(arguments: [(60_000 as Int64, 60_000 as Int64), (60_000, 25_000), (120_000, 60_000)])
    func countOverTimeMatchesBruteForce(range: Int64, step: Int64) throws {
        let f = try LogEngineFixture()
        let engine = LogQLEngine(store: f.store)
        let q = #"count_over_time({host="a"} |= "status: 503" [\#(range / 1000)s])"#
        let r = try engine.rangeQuery(q, start: 0, end: 1_020_000, step: step)
        let want = f.expected(start: 0, end: 1_020_000, step: step, range: range) {
            $0.stream["host"] == "a" && String(decoding: $0.line, as: UTF8.self).contains("status: 503")
        }
        #expect(!want.isEmpty)
        #expect(matrix(r) == want)
    }

    @Test func bytesAndRatesAndAggregations() throws {
        let f = try LogEngineFixture()
        let engine = LogQLEngine(store: f.store)
        let bytes = try engine.rangeQuery(#"bytes_over_time({program=~"nova-.*|haproxy"}[1m])"#, start: 60_000, end: 900_000, step: 30_000)
        #expect(matrix(bytes) == f.expected(start: 60_000, end: 900_000, step: 30_000, range: 60_000, bytes: true) { _ in true })
        let rate = try engine.rangeQuery(#"rate({program="haproxy"} | http_status >= 500 [2m])"#, start: 120_000, end: 900_000, step: 120_000)
        let want = f.expected(start: 120_000, end: 900_000, step: 120_000, range: 120_000) {
            $0.stream["program"] == "haproxy" && $0.field("http_status") == "503"
        }.mapValues { $0.mapValues { $0 / 120 } }
        #expect(!want.isEmpty)
        #expect(matrix(rate) == want)
        // sum by (host) over the streams, at one instant.
        let inst = try engine.instantQuery(#"sum by (host) (count_over_time({program=~".+"}[5m]))"#, at: 600_000)
        guard case .vector(let v) = inst.value else {
            Issue.record("expected a vector")
            return
        }
        let perHost = Dictionary(grouping: f.records.filter { $0.timestamp > 300_000_000_000 && $0.timestamp <= 600_000_000_000 }) {
            $0.stream["host"]!
        }.mapValues { Double($0.count) }
        #expect(Dictionary(uniqueKeysWithValues: v.map { ($0.labels["host"]!, $0.value) }) == perHost)
        #expect(v.allSatisfy { $0.labels.count == 1 })
        let top = try engine.instantQuery(#"topk(1, sum by (level) (bytes_rate({host="a"}[5m])))"#, at: 600_000)
        guard case .vector(let t) = top.value else {
            Issue.record("expected a vector")
            return
        }
        #expect(t.count == 1)
        #expect(t.first?.labels["level"] != nil)
    }

    @Test func logQueriesAndCounts() throws {
        let f = try LogEngineFixture()
        let engine = LogQLEngine(store: f.store)
        let r = try engine.logs(#"{host="a", level="ERROR"} |= "Claim" | http_status="200""#, start: .min, end: .max, limit: 5)
        let want = f.records.filter {
            $0.stream["host"] == "a" && $0.stream["level"] == "ERROR" && $0.field("http_status") == "200"
                && String(decoding: $0.line, as: UTF8.self).contains("Claim")
        }
        #expect(r.hits.map(\.record.timestamp) == Array(want.map(\.timestamp).reversed().prefix(5)))
        let fwd = try engine.logs(#"{host="a", level="ERROR"} |= "Claim""#, start: .min, end: .max, limit: 2, direction: .forward)
        #expect(fwd.hits.map(\.record.timestamp) == Array(want.map(\.timestamp).prefix(2)))
        let counts = try engine.counts(#"{host=~"a|b"} |= "Claim successful""#, start: 0, end: 1_200_000_000_000, step: 60_000_000_000)
        var totals = [Int](repeating: 0, count: 20)
        for s in counts { for (i, c) in s.counts.enumerated() { totals[i] += c } }
        var expected = [Int](repeating: 0, count: 20)
        for rec in f.records where String(decoding: rec.line, as: UTF8.self).contains("Claim successful") {
            expected[Int(rec.timestamp / 60_000_000_000)] += 1
        }
        #expect(totals == expected)
        // `or` between label filters: the union, newest first, cut to the limit.
        let or = try engine.logs(#"{host=~"a|b"} | level="ERROR" or http_status="503" and program="haproxy""#, start: .min, end: .max, limit: 50)
        let orWant = f.records.filter {
            $0.stream["level"] == "ERROR" || ($0.field("http_status") == "503" && $0.stream["program"] == "haproxy")
        }.map(\.timestamp).sorted(by: >)
        #expect(orWant.count > 50)
        #expect(or.hits.map(\.record.timestamp) == Array(orWant.prefix(50)))
        #expect(throws: QueryError.self) { try engine.counts(#"{host="a"} | level="ERROR" or level="INFO""#, start: 0, end: 10, step: 1) }
        #expect(throws: QueryError.self) { try engine.logs(#"count_over_time({host="a"}[1m])"#, start: 0, end: 1, limit: 1) }
        #expect(throws: QueryError.self) { try engine.instantQuery(#"{host="a"} |= "x""#, at: 0) }
    }
}
