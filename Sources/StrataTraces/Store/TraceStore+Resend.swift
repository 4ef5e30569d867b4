import StrataStorage

/// What identifies a stored span for recognising a resend: its trace_id, times and flags.
///
/// osprofiler gives every span a fresh uuid, so a span with the same trace_id, start, duration
/// and flags as another is the same span delivered again (a file ingested twice, a collector
/// retrying a batch, files that overlap), and so is a start alone with a whole span's start or a
/// stop alone with its end. Same trace_id with other times is kept: not a resend.
struct SpanStamp: Sendable, Equatable {
    var trace: TraceID
    var start: Int64
    var duration: Int64
    var status: UInt8

    static let partialFlags = SpanStatus.incomplete.rawValue | SpanStatus.missingStart.rawValue

    var isPartial: Bool { status & SpanStamp.partialFlags != 0 }

    /// True when `self` tells nothing that `known` does not: the same span again, or a part of
    /// it (a start alone with `known`'s start, a stop alone with `known`'s end).
    func repeats(_ known: SpanStamp) -> Bool {
        guard trace == known.trace else { return false }
        if start == known.start && duration == known.duration && status == known.status { return true }
        guard !known.isPartial else { return false }
        if status & SpanStatus.incomplete.rawValue != 0 { return start == known.start }
        if status & SpanStatus.missingStart.rawValue != 0 { return start == known.start &+ known.duration }
        return false
    }

    /// For `candidates` against `known` (what segments hold of the same trace): which repeat a
    /// span (`resends`), and which of those kept complete a span `known` holds as a part alone.
    static func judge(_ candidates: [SpanStamp], known: [SpanStamp]) -> (drop: [Bool], completes: [Bool]) {
        let drop = resends(candidates, known: known)
        var parts: [TraceID: [SpanStamp]] = [:]
        for k in known where k.isPartial { parts[k.trace, default: []].append(k) }
        let completes = candidates.indices.map { i in
            !drop[i] && !candidates[i].isPartial && parts[candidates[i].trace]?.contains { $0.repeats(candidates[i]) } == true
        }
        return (drop, completes)
    }

    /// Which of `candidates` repeat a span of `known` or another candidate (true: drop it).
    /// Whole spans are preferred over parts; among equals, the earlier one is kept.
    static func resends(_ candidates: [SpanStamp], known: [SpanStamp] = []) -> [Bool] {
        var kept: [TraceID: [SpanStamp]] = [:]
        for k in known { kept[k.trace, default: []].append(k) }
        var drop = [Bool](repeating: false, count: candidates.count)
        let order = candidates.indices.filter { !candidates[$0].isPartial } + candidates.indices.filter { candidates[$0].isPartial }
        for i in order {
            let c = candidates[i]
            if kept[c.trace]?.contains(where: { c.repeats($0) }) == true {
                drop[i] = true
            } else {
                kept[c.trace, default: []].append(c)
            }
        }
        return drop
    }
}

/// The published span segments of one snapshot, asked about single traces: the rare ingest
/// paths (a stop with no start waiting, a start with no stop at a flush), the flush's check for
/// resends, and the head as queries see it. Readers are opened on first use, and the last block
/// decoded per segment is kept: callers ask in base_id order, the order segments store traces in,
/// so neighbours share a block.
struct SegmentProbe {
    let snapshot: SegmentSnapshot
    /// Whether `release()` releases `snapshot` (a probe that took it itself).
    let owning: Bool
    private(set) var entries: [SegmentEntry]
    private var readers: [TraceSegmentReader?]
    private let open: (String) throws(StorageError) -> TraceSegmentReader
    /// How far (µs) a segment's time range may be from the times asked about and still be asked
    /// (clock skew between hosts; the parts of one trace flushed apart).
    let slack: Int64
    /// Decode blocks with their text section (needed to rebuild a span, not to compare stamps).
    let withText: Bool
    private var blocks: [(block: Int, columns: TraceBlockColumns)?]

    init(
        snapshot: SegmentSnapshot, owning: Bool, slack: Int64, withText: Bool,
        open: @escaping (String) throws(StorageError) -> TraceSegmentReader
    ) {
        self.snapshot = snapshot
        self.owning = owning
        entries = snapshot.entries.filter { $0.kind == TraceStore.segmentKind }
        readers = Array(repeating: nil, count: entries.count)
        blocks = Array(repeating: nil, count: entries.count)
        self.open = open
        self.slack = slack
        self.withText = withText
    }

