import Foundation
import PropertyBased
import StrataLabels
import StrataStorage
import Testing

@testable import StrataLogs

/// Retention and deletion against a reference model: random appends, flushes, retentions,
/// deletions, applications, compactions and reopenings; after every step a search over
/// everything returns exactly the records the model keeps and does not hide.
@Suite struct LogRetentionPropertyTests {
    static let day: Int64 = 86_400_000_000_000
    static let hosts = ["a", "b", "c"]
    static let levels = ["INFO", "DEBUG"]
    static let words = ["alpha", "beta", "gamma", "password", "delta"]

    struct Row: Equatable {
        var t: Int64
        var host: String
        var level: String
        var line: String
    }

    /// The model's test of a deletion: an equality or inequality on the host, `|=` / `!=` on a word.
    static func covers(_ d: LogDeletion, _ r: Row) -> Bool {
        guard r.t >= d.start, r.t <= d.end else { return false }
        for m in d.streams {
            let v = m.name == "host" ? r.host : m.name == "level" ? r.level : ""
            switch m.kind {
            case .equal: if v != m.value { return false }
            case .notEqual: if v == m.value { return false }
            default: Issue.record("unexpected matcher"); return false
            }
        }
        for f in d.lineFilters {
            switch f.op {
            case .contains: if !r.line.contains(f.pattern) { return false }
            case .notContains: if r.line.contains(f.pattern) { return false }
            default: Issue.record("unexpected filter"); return false
            }
        }
        return true
    }

    /// The model's cut of a row under a policy given as (level rule keep, its word, host-a rule keep, default keep).
    static func cut(_ r: Row, reference: Int64, debug: (keep: Int64?, word: String?), hostA: Int64?, keep: Int64?) -> Int64 {
        func c(_ k: Int64?) -> Int64 { k.map { reference - $0 } ?? .min }
        if r.level == "DEBUG" && (debug.word.map { r.line.contains($0) } ?? true) { return c(debug.keep) }
        if r.host == "a" { return c(hostA) }
        return c(keep)
    }

