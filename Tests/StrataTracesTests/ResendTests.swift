#if canImport(Glibc)
import Glibc
#endif
import StrataStorage
import StrataTestSupport
import Testing

@testable import StrataTraces

/// Spans delivered more than once (a file ingested twice, a retried batch, overlapping files)
/// are stored once; a stop that comes after its start was stored incomplete completes it.
@Suite struct ResendTests {
    static func events(_ spans: [Span]) -> [SpanEvent] {
        parseEvents(spans.map(TraceFixture.eventLines).joined()).0
    }

    static func store(_ dir: TemporaryDirectory, wal: Bool = false) throws -> TraceStore {
        var options = TraceStoreOptions()
        options.durability = wal ? .fsync : .none
        return try TraceStore(directory: dir.path, options: options)
    }

    /// Every span in the store's segments and head, counted by scanning (not by the trace lookup).
    static func storedSpans(_ store: TraceStore) throws -> [Span] {
        var out: [Span] = []
        try store.forEachMatchingSpan(TraceSearch()) { out.append($0) }
        return out
    }

    @Test func aFileIngestedAgainAfterAFlushIsStoredOnce() throws {
        let spans = (0..<5).flatMap { TraceFixture.spans(trace: 40 + UInt64($0), spans: 7, start: 1_574_079_545_000_000 + Int64($0) * 9_000_000) }
        let dir = TemporaryDirectory()
        let store = try Self.store(dir)
        try store.append(events: Self.events(spans))
        #expect(try store.flush(closingOpenSpans: true) == spans.count)
        try store.append(events: Self.events(spans))
        // Before the flush the resends sit in the head; a lookup shows each span once.
        for base in Set(spans.map(\.baseID)) {
            #expect(try store.trace(base).count == spans.filter { $0.baseID == base }.count)
        }
        // Scans (searches, statistics) leave them out too.
        #expect(try Self.storedSpans(store).count == spans.count)
        #expect(try store.flush(closingOpenSpans: true) == 0)
        #expect(store.duplicatesIgnored == 2 * spans.count, "a start and a stop per span")
        #expect(store.spansWritten == spans.count)
        let stored = try Self.storedSpans(store)
        #expect(stored.count == spans.count)
        #expect(Set(stored.map(\.traceID)) == Set(spans.map(\.traceID)))
        #expect(stored.allSatisfy { $0.status.isEmpty })
    }

    @Test func twoCopiesInOneHeadAreStoredOnce() throws {
        let spans = TraceFixture.spans(trace: 51, spans: 9, error: true)
        let dir = TemporaryDirectory()
        let store = try Self.store(dir)
        let events = Self.events(spans)
        try store.append(events: events + events)
        #expect(try Self.storedSpans(store).count == spans.count)
        #expect(try store.flush(closingOpenSpans: true) == spans.count)
        #expect(store.duplicatesIgnored == 2 * spans.count)
        let got = try store.trace(spans[0].baseID)
        #expect(got.count == spans.count)
        #expect(got.filter(\.isError).count == spans.filter(\.isError).count)
    }

    @Test func newSpansOfAKnownTraceAreKept() throws {
        // The second delivery repeats the first four spans and brings three more of the same trace.
        let spans = TraceFixture.spans(trace: 52, spans: 7)
        let dir = TemporaryDirectory()
        let store = try Self.store(dir)
        try store.append(events: Self.events(Array(spans.prefix(4))))
        try store.flush(closingOpenSpans: true)
        try store.append(events: Self.events(spans))
        #expect(try store.flush(closingOpenSpans: true) == 3)
        let got = try store.trace(spans[0].baseID)
        #expect(got.count == spans.count)
        #expect(Set(got.map(\.traceID)) == Set(spans.map(\.traceID)))
        #expect(try Self.storedSpans(store).count == spans.count)
    }

    @Test func aStartResentAloneAddsNoIncompleteSpan() throws {
        let spans = TraceFixture.spans(trace: 53, spans: 5)
        let dir = TemporaryDirectory()
        let store = try Self.store(dir)
        let events = Self.events(spans)
        try store.append(events: events)
        try store.flush(closingOpenSpans: true)
        // Only the starts again: at the end of ingest they would be incomplete spans.
        try store.append(events: events.filter { $0.kind == .start })
        #expect(try store.flush(closingOpenSpans: true) == 0)
        #expect(store.duplicatesIgnored == spans.count, "one event per span")
        let got = try store.trace(spans[0].baseID)
        #expect(got.count == spans.count && got.allSatisfy { $0.status.isEmpty })
    }