    func release() { if owning { snapshot.release() } }

    /// Keeps only the segments whose time range meets `lo...hi` widened by `slack`.
    mutating func narrow(from lo: Int64, to hi: Int64) {
        let keep = entries.indices.filter { entries[$0].minTime <= hi &+ slack && entries[$0].maxTime >= lo &- slack }
        entries = keep.map { entries[$0] }
        readers = keep.map { readers[$0] }
        blocks = keep.map { blocks[$0] }
    }

    mutating func reader(_ s: Int) throws(StorageError) -> TraceSegmentReader {
        if let r = readers[s] { return r }
        let r = try open(entries[s].name)
        readers[s] = r
        return r
    }

    /// The block of segment `s` holding trace `base`, decoded, with the trace's index in it; nil
    /// when the segment does not hold the trace.
    mutating func trace(_ base: TraceID, inSegment s: Int) throws -> (columns: TraceBlockColumns, trace: Int)? {
        let r = try reader(s)
        guard let b = try r.blockHolding(base) else { return nil }
        let c: TraceBlockColumns
        if let d = blocks[s], d.block == b {
            c = d.columns
        } else {
            c = try r.columns(inBlock: b, withText: withText)
            blocks[s] = (b, c)
        }
        return c.trace(base).map { (c, $0) }
    }

    /// What the segments whose time range meets `lo...hi` (widened by `slack`) hold of trace
    /// `base`: whether any holds part of it, and the stamps of its spans there.
    mutating func stamps(of base: TraceID, from lo: Int64, to hi: Int64) throws -> (held: Bool, stamps: [SpanStamp]) {
        var held = false
        var out: [SpanStamp] = []
        for s in entries.indices where entries[s].minTime <= hi &+ slack && entries[s].maxTime >= lo &- slack {
            guard try reader(s).blockHolding(base) != nil else { continue }
            held = true
            guard let (c, t) = try trace(base, inSegment: s) else { continue }
            for k in c.traceFirst[t]..<c.traceFirst[t + 1] {
                out.append(SpanStamp(trace: c.traceID(k), start: c.starts[k], duration: c.durations[k], status: c.status[k]))
            }
        }
        return (held, out)
    }
}

extension PackedSpan {
    var stamp: SpanStamp { SpanStamp(trace: trace, start: start, duration: duration, status: status) }
}

extension Span {
    var stamp: SpanStamp { SpanStamp(trace: traceID, start: start, duration: duration, status: status.rawValue) }
}