    func run(seed: UInt64) throws {
        var rng = SplitMix(seed)
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        func chance(_ percent: UInt64) -> Bool { rng.next() % 100 < percent }
        let dir = LogScratch()
        defer { dir.cleanup() }
        var options = LogFixtures.options()
        options.rowsPerBlock = 8
        var store: LogStore? = try LogStore(directory: dir.path, options: options)
        var rows: [Row] = []  // every record the store holds
        var tombstones: [LogDeletion] = []
        var seq: Int64 = 0
        var log: [String] = []

        for _ in 0..<24 {
            let s = try #require(store)
            switch rng.next() % 100 {
            case 0..<35:
                var batch: [LogRecord] = []
                for _ in 0..<(1 + Int(rng.next() % 12)) {
                    seq += 1
                    let t = Int64(rng.next() % 5) * Self.day + Int64(rng.next() % 86_400) * 1_000_000_000 + seq
                    let line = (0..<(1 + Int(rng.next() % 3))).map { _ in pick(Self.words) }.joined(separator: " ")
                    let r = Row(t: t, host: pick(Self.hosts), level: pick(Self.levels), line: line)
                    rows.append(r)
                    batch.append(
                        LogRecord(timestamp: t, stream: Labels(sorted: [Label("host", r.host), Label("level", r.level)]), line: Array(line.utf8)))
                }
                try s.append(batch)
                log.append("append \(batch.count)")
            case 35..<47:
                try s.flush()
                log.append("flush")
            case 47..<60:
                let debugKeep: Int64? = chance(20) ? nil : Int64(rng.next() % 3) * Self.day + Int64(rng.next() % 1000) * 1_000_000_000
                let debugWord: String? = chance(50) ? pick(Self.words) : nil
                let hostA: Int64? = chance(30) ? nil : Int64(rng.next() % 5) * Self.day
                let keep: Int64? = chance(20) ? nil : Int64(rng.next() % 5) * Self.day + Int64(rng.next() % 86_400) * 1_000_000_000
                let now: Int64? = chance(50) ? nil : Int64(rng.next() % 6) * Self.day
                let policy = LogRetention(
                    rules: [
                        LogRetentionRule(
                            streams: [.equal("level", "DEBUG")], lineFilters: debugWord.map { [LineFilter(.contains, $0)] } ?? [],
                            keep: debugKeep),
                        LogRetentionRule(streams: [.equal("host", "a")], keep: hostA),
                    ], keep: keep)
                let before = try s.stats().records
                let dry = try s.applyRetention(policy, now: now, dryRun: true)
                let report = try s.applyRetention(policy, now: now)
                let reference = now ?? rows.map(\.t).max()
                let dropped = rows.filter { r in reference.map { r.t < Self.cut(r, reference: $0, debug: (debugKeep, debugWord), hostA: hostA, keep: keep) } ?? false }
                rows.removeAll { dropped.contains($0) }
                #expect(report.reference == reference)
                #expect(report.recordsDropped == dropped.count)
                #expect(dry.recordsDropped == dropped.count)
                #expect(try s.stats().records == before - dropped.count)
                log.append("retention now \(String(describing: now)) dropped \(dropped.count)")
            case 60..<72:
                var matchers: [LabelMatcher] = []
                if chance(80) { matchers.append(chance(80) ? .equal("host", pick(Self.hosts)) : try LabelMatcher(.notEqual, "host", pick(Self.hosts))) }
                var filters: [LineFilter] = []
                if chance(50) { filters.append(LineFilter(chance(70) ? .contains : .notContains, pick(Self.words))) }
                let a = Int64(rng.next() % 6) * Self.day - Self.day / 2
                let b = a + Int64(rng.next() % 3) * Self.day
                let d = LogDeletion(streams: matchers, lineFilters: filters, start: chance(15) ? .min : a, end: chance(15) ? .max : b)
                let expected = rows.filter { r in Self.covers(d, r) && !tombstones.contains { Self.covers($0, r) } }.count
                let dry = chance(20)
                let report = try s.delete(d, dryRun: dry)
                #expect(report.records == expected)
                if !dry { tombstones.append(d) }
                #expect(try s.pendingDeletions() == tombstones)
                log.append("delete \(d) dry \(dry) covering \(expected)")
            case 72..<80:
                let before = try s.stats().records
                let dropped = rows.filter { r in tombstones.contains { Self.covers($0, r) } }
                let dry = try s.applyDeletions(dryRun: true)
                #expect(dry.recordsDropped == dropped.count)
                let report = try s.applyDeletions()
                #expect(report.recordsDropped == dropped.count)
                #expect(try s.stats().records == before - dropped.count)
                rows.removeAll { dropped.contains($0) }
                tombstones = []
                #expect(try s.pendingDeletions().isEmpty)
                log.append("apply deletions \(dropped.count)")
            case 80..<90:
                try s.compact()
                log.append("compact")
            default:
                try s.close()
                store = nil
                store = try LogStore(directory: dir.path, options: options)
                log.append("reopen")
            }
            let current = try #require(store)
            let visible = rows.filter { r in !tombstones.contains { Self.covers($0, r) } }.sorted { $0.t < $1.t }
            let found = try current.search(LogQuery(limit: 0, direction: .forward)).hits.map {
                Row(t: $0.record.timestamp, host: $0.record.stream["host"] ?? "", level: $0.record.stream["level"] ?? "",
                    line: String(decoding: $0.record.line, as: UTF8.self))
            }
            #expect(found == visible, "seed \(seed) after \(log)")
            #expect(try current.count(LogQuery(limit: 0)) == visible.count, "seed \(seed) after \(log)")
            #expect(try current.stats().records == rows.count, "seed \(seed) after \(log)")
            if found != visible { return }
        }
    }

    @Test func matchesTheReferenceModel() async {
        await propertyCheck(count: 40, input: Gen.int(in: 0...Int.max)) { seed in
            try run(seed: UInt64(seed))
        }
    }
}