    @Test func wholeSpansAppendedAgainAreStoredOnce() throws {
        let spans = TraceFixture.spans(trace: 56, spans: 8, error: true)
        let dir = TemporaryDirectory()
        let store = try Self.store(dir)
        try store.append(spans: spans)
        try store.flush()
        try store.append(spans: spans + spans)
        #expect(try store.flush() == 0)
        #expect(store.duplicatesIgnored == 2 * spans.count, "each whole span counts one")
        #expect(try store.trace(spans[0].baseID).sorted { $0.traceID < $1.traceID } == spans.sorted { $0.traceID < $1.traceID })
    }

    @Test func aDifferentSpanWithTheSameTraceIDIsKept() throws {
        // Same trace_id, another start: not a resend (a buggy emitter, or a real collision).
        let spans = TraceFixture.spans(trace: 54, spans: 3)
        var other = spans[2]
        other.start += 1_000
        let dir = TemporaryDirectory()
        let store = try Self.store(dir)
        try store.append(events: Self.events(spans))
        try store.flush(closingOpenSpans: true)
        try store.append(events: Self.events([other]))
        #expect(try store.flush(closingOpenSpans: true) == 1)
        #expect(try store.trace(spans[0].baseID).count == spans.count + 1)
        #expect(store.duplicatesIgnored == 0)
    }

    @Test func resendsReplayedFromTheWALAreDroppedAtTheFlush() throws {
        let spans = TraceFixture.spans(trace: 55, spans: 6)
        let dir = TemporaryDirectory()
        do {
            let store = try Self.store(dir, wal: true)
            try store.append(events: Self.events(spans))
            try store.flush(closingOpenSpans: true)
            try store.append(events: Self.events(spans))  // logged, still in the head
        }
        let reopened = try Self.store(dir, wal: true)
        #expect(try reopened.trace(spans[0].baseID).count == spans.count)
        #expect(try reopened.flush(closingOpenSpans: true) == 0)
        #expect(try Self.storedSpans(reopened).count == spans.count)
    }