extension TraceStore {
    /// The head's rows sorted for a segment (`TraceSegmentWriter.sortedRows`), without the
    /// spans that repeat another head span or a span of a published segment; and how many
    /// events those were (two for a span paired from a start and a stop, one otherwise).
    ///
    /// Inside the head a resend sorts next to its original (same parent, start and trace_id),
    /// so a trace is examined closely only when two neighbours share trace_id and start, a stop
    /// arrived alone, or a segment holds part of the trace. Segments are asked only for traces
    /// whose time range meets theirs: the base_id filter first, then the one block that can
    /// hold the trace.
    ///
    /// Also returns the base_ids that a published segment already holds (traces continued by
    /// this flush), so that `stats()` counts each trace once, and the rows that complete a span
    /// a segment holds as its start or stop alone (`TraceSegmentReader.completed`). For these,
    /// segments are asked about a trace when their time range meets the trace's head spans
    /// widened by `lookAround` µs on both sides (the parts of a trace need not overlap in time:
    /// a short first call may arrive after the rest was flushed).
    static func rowsToWrite(_ table: SpanTable, probe: inout SegmentProbe) throws
        -> (rows: [Int], dropped: Int, continued: Set<TraceID>, completing: Set<Int>)
    {
        let spans = table.spans
        let sorted = TraceSegmentWriter.sortedRows(table, Array(spans.indices))
        guard !sorted.isEmpty else { return ([], 0, [], []) }
        var lo = Int64.max, hi = Int64.min
        for p in spans {
            lo = min(lo, p.start)
            hi = max(hi, p.end)
        }
        probe.narrow(from: lo, to: hi)
        var continued = Set<TraceID>()
        var completing = Set<Int>()
        var out: [Int] = []
        out.reserveCapacity(sorted.count)
        var dropped = 0
        var i = 0
        while i < sorted.count {
            let base = spans[sorted[i]].base
            var j = i + 1
            var minStart = spans[sorted[i]].start, maxEnd = spans[sorted[i]].end
            var suspicious = spans[sorted[i]].status & SpanStatus.missingStart.rawValue != 0
            while j < sorted.count, spans[sorted[j]].base == base {
                let p = spans[sorted[j]], q = spans[sorted[j - 1]]
                minStart = min(minStart, p.start)
                maxEnd = max(maxEnd, p.end)
                if p.status & SpanStatus.missingStart.rawValue != 0 || (p.trace == q.trace && p.start == q.start) {
                    suspicious = true
                }
                j += 1
            }
            let (held, known) = try probe.stamps(of: base, from: minStart, to: maxEnd)
            if held { continued.insert(base) }
            if suspicious || !known.isEmpty {
                let (drop, completes) = SpanStamp.judge(sorted[i..<j].map { spans[$0].stamp }, known: known)
                for (k, row) in sorted[i..<j].enumerated() {
                    if drop[k] {
                        dropped += spans[row].paired ? 2 : 1
                    } else {
                        out.append(row)
                        if completes[k] { completing.insert(row) }
                    }
                }
            } else {
                out.append(contentsOf: sorted[i..<j])
            }
            i = j
        }
        return (out, dropped, continued, completing)
    }

    /// Which of the head's `rows` (rows of `table` a query matched) a search leaves out: those
    /// the next flush will leave out as resends (judged among all head rows of their traces and
    /// the spans of `snapshot`'s segments), and the trace_ids of spans that segments hold as a
    /// part alone and a head span completes (the stored parts are left out too).
    func headView(_ table: SpanTable, _ rows: [Int], _ snapshot: SegmentSnapshot) throws -> (hidden: Set<Int>, completed: Set<TraceID>) {
        guard !rows.isEmpty else { return ([], []) }
        let spans = table.spans
        let wanted = Set(rows.map { spans[$0].base })
        var byBase: [TraceID: [Int]] = [:]
        for (i, p) in spans.enumerated() where wanted.contains(p.base) { byBase[p.base, default: []].append(i) }
        var probe = probe(of: snapshot, withText: false)
        var hidden = Set<Int>()
        var completed = Set<TraceID>()
        for base in byBase.keys.sorted() {
            let members = byBase[base] ?? []
            var lo = Int64.max, hi = Int64.min
            for i in members {
                lo = min(lo, spans[i].start)
                hi = max(hi, spans[i].end)
            }
            let known = try probe.stamps(of: base, from: lo, to: hi).stamps
            if known.isEmpty && members.count == 1 { continue }
            let (drop, completes) = SpanStamp.judge(members.map { spans[$0].stamp }, known: known)
            for (j, i) in members.enumerated() {
                if drop[j] { hidden.insert(i) }
                if completes[j] { completed.insert(spans[i].trace) }
            }
        }
        return (hidden, completed)
    }

    /// A probe of `snapshot` (see `SegmentProbe`); with `owning`, its `release()` releases the snapshot.
    func probe(of snapshot: SegmentSnapshot, withText: Bool, owning: Bool = false) -> SegmentProbe {
        SegmentProbe(snapshot: snapshot, owning: owning, slack: options.openSpanTimeout, withText: withText) {
            [self] (name: String) throws(StorageError) in try self.reader(for: name)
        }
    }

    /// `spans` (sorted by start, then trace_id) without the ones that repeat another
    /// (`SpanStamp.resends`): what a lookup shows for a trace whose resend is still in the head.
    static func withoutResends(_ spans: [Span]) -> [Span] {
        var seen = Set<TraceID>()
        var repeated = false
        for s in spans where !seen.insert(s.traceID).inserted {
            repeated = true
            break
        }
        guard repeated else { return spans }
        let drop = SpanStamp.resends(spans.map(\.stamp))
        return spans.indices.filter { !drop[$0] }.map { spans[$0] }
    }
}
