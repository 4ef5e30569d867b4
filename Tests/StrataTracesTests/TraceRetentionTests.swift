import StrataEncoding
import StrataStorage
import Testing

@testable import StrataTraces

/// Small traces for the retention and deletion tests: times in µs, a day = `RetentionFixture.day`.
enum RetentionFixture {
    static let day: Int64 = 86_400_000_000
    static let hour: Int64 = 3_600_000_000
    /// Midnight of a day (aligned to days, so `segmentRange: day` puts each day in a segment).
    static let t0: Int64 = 19_700 * day

    /// A trace `n` of `spans` spans starting at `start`, 1 s apart, of `service`; the last span
    /// is an error when `error`.
    static func trace(_ n: UInt64, at start: Int64, service: String = "nova", error: Bool = false, spans: Int = 3) -> [Span] {
        let base = TraceID(high: n, low: 0)
        return (0..<spans).map { k in
            Span(
                baseID: base, traceID: TraceID(high: n, low: UInt64(k) + 1), parentID: k == 0 ? base : TraceID(high: n, low: 1),
                name: k == 0 ? "wsgi" : "db", service: "api", project: service, host: "cmp-\(n % 3)",
                start: start + Int64(k) * 1_000_000, duration: 500_000 + Int64(k),
                status: error && k == spans - 1 ? .error : [])
        }
    }

    static func options() -> TraceStoreOptions {
        var o = TraceStoreOptions()
        o.durability = .none
        o.segmentRange = day
        o.blockSpans = 8
        return o
    }

    static func segmentNames(_ store: TraceStore) -> [String] {
        store.segments.entries.filter { $0.kind == TraceStore.segmentKind }.map(\.name)
    }

    static func allSpans(_ store: TraceStore) throws -> [Span] {
        var out: [Span] = []
        try store.forEachMatchingSpan(TraceSearch()) { out.append($0) }
        return out
    }
}

@Suite struct TraceRetentionTests {
    typealias F = RetentionFixture

    /// A day-old segment is dropped unread, the one across the cut rewritten, the newer one left alone.
    @Test func straddlingSegmentIsRewritten() throws {
        let dir = TemporaryDirectory()
        let store = try TraceStore(directory: dir.path, options: F.options())
        let old = F.trace(1, at: F.t0 + 3 * F.hour)
        let before = F.trace(2, at: F.t0 + F.day + 10 * F.hour)
        let after = F.trace(3, at: F.t0 + F.day + 20 * F.hour)
        let newest = F.trace(4, at: F.t0 + 2 * F.day + F.hour)
        try store.append(spans: old + before + after + newest)
        try store.flush()
        let segs = F.segmentNames(store)
        #expect(segs.count == 3)
        let statsBefore = try store.stats()
        let policy = TraceRetention(keep: 9 * F.hour)  // the newest span: day 2, 01:00:02; the cut: day 1, 16:00:02
        let dry = try store.applyRetention(policy, dryRun: true)
        #expect(F.segmentNames(store) == segs, "a dry run writes nothing")
        let report = try store.applyRetention(policy)
        #expect(report.reference == newest.last!.start)
        #expect(report.droppedSegments == [segs[0]])
        #expect(report.rewritten.count == 1)
        #expect(report.rewritten.first?.input == segs[1])
        #expect(report.rewritten.first?.spansBefore == 6 && report.rewritten.first?.spansAfter == 3)
        #expect(report.spansDropped == 6)
        #expect(report.tracesDropped == 2)
        #expect(dry.spansDropped == report.spansDropped && dry.droppedSegments == report.droppedSegments)
        #expect(dry.rewritten.map(\.spansAfter) == report.rewritten.map(\.spansAfter))
        #expect(report.bytesAfter < report.bytesBefore)
        let now = F.segmentNames(store)
        #expect(now.count == 2 && now.contains(segs[2]) && !now.contains(segs[1]))
        #expect(try store.trace(old[0].baseID).isEmpty)
        #expect(try store.trace(before[0].baseID).isEmpty)
        #expect(try store.trace(after[0].baseID) == after)
        #expect(try store.trace(newest[0].baseID) == newest)
        let stats = try store.stats()
        #expect(stats.spans == statsBefore.spans - 6)
        #expect(stats.traces == statsBefore.traces - 2)
        #expect(store.verify().isEmpty)
        // A second pass with the same policy finds nothing to do.
        let again = try store.applyRetention(policy)
        #expect(again.spansDropped == 0 && again.rewritten.isEmpty && again.droppedSegments.isEmpty)
    }

