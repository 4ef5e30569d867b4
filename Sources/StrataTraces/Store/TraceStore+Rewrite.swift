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

    /// What a rewrite of one segment keeps (the spans themselves are read again to write it,
    /// so a pass holds one segment's spans at a time).
    struct RewritePlan {
        var entry: SegmentEntry
        var keptSpans: Int
        var completed: [TraceID]
        /// The traces of the input the output no longer holds, and the traces the output holds.
        var left: Set<TraceID>
        var outputTraces: Int
        var newTraces: Int
        /// The traces of the input `plan`'s `track` picked.
        var tracked: Set<TraceID> = []
    }

    /// Every span of the segment `entry`, in file order, and its completed list.
    func allSpans(of entry: SegmentEntry) throws(StorageError) -> (spans: [Span], completed: [TraceID]) {
        let r = try reader(for: entry.name)
        var out: [Span] = []
        out.reserveCapacity(Int(clamping: entry.recordCount))
        let context = ZstdContext()
        for b in 0..<(try r.blocks.count) { out += try r.spans(inBlock: b, context: context) }
        return (out, try r.completed)
    }

    /// The plan for `entry` keeping the spans `keep` accepts; nil when it keeps them all. The
    /// output lists the completed trace_ids of the input for which it still holds a whole span.
    /// `kept` is called with each trace the output holds.
    func plan(
        _ entry: SegmentEntry, keep: (Span) -> Bool, kept keptTrace: (TraceID) -> Void = { _ in },
        track: (TraceID) -> Bool = { _ in false }
    ) throws(StorageError) -> RewritePlan? {
        let (spans, completed) = try allSpans(of: entry)
        let kept = spans.filter(keep)
        guard kept.count < spans.count else { return nil }
        let partial = SpanStamp.partialFlags
        let whole = Set(kept.lazy.filter { $0.status.rawValue & partial == 0 }.map(\.traceID))
        let output = Set(kept.map(\.baseID))
        for b in output { keptTrace(b) }
        var left = Set<TraceID>()
        for s in spans where !output.contains(s.baseID) { left.insert(s.baseID) }
        var tracked = Set<TraceID>()
        for s in spans where track(s.baseID) { tracked.insert(s.baseID) }
        return RewritePlan(
            entry: entry, keptSpans: kept.count, completed: completed.filter { whole.contains($0) }, left: left,
            outputTraces: output.count, newTraces: SegmentMetadata(decoding: entry.metadata).newTraces, tracked: tracked)
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
            let left = plans[i].left.intersection(gone).subtracting(assigned)
            assigned.formUnion(left)
            plans[i].newTraces = max(0, min(plans[i].newTraces - left.count, plans[i].outputTraces))
        }
        var diff = target - plans.reduce(0) { $0 + $1.newTraces }
        // Too few: count them where traces are not counted yet, else on the first output.
        for i in plans.indices where diff > 0 && plans[i].keptSpans > 0 {
            let room = min(diff, max(0, plans[i].outputTraces - plans[i].newTraces))
            plans[i].newTraces += room
            diff -= room
        }
        if diff > 0, let i = plans.firstIndex(where: { $0.keptSpans > 0 }) {
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

    /// Carries out `plans` (made with the same `keep`): reads each input again, writes the spans
    /// `keep` accepts as a new segment and publishes it in place of the input (one atomic
    /// manifest write each: a crash leaves the input or the output); an empty output removes
    /// the input. A dry run encodes the outputs in memory only, to count their bytes.
    func rewrite(_ plans: [RewritePlan], dryRun: Bool, keep: (Span) -> Bool) throws(TraceStoreError) -> [TraceSegmentRewrite] {
        var out: [TraceSegmentRewrite] = []
        for p in plans {
            var done = TraceSegmentRewrite(
                input: p.entry.name, output: nil, spansBefore: Int(clamping: p.entry.recordCount), spansAfter: p.keptSpans,
                bytesBefore: Int(clamping: p.entry.sizeBytes), bytesAfter: 0)
            var bytes: [UInt8] = []
            do throws(StorageError) {
                var stats = TraceSegmentStats()
                if p.keptSpans > 0 {
                    var table = SpanTable()
                    for s in try allSpans(of: p.entry).spans where keep(s) { table.append(s, event: 0) }
                    let rows = TraceSegmentWriter.sortedRows(table, Array(table.spans.indices))
                    (bytes, stats) = TraceSegmentWriter.encode(table, rows, blockSpans: options.blockSpans, completed: p.completed.sorted())
                    done.bytesAfter = bytes.count
                }
                if dryRun {
                    out.append(done)
                    continue
                }
                if p.keptSpans == 0 {
                    try segments.publish(adding: [], removing: [p.entry.name], walStart: nil)
                } else {
                    let name = segments.nextSegmentName(ext: TraceStore.segmentExtension)
                    try AtomicFile.write(bytes, to: segments.path(of: name), fs: fs)
                    let meta = SegmentMetadata(traces: stats.traceCount, newTraces: p.newTraces).encoded()
                    let entry = SegmentEntry(
                        name: name, kind: TraceStore.segmentKind, level: p.entry.level, minTime: stats.minStart,
                        maxTime: max(stats.minStart, stats.maxEnd), sizeBytes: UInt64(bytes.count),
                        recordCount: UInt64(stats.spanCount), metadata: meta)
                    try segments.publish(adding: [entry], removing: [p.entry.name], walStart: nil)
                    done.output = name
                }
            } catch {
                throw TraceStoreError.storage(error.withSpaceNeeded(bytes.count))
            }
            readers.remove(path: segments.path(of: p.entry.name))
            out.append(done)
        }
        return out
    }
}
