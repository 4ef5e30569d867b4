import Strata
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The embedding API takes and returns `Timestamp`s; each store converts to its own unit at the edge.
@Suite("Timestamp at the API's edge")
struct TimestampEdgeTests {
    static let t0 = Timestamp.seconds(1_700_000_000)

    func withDatabase(_ body: (Database) throws -> Void) throws {
        var template = Array("/tmp/strata-ts-XXXXXX".utf8CString)
        let dir = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }!)
        defer { _ = system("rm -rf '\(dir)'") }
        let db = try Database(path: dir + "/db")
        defer { try? db.close() }
        try body(db)
    }

    @Test func metricsRoundDownToTheMillisecond() throws {
        try withDatabase { db in
            let ref = try db.metrics.seriesRef(for: try Labels(validating: ["__name__": "m"]))
            var batch = SampleBatch()
            batch.append(ref, Self.t0 + .microseconds(1_999), 1)  // stored at t0 + 1 ms
            batch.append(ref, milliseconds: (Self.t0 + .seconds(60)).milliseconds, 2)
            _ = try db.metrics.append(batch)
            _ = try db.metrics.append(try Labels(validating: ["__name__": "m"]), [Sample(Self.t0 + .seconds(120), 3)])

            func times(from: Timestamp, through: Timestamp) throws -> [Timestamp] {
                var out: [Timestamp] = []
                for series in try db.metrics.select([.equal("__name__", "m")], from: from, through: through).series {
                    out += try series.samples().map(\.time)
                }
                return out
            }
            #expect(try times(from: .distantPast, through: .distantFuture) == [Self.t0 + .milliseconds(1), Self.t0 + .seconds(60), Self.t0 + .seconds(120)])
            // An inclusive start between two milliseconds leaves the earlier one out; the end keeps its own.
            #expect(try times(from: Self.t0 + .microseconds(1_001), through: Self.t0 + .seconds(60) + .microseconds(999)) == [Self.t0 + .seconds(60)])

            let engine = PromQLEngine(store: db.metrics)
            let instant = try engine.instantQuery("m", at: Self.t0 + .seconds(90))
            guard case .vector(let v) = instant.value else { Issue.record("not a vector"); return }
            #expect(v.map(\.time) == [Self.t0 + .seconds(90)] && v.map(\.value) == [2])
            let start = Self.t0 + .seconds(1)
            let range = try engine.rangeQuery("m", start: start, end: start + .seconds(120), step: .seconds(60))
            guard case .matrix(let m) = range.value else { Issue.record("not a matrix"); return }
            #expect(m.first?.times == [start, start + .seconds(60), start + .seconds(120)])
            #expect(m.first?.values == [1, 2, 3])
        }
    }

    @Test func logsKeepNanoseconds() throws {
        try withDatabase { db in
            let stream = try Labels(validating: ["host": "wally113"])
            let times = [Self.t0 + .nanoseconds(1), Self.t0 + .seconds(30), Self.t0 + .seconds(90)]
            try db.logs.append(times.map { LogRecord(time: $0, stream: stream, line: Array("at \($0)".utf8)) })
            let all = try db.searchLogs(#"{host="wally113"}"#, direction: .forward)
            #expect(all.hits.map(\.record.time) == times)
            let some = try db.searchLogs(#"{host="wally113"}"#, start: Self.t0 + .nanoseconds(1), end: Self.t0 + .seconds(90))
            #expect(some.hits.map(\.record.time) == [times[1], times[0]])
            let h = try db.logHistogram(#"{host="wally113"}"#, start: Self.t0, end: Self.t0 + .seconds(120), step: .seconds(60))
            #expect(h.start == Self.t0 && h.step == .seconds(60) && h.totals == [2, 1])
            let rate = try db.logQL.instantQuery(#"count_over_time({host="wally113"}[2m])"#, at: Self.t0 + .seconds(100))
            guard case .vector(let v) = rate.value else { Issue.record("not a vector"); return }
            #expect(v.map(\.value) == [3])
        }
    }

    @Test func tracesKeepMicroseconds() throws {
        try withDatabase { db in
            let base = TraceID(high: 7, low: 7)
            try db.traces.append(spans: [
                Span(
                    baseID: base, traceID: TraceID(high: 7, low: 8), parentID: base, name: "wsgi", project: "glance",
                    startTime: Self.t0 + .nanoseconds(1_999), elapsed: .seconds(2.4))
            ])
            let span = try #require(try db.traces.trace(base).first)
            #expect(span.start == (Self.t0 + .microseconds(1)).microseconds && span.duration == 2_400_000)
            #expect(span.startTime == Self.t0 + .microseconds(1) && span.elapsed == .milliseconds(2_400))
            #expect(span.endTime == span.startTime + .milliseconds(2_400))

            var q = TraceSearch(service: "glance")
            q.minElapsed = .seconds(2)
            q.startTime = Self.t0
            q.endTime = Self.t0 + .microseconds(1)  // exclusive: the span starts at t0 + 1 µs
            #expect(try db.traces.search(q).isEmpty)
            q.endTime = Self.t0 + .nanoseconds(1_001)  // rounded up to t0 + 2 µs
            let found = try db.traces.search(q)
            #expect(found.map(\.startTime) == [Self.t0 + .microseconds(1)] && found.map(\.elapsed) == [.milliseconds(2_400)])
            q.maxElapsed = .seconds(2)
            #expect(try db.traces.search(q).isEmpty)
            #expect(q.minDuration == 2_000_000 && q.start == Self.t0.microseconds)

            let engine = TraceQueryEngine(store: db.traces)
            #expect(try engine.search(TraceSearch(), start: Self.t0 + .seconds(1)).isEmpty)
            #expect(try engine.search(TraceSearch(), start: Self.t0, end: Self.t0 + .seconds(1)).count == 1)
        }
    }
}