    /// A trace across the cut keeps the spans from the cut on (span by span).
    @Test func aTraceAcrossTheCutKeepsItsNewerSpans() throws {
        let dir = TemporaryDirectory()
        let store = try TraceStore(directory: dir.path, options: F.options())
        let t = F.trace(7, at: F.t0 + 5 * F.hour, spans: 5)
        try store.append(spans: t)
        try store.flush()
        let report = try store.applyRetention(TraceRetention(keep: F.hour), now: t[2].start + F.hour)
        #expect(report.spansDropped == 2)
        #expect(try store.trace(t[0].baseID) == Array(t[2...]))
        #expect(try store.stats().spans == 3)
        #expect(try store.stats().traces == 1)
    }

    /// The first matching rule decides, over all the trace's spans, in whichever segment or the head.
    @Test func firstMatchWinsOverAllSpansOfATrace() throws {
        let dir = TemporaryDirectory()
        let store = try TraceStore(directory: dir.path, options: F.options())
        let now = F.t0 + 20 * F.day
        let at = now - 5 * F.day
        let errorGlance = F.trace(1, at: at, service: "glance", error: true)
        let glance = F.trace(2, at: at, service: "glance")
        let nova = F.trace(3, at: at, service: "nova")
        // Trace 4's error span comes in a later flush: another segment.
        let split = F.trace(4, at: at, service: "nova", error: true)
        try store.append(spans: errorGlance + glance + nova + Array(split.prefix(2)))
        try store.flush()
        try store.append(spans: [split[2]])
        try store.flush()
        #expect(F.segmentNames(store).count == 2)
        var error = TraceSearch()
        error.error = true
        let policy = TraceRetention(
            rules: [
                TraceRetentionRule(selector: error, keep: 10 * F.day),
                TraceRetentionRule(selector: TraceSearch(service: "glance"), keep: F.day),
                TraceRetentionRule(selector: TraceSearch(service: "nova"), keep: nil),
            ], keep: F.hour)
        try store.applyRetention(policy, now: now)
        #expect(try store.trace(errorGlance[0].baseID) == errorGlance, "error first: kept 10 days, not 1")
        #expect(try store.trace(glance[0].baseID).isEmpty)
        #expect(try store.trace(nova[0].baseID) == nova, "kept forever")
        #expect(try store.trace(split[0].baseID) == split)
        // Reordered, glance's one day wins over the error rule.
        let reordered = TraceRetention(rules: [policy.rules[1], policy.rules[0]], keep: F.hour)
        try store.applyRetention(reordered, now: now)
        #expect(try store.trace(errorGlance[0].baseID).isEmpty)
        #expect(try store.trace(split[0].baseID) == split, "nova with an error: the error rule")
        #expect(try store.trace(nova[0].baseID).isEmpty, "no rule matches: the default hour")
    }

    @Test func newestSpanTimeSeesHeadAndSegments() throws {
        let dir = TemporaryDirectory()
        let store = try TraceStore(directory: dir.path, options: F.options())
        #expect(try store.newestSpanTime() == nil)
        let a = F.trace(1, at: F.t0 + F.hour), b = F.trace(2, at: F.t0 + 3 * F.day)
        try store.append(spans: b)
        try store.flush()
        try store.append(spans: a)
        #expect(try store.newestSpanTime() == b.last!.start)
        let c = F.trace(3, at: F.t0 + 4 * F.day)
        try store.append(spans: c)
        #expect(try store.newestSpanTime() == c.last!.start)
    }
}