    @Test func aTraceSplitByFlushesCountsOnce() throws {
        // The keystone call ends before glance's spans start, so the second part of the trace
        // begins after the first segment's time range; the third part overlaps the second.
        let spans = TraceFixture.spans(trace: 57, spans: 6)
        let dir = TemporaryDirectory()
        let store = try Self.store(dir)
        try store.append(events: Self.events([spans[0]]))
        try store.flush()
        let rest = Self.events(Array(spans[1...]))
        let glanceStop = try #require(rest.firstIndex { $0.kind == .stop && $0.span.traceID == spans[1].traceID })
        var early = rest
        early.remove(at: glanceStop)
        try store.append(events: early)
        #expect(try store.stats().traces == 1, "head spans of a trace a segment holds")
        try store.flush()  // glance's start still waits for its stop
        try store.append(events: [rest[glanceStop]])
        #expect(try store.stats().traces == 1, "head spans of a trace a segment holds")
        try store.flush()
        let stats = try store.stats()
        #expect(stats.segments == 3)
        #expect(stats.spans == spans.count)
        #expect(stats.traces == 1)
        #expect(try store.trace(spans[0].baseID).count == spans.count)
        // Another trace alongside is counted too.
        try store.append(events: Self.events(TraceFixture.spans(trace: 58, spans: 3)))
        try store.flush()
        #expect(try store.stats().traces == 2)
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func eventsStoredAloneAreCompletedByTheirPartnersLater(reopen: Bool, stopsFirst: Bool) throws {
        // An earlier ingest ended (or the open-span timeout passed) before the other half came.
        let spans = TraceFixture.spans(trace: 59, spans: 6, error: true)
        let events = Self.events(spans)
        let first: SpanEvent.Kind = stopsFirst ? .stop : .start
        let dir = TemporaryDirectory()
        var store = try Self.store(dir, wal: true)
        try store.append(events: events.filter { $0.kind == first })
        try store.flush(closingOpenSpans: true)
        #expect(try store.trace(spans[0].baseID).allSatisfy { $0.status == (stopsFirst ? .missingStart : .incomplete) })
        try store.append(events: events.filter { $0.kind != first })
        if reopen {
            try store.close()
            store = try Self.store(dir, wal: true)  // the WAL replays the revived starts and the stops
        }
        func check(_ when: Comment) throws {
            let got = try store.trace(spans[0].baseID).sorted { $0.traceID < $1.traceID }
            let want = spans.sorted { $0.traceID < $1.traceID }
            #expect(got.count == want.count, when)
            #expect(got.map(\.duration) == want.map(\.duration), when)
            #expect(got.map(\.status) == want.map(\.status), when)
            #expect(got.map(\.info.requestPath) == want.map(\.info.requestPath), when)
            #expect(got.map(\.info.errorMessage) == want.map(\.info.errorMessage), when)
        }
        // A stop pairs on arrival; a start waits for the flush to find its stop.
        if !stopsFirst {
            try check("before the flush")
            #expect(try Self.storedSpans(store).count == spans.count, "before the flush")
        }
        #expect(try store.flush(closingOpenSpans: true) == spans.count)
        try check("after the flush")
        // The incomplete copies stay in the first segment but are left out of scans and counts.
        let scanned = try Self.storedSpans(store)
        #expect(scanned.count == spans.count && scanned.allSatisfy { $0.status.isDisjoint(with: [.incomplete, .missingStart]) })
        let stats = try store.stats()
        #expect(stats.spans == spans.count && stats.traces == 1 && stats.segments == 2)
        // The stops once more: resends of the whole spans now.
        try store.append(events: events.filter { $0.kind == .stop })
        #expect(try store.flush(closingOpenSpans: true) == 0)
        try check("after the stops were resent")
    }

    /// `spacing`: between trace starts; at 4 minutes, plain flushes also expire events older than
    /// the 10-minute open-span timeout, so halves are stored alone mid-stream.
    @Test(arguments: [4_000_000, 240_000_000] as [Int64])
    func anyDeliveryStoresWhatOneCleanIngestStores(spacing: Int64) throws {
        // Events shuffled, cut into batches, some batches delivered again later, flushes (some
        // closing open spans) at random points, a reopen now and then: the store must end as
        // one clean ingest of the same events ends, in lookups, scans and counts.
        var spans: [Span] = []
        for n in 0..<8 {
            let start: Int64 = 1_574_079_545_000_000 + Int64(n) * spacing
            spans += TraceFixture.spans(trace: 70 + UInt64(n), spans: 3 + n % 4, start: start, error: n % 3 == 0)
        }
        let events = Self.events(spans)
        let bases = Set(spans.map(\.baseID))
        let reference = TemporaryDirectory()
        let clean = try Self.store(reference)
        try clean.append(events: events)
        try clean.flush(closingOpenSpans: true)
        func view(_ store: TraceStore) throws -> [[Span]] {
            try bases.sorted().map { try store.trace($0).sorted { $0.traceID < $1.traceID } }
        }
        let want = try view(clean)
        #expect(want.map(\.count).reduce(0, +) == spans.count)
        for seed in UInt64(1)...64 {
            var rng = PackedHeadTests.Mix(state: seed)
            var order = events
            order.shuffle(using: &rng)
            var batches: [[SpanEvent]] = []
            var i = 0
            while i < order.count {
                let n = Int.random(in: 1...12, using: &rng)
                batches.append(Array(order[i..<min(order.count, i + n)]))
                i += n
            }
            // Resends: some batches again, later on.
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                let b = batches[Int.random(in: 0..<batches.count, using: &rng)]
                batches.insert(b, at: Int.random(in: 0...batches.count, using: &rng))
            }
            let dir = TemporaryDirectory()
            var store = try Self.store(dir, wal: true)
            for b in batches {
                try store.append(events: b)
                switch Int.random(in: 0..<10, using: &rng) {
                case 0: try store.flush(closingOpenSpans: true)
                case 1: try store.flush()
                case 2:
                    try store.close()
                    store = try Self.store(dir, wal: true)
                default: break
                }
            }
            try store.flush(closingOpenSpans: true)
            let got = try view(store)
            #expect(got == want, "seed \(seed)")
            #expect(try Self.storedSpans(store).count == spans.count, "seed \(seed)")
            let stats = try store.stats()
            #expect(stats.spans == spans.count && stats.traces == bases.count, "seed \(seed): \(stats.spans) spans, \(stats.traces) traces")
            // A compaction merges the segments (parts stored alone, completions and split
            // traces included) and every answer stays the same, after reopening too.
            let report = try store.compact()
            #expect(report.segmentsAfter == (stats.segments > 1 ? 1 : stats.segments), "seed \(seed): \(report)")
            for round in ["after compaction", "after compaction and reopening"] {
                if round.hasSuffix("reopening") {
                    try store.close()
                    store = try Self.store(dir, wal: true)
                }
                #expect(try view(store) == want, "seed \(seed), \(round)")
                #expect(try Self.storedSpans(store).count == spans.count, "seed \(seed), \(round)")
                let after = try store.stats()
                #expect(after.spans == spans.count && after.traces == bases.count, "seed \(seed), \(round): \(after.spans) spans, \(after.traces) traces")
                #expect(store.verify().isEmpty, "seed \(seed), \(round)")
            }
        }
    }

