import StrataEncoding
import StrataStorage
import Synchronization

/// The trace store: osprofiler spans, durable, keyed by base_id.
///
/// Events arrive through `append(events:)` (starts and stops in any order) or whole spans
/// through `append(spans:)`; both are logged to the WAL first. The head pairs events
/// (`SpanAssembler`) and keeps completed spans; `flush()` writes them to an immutable span
/// segment sorted by (base_id, parent_id, start) and publishes it in the manifest.
///
/// ```swift
/// let store = try TraceStore(directory: "/var/lib/strata/traces")
/// try store.append(events: events)            // acknowledged: in the WAL on disk
/// let spans = try store.trace(baseID)         // head and segments
/// var slow = TraceSearch(service: "glance")
/// slow.minElapsed = .seconds(2)
/// let found = try store.search(slow)
/// ```
///
/// Safe to use from many tasks; appends are serialised. The caller owns exclusive access to
/// the directory (see `Database`, which holds the lock).
public final class TraceStore: Sendable {
    /// The store's directory name inside a database.
    public static let directoryName = "traces"
    /// Extension of span segment files (`000001.spans`).
    public static let segmentExtension = "spans"
    /// The manifest `kind` of a span segment.
    public static let segmentKind: UInt8 = 3

    public let directory: String
    public let options: TraceStoreOptions
    let fs: any FileSystem
    let segments: SegmentSet
    let state: Mutex<State>
    /// Open segment readers (their decoded indexes), within `options.readerCacheBytes`.
    let readers: DecodedCache
    /// Held by `compact()`: one compaction at a time.
    let compacting = Mutex(())
    /// The readers of one generation's span segments in manifest order (a lookup visits them
    /// all), kept only while they fit `readers`' budget together, so it never pins more.
    let generationReaders = Mutex<(generation: UInt64, readers: [TraceSegmentReader])?>(nil)
    /// The base_ids the manifest's tombstones hide, for one generation (see `deletedBases`).
    let deletedCache = Mutex<(generation: UInt64, bases: Set<TraceID>)?>(nil)

    struct State: ~Copyable {
        var head = SpanHead()
        var wal: WriteAheadLog?
        var failure: StorageError?
        var recovery: [String] = []
        /// The latest event time seen, µs (the clock of the open-span timeout).
        var latest: Int64 = .min
        /// Spans written to segments, and events of spans left out of them as resends, since the store was opened.
        var spansWritten = 0
        var resentSpans = 0
    }

    /// Opens (or creates) the store: reads the manifest, removes unpublished files, recovers
    /// the WAL (truncating a torn tail) and replays it into the head.
    /// - Throws: `TraceStoreError.storage` when a file cannot be read or the manifest is corrupt.
    public init(
        directory: String, options: TraceStoreOptions = TraceStoreOptions(), fileSystem: any FileSystem = SystemFileSystem()
    ) throws(TraceStoreError) {
        self.directory = directory
        self.options = options
        self.fs = fileSystem
        readers = DecodedCache(budget: options.readerCacheBytes)
        var head = SpanHead()
        var latest = Int64.min
        let opened = try TraceStoreError.catching(at: directory) {
            try StoreWAL.openStore(
                directory: directory, fs: fileSystem, readOnly: options.readOnly, durability: options.durability,
                walSegmentSize: options.walSegmentSize
            ) { type, payload in
                guard type == TraceWALRecord.items else { return }
                try TraceWALRecord.decode(payload) { kind, span in
                    latest = max(latest, span.start)
                    let p = head.table.pack(span, event: kind?.rawValue ?? 0)
                    if p.event == 0 { head.table.spans.append(p) } else { head.add(p) }
                }
            }
        }
        segments = opened.segments
        var st = State()
        st.head = head
        st.latest = latest
        if let report = opened.wal.recovery { st.recovery.append(report) }
        st.wal = opened.wal.wal
        state = Mutex(st)
        // Damaged tombstones are reported when the store opens, not at the first query.
        let snapshot = segments.snapshot()
        defer { snapshot.release() }
        do throws(StorageError) { _ = try deletedBases(snapshot) } catch { throw TraceStoreError.storage(error) }
    }

