import StrataEncoding
import StrataStorage

/// One span segment a retention pass or `applyDeletions` rewrote (or emptied and removed).
public struct TraceSegmentRewrite: Sendable, Equatable {
    public var input: String
    /// The segment written in its place; nil when no span was left (the input is removed) or in a dry run.
    public var output: String?
    public var spansBefore: Int
    public var spansAfter: Int
    public var bytesBefore: Int
    /// The output's bytes (in a dry run: encoded in memory, not written).
    public var bytesAfter: Int
}

extension TraceStore {
    /// What `stats()` counts of the traces `bases` (hidden by tombstones): spans and traces in
    /// the segments of `snapshot`, and in the head `table` as the next flush would write it.
    /// The same arithmetic as `stats()`: a segment's spans are its rows less the parts stored
    /// alone that it completes; a trace counts once in the segments, and in the head when no
    /// segment holds part of it.
    func hiddenCounts(_ bases: Set<TraceID>, _ snapshot: SegmentSnapshot, _ table: SpanTable) throws
        -> (segmentSpans: Int, segmentTraces: Int, headSpans: Int, headTraces: Int)
    {
        guard !bases.isEmpty else { return (0, 0, 0, 0) }
        let sorted = bases.sorted()
        var spans = 0
        var held = Set<TraceID>()
        for r in try readers(of: snapshot) {
            let completed = try r.completed
            var lastBlock: (Int, TraceBlockColumns)? = nil
            for base in sorted {
                guard let b = try r.blockHolding(base) else { continue }
                let c: TraceBlockColumns
                if let (lb, lc) = lastBlock, lb == b { c = lc } else {
                    c = try r.columns(inBlock: b, withText: false)
                    lastBlock = (b, c)
                }
                guard let t = c.trace(base) else { continue }
                held.insert(base)
                for k in c.traceFirst[t]..<c.traceFirst[t + 1] {
                    spans += 1
                    if !completed.isEmpty && TraceSegmentReader.contains(completed, c.traceID(k)) { spans -= 1 }
                }
            }
        }
        var headSpans = 0
        var headBases = Set<TraceID>()
        if table.spans.contains(where: { bases.contains($0.base) }) {
            var probe = probe(of: snapshot, withText: false)
            let w = try TraceStore.rowsToWrite(table, probe: &probe)
            for r in w.rows where bases.contains(table.spans[r].base) {
                headSpans += 1
                if w.completing.contains(r) { spans -= 1 }
                if !w.continued.contains(table.spans[r].base) { headBases.insert(table.spans[r].base) }
            }
        }
        return (spans, held.count, headSpans, headBases.count)
    }

    /// A segment's spans after a rewrite, ready to write.
    struct RewritePlan {
        var entry: SegmentEntry
        var kept: [Span]
        var completed: [TraceID]
        /// The traces of the input, and those the output still holds.
        var inputBases: Set<TraceID>
        var outputBases: Set<TraceID>
        var newTraces: Int
        var bytes: [UInt8] = []
        var stats = TraceSegmentStats()
    }

    /// Every span of the segment `entry`, in file order.
    func allSpans(of entry: SegmentEntry) throws(StorageError) -> (spans: [Span], completed: [TraceID]) {
        let r = try reader(for: entry.name)
        var out: [Span] = []
        out.reserveCapacity(Int(clamping: entry.recordCount))
        for b in 0..<(try r.blocks.count) { out += try r.spans(inBlock: b) }
        return (out, try r.completed)
    }

    /// The plan for `entry` keeping the spans `keep` accepts; nil when it keeps them all. The
    /// output lists the completed trace_ids of the input for which it still holds a whole span.
    func plan(_ entry: SegmentEntry, _ spans: [Span], completed: [TraceID], keep: (Span) -> Bool) -> RewritePlan? {
        let kept = spans.filter(keep)
        guard kept.count < spans.count else { return nil }
        let partial = SpanStamp.partialFlags
        let whole = Set(kept.lazy.filter { $0.status.rawValue & partial == 0 }.map(\.traceID))
        return RewritePlan(
            entry: entry, kept: kept, completed: completed.filter { whole.contains($0) },
            inputBases: Set(spans.map(\.baseID)), outputBases: Set(kept.map(\.baseID)),
            newTraces: SegmentMetadata(decoding: entry.metadata).newTraces)
    }