@Suite struct TraceDeletionTests {
    typealias F = RetentionFixture

    /// delete hides at once, survives a reopen, and stats() drops by exactly what it counted;
    /// applyDeletions then removes the spans from the files and stats() does not move.
    @Test func deletionHidesThenApplyRemovesWithExactCounts() throws {
        let dir = TemporaryDirectory()
        var store = try TraceStore(directory: dir.path, options: F.options())
        var all: [[Span]] = []
        for n in 1...12 {
            all.append(F.trace(UInt64(n), at: F.t0 + Int64(n) * 5 * F.hour, service: n % 3 == 0 ? "glance" : "nova", error: n % 4 == 0))
        }
        try store.append(spans: all[0..<8].flatMap { $0 })
        try store.flush()
        try store.append(spans: all[8...].flatMap { $0 })  // some in the head
        // Trace 2 continues in the head.
        let extra = Span(
            baseID: all[1][0].baseID, traceID: TraceID(high: 2, low: 99), parentID: all[1][0].baseID, name: "rpc",
            service: "api", project: "nova", start: all[1][0].start + 3_000_000, duration: 10)
        try store.append(spans: [extra])
        let s0 = try store.stats()
        #expect(s0.spans == 12 * 3 + 1 && s0.traces == 12)

        let byID = try store.delete(TraceDeletion(baseIDs: [all[1][0].baseID, TraceID(high: 999, low: 0)]))
        #expect(byID.traces == 1 && byID.spans == 4 && byID.tombstones == 1)
        // glance traces (3, 6, 9, 12) in a range that leaves 12 out.
        let dry = try store.delete(
            TraceDeletion(selector: TraceSearch(service: "glance"), start: all[2][0].start, end: all[8][0].start), dryRun: true)
        #expect(dry.traces == 3 && dry.tombstones == 0)
        #expect(try store.pendingDeletions().count == 1)
        let bySelector = try store.delete(
            TraceDeletion(selector: TraceSearch(service: "glance"), start: all[2][0].start, end: all[8][0].start))
        #expect(bySelector.traces == 3 && bySelector.spans == 9 && bySelector.tombstones == 1)
        #expect(bySelector.baseIDs == [3, 6, 9].map { all[$0 - 1][0].baseID })
        let s1 = try store.stats()
        #expect(s1.spans == s0.spans - 13 && s1.traces == s0.traces - 4)
        func check(_ store: TraceStore) throws {
            for (i, t) in all.enumerated() {
                let deleted = [2, 3, 6, 9].contains(i + 1)
                let got = try store.trace(t[0].baseID)
                #expect(deleted ? got.isEmpty : got == t, "trace \(i + 1)")
            }
            let found = Set(try store.search(TraceSearch(limit: 0)).map(\.baseID))
            #expect(found == Set(all.enumerated().filter { ![2, 3, 6, 9].contains($0.offset + 1) }.map { $0.element[0].baseID }))
            #expect(try F.allSpans(store).count == 8 * 3)
        }
        try check(store)
        // A deletion again of a deleted trace covers nothing.
        #expect(try store.delete(TraceDeletion(baseIDs: [all[2][0].baseID])).traces == 0)

        try store.close()
        store = try TraceStore(directory: dir.path, options: F.options())
        #expect(try store.pendingDeletions().map(\.baseIDs) == [[all[1][0].baseID], [3, 6, 9].map { all[$0 - 1][0].baseID }])
        try check(store)
        #expect(try store.stats().spans == s1.spans && store.stats().traces == s1.traces)

        let segmentsBefore = store.segments.entries.reduce(0) { $0 + Int($1.recordCount) }
        let applied = try store.applyDeletions()
        #expect(applied.tombstones == 2 && applied.traces == 4 && applied.spansRemoved == 13)
        #expect(try store.pendingDeletions().isEmpty)
        #expect(store.segments.entries.reduce(0) { $0 + Int($1.recordCount) } == segmentsBefore - 13)
        try check(store)
        let s2 = try store.stats()
        #expect(s2.spans == s1.spans && s2.traces == s1.traces)
        #expect(store.verify().isEmpty)
        try store.close()
        store = try TraceStore(directory: dir.path, options: F.options())
        try check(store)
        #expect(try store.stats().traces == s1.traces)
    }

