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

    /// `stamps` grouped by trace_id.
    static func byTrace(_ stamps: [SpanStamp]) -> [TraceID: [SpanStamp]] {
        var out: [TraceID: [SpanStamp]] = [:]
        for s in stamps { out[s.trace, default: []].append(s) }
        return out
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
    static func rowsToWrite(
        _ table: SpanTable, segments: [SegmentEntry], lookAround: Int64 = 0,
        reader: (String) throws(StorageError) -> TraceSegmentReader
    ) throws -> (rows: [Int], dropped: Int, continued: Set<TraceID>, completing: Set<Int>) {
        let spans = table.spans
        let sorted = TraceSegmentWriter.sortedRows(table, Array(spans.indices))
        guard !sorted.isEmpty else { return ([], 0, [], []) }
        var lo = Int64.max, hi = Int64.min
        for p in spans {
            lo = min(lo, p.start)
            hi = max(hi, p.start &+ max(0, p.duration))
        }
        let overlapping = try segments.filter { $0.minTime <= hi &+ lookAround && $0.maxTime >= lo &- lookAround }
            .map { (entry: $0, reader: try reader($0.name)) }
        var continued = Set<TraceID>()
        var completing = Set<Int>()
        var out: [Int] = []
        out.reserveCapacity(sorted.count)
        var dropped = 0
        // The last block decoded per overlapping segment: traces come in base_id order, so the
        // next trace asked of a segment is usually in the same block.
        var decoded = [(block: Int, columns: TraceBlockColumns)?](repeating: nil, count: overlapping.count)
        var i = 0
        while i < sorted.count {
            let base = spans[sorted[i]].base
            var j = i + 1
            var minStart = spans[sorted[i]].start, maxEnd = minStart &+ max(0, spans[sorted[i]].duration)
            var suspicious = spans[sorted[i]].status & SpanStatus.missingStart.rawValue != 0
            while j < sorted.count, spans[sorted[j]].base == base {
                let p = spans[sorted[j]], q = spans[sorted[j - 1]]
                minStart = min(minStart, p.start)
                maxEnd = max(maxEnd, p.start &+ max(0, p.duration))
                if p.status & SpanStatus.missingStart.rawValue != 0 || (p.trace == q.trace && p.start == q.start) {
                    suspicious = true
                }
                j += 1
            }
            var known: [SpanStamp] = []
            for (s, (e, r)) in overlapping.enumerated()
            where e.minTime <= maxEnd &+ lookAround && e.maxTime >= minStart &- lookAround {
                guard let b = try r.blockHolding(base) else { continue }
                continued.insert(base)
                let c: TraceBlockColumns
                if let d = decoded[s], d.block == b {
                    c = d.columns
                } else {
                    c = try r.columns(inBlock: b, withText: false)
                    decoded[s] = (b, c)
                }
                guard let t = c.trace(base) else { continue }
                for k in c.traceFirst[t]..<c.traceFirst[t + 1] {
                    known.append(SpanStamp(trace: c.traceID(k), start: c.starts[k], duration: c.durations[k], status: c.status[k]))
                }
            }
            if suspicious || !known.isEmpty {
                let drop = SpanStamp.resends(sorted[i..<j].map { spans[$0].stamp }, known: known)
                let partsAlone = SpanStamp.byTrace(known.filter(\.isPartial))
                for (k, row) in sorted[i..<j].enumerated() {
                    if drop[k] {
                        dropped += spans[row].paired ? 2 : 1
                        continue
                    }
                    out.append(row)
                    let s = spans[row].stamp
                    if !s.isPartial, partsAlone[s.trace]?.contains(where: { $0.repeats(s) }) == true { completing.insert(row) }
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
        let entries = snapshot.entries.filter { $0.kind == TraceStore.segmentKind }
        let readers = try readers(of: snapshot)
        // The last block decoded per segment: bases are visited in order, so neighbours share blocks.
        var decoded = [(block: Int, columns: TraceBlockColumns)?](repeating: nil, count: entries.count)
        let slack = options.openSpanTimeout
        var hidden = Set<Int>()
        var completed = Set<TraceID>()
        for base in byBase.keys.sorted() {
            let members = byBase[base] ?? []
            var lo = Int64.max, hi = Int64.min
            for i in members {
                lo = min(lo, spans[i].start)
                hi = max(hi, spans[i].end)
            }
            var known: [SpanStamp] = []
            for (s, e) in entries.enumerated() where e.minTime <= hi &+ slack && e.maxTime >= lo &- slack {
                guard let b = try readers[s].blockHolding(base) else { continue }
                let c: TraceBlockColumns
                if let d = decoded[s], d.block == b {
                    c = d.columns
                } else {
                    c = try readers[s].columns(inBlock: b, withText: false)
                    decoded[s] = (b, c)
                }
                guard let t = c.trace(base) else { continue }
                for k in c.traceFirst[t]..<c.traceFirst[t + 1] {
                    known.append(SpanStamp(trace: c.traceID(k), start: c.starts[k], duration: c.durations[k], status: c.status[k]))
                }
            }
            if known.isEmpty && members.count == 1 { continue }
            let drop = SpanStamp.resends(members.map { spans[$0].stamp }, known: known)
            let parts = SpanStamp.byTrace(known.filter(\.isPartial))
            for (j, i) in members.enumerated() {
                let stamp = spans[i].stamp
                if drop[j] {
                    hidden.insert(i)
                } else if !parts.isEmpty, !stamp.isPartial, parts[stamp.trace]?.contains(where: { $0.repeats(stamp) }) == true {
                    completed.insert(stamp.trace)
                }
            }
        }
        return (hidden, completed)
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