    /// What WAL recovery repaired when the store was opened (one line per problem).
    public var recoveryReport: [String] { state.withLock { $0.recovery } }

    // MARK: Writing

    /// Appends osprofiler events; returns once they are durable per `options.durability`.
    public func append(events: [SpanEvent]) throws(TraceStoreError) {
        var batch = SpanEventBatch()
        for e in events { batch.append(e) }
        try append(batch)
    }

    /// Appends whole spans (already paired); returns once they are durable.
    public func append(spans: [Span]) throws(TraceStoreError) {
        var batch = SpanEventBatch()
        for s in spans { batch.append(span: s) }
        try append(batch)
    }

    /// Appends parsed events (and whole spans) in one WAL record; returns once they are
    /// durable per `options.durability`. The fast path of `strata ingest`.
    ///
    /// A stop whose span a segment already holds is a resend and is dropped. A stop whose start
    /// a segment holds alone (an incomplete span: it timed out, or an earlier ingest ended
    /// first) takes that start back and completes the span; the incomplete copy is then left
    /// out of searches and counts (`TraceSegmentReader.completed`).
    public func append(_ batch: SpanEventBatch) throws(TraceStoreError) {
        try TraceStoreError.catching(at: directory) {
            if options.readOnly { throw TraceStoreError.readOnly }
            guard !batch.isEmpty else { return }
            let rows = batch.table.spans
            let full = try state.withLock { st throws -> Bool in
                // A stop with no start waiting (here or earlier in the batch) whose span a segment
                // already holds is a resend: dropped before it is logged, so replay agrees. One whose
                // start a segment holds as an incomplete span (it timed out, or an earlier ingest
                // ended before the stop came) gets that start back, logged first, to pair with.
                var dropped = Set<Int>()
                var revived = SpanEventBatch()
                var probe: SegmentProbe? = nil
                defer { probe?.release() }
                var startsInBatch = TraceIDMap<Bool>()
                var latest = st.latest
                var unmatched: [Int] = []
                for (i, e) in rows.enumerated() {
                    latest = max(latest, e.start)
                    if e.event == 1 {
                        startsInBatch.insert(e.trace, true)
                        continue
                    }
                    guard e.event == 2, !startsInBatch.contains(e.trace), st.head.isUnmatchedStop(trace: e.trace, time: e.start)
                    else { continue }
                    unmatched.append(i)
                }
                // Asked in base_id order, as segments store traces: neighbours share a block.
                unmatched.sort { (rows[$0].base, rows[$0].trace, $0) < (rows[$1].base, rows[$1].trace, $1) }
                var revivedTraces = Set<TraceID>()
                for i in unmatched {
                    let e = rows[i]
                    if revivedTraces.contains(e.trace) { continue }  // its start is back: this stop pairs or repeats
                    if probe == nil { probe = self.probe(of: segments.snapshot(), withText: true, owning: true) }
                    switch try storedSpan(base: e.base, trace: e.trace, end: e.start, in: &probe!) {
                    case .whole?:
                        dropped.insert(i)
                    case .startAlone(var start)?:
                        start.status = .incomplete
                        start.duration = 0
                        revived.append(SpanEvent(kind: .start, span: start))
                        revivedTraces.insert(e.trace)
                    case nil:
                        break
                    }
                }
                if !revived.isEmpty {
                    try log(&st) { w in TraceWALRecord.encode(revived.table, skipping: [], into: &w) }
                    st.head.add(batch: revived.table)
                }
                try log(&st) { w in TraceWALRecord.encode(batch.table, skipping: dropped, into: &w) }
                st.head.add(batch: batch.table, skipping: dropped)
                st.latest = latest
                return st.head.completedCount >= options.maxHeadSpans
            }
            if full { try flush() }
        }
    }

    /// What the segments hold of the span that a stop ends.
    enum StoredSpan {
        /// The whole span (same trace_id and end): the stop is a resend.
        case whole
        /// Its start alone, flagged incomplete (with its text, to pair again).
        case startAlone(Span)
    }