    @Test func aDeletionNamingNothingIsRefused() throws {
        let dir = TemporaryDirectory()
        let store = try TraceStore(directory: dir.path, options: F.options())
        #expect(throws: TraceStoreError.self) { try store.delete(TraceDeletion()) }
    }

    /// 100 traces take two tombstones; a deletion past the manifest's capacity is refused whole.
    @Test func tombstonesChunkAndTheirLimitIsAClearError() throws {
        let dir = TemporaryDirectory()
        let store = try TraceStore(directory: dir.path, options: F.options())
        try store.append(spans: (1...100).flatMap { F.trace(UInt64($0), at: F.t0 + Int64($0) * 1_000_000_000, spans: 1) })
        let r = try store.delete(TraceDeletion(selector: TraceSearch()))
        #expect(r.traces == 100 && r.tombstones == 2)
        #expect(try store.pendingDeletions().map(\.baseIDs.count) == [63, 37])
        #expect(try store.search(TraceSearch(limit: 0)).isEmpty)
        // Fill the manifest up to one free tombstone, then ask for two.
        let filler = TraceTombstone.encode([TraceID(high: 1 << 40, low: 0)])[0]
        try store.segments.publish(adding: [], removing: [], changingState: { state in
            state.tombstones += Array(repeating: filler, count: StoreState.maxTombstones - 3)
        })
        try store.append(spans: (101...200).flatMap { F.trace(UInt64($0), at: F.t0 + Int64($0) * 1_000_000_000, spans: 1) })
        do {
            try store.delete(TraceDeletion(selector: TraceSearch()))
            Issue.record("a deletion past the tombstone capacity was accepted")
        } catch {
            guard case .invalidRequest(let why) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(why.contains("apply the pending deletions first"))
        }
        #expect(try store.search(TraceSearch(limit: 0)).count == 100, "nothing written")
        #expect(try store.delete(TraceDeletion(selector: TraceSearch(), start: F.t0 + 101 * 1_000_000_000, end: F.t0 + 150 * 1_000_000_000)).tombstones == 1)
        #expect(try store.search(TraceSearch(limit: 0)).count == 50)
    }

    /// Damaged tombstone bytes (the manifest's checksum passed: a broken writer) give an error
    /// naming the manifest, when the store opens and when it is asked, never a trap.
    @Test func damagedTombstonesGiveAClearError() throws {
        let good = TraceTombstone.encode([TraceID(high: 1, low: 2), TraceID(high: 3, low: 4)])[0]
        let outOfOrder = [1, 2] + Array(good[18...]) + Array(good[2..<18])
        let damaged: [[UInt8]] = [
            [], [2, 1] + Array(repeating: 0, count: 16), [1, 0], [1, 64] + Array(repeating: 0, count: 1024 - 2),
            Array(good.dropLast()), good + [0], outOfOrder, [1, 0x80, 0x80],
        ]
        for bytes in damaged {
            #expect(throws: FormatError.self) { try TraceTombstone.decode(bytes) }
            let dir = TemporaryDirectory()
            let store = try TraceStore(directory: dir.path, options: F.options())
            try store.append(spans: F.trace(1, at: F.t0))
            try store.segments.publish(adding: [], removing: [], changingState: { $0.tombstones.append(bytes) })
            for query in [
                { _ = try store.trace(TraceID(high: 1, low: 0)) }, { _ = try store.stats() }, { _ = try store.pendingDeletions() },
                { _ = try store.search(TraceSearch()) },
            ] as [() throws -> Void] {
                do {
                    try query()
                    Issue.record("damaged tombstone \(bytes) was read")
                } catch {
                    #expect("\(error)".contains(FileNames.manifest), "\(error)")
                }
            }
            try store.close()
            do {
                _ = try TraceStore(directory: dir.path, options: F.options())
                Issue.record("opened with damaged tombstone \(bytes)")
            } catch {
                #expect(error.description.contains(FileNames.join(dir.path, FileNames.manifest)), "\(error)")
            }
        }
    }
}