    @Test(arguments: [false, true])
    func skewedHalvesPairAcrossIngestsAsInOne(stopsFirst: Bool) throws {
        // A stop stamped before its start (clock skew between hosts): one ingest pairs it as a
        // flagged stopBeforeStart span; halves in separate ingests must end the same.
        var spans = TraceFixture.spans(trace: 61, spans: 4)
        spans[3].duration = -40_000
        let events = Self.events(spans)
        let reference = TemporaryDirectory()
        let clean = try Self.store(reference)
        try clean.append(events: events)
        try clean.flush(closingOpenSpans: true)
        let want = try clean.trace(spans[0].baseID)
        #expect(want.filter { $0.status.contains(.stopBeforeStart) }.count == 1)
        let dir = TemporaryDirectory()
        let store = try Self.store(dir)
        let first: SpanEvent.Kind = stopsFirst ? .stop : .start
        try store.append(events: events.filter { $0.kind == first })
        try store.flush(closingOpenSpans: true)
        try store.append(events: events.filter { $0.kind != first })
        try store.flush(closingOpenSpans: true)
        #expect(try store.trace(spans[0].baseID) == want)
        #expect(try Self.storedSpans(store).count == spans.count)
    }

    @Test func headSpansHideStoredPartsWhateverTheQuery() throws {
        // The glance span (an error) was stored as its start alone; its stop completes it in the
        // head. A query the completed span does not match (error=false, short durations) must
        // not bring back the stored incomplete copy, before or after the flush.
        let spans = TraceFixture.spans(trace: 62, spans: 5, error: true)
        let events = Self.events(spans)
        let dir = TemporaryDirectory()
        let store = try Self.store(dir)
        try store.append(events: events.filter { $0.kind == .start })
        try store.flush(closingOpenSpans: true)
        try store.append(events: events.filter { $0.kind == .stop })
        let queries = [TraceSearch(error: false), TraceSearch(error: true), TraceSearch(maxDuration: 100_000), TraceSearch()]
        func scan(_ q: TraceSearch) throws -> [TraceID] {
            var ids: [TraceID] = []
            try store.forEachMatchingSpan(q) {
                #expect(!$0.status.contains(.incomplete), "\($0.name) \($0.traceID)")
                ids.append($0.traceID)
            }
            return ids.sorted()
        }
        let before = try queries.map(scan)
        try store.flush(closingOpenSpans: true)
        let after = try queries.map(scan)
        #expect(before == after)
        #expect(after[3].count == spans.count)
        #expect(after[0].count + after[1].count == spans.count)
    }

    @Test func segmentsListWhatTheyCompleteInVersion2AndStayVersion1Otherwise() throws {
        var table = SpanTable()
        for n in 0..<3 { for s in TraceFixture.spans(trace: 80 + UInt64(n), spans: 3) { table.append(s, event: 0) } }
        let sorted = TraceSegmentWriter.sortedRows(table, Array(table.spans.indices))
        let ids = [table.spans[sorted[4]].trace, table.spans[sorted[1]].trace, table.spans[sorted[1]].trace]
        let dir = TemporaryDirectory()
        // Older writers: version 1 without a list, 2 with one. Version 3 (what is written now)
        // always ends its index with the list, empty or not.
        let plain = TraceSegmentWriter.encode(table, sorted, version: 1).bytes
        let listed = TraceSegmentWriter.encode(table, sorted, completed: ids, version: 1).bytes
        let current = TraceSegmentWriter.encode(table, sorted, completed: ids).bytes
        #expect(plain[4] == 1 && listed[4] == 2 && current[4] == 3)
        try SystemFileSystem().put(plain, at: dir.child("a.spans"))
        try SystemFileSystem().put(listed, at: dir.child("b.spans"))
        try SystemFileSystem().put(current, at: dir.child("c.spans"))
        let a = try TraceSegmentReader(path: dir.child("a.spans"), fs: SystemFileSystem())
        let b = try TraceSegmentReader(path: dir.child("b.spans"), fs: SystemFileSystem())
        let c = try TraceSegmentReader(path: dir.child("c.spans"), fs: SystemFileSystem())
        #expect(try a.completed.isEmpty)
        for r in [b, c] {
            #expect(try r.completed == Array(Set(ids)).sorted())  // deduplicated, ascending
            #expect(try r.completes(ids[0]) && r.completes(ids[1]) && !r.completes(table.spans[sorted[0]].trace))
            #expect(try r.spanCount == a.spanCount && r.traceCount == a.traceCount)
        }
    }

