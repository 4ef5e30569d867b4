import Foundation
import StrataEncoding
import StrataLabels
import StrataStorage
import Testing

@testable import StrataLogs

/// Deletion: tombstones in the manifest hide records from every query at once, survive a
/// reopen, and `applyDeletions` removes the records from the files.
@Suite struct LogDeletionTests {
    static func record(_ t: Int64, _ line: String, host: String) -> LogRecord {
        LogRecord(timestamp: t, stream: Labels(sorted: [Label("host", host), Label("program", "nova")]), line: Array(line.utf8))
    }

    /// 100 records per host over three hosts, every fifth line with a password; half flushed.
    func populate(_ store: LogStore) throws {
        var records: [LogRecord] = []
        for i in 0..<100 {
            for host in ["cmp-1", "cmp-2", "cmp-3"] {
                records.append(Self.record(Int64(i) * 1_000, i % 5 == 0 ? "login user=bob password=hunter\(i)" : "GET /v2/servers \(i) 200", host: host))
            }
        }
        try store.append(Array(records[..<150]))
        try store.flush()
        try store.append(Array(records[150...]))
    }

    static let secret = LogDeletion(
        streams: [.equal("host", "cmp-3")], lineFilters: [LineFilter(.contains, "password")], start: 10_000, end: 80_000)

    func visible(_ store: LogStore) throws -> [LogHit] {
        try store.search(LogQuery(limit: 0, direction: .forward)).hits
    }

    @Test func tombstoneHidesHeadAndSegmentsAndSurvivesReopen() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        var store = try LogStore(directory: dir.path, options: LogFixtures.options())
        try populate(store)
        let before = try visible(store)
        #expect(before.count == 300)
        let covered = before.filter {
            $0.record.stream["host"] == "cmp-3" && $0.record.timestamp >= 10_000 && $0.record.timestamp <= 80_000
                && String(decoding: $0.record.line, as: UTF8.self).contains("password")
        }
        #expect(covered.count == 15)  // i = 10, 15, ..., 80
        #expect(covered.contains { $0.id.segment == LogRecordID.head } && covered.contains { $0.id.segment != LogRecordID.head })
        let dry = try store.delete(Self.secret, dryRun: true)
        #expect(dry.records == 15 && dry.pendingTombstones == 0)
        #expect(try visible(store).count == 300)
        let report = try store.delete(Self.secret)
        #expect(report.records == 15 && report.pendingTombstones == 1)
        #expect(try store.pendingDeletions() == [Self.secret])

        func checkHidden(_ store: LogStore) throws {
            let after = try visible(store)
            #expect(after.count == 285)
            #expect(!after.contains { h in covered.contains { $0.record == h.record } })
            let q = LogQuery(streams: [.equal("host", "cmp-3")], lineFilters: [LineFilter(.contains, "password")], limit: 0)
            #expect(try store.count(q) == 20 - 15)
            #expect(try store.countWithStats(q).count == 5)
            let series = try store.countOverTime(q, start: 0, end: 100_000, step: 10_000)
            #expect(series.map { $0.counts.reduce(0, +) } == [5])
            // The record and context of a hidden id are gone too.
            for h in after where h.record.stream["host"] == "cmp-3" {
                let ctx = try store.context(of: h.id, before: 100, after: 100)
                #expect(!ctx.contains { c in covered.contains { $0.record == c.record } })
                break
            }
        }
        try checkHidden(store)
        for h in covered where h.id.segment != LogRecordID.head {
            #expect(throws: LogStoreError.unknownRecord(h.id)) { try store.record(h.id) }
        }
        for h in covered where h.id.segment == LogRecordID.head {
            #expect(throws: LogStoreError.unknownRecord(h.id)) { try store.record(h.id) }
        }
        // A deletion over what the first already hides counts only the rest.
        #expect(try store.delete(LogDeletion(streams: [.equal("host", "cmp-3")], start: 0, end: 10_000), dryRun: true).records == 11 - 1)

        // Appended into the tombstone's range after the delete: hidden too.
        try store.append([Self.record(50_500, "late password=x", host: "cmp-3")])
        #expect(try visible(store).count == 285)

        try store.close()
        store = try LogStore(directory: dir.path, options: LogFixtures.options())
        #expect(try store.pendingDeletions() == [Self.secret])
        try checkHidden(store)