    /// What a segment holds of the span a stop of `trace` at `end` ends: the whole span (same
    /// trace_id and end), or its start alone (a span with that trace_id flagged incomplete,
    /// wherever its start lies: a stop before its start pairs as a flagged stopBeforeStart span).
    func storedSpan(base: TraceID, trace: TraceID, end: Int64, in probe: inout SegmentProbe) throws -> StoredSpan? {
        let incomplete = SpanStatus.incomplete.rawValue, missingStart = SpanStatus.missingStart.rawValue
        var start: Span? = nil
        for (s, e) in probe.entries.enumerated() where e.minTime <= end &+ probe.slack {
            guard let (c, t) = try probe.trace(base, inSegment: s) else { continue }
            for k in c.traceFirst[t]..<c.traceFirst[t + 1] where c.traceID(k) == trace {
                if c.starts[k] &+ c.durations[k] == end && c.status[k] & missingStart == 0 { return .whole }
                if c.status[k] & incomplete != 0 {
                    let path = try probe.reader(s).path
                    start = try wrap(path) { () throws(FormatError) in try c.span(k, trace: t) }
                }
            }
        }
        return start.map { .startAlone($0) }
    }

    /// The stop a segment holds alone (a span flagged missingStart) for a start of `trace` at
    /// `start`: same trace_id. Only asked for starts that found no stop by a flush.
    func storedStop(base: TraceID, trace: TraceID, start: Int64, in probe: inout SegmentProbe) throws -> Span? {
        let missingStart = SpanStatus.missingStart.rawValue
        for (s, e) in probe.entries.enumerated() where e.maxTime >= start &- probe.slack {
            guard let (c, t) = try probe.trace(base, inSegment: s) else { continue }
            for k in c.traceFirst[t]..<c.traceFirst[t + 1] where c.traceID(k) == trace && c.status[k] & missingStart != 0 {
                return try wrap(try probe.reader(s).path) { () throws(FormatError) in try c.span(k, trace: t) }
            }
        }
        return nil
    }

    /// Resent events ignored since the store was opened (replay included): those recognised on
    /// arrival (a start or stop equal to one waiting, a stop whose span is already known) and
    /// those of spans left out at a flush because the head or a segment already held them (see
    /// `flush`; a span paired from a start and a stop counts two, a whole span appended with
    /// `append(spans:)` one).
    public var duplicatesIgnored: Int { state.withLock { $0.head.duplicatesIgnored + $0.resentSpans } }

    /// Spans written to segments by `flush` since the store was opened (resends left out).
    public var spansWritten: Int { state.withLock { $0.spansWritten } }

    /// Writes one WAL record and makes it durable per the options; a failure makes the store read-only.
    private func log(_ st: inout State, _ encode: (inout ByteWriter) -> Void) throws {
        if let f = st.failure { throw TraceStoreError.failed(f) }
        guard let wal = st.wal, options.durability != .none else { return }
        do throws(StorageError) {
            try options.durability.log(to: wal, failure: &st.failure) { wal throws(StorageError) in
                try wal.append(type: TraceWALRecord.items, encoding: encode)
            }
        } catch {
            throw TraceStoreError.failed(error)
        }
    }

