import Foundation
import StrataMetrics
import Testing

@testable import StrataLogs

@Suite struct LogStoreTests {
    func sample() -> [LogRecord] {
        [
            LogFixtures.record(30, "t30 ERROR boom req-123e4567-e89b-12d3-a456-426614174000", fields: [LogField("request_id", "req-123e4567-e89b-12d3-a456-426614174000"), LogField("http_status", "500")]),
            LogFixtures.record(10, "t10 INFO hello", fields: [LogField("http_status", "200"), LogField("user", "alice")]),
            LogFixtures.record(20, "t20 INFO world", host: "h2", fields: [LogField("http_status", "404"), LogField("http_time", "1.5")]),
            LogFixtures.record(20, "t20 second at same time", fields: [LogField("user", "bob")]),
            LogFixtures.record(40, "t40 error lower case", host: "h2", program: "nova-compute"),
        ]
    }

    /// Runs `check` with the records in the head, then flushed, then reopened from disk.
    func everyWay(_ records: [LogRecord], _ check: (LogStore, String) throws -> Void) throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        let store = try LogStore(directory: dir.path, options: LogFixtures.options())
        try store.append(records)
        try check(store, "head")
        #expect(try store.flush() == records.count)
        try check(store, "segment")
        try store.close()
        let reopened = try LogStore(directory: dir.path, options: LogFixtures.options())
        try check(reopened, "reopened")
    }

    @Test func searchOrdersLimitsAndFilters() throws {
        try everyWay(sample()) { s, way in
            let all = try s.search(LogQuery(limit: 0, direction: .forward))
            #expect(all.hits.map(\.record.timestamp) == [10, 20, 20, 30, 40], "\(way)")
            #expect(all.hits[1].record.line == Array("t20 INFO world".utf8), "ties keep arrival order (\(way))")
            let newest = try s.search(LogQuery(limit: 2))
            #expect(newest.hits.map(\.record.timestamp) == [40, 30], "\(way)")
            let errors = try s.search(LogQuery(lineFilters: [LineFilter(.contains, "error", caseInsensitive: true)], limit: 0))
            #expect(errors.hits.map(\.record.timestamp) == [40, 30], "\(way)")
            #expect(try s.count(LogQuery(lineFilters: [LineFilter(.notContains, "INFO")])) == 3, "\(way)")
            #expect(try s.count(LogQuery(lineFilters: [LineFilter(.matches, "t[0-9]0 (INFO|ERROR)")])) == 3, "\(way)")
            #expect(try s.count(LogQuery(lineFilters: [LineFilter(.notMatches, "(?i)error")])) == 3, "\(way)")
            let h2 = try s.search(LogQuery(streams: [.equal("host", "h2")], limit: 0))
            #expect(h2.hits.count == 2, "\(way)")
            #expect(try s.count(LogQuery(start: 20, end: 40)) == 3, "\(way)")
            let byReq = try s.search(LogQuery(fieldFilters: [FieldFilter("request_id", .equal, .string("req-123e4567-e89b-12d3-a456-426614174000"))]))
            #expect(byReq.hits.map(\.record) == [sample()[0]], "\(way)")
            #expect(try s.count(LogQuery(lineFilters: [LineFilter(.contains, "123e4567-e89b-12d3-a456-426614174000")])) == 1, "\(way)")
            #expect(try s.count(LogQuery(fieldFilters: [FieldFilter("http_status", .greaterOrEqual, .number(400))])) == 2, "\(way)")
            #expect(try s.count(LogQuery(fieldFilters: [FieldFilter("http_time", .greater, .duration(1))])) == 1, "\(way)")
            #expect(try s.count(LogQuery(fieldFilters: [FieldFilter("user", .regex, .string("al.*|bob"))])) == 2, "\(way)")
            #expect(try s.count(LogQuery(fieldFilters: [FieldFilter("user", .equal, .string(""))])) == 3, "\(way)")
            #expect(try s.count(LogQuery(fieldFilters: [FieldFilter("program", .equal, .string("nova-compute"))])) == 1, "stream label as field (\(way))")
            #expect(try s.labelNames() == ["host", "program"], "\(way)")
            #expect(try s.labelValues("host") == ["h1", "h2"], "\(way)")
            #expect(try s.streams(matching: [.equal("host", "h2")]).count == 2, "\(way)")
            #expect(try s.fieldNames() == ["http_status", "http_time", "request_id", "user"], "\(way)")
        }
    }

    @Test func countOverTimeAndContext() throws {
        var records: [LogRecord] = []
        for i in 0..<300 {
            records.append(LogFixtures.record(Int64(i) * 10, "line \(i) \(i % 3 == 0 ? "tick" : "tock")", host: i % 2 == 0 ? "even" : "odd"))
        }
        try everyWay(records) { s, way in
            let series = try s.countOverTime(LogQuery(lineFilters: [LineFilter(.contains, "tick")]), start: 0, end: 3000, step: 1000)
            #expect(series.count == 2, "\(way)")
            let total = series.flatMap(\.counts).reduce(0, +)
            #expect(total == 100, "\(way)")
            #expect(series.allSatisfy { $0.counts.count == 3 }, "\(way)")
            let even = try #require(series.first { $0.stream["host"] == "even" })
            #expect(even.counts == [17, 17, 16], "\(way)")  // i % 6 == 0 in each 100-record bucket
            let hit = try #require(try s.search(LogQuery(lineFilters: [LineFilter(.contains, "line 100 ")])).hits.first)
            let ctx = try s.context(of: hit.id, before: 2, after: 3)
            #expect(ctx.map { String(decoding: $0.record.line, as: UTF8.self).split(separator: " ")[1] } == ["96", "98", "100", "102", "104", "106"], "\(way)")
        }
    }

    @Test func longLinesAreSplitOrTruncatedWithAFlag() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        var o = LogFixtures.options()
        o.maxLineBytes = 10
        let store = try LogStore(directory: dir.path, options: o)
        try store.append([LogFixtures.record(1, "0123456789abcdefghijXYZ")])
        try store.flush()
        let parts = try store.search(LogQuery(limit: 0, direction: .forward)).hits.map(\.record)
        #expect(parts.map { String(decoding: $0.line, as: UTF8.self) } == ["0123456789", "abcdefghij", "XYZ"])
        #expect(parts.allSatisfy { $0.flags.contains(.split) })
        #expect(try store.stats().splitLines == 1)
        o.longLines = .truncate
        let dir2 = LogScratch()
        defer { dir2.cleanup() }
        let t = try LogStore(directory: dir2.path, options: o)
        try t.append([LogFixtures.record(1, "0123456789abcdefghijXYZ")])
        let kept = try t.search(LogQuery()).hits.map(\.record)
        #expect(kept.count == 1 && kept[0].line.count == 10 && kept[0].flags.contains(.truncated))
    }

    @Test func statsCountEveryByteOnDisk() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        let store = try LogStore(directory: dir.path, options: LogFixtures.options())
        try store.append(sample())
        let before = try store.stats()
        #expect(before.headRecords == 5 && before.walBytes > 0 && before.segments == 0)
        try store.flush()
        try store.append([LogFixtures.record(50, "after")])
        let s = try store.stats()
        #expect(s.records == 6 && s.segments == 1 && s.headRecords == 1)
        #expect(s.rawBytes == sample().reduce(0) { $0 + $1.line.count } + 5)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".logs") }
        let size = try files.reduce(0) { $0 + ((try FileManager.default.attributesOfItem(atPath: dir.path + "/" + $1)[.size] as? Int) ?? 0) }
        #expect(s.segmentBytes == size)
        #expect(store.verify().isEmpty)
    }

    @Test func countOverTimeRefusesTooManyBuckets() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        let store = try LogStore(directory: dir.path, options: LogFixtures.options())
        try store.append(sample())
        #expect(throws: LogStoreError.self) { try store.countOverTime(LogQuery(), start: 0, end: 1_000_000, step: 1) }
        #expect(throws: LogStoreError.self) { try store.countOverTime(LogQuery(), start: .min, end: .max, step: 1 << 40) }
        #expect(try store.countOverTime(LogQuery(), start: 0, end: 100, step: 10).flatMap(\.counts).reduce(0, +) == 5)
    }

    @Test func badRegexIsAClearError() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        let store = try LogStore(directory: dir.path, options: LogFixtures.options())
        #expect(throws: LogStoreError.self) { try store.search(LogQuery(lineFilters: [LineFilter(.matches, "(unclosed")])) }
    }
}