/// A failure (a crash) at any manifest or file write of `applyDeletions` or `applyRetention`
/// leaves a store that answers as before or after, and the pass run again finishes the job.
@Suite struct TraceRewriteFailureTests {
    typealias F = RetentionFixture

    static func fill(_ store: TraceStore) throws -> [[Span]] {
        var all: [[Span]] = []
        for n in 1...9 { all.append(F.trace(UInt64(n), at: F.t0 + Int64(n) * 7 * F.hour, service: n % 2 == 0 ? "glance" : "nova")) }
        try store.append(spans: all[0..<5].flatMap { $0 })
        try store.flush()
        try store.append(spans: all[5...].flatMap { $0 })
        try store.flush()
        return all
    }

    @Test func aFailedApplyDeletionsAnswersAsBeforeAndFinishesWhenRunAgain() throws {
        var k = 0
        while true {
            let dir = TemporaryDirectory()
            let fs = FaultInjectingFileSystem()
            var store = try TraceStore(directory: dir.path, options: F.options(), fileSystem: fs)
            let all = try Self.fill(store)
            try store.delete(TraceDeletion(selector: TraceSearch(service: "glance")))
            let stats = try store.stats()
            fs.inject(.rename, skipping: k)
            var failed = false
            do { try store.applyDeletions() } catch { failed = true }
            fs.clearFaults()
            store = try TraceStore(directory: dir.path, options: F.options())
            func check() throws {
                for (i, t) in all.enumerated() { #expect(try store.trace(t[0].baseID) == (i % 2 == 1 ? [] : t), "fault \(k)") }
                let s = try store.stats()
                #expect(s.spans == stats.spans && s.traces == stats.traces, "fault \(k)")
            }
            try check()
            try store.applyDeletions()
            try check()
            #expect(try store.pendingDeletions().isEmpty)
            #expect(store.segments.entries.reduce(0) { $0 + Int($1.recordCount) } == 5 * 3)
            if !failed { break }
            k += 1
        }
        #expect(k >= 3, "two rewrites and the tombstones' removal")
    }

    @Test func aFailedRetentionPassAnswersAsBeforeOrAfterAndFinishesWhenRunAgain() throws {
        var k = 0
        while true {
            let dir = TemporaryDirectory()
            let fs = FaultInjectingFileSystem()
            var store = try TraceStore(directory: dir.path, options: F.options(), fileSystem: fs)
            let all = try Self.fill(store)
            let now = all[8][0].start
            // nova kept forever; glance 30 h: traces 2 and 4 go, 6 and 8 stay.
            let policy = TraceRetention(rules: [TraceRetentionRule(selector: TraceSearch(service: "nova"), keep: nil)], keep: 30 * F.hour)
            fs.inject(.rename, skipping: k)
            var failed = false
            do { try store.applyRetention(policy, now: now) } catch { failed = true }
            fs.clearFaults()
            store = try TraceStore(directory: dir.path, options: F.options())
            for (i, t) in all.enumerated() {
                let got = try store.trace(t[0].baseID)
                #expect(got == t || (got.isEmpty && (i == 1 || i == 3)), "fault \(k)")
            }
            try store.applyRetention(policy, now: now)
            for (i, t) in all.enumerated() { #expect(try store.trace(t[0].baseID) == (i == 1 || i == 3 ? [] : t), "fault \(k)") }
            #expect(try store.stats().spans == 7 * 3 && store.stats().traces == 7)
            if !failed { break }
            k += 1
        }
        #expect(k >= 1)
    }
}