    @Test func segmentMetadataRoundTripsAndReadsOlderEntries() {
        let m = SegmentMetadata(traces: 300, newTraces: 298)
        #expect(SegmentMetadata(decoding: m.encoded()) == m)
        // Entries of earlier versions: [traces] alone.
        #expect(SegmentMetadata(decoding: [0xAC, 0x02]) == SegmentMetadata(traces: 300, newTraces: 300))
        // Cut or odd bytes decode to what could be read, without trapping.
        #expect(SegmentMetadata(decoding: [0xAC]) == SegmentMetadata(traces: 0, newTraces: 0))
        #expect(SegmentMetadata(decoding: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x05]).newTraces == 5)
        #expect(SegmentMetadata(decoding: []) == SegmentMetadata(traces: 0, newTraces: 0))
    }

    @Test func wholeSpansArePreferredToTheirParts() {
        let t = TraceFixture.id(7, 3)
        let whole = SpanStamp(trace: t, start: 100, duration: 50, status: 0)
        let start = SpanStamp(trace: t, start: 100, duration: 0, status: SpanStatus.incomplete.rawValue)
        let stop = SpanStamp(trace: t, start: 150, duration: 0, status: SpanStatus.missingStart.rawValue)
        let other = SpanStamp(trace: TraceFixture.id(8, 3), start: 100, duration: 0, status: SpanStatus.incomplete.rawValue)
        // The parts come first in delivery order; the whole span is kept, the parts dropped.
        #expect(SpanStamp.resends([start, stop, whole, whole, other]) == [true, true, false, true, false])
        // A part is not dropped because of another part, nor a whole span because of a part.
        #expect(SpanStamp.resends([start, stop]) == [false, false])
        #expect(SpanStamp.resends([whole], known: [start, stop]) == [false])
        // Against what a segment holds.
        #expect(SpanStamp.resends([start, other], known: [whole]) == [true, false])
        // A whole span with another end is a different span.
        var longer = whole
        longer.duration += 1
        #expect(SpanStamp.resends([longer], known: [whole]) == [false])
    }
}

/// A trace compaction step that fails at a write (a full disk, a failed rename of the output or
/// of the manifest) leaves the store as it was.
@Suite struct TraceCompactionFaultTests {
    @Test(arguments: [
        (FaultInjectingFileSystem.Operation.write, ENOSPC, 0), (.rename, EIO, 0), (.write, ENOSPC, 1), (.rename, EIO, 1),
    ])
    func aFailedStepLeavesTheStoreAsItWas(operation: FaultInjectingFileSystem.Operation, errno: Int32, skipping: Int) throws {
        let dir = TemporaryDirectory()
        let fs = FaultInjectingFileSystem()
        var options = TraceStoreOptions()
        options.durability = .none
        let store = try TraceStore(directory: dir.path, options: options, fileSystem: fs)
        var bases: [TraceID] = []
        for n in 0..<4 {
            let spans = TraceFixture.spans(trace: 300 + UInt64(n), spans: 5, start: 1_574_079_545_000_000 + Int64(n) * 60_000_000)
            bases.append(spans[0].baseID)
            try store.append(spans: spans)
            try store.flush()
        }
        func view(_ s: TraceStore) throws -> [[Span]] { try bases.map { try s.trace($0) } }
        let before = try view(store)
        fs.inject(operation, skipping: skipping, errno: errno)
        do {
            try store.compact()
            Issue.record("the injected \(operation) failure was not reported")
        } catch {
            #expect(error.storageError != nil)
            if errno == ENOSPC { #expect(error.description.contains("needed"), "\(error)") }
        }
        #expect(try view(store) == before)
        #expect(try store.stats().segments == 4)
        let reopened = try TraceStore(directory: dir.path, options: options)
        #expect(try view(reopened) == before)
        #expect(reopened.verify().isEmpty)
        #expect(try reopened.compact().segmentsAfter == 1)
        #expect(try view(reopened) == before)
    }
}