    /// Writes the head's completed spans to a new segment and publishes it.
    ///
    /// A span that repeats one the store already holds (same trace_id, times and flags, or a
    /// part of it: a start alone, a stop alone; see `SpanStamp`) is left out, so ingesting a file
    /// twice stores its spans once; `duplicatesIgnored` counts it. A start about to be flagged incomplete whose stop a
    /// segment holds alone is paired with it instead.
    ///
    /// Events waiting for their partner longer than `openSpanTimeout` (in event time) become
    /// flagged spans first; with `closingOpenSpans`, every waiting event does (the end of an
    /// ingest). Events still waiting are restated in the WAL checkpoint.
    /// - Returns: the number of spans written.
    @discardableResult
    public func flush(closingOpenSpans: Bool = false) throws(TraceStoreError) -> Int {
        try TraceStoreError.catching(at: directory) {
            if options.readOnly { throw TraceStoreError.readOnly }
            return try state.withLock { st throws -> Int in
                if let f = st.failure { throw TraceStoreError.failed(f) }
                let beforeExpiry = st.head.table.spans.count
                if closingOpenSpans {
                    st.head.expire(before: .max)
                } else if st.latest > Int64.min + options.openSpanTimeout {
                    st.head.expire(before: st.latest - options.openSpanTimeout)
                }
                // A start that found no stop here may find it stored alone in a segment (an earlier
                // ingest brought the stops first): the two make the whole span.
                let snapshot = segments.snapshot()
                defer { snapshot.release() }
                var probe = self.probe(of: snapshot, withText: true)
                let expired = (beforeExpiry..<st.head.table.spans.count).filter {
                    st.head.table.spans[$0].status & SpanStatus.incomplete.rawValue != 0
                }.sorted { st.head.table.spans[$0].base < st.head.table.spans[$1].base }  // neighbours share blocks
                for row in expired {
                    let p = st.head.table.spans[row]
                    guard let stop = try storedStop(base: p.base, trace: p.trace, start: p.start, in: &probe) else { continue }
                    var stopEvent = stop
                    stopEvent.status = .missingStart
                    stopEvent.duration = 0
                    let packed = st.head.table.pack(stopEvent, event: 2)
                    // Not marked paired: one event (the start) came through this head.
                    st.head.table.spans[row] = st.head.merge(start: p, stop: packed)
                }
                // Spans the store already holds (a file ingested again, a retried batch) are left out.
                var stamps = self.probe(of: snapshot, withText: false)
                let (rows, dropped, continued, completing) = try TraceStore.rowsToWrite(st.head.table, probe: &stamps)
                let written = rows.count
                var added: [SegmentEntry] = []
                for part in TraceStore.partition(st.head.table, rows, width: options.segmentRange) {
                    let completed = completing.isEmpty ? [] : part.filter(completing.contains).map { st.head.table.spans[$0].trace }
                    let (bytes, stats) = TraceSegmentWriter.encode(
                        st.head.table, part, blockSpans: options.blockSpans, completed: completed)
                    let name = segments.nextSegmentName(ext: TraceStore.segmentExtension)
                    try AtomicFile.write(bytes, to: segments.path(of: name), fs: fs)
                    // Traces that no earlier segment holds part of (`stats()` adds these up).
                    var newTraces = stats.traceCount
                    if !continued.isEmpty {
                        var last: TraceID? = nil
                        for r in part where st.head.table.spans[r].base != last {
                            last = st.head.table.spans[r].base
                            if continued.contains(st.head.table.spans[r].base) { newTraces -= 1 }
                        }
                    }
                    let meta = SegmentMetadata(traces: stats.traceCount, newTraces: newTraces).encoded()
                    added.append(
                        SegmentEntry(
                            name: name, kind: TraceStore.segmentKind, level: 0, minTime: stats.minStart,
                            maxTime: max(stats.minStart, stats.maxEnd), sizeBytes: UInt64(bytes.count),
                            recordCount: UInt64(stats.spanCount), metadata: meta))
                }
                var walStart: Int? = nil
                if let wal = st.wal {
                    walStart = Int(try wal.cut())
                    let pending = st.head.pending.allValues.sorted { $0.trace < $1.trace }
                    var i = 0
                    while i < pending.count {
                        let chunk = pending[i..<min(pending.count, i + 4096)]
                        try wal.append(type: TraceWALRecord.items) { w in TraceWALRecord.encode(st.head.table, rows: chunk, into: &w) }
                        i += 4096
                    }
                    try wal.sync()
                }
                if !added.isEmpty || walStart != nil {
                    try segments.publish(adding: added, removing: [], walStart: walStart)
                }
                st.resentSpans += dropped
                st.spansWritten += written
                st.head.restart()
                if let wal = st.wal, let walStart { try wal.removeSegments(before: UInt32(walStart)) }
                return written
            }
        }
    }