        // Apply: the files lose exactly what was hidden (the late record included), the tombstone goes.
        let recordsBefore = try store.stats().records
        #expect(recordsBefore == 301)
        let segmentsBefore = Set(store.segments.entries.map(\.name))
        let applied = try store.applyDeletions()
        #expect(applied.tombstonesApplied == 1)
        #expect(applied.recordsDropped == 16)
        #expect(!applied.rewrites.isEmpty)
        #expect(applied.rewrites.count == 2)  // the old segment and the flushed head
        #expect(applied.rewrites.allSatisfy { $0.output != nil && $0.output != $0.input && !segmentsBefore.contains($0.output ?? "") })
        #expect(applied.rewrites.contains { segmentsBefore.contains($0.input) })
        #expect(try store.stats().records == 301 - 16)
        #expect(try store.pendingDeletions().isEmpty)
        #expect(try store.segments.currentState().tombstones.isEmpty)
        #expect(try visible(store).count == 285)
        try store.close()
        store = try LogStore(directory: dir.path, options: LogFixtures.options())
        #expect(try store.stats().records == 285)
        #expect(try visible(store).count == 285)
        #expect(try store.pendingDeletions().isEmpty)
        #expect(store.verify().isEmpty)
        // Nothing pending: applying again does nothing.
        #expect(try store.applyDeletions().recordsDropped == 0)
    }

    /// Deleting a whole stream drops the segments it empties; stats drop by exactly what delete counted.
    @Test func applyDropsEmptiedSegments() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        let store = try LogStore(directory: dir.path, options: LogFixtures.options())
        try store.append((0..<50).map { Self.record(Int64($0), "a \($0)", host: "gone") })
        try store.flush()
        try store.append((0..<50).map { Self.record(Int64($0), "b \($0)", host: "kept") })
        try store.flush()
        let first = store.segments.entries[0].name
        let before = try store.stats().records
        let counted = try store.delete(LogDeletion(streams: [.equal("host", "gone")])).records
        #expect(counted == 50)
        let dry = try store.applyDeletions(dryRun: true)
        #expect(dry.segmentsDropped == [first] && dry.recordsDropped == 50)
        #expect(try store.pendingDeletions().count == 1)
        let report = try store.applyDeletions()
        #expect(report.segmentsDropped == [first] && report.rewrites.isEmpty)
        #expect(try store.stats().records == before - counted)
        #expect(try store.stats().segments == 1)
    }

    @Test func tombstoneBytesRoundTrip() throws {
        let d = LogDeletion(
            streams: [.equal("host", "cmp-3"), try LabelMatcher(.notRegex, "program", "nova-.*")],
            lineFilters: [LineFilter(.notMatches, "^INFO"), LineFilter(.contains, "Password", caseInsensitive: true)],
            start: -5, end: .max)
        #expect(try LogDeletion(tombstone: d.encoded) == d)
        #expect(try LogDeletion(tombstone: LogDeletion(streams: []).encoded) == LogDeletion(streams: []))
        // Every truncation and every flipped byte either decodes to some deletion or throws; never traps.
        let bytes = d.encoded
        for n in 0..<bytes.count {
            #expect(throws: FormatError.self) { try LogDeletion(tombstone: Array(bytes[..<n])) }
        }
        for i in bytes.indices {
            for x: UInt8 in [0x01, 0x80, 0xFF] {
                var b = bytes
                b[i] ^= x
                _ = try? LogDeletion(tombstone: b)
            }
        }
    }

    /// Damaged tombstone bytes in the manifest: opening says so, naming the manifest.
    @Test func damagedTombstoneIsAClearError() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        var manifest = ""
        do {
            let store = try LogStore(directory: dir.path, options: LogFixtures.options())
            try populate(store)
            try store.delete(Self.secret)
            var bad = Self.secret.encoded
            bad[1] = 0x7F  // a matcher count far past the bytes
            try store.segments.publish(adding: [], removing: [], changingState: { $0.tombstones.append(bad) })
            try store.segments.publish(adding: [], removing: [], changingState: { $0.tombstones.append([9, 0, 0]) })
            manifest = store.segments.manifestPath
            try store.close()
        }
        do {
            _ = try LogStore(directory: dir.path, options: LogFixtures.options())
            Issue.record("opened a store with a damaged tombstone")
        } catch {
            let text = "\(error)"
            #expect(text.contains(manifest), "\(text)")
            #expect(text.contains("tombstone"), "\(text)")
        }
    }

    @Test func badDeletionsThrow() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        let store = try LogStore(directory: dir.path, options: LogFixtures.options())
        try populate(store)
        #expect(throws: LogStoreError.self) { try store.delete(LogDeletion(streams: [], start: 5, end: 4)) }
        #expect(throws: LogStoreError.self) { try store.delete(LogDeletion(streams: [], lineFilters: [LineFilter(.matches, "(")])) }
        let huge = LogDeletion(streams: [.equal("host", String(repeating: "x", count: 2000))])
        #expect(throws: LogStoreError.self) { try store.delete(huge) }
        #expect(try store.pendingDeletions().isEmpty)
        #expect(try visible(store).count == 300)
    }
}
