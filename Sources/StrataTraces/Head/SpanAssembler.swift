/// Pairs `<point>-start` and `<point>-stop` events into spans, in whatever order they arrive.
///
/// Events are matched on `trace_id`. An event waits in `pending` until its partner comes;
/// `expire(before:)` (a timeout) or `expireAll()` (the end of an ingest) turns the ones
/// still waiting into flagged spans: a start alone becomes `.incomplete`, a stop alone
/// `.missingStart`. Nothing is dropped. A second start (or stop) for the same trace_id
/// flags the earlier one `.duplicate` and emits it.
///
/// This is the `Span`-level face of the trace store's head (`SpanHead`), which does the
/// same on packed rows.
public struct SpanAssembler: Sendable {
    var head = SpanHead()

    public init() {}

    /// Events waiting for their partner, by trace_id.
    public var pending: [TraceID: SpanEvent] {
        var out: [TraceID: SpanEvent] = [:]
        head.pending.forEach { id, p in out[id] = head.table.event(p) }
        return out
    }
    /// Spans assembled and not yet taken.
    public var completed: [Span] { head.table.spans.map { head.table.span($0) } }
    /// Events ignored because they repeated one already taken (at-least-once delivery).
    public var duplicatesIgnored: Int { head.duplicatesIgnored }

    /// True when `event` is a stop that nothing pending or completed here explains.
    public mutating func isUnmatchedStop(_ event: SpanEvent) -> Bool {
        event.kind == .stop && head.isUnmatchedStop(trace: event.span.traceID, time: event.span.start)
    }

    /// Adds one event; completes a span when its partner is pending.
    ///
    /// An event equal to the one pending for its trace_id, or a stop whose span is already
    /// completed here with that end, is a resend: it is counted and ignored.
    public mutating func add(_ event: SpanEvent) {
        let p = head.table.pack(event.span, event: event.kind.rawValue)
        head.add(p)
    }

    /// Adds an already whole span (the in-process API and WAL replay).
    public mutating func add(_ span: Span) {
        head.table.append(span, event: 0)
    }

    /// Turns pending events with a timestamp before `cutoff` into flagged spans.
    public mutating func expire(before cutoff: Int64) { head.expire(before: cutoff) }

    /// Turns every pending event into a flagged span.
    public mutating func expireAll() { head.expire(before: .max) }

    /// Removes and returns the completed spans.
    public mutating func takeCompleted() -> [Span] {
        let out = completed
        head.restart()
        return out
    }
}

/// The trace store's head: completed spans and events waiting for their partner, packed
/// (`SpanTable`). Pairing follows `SpanAssembler`'s rules.
struct SpanHead: Sendable {
    /// Completed spans (`table.spans`), and the strings, kinds and text of pending events too.
    var table = SpanTable()
    /// Events waiting for their partner, by trace_id (rows of `table`, not in `table.spans`).
    var pending = TraceIDMap<PackedSpan>()
    /// The end of each completed span paired from events here, by trace_id (to recognise a
    /// resent stop), for `table.spans[..<indexed]`. Built only when a stop arrives with no
    /// start pending (rare: a resend, or files read out of order), then kept up to date.
    var completedEnds = TraceIDMap<Int64>()
    var indexed = 0
    var duplicatesIgnored = 0

    init() {}

    var completedCount: Int { table.spans.count }

    /// True when a stop of `trace` at `time` has no start pending and no completed span ending then.
    mutating func isUnmatchedStop(trace: TraceID, time: Int64) -> Bool {
        pending[trace] == nil && completedEnd(trace) != time
    }

    /// The end of the last span paired from events here with trace_id `trace`.
    mutating func completedEnd(_ trace: TraceID) -> Int64? {
        while indexed < table.spans.count {
            let p = table.spans[indexed]
            if p.paired { completedEnds.insert(p.trace, p.start &+ p.duration) }
            indexed += 1
        }
        return completedEnds[trace]
    }

    /// Counts an event the caller recognised as a resend.
    mutating func ignore() { duplicatesIgnored += 1 }

    /// Adds a row of `batch` (its strings and text copied here).
    mutating func add(batch: SpanTable, skipping skipped: Set<Int> = []) {
        var kindMap = [UInt32](repeating: .max, count: batch.kinds.count)
        var stringMap = [UInt32](repeating: .max, count: batch.strings.count)
        // The arena is copied whole: rows keep their offsets plus the base.
        let base = table.text.count
        table.text.append(contentsOf: batch.text)
        for (i, e) in batch.spans.enumerated() {
            if !skipped.isEmpty && skipped.contains(i) {
                duplicatesIgnored += 1
                continue
            }
            var p = e
            p.kind = table.mapKind(e.kind, from: batch, kindMap: &kindMap, stringMap: &stringMap)
            p.text = e.text + base
            if p.event == 0 { table.spans.append(p) } else { add(p) }
        }
    }

