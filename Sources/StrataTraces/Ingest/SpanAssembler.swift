/// Pairs `<point>-start` and `<point>-stop` events into spans, in whatever order they arrive.
///
/// Events are matched on `trace_id`. An event waits in `pending` until its partner comes;
/// `expire(before:)` (a timeout) or `expireAll()` (the end of an ingest) turns the ones
/// still waiting into flagged spans: a start alone becomes `.incomplete`, a stop alone
/// `.missingStart`. Nothing is dropped. A second start (or stop) for the same trace_id
/// flags the earlier one `.duplicate` and emits it.
public struct SpanAssembler: Sendable {
    /// Events waiting for their partner, by trace_id.
    public private(set) var pending: [TraceID: SpanEvent] = [:]
    /// Spans assembled and not yet taken.
    public private(set) var completed: [Span] = []
    /// The end of each span in `completed` paired from events, by trace_id (to recognise a resent stop).
    var completedEnds: [TraceID: Int64] = [:]
    /// Events ignored because they repeated one already taken (at-least-once delivery).
    public private(set) var duplicatesIgnored = 0

    public init() {}

    /// True when `event` is a stop that nothing pending or completed here explains (the store
    /// then checks its segments for the span before adding it).
    public func isUnmatchedStop(_ event: SpanEvent) -> Bool {
        event.kind == .stop && pending[event.span.traceID] == nil && completedEnds[event.span.traceID] != event.span.start
    }

    /// Counts an event the caller recognised as a resend.
    mutating func ignore(_ event: SpanEvent) { duplicatesIgnored += 1 }

    /// Adds one event; completes a span when its partner is pending.
    ///
    /// An event equal to the one pending for its trace_id, or a stop whose span is already
    /// completed here with that end, is a resend: it is counted and ignored.
    public mutating func add(_ event: SpanEvent) {
        let id = event.span.traceID
        guard let other = pending.removeValue(forKey: id) else {
            if event.kind == .stop && completedEnds[id] == event.span.start {
                duplicatesIgnored += 1
            } else {
                pending[id] = event
            }
            return
        }
        if other == event {
            pending[id] = other  // the same event again: a resend
            duplicatesIgnored += 1
        } else if other.kind != event.kind {
            let span = event.kind == .stop ? SpanAssembler.merge(start: other, stop: event) : SpanAssembler.merge(start: event, stop: other)
            completedEnds[id] = span.start &+ span.duration
            completed.append(span)
        } else {
            // A second start (or stop) for this trace_id: the earlier one is kept, flagged.
            var old = other.span
            old.status.insert(.duplicate)
            completed.append(old)
            pending[id] = event
        }
    }

    /// Adds an already whole span (the in-process API and WAL replay).
    public mutating func add(_ span: Span) {
        completed.append(span)
    }

    /// Turns pending events with a timestamp before `cutoff` into flagged spans.
    public mutating func expire(before cutoff: Int64) {
        var expired: [TraceID] = []
        for (id, e) in pending where e.span.start < cutoff { expired.append(id) }
        expired.sort()  // deterministic output order
        for id in expired {
            if let e = pending.removeValue(forKey: id) { completed.append(e.span) }
        }
    }

    /// Turns every pending event into a flagged span.
    public mutating func expireAll() { expire(before: .max) }

    /// Removes and returns the completed spans.
    public mutating func takeCompleted() -> [Span] {
        defer {
            completed.removeAll(keepingCapacity: true)
            completedEnds.removeAll(keepingCapacity: true)
        }
        return completed
    }

    /// The span of a start and its stop.
    static func merge(start: SpanEvent, stop: SpanEvent) -> Span {
        var span = start.span
        let t = stop.span
        span.status = []
        span.duration = t.start &- span.start
        if span.duration < 0 { span.status.insert(.stopBeforeStart) }
        if span.host.isEmpty { span.host = t.host }
        if span.service.isEmpty { span.service = t.service }
        if span.project.isEmpty { span.project = t.project }
        span.info.errorType = t.info.errorType
        span.info.errorMessage = t.info.errorMessage
        if !t.info.errorType.isEmpty { span.status.insert(.error) }
        if !t.info.extra.isEmpty {
            if span.info.extra.isEmpty {
                span.info.extra = t.info.extra
            } else {
                span.info.extra = String(span.info.extra.dropLast()) + "," + String(t.info.extra.dropFirst())
            }
        }
        // The stop's own typed fields (rare) are kept too, so nothing is lost.
        if t.info.hasTypedFields { span.info.mergeMissing(from: t.info) }
        return span
    }
}

extension SpanInfo {
    /// True when any request/db/function field is set.
    var hasTypedFields: Bool {
        !(requestMethod.isEmpty && requestPath.isEmpty && requestQuery.isEmpty && requestScheme.isEmpty
            && dbStatement.isEmpty && dbParams.isEmpty && functionName.isEmpty && functionArgs.isEmpty
            && functionKwargs.isEmpty)
    }

    /// Fills empty typed fields from `o`.
    mutating func mergeMissing(from o: SpanInfo) {
        if requestMethod.isEmpty { requestMethod = o.requestMethod }
        if requestPath.isEmpty { requestPath = o.requestPath }
        if requestQuery.isEmpty { requestQuery = o.requestQuery }
        if requestScheme.isEmpty { requestScheme = o.requestScheme }
        if dbStatement.isEmpty { dbStatement = o.dbStatement }
        if dbParams.isEmpty { dbParams = o.dbParams }
        if functionName.isEmpty { functionName = o.functionName }
        if functionArgs.isEmpty { functionArgs = o.functionArgs }
        if functionKwargs.isEmpty { functionKwargs = o.functionKwargs }
    }
}