    /// `sorted` (rows of `table` in `TraceSegmentWriter.sortedRows` order) split by the time
    /// window (`width` µs, aligned) of their trace's earliest start in this batch, so a
    /// trace is never cut by the partitioning. Windows in ascending order.
    static func partition(_ table: SpanTable, _ sorted: [Int], width: Int64) -> [[Int]] {
        guard !sorted.isEmpty else { return [] }
        var members: [Int64: [Int]] = [:]
        var i = 0
        while i < sorted.count {
            let base = table.spans[sorted[i]].base
            var j = i
            var t = Int64.max
            while j < sorted.count && table.spans[sorted[j]].base == base {
                t = min(t, table.spans[sorted[j]].start)
                j += 1
            }
            let window = t >= 0 ? t / width : (t - width + 1) / width
            members[window, default: []].append(contentsOf: sorted[i..<j])
            i = j
        }
        if members.count == 1 { return [sorted] }
        return members.keys.sorted().map { members[$0] ?? [] }
    }

    /// Makes every append acknowledged so far durable: writes the WAL's buffer and fsyncs it. With
    /// `durability: .buffered`, a server calls it once for many appends (group commit) and
    /// acknowledges them after it returns. A failure leaves the store refusing writes, as a failed
    /// fsync inside an append does. A no-op without a WAL.
    public func syncWAL() throws(TraceStoreError) {
        try TraceStoreError.catching(at: directory) {
            if options.readOnly { return }
            let file = try state.withLock { st throws -> OpenFile? in
                if let f = st.failure { throw f }
                do throws(StorageError) { return try st.wal?.flushForDetachedSync() } catch {
                    st.failure = error
                    throw error
                }
            }
            guard let file else { return }
            defer { fs.close(file) }
            do throws(StorageError) { try fs.fsync(file) } catch {
                state.withLock { $0.failure = error }
                throw error
            }
        }
    }

    /// Flushes when there is no WAL (closing open spans); with a WAL, makes it durable.
    public func close() throws(TraceStoreError) {
        try TraceStoreError.catching(at: directory) {
            if options.readOnly { return }
            if options.durability == .none {
                try flush(closingOpenSpans: true)
            } else {
                try state.withLock { st throws in try st.wal?.sync() }
            }
        }
    }

    // MARK: Segment readers

    /// The readers of `snapshot`'s span segments, in its order.
    func readers(of snapshot: SegmentSnapshot) throws(StorageError) -> [TraceSegmentReader] {
        if let cached = generationReaders.withLock({ $0 }), cached.generation == snapshot.generation { return cached.readers }
        var list: [TraceSegmentReader] = []
        var bytes = 0
        for e in snapshot.entries where e.kind == TraceStore.segmentKind {
            let r = try reader(for: e.name)
            list.append(r)
            bytes += r.decodedBytes
        }
        let keep = bytes <= readers.budget
        generationReaders.withLock { $0 = keep ? (snapshot.generation, list) : nil }
        return list
    }

    /// The reader of a published segment, opened once and kept in `readers` while the budget allows.
    func reader(for name: String) throws(StorageError) -> TraceSegmentReader {
        let key = DecodedCache.Key(path: segments.path(of: name), section: 0)
        if let r = readers.cached(key, as: TraceSegmentReader.self) { return r }
        let r: TraceSegmentReader
        do {
            r = try TraceSegmentReader(path: segments.path(of: name), fs: fs)
        } catch {
            if error.isNotFound && options.readOnly {
                // Another process compacted the segment away after this reader opened the store.
                throw StorageError.invalidState(
                    path: segments.path(of: name),
                    detail: "the segment was merged away by a compaction after this reader opened the database; open it again")
            }
            throw error
        }
        // Only segments still live are kept: a query on an older snapshot must not pin a segment
        // that a compaction retired.
        if segments.entries.contains(where: { $0.name == name }) { readers.insert(key, r, bytes: r.decodedBytes) }
        return r
    }
}