    /// Adds one event row of `table`; completes a span when its partner is pending.
    mutating func add(_ event: PackedSpan) {
        let id = event.trace
        guard let other = pending.removeValue(forKey: id) else {
            if event.event == 2 && completedEnd(id) == event.start {
                duplicatesIgnored += 1
            } else {
                pending[id] = event
            }
            return
        }
        if table.same(other, event) {
            pending[id] = other  // the same event again: a resend
            duplicatesIgnored += 1
        } else if other.event != event.event {
            var span = event.event == 2 ? merge(start: other, stop: event) : merge(start: event, stop: other)
            span.paired = true
            table.spans.append(span)
        } else {
            // A second start (or stop) for this trace_id: the earlier one is kept, flagged.
            var old = other
            old.status |= SpanStatus.duplicate.rawValue
            old.event = 0
            table.spans.append(old)
            pending[id] = event
        }
    }

    /// Turns pending events with a timestamp before `cutoff` into flagged spans.
    mutating func expire(before cutoff: Int64) {
        var expired: [TraceID] = []
        pending.forEach { id, e in if e.start < cutoff { expired.append(id) } }
        expired.sort()  // deterministic output order
        for id in expired {
            if var e = pending.removeValue(forKey: id) {
                e.event = 0
                table.spans.append(e)
            }
        }
    }

    /// Drops the completed spans (written to a segment) and starts a fresh table holding
    /// only the pending events, so memory does not grow across flushes.
    mutating func restart() {
        var fresh = SpanTable()
        var kindMap = [UInt32](repeating: .max, count: table.kinds.count)
        var stringMap = [UInt32](repeating: .max, count: table.strings.count)
        for e in pending.allValues.sorted(by: { $0.trace < $1.trace }) {
            pending[e.trace] = fresh.adopt(e, from: table, kindMap: &kindMap, stringMap: &stringMap)
        }
        // Keep the big arrays' memory for the next round (fresh pages cost a fault each).
        var spans = table.spans
        var text = table.text
        table = SpanTable()
        spans.removeAll(keepingCapacity: true)
        text.removeAll(keepingCapacity: true)
        text.append(contentsOf: fresh.text)
        fresh.text = text
        fresh.spans = spans
        table = fresh
        completedEnds.removeAll()
        indexed = 0
    }

    /// The span of a start and its stop (`SpanAssembler`'s rules: the start's fields, the
    /// stop's error and extra members, and the stop's typed fields where the start has none).
    mutating func merge(start a: PackedSpan, stop b: PackedSpan) -> PackedSpan {
        var s = a
        s.event = 0
        s.status = 0
        s.duration = b.start &- a.start
        if s.duration < 0 { s.status |= SpanStatus.stopBeforeStart.rawValue }
        let ka = table.kinds.key(a.kind), kb = table.kinds.key(b.kind)
        var k = ka
        for c in [SpanTable.hostColumn, SpanTable.serviceColumn, SpanTable.projectColumn] where k[c] == 0 { k[c] = kb[c] }
        k[SpanTable.errorTypeColumn] = kb[SpanTable.errorTypeColumn]
        if kb[SpanTable.errorTypeColumn] != 0 { s.status |= SpanStatus.error.rawValue }
        // The stop's typed fields: method, scheme, statement, function (columns 4-7) and
        // path, query, params, args, kwargs (text fields 0-4).
        let stopTyped = kb[4] != 0 || kb[5] != 0 || kb[6] != 0 || kb[7] != 0
            || b.lengths[0] != 0 || b.lengths[1] != 0 || b.lengths[2] != 0 || b.lengths[3] != 0 || b.lengths[4] != 0
        if stopTyped { for c in 4...7 where k[c] == 0 { k[c] = kb[c] } }
        if k != ka { s.kind = table.kinds.intern(k) }
        // Text: unchanged unless the stop brings some or the start had an error message.
        if b.textCount == 0 && a.lengths[SpanTable.errorMessageField] == 0 { return s }
        var out: [UInt8] = []
        var lengths = SIMD8<UInt32>()
        table.text.withUnsafeBytes { t in
            func field(_ p: PackedSpan, _ j: Int) -> UnsafeRawBufferPointer {
                var o = p.text
                for i in 0..<j { o += Int(p.lengths[i]) }
                return UnsafeRawBufferPointer(rebasing: t[o..<(o + Int(p.lengths[j]))])
            }
            for j in 0..<5 {
                let v = a.lengths[j] == 0 && stopTyped ? field(b, j) : field(a, j)
                out.append(contentsOf: v)
                lengths[j] = UInt32(v.count)
            }
            let message = field(b, SpanTable.errorMessageField)
            out.append(contentsOf: message)
            lengths[SpanTable.errorMessageField] = UInt32(message.count)
            let ea = field(a, SpanTable.extraField), eb = field(b, SpanTable.extraField)
            let before = out.count
            if eb.isEmpty {
                out.append(contentsOf: ea)
            } else if ea.isEmpty {
                out.append(contentsOf: eb)
            } else {
                out.append(contentsOf: ea.dropLast())
                out.append(UInt8(ascii: ","))
                out.append(contentsOf: eb.dropFirst())
            }
            lengths[SpanTable.extraField] = UInt32(out.count - before)
        }
        s.text = table.text.count
        s.lengths = lengths
        table.text.append(contentsOf: out)
        return s
    }
}