    /// Sets each plan's `newTraces` so that together they count `gone` fewer traces than the
    /// inputs did (`stats()` adds the numbers up): a trace no segment holds any more is no
    /// longer counted, and one that left a segment but lives on in another stays counted once.
    /// Each is first lowered by the traces that left it for good, then the sum is made exact.
    /// - Returns: what could not be placed because no plan writes an output (traces counted in
    ///   segments the pass empties that live on in segments it does not touch).
    /// `extra` traces more are counted: traces the pass leaves alive that a dropped segment counted.
    static func distributeNewTraces(_ plans: inout [RewritePlan], gone: Set<TraceID>, extra: Int = 0) -> Int {
        guard !plans.isEmpty else { return extra }
        let target = max(0, plans.reduce(0) { $0 + $1.newTraces } - gone.count + extra)
        var assigned = Set<TraceID>()
        for i in plans.indices {
            let left = plans[i].inputBases.subtracting(plans[i].outputBases).intersection(gone).subtracting(assigned)
            assigned.formUnion(left)
            plans[i].newTraces = max(0, min(plans[i].newTraces - left.count, plans[i].outputBases.count))
        }
        var diff = target - plans.reduce(0) { $0 + $1.newTraces }
        // Too few: count them where traces are not counted yet, else on the first output.
        for i in plans.indices where diff > 0 && !plans[i].kept.isEmpty {
            let room = min(diff, max(0, plans[i].outputBases.count - plans[i].newTraces))
            plans[i].newTraces += room
            diff -= room
        }
        if diff > 0, let i = plans.firstIndex(where: { !$0.kept.isEmpty }) {
            plans[i].newTraces += diff
            diff = 0
        }
        // Too many: take them off where counted.
        for i in plans.indices where diff < 0 {
            let take = min(-diff, plans[i].newTraces)
            plans[i].newTraces -= take
            diff += take
        }
        return max(0, diff)
    }

    /// Publishes a copy of segment `entry` (the same bytes under a new name) counting `extra`
    /// more traces in its manifest entry, in place of it: where a retention pass that emptied
    /// the segments counting a trace moves the count to a segment holding the rest of it.
    func recount(_ entry: SegmentEntry, extra: Int) throws(StorageError) {
        let bytes = try fs.readFile(segments.path(of: entry.name))
        let name = segments.nextSegmentName(ext: TraceStore.segmentExtension)
        try AtomicFile.write(bytes, to: segments.path(of: name), fs: fs)
        var meta = SegmentMetadata(decoding: entry.metadata)
        meta.newTraces += extra
        var copy = entry
        copy.name = name
        copy.metadata = meta.encoded()
        try segments.publish(adding: [copy], removing: [entry.name], walStart: nil)
        readers.remove(path: segments.path(of: entry.name))
    }

    /// Encodes every plan's output in memory (what a dry run measures).
    func encode(_ plans: inout [RewritePlan]) {
        for i in plans.indices where !plans[i].kept.isEmpty {
            var table = SpanTable()
            for s in plans[i].kept { table.append(s, event: 0) }
            let rows = TraceSegmentWriter.sortedRows(table, Array(table.spans.indices))
            (plans[i].bytes, plans[i].stats) = TraceSegmentWriter.encode(
                table, rows, blockSpans: options.blockSpans, completed: plans[i].completed.sorted())
        }
    }

    /// Writes each plan's output and publishes it in place of its input (one atomic manifest
    /// write each: a crash leaves the input or the output); an empty output removes the input.
    func publish(_ plans: [RewritePlan]) throws(TraceStoreError) -> [TraceSegmentRewrite] {
        var out: [TraceSegmentRewrite] = []
        for p in plans {
            var done = TraceSegmentRewrite(
                input: p.entry.name, output: nil, spansBefore: Int(clamping: p.entry.recordCount), spansAfter: p.kept.count,
                bytesBefore: Int(clamping: p.entry.sizeBytes), bytesAfter: p.bytes.count)
            do throws(StorageError) {
                if p.kept.isEmpty {
                    try segments.publish(adding: [], removing: [p.entry.name], walStart: nil)
                } else {
                    let name = segments.nextSegmentName(ext: TraceStore.segmentExtension)
                    try AtomicFile.write(p.bytes, to: segments.path(of: name), fs: fs)
                    let meta = SegmentMetadata(traces: p.stats.traceCount, newTraces: p.newTraces).encoded()
                    let entry = SegmentEntry(
                        name: name, kind: TraceStore.segmentKind, level: p.entry.level, minTime: p.stats.minStart,
                        maxTime: max(p.stats.minStart, p.stats.maxEnd), sizeBytes: UInt64(p.bytes.count),
                        recordCount: UInt64(p.stats.spanCount), metadata: meta)
                    try segments.publish(adding: [entry], removing: [p.entry.name], walStart: nil)
                    done.output = name
                }
            } catch {
                throw TraceStoreError.storage(error.withSpaceNeeded(p.bytes.count))
            }
            readers.remove(path: segments.path(of: p.entry.name))
            out.append(done)
        }
        return out
    }
}
