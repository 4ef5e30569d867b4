import Foundation
import StrataLabels
import StrataStorage
import Testing

@testable import StrataLogs

/// Retention of the log store: cuts per rule, segments dropped, kept or rewritten.
@Suite struct LogRetentionTests {
    static let day: Int64 = 86_400_000_000_000
    static let hour: Int64 = 3_600_000_000_000

    static func record(_ t: Int64, _ line: String, host: String = "h1", level: String = "INFO") -> LogRecord {
        LogRecord(timestamp: t, stream: Labels(sorted: [Label("host", host), Label("level", level)]), line: Array(line.utf8))
    }

    func all(_ store: LogStore) throws -> [LogRecord] {
        try store.search(LogQuery(limit: 0, direction: .forward)).hits.map(\.record)
    }

    /// A segment with records on both sides of the cut is rewritten: a new file holding only the
    /// records at or after the cut; one wholly older is dropped unread, one wholly newer left as it is.
    @Test func straddlingSegmentIsRewritten() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        let store = try LogStore(directory: dir.path, options: LogFixtures.options())
        // Segment 1: days 0-1 (all old). Segment 2: days 2-5 (straddles the cut at day 4). Segment 3: days 8-9 (new).
        try store.append((0..<20).map { Self.record(Int64($0) * Self.day / 10, "old \($0)") })
        try store.flush()
        try store.append((0..<40).map { Self.record(2 * Self.day + Int64($0) * Self.day / 10, "mid \($0)") })
        try store.flush()
        try store.append((0..<20).map { Self.record(8 * Self.day + Int64($0) * Self.day / 10, "new \($0)") })
        try store.flush()
        let names = store.segments.entries.map(\.name)
        #expect(names.count == 3)
        let before = try store.stats().records
        let cut = 4 * Self.day
        // The newest record is at 9.9 days: keep 5.9 days puts the cut at day 4.
        let report = try store.applyRetention(LogRetention(keep: 9 * Self.day + 9 * Self.day / 10 - cut))
        #expect(report.reference == 9 * Self.day + 9 * Self.day / 10)
        #expect(report.segmentsDropped == [names[0]])
        #expect(report.segmentsRead == 1)  // only the straddling one
        #expect(report.rewrites.count == 1)
        let w = try #require(report.rewrites.first)
        #expect(w.input == names[1])
        let output = try #require(w.output)
        #expect(output != names[1])
        #expect(w.recordsBefore == 40 && w.recordsAfter == 20)
        #expect(report.recordsDropped == 20 + 20)
        #expect(try store.stats().records == before - report.recordsDropped)
        #expect(Set(store.segments.entries.map(\.name)) == [output, names[2]])
        #expect(report.bytesAfter == store.segments.entries.reduce(0) { $0 + Int($1.sizeBytes) })
        // The rewritten file itself holds nothing older than the cut.
        let entry = try #require(store.segments.entries.first { $0.name == output })
        #expect(entry.minTime >= cut)
        let reader = try store.segmentReader(entry)
        var stats = LogSearchStats()
        var times: [Int64] = []
        for (b, block) in try reader.blocks().enumerated() {
            let cursor = LogBlockCursor(reader, b, block)
            for i in 0..<block.rowCount { times.append(try cursor.record(i, &stats).timestamp) }
        }
        #expect(times.count == 20 && times.allSatisfy { $0 >= cut })
        #expect(try all(store).allSatisfy { $0.timestamp >= cut })
        #expect(try all(store).count == 40)
        // Applying it again changes nothing and reads nothing.
        let again = try store.applyRetention(LogRetention(keep: 9 * Self.day + 9 * Self.day / 10 - cut))
        #expect(again.recordsDropped == 0 && again.segmentsRead == 0 && again.rewrites.isEmpty && again.segmentsDropped.isEmpty)
        #expect(store.verify().isEmpty)
    }

    /// The head is flushed first, so its old records go too; a dry run writes nothing but counts the same.
    @Test func headIsFlushedAndDryRunWritesNothing() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        let store = try LogStore(directory: dir.path, options: LogFixtures.options())
        try store.append((0..<10).map { Self.record(Int64($0) * Self.day, "line \($0)") })
        let dry = try store.applyRetention(LogRetention(keep: 3 * Self.day), now: 10 * Self.day, dryRun: true)
        #expect(dry.recordsDropped == 7)  // days 0-6 are before day 7
        #expect(try store.stats().records == 10 && store.segments.entries.isEmpty)
        let report = try store.applyRetention(LogRetention(keep: 3 * Self.day), now: 10 * Self.day)
        #expect(report.recordsDropped == 7)
        #expect(try all(store).map(\.timestamp) == [7, 8, 9].map { $0 * Self.day })
        #expect(try store.stats().headRecords == 0)
        // An empty store and no `now`: nothing to do.
        let empty = LogScratch()
        defer { empty.cleanup() }
        let e = try LogStore(directory: empty.path, options: LogFixtures.options())
        #expect(try e.newestRecordTime() == nil)
        #expect(try e.applyRetention(LogRetention(keep: 0)).reference == nil)
    }

    /// The first rule a record matches decides; a rule with a line filter takes only the lines it passes.
    @Test func firstMatchWinsAndLineFilterRules() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        let store = try LogStore(directory: dir.path, options: LogFixtures.options())
        var records: [LogRecord] = []
        for d in 0..<20 {
            let t = Int64(d) * Self.day
            records.append(Self.record(t, "DEBUG cache hit \(d)", level: "DEBUG"))
            records.append(Self.record(t + 1, "DEBUG request done \(d)", level: "DEBUG"))
            records.append(Self.record(t + 2, "INFO started \(d)"))
            records.append(Self.record(t + 3, "INFO started \(d)", host: "audit"))
        }
        try store.append(Array(records[..<40]))
        try store.flush()
        try store.append(Array(records[40...]))  // half in a segment, half in the head
        let now = 19 * Self.day + 12 * Self.hour
        let policy = LogRetention(
            rules: [
                // {host="audit"} forever, before the DEBUG rule: an audit DEBUG record would be kept.
                LogRetentionRule(streams: [.equal("host", "audit")], keep: nil),
                // {level="DEBUG"} |= "cache" 2 days.
                LogRetentionRule(streams: [.equal("level", "DEBUG")], lineFilters: [LineFilter(.contains, "cache")], keep: 2 * Self.day),
                // Any other INFO line 14 days (a second rule the DEBUG lines without "cache" fall through to the default past).
                LogRetentionRule(streams: [.equal("level", "INFO")], keep: 14 * Self.day),
            ],
            keep: 7 * Self.day)
        let report = try store.applyRetention(policy, now: now)
        let kept = try all(store)
        func days(_ prefix: String, host: String = "h1") -> [Int64] {
            kept.filter { String(decoding: $0.line, as: UTF8.self).hasPrefix(prefix) && $0.stream["host"] == host }
                .map { $0.timestamp / Self.day }
        }
        #expect(days("DEBUG cache") == [18, 19])  // cut 17.5 days
        #expect(days("DEBUG request") == Array(13...19))  // default: cut 12.5 days
        #expect(days("INFO") == Array(6...19))  // cut 5.5 days
        #expect(days("INFO", host: "audit") == Array(0...19))  // forever
        #expect(report.recordsDropped == 18 + 13 + 6)
        #expect(try store.stats().records == records.count - report.recordsDropped)

        // Rule order matters: the same rules with INFO first make the audit stream's INFO lines go.
        var reordered = policy
        reordered.rules = [policy.rules[2], policy.rules[0], policy.rules[1]]
        let second = try store.applyRetention(reordered, now: now)
        #expect(second.recordsDropped == 6)
        #expect(try all(store).filter { $0.stream["host"] == "audit" }.map { $0.timestamp / Self.day } == Array(6...19))
    }

    /// Segments are decided from their stream dictionary when the rules have no line filters:
    /// a segment of a stream kept forever is not read even though it is older than other cuts.
    @Test func streamOnlyRulesDecideWithoutReadingRecords() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        let store = try LogStore(directory: dir.path, options: LogFixtures.options())
        try store.append((0..<10).map { Self.record(Int64($0) * Self.hour, "audit \($0)", host: "audit") })
        try store.flush()
        try store.append((0..<10).map { Self.record(Int64($0) * Self.hour, "debug \($0)", level: "DEBUG") })
        try store.flush()
        try store.append([Self.record(30 * Self.day, "newest")])
        let policy = LogRetention(
            rules: [LogRetentionRule(streams: [.equal("host", "audit")], keep: nil), LogRetentionRule(streams: [.equal("level", "DEBUG")], keep: Self.day)],
            keep: 365 * Self.day)
        let report = try store.applyRetention(policy)
        #expect(report.segmentsRead == 0)
        #expect(report.segmentsDropped.count == 1 && report.recordsDropped == 10)
        #expect(try store.count(LogQuery(limit: 0)) == 11)
    }

    @Test func badPoliciesThrow() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        let store = try LogStore(directory: dir.path, options: LogFixtures.options())
        try store.append([Self.record(1, "x")])
        #expect(throws: LogStoreError.self) { try store.applyRetention(LogRetention(keep: -1)) }
        #expect(throws: LogStoreError.self) {
            try store.applyRetention(LogRetention(rules: [LogRetentionRule(streams: [], lineFilters: [LineFilter(.matches, "(")], keep: 1)], keep: nil))
        }
        #expect(try store.count(LogQuery(limit: 0)) == 1)
    }
}
