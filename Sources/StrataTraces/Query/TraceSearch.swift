import StrataLabels

/// A search for traces, as Jaeger's search does: a trace matches when one of its spans
/// satisfies every condition given. The stored times and durations are raw microseconds (the
/// trace store's unit); `startTime`, `endTime`, `minElapsed` and `maxElapsed` set and read them
/// as `Timestamp` and `Duration`.
///
/// ```swift
/// var q = TraceSearch()
/// q.service = "glance"          // osprofiler project or service
/// q.minElapsed = .seconds(2)
/// q.startTime = .now - .seconds(3600); q.endTime = .now
/// let traces = try store.search(q)
/// ```
public struct TraceSearch: Sendable, Equatable {
    /// Matches a span's `project` or its `service` (glance's spans have project `glance`, service `api`).
    public var service: String?
    /// Matches the span's `project` only.
    public var project: String?
    /// The trace point, e.g. `wsgi`, `db`, `rpc`.
    public var name: String?
    public var host: String?
    /// Inclusive bounds on the span's duration, raw microseconds.
    public var minDuration: Int64?
    public var maxDuration: Int64?
    /// true: the span is an error; false: it is not.
    public var error: Bool?
    /// The span starts in `[start, end)`, raw microseconds (`.min` and `.max`: open).
    public var start: Int64 = .min
    public var end: Int64 = .max
    /// Most traces returned, newest first (0 = all).
    public var limit: Int = 20
    /// More conditions on `service`, `project`, `name` and `host`, as PromQL label matchers:
    /// `!=`, `=~`, `!~` (or `=`); regular expressions are fully anchored, RE2 syntax. On
    /// `service` a positive matcher wants the project or the service to match, a negative one
    /// wants neither to (`service!="glance"` leaves glance's spans out).
    public var matchers: [LabelMatcher] = []

    /// The attributes matchers may name.
    public static let matcherAttributes = ["service", "project", "name", "host"]

    public init(
        service: String? = nil, project: String? = nil, name: String? = nil, host: String? = nil,
        minDuration: Int64? = nil, maxDuration: Int64? = nil, error: Bool? = nil, start: Int64 = .min,
        end: Int64 = .max, limit: Int = 20
    ) {
        self.service = service
        self.project = project
        self.name = name
        self.host = host
        self.minDuration = minDuration
        self.maxDuration = maxDuration
        self.error = error
        self.start = start
        self.end = end
        self.limit = limit
    }

    /// True when `span` satisfies every condition.
    public func matches(_ span: Span) -> Bool {
        if let v = service, span.project != v && span.service != v { return false }
        if let v = project, span.project != v { return false }
        if let v = name, span.name != v { return false }
        if let v = host, span.host != v { return false }
        if let v = minDuration, span.duration < v { return false }
        if let v = maxDuration, span.duration > v { return false }
        if let v = error, span.isError != v { return false }
        for m in matchers where !TraceSearch.matches(m, name: span.name, service: span.service, project: span.project, host: span.host) {
            return false
        }
        return span.start >= start && span.start < end
    }
}

extension TraceSearch {
    /// The earliest span start wanted, inclusive (`.distantPast`: open); set, it is rounded up to
    /// the microsecond.
    public var startTime: Timestamp {
        get { .microseconds(start) }
        set { start = newValue.rawBound(unit: 1_000, roundingUp: true) }
    }
    /// The end of the span starts wanted, exclusive (`.distantFuture`: open); set, it is rounded
    /// up to the microsecond.
    public var endTime: Timestamp {
        get { .microseconds(end) }
        set { end = newValue.rawBound(unit: 1_000, roundingUp: true) }
    }
    /// The shortest span duration wanted (inclusive; set, rounded up to the microsecond).
    public var minElapsed: Duration? {
        get { minDuration.map { .microseconds($0) } }
        set { minDuration = newValue.map { $0.rawUnits(1_000, roundingUp: true) } }
    }
    /// The longest span duration wanted (inclusive; set, rounded down to the microsecond).
    public var maxElapsed: Duration? {
        get { maxDuration.map { .microseconds($0) } }
        set { maxDuration = newValue.map { $0.rawUnits(1_000) } }
    }
}

extension TraceSearch {
    /// Whether a span with these attributes satisfies matcher `m` (see `matchers`).
    static func matches(_ m: LabelMatcher, name: String, service: String, project: String, host: String) -> Bool {
        switch m.name {
        case "service":
            switch m.kind {
            case .equal, .regex: return m.matches(project) || m.matches(service)
            case .notEqual, .notRegex: return m.matches(project) && m.matches(service)
            }
        case "project": return m.matches(project)
        case "name": return m.matches(name)
        case "host": return m.matches(host)
        default: return false
        }
    }
}

/// One trace found by a search, as Jaeger lists it.
public struct TraceSummary: Sendable, Equatable {
    public var baseID: TraceID
    /// `project service name` of the earliest top-level span (of the earliest span if none is top-level).
    public var rootName: String
    /// The projects (services) touched, sorted.
    public var services: [String]
    public var spanCount: Int
    /// Earliest start, raw microseconds since the epoch; `startTime` is the same as a `Timestamp`.
    public var start: Int64
    /// Latest end - earliest start, raw microseconds; `elapsed` is the same as a `Duration`.
    public var duration: Int64
    /// Spans with an error.
    public var errorCount: Int
    /// Spans flagged incomplete, missing a start, skewed or duplicated.
    public var flaggedCount: Int

    /// A summary from its parts, times in raw microseconds (the segment reader's path).
    package init(
        baseID: TraceID, rootName: String, services: [String], spanCount: Int, start: Int64, duration: Int64,
        errorCount: Int, flaggedCount: Int
    ) {
        self.baseID = baseID
        self.rootName = rootName
        self.services = services
        self.spanCount = spanCount
        self.start = start
        self.duration = duration
        self.errorCount = errorCount
        self.flaggedCount = flaggedCount
    }

    /// Summarises a trace's spans (non-empty).
    public init(spans: [Span]) {
        let first = spans.min { a, b in
            if a.isTopLevel != b.isTopLevel { return a.isTopLevel }
            return a.start < b.start
        }
        baseID = first?.baseID ?? TraceID(high: 0, low: 0)
        rootName = first.map { "\($0.project) \($0.service) \($0.name)" } ?? ""
        services = Set(spans.map { $0.project.isEmpty ? $0.service : $0.project }).sorted()
        spanCount = spans.count
        start = spans.map(\.start).min() ?? 0
        duration = (spans.map(\.end).max() ?? 0) - start
        errorCount = spans.filter(\.isError).count
        flaggedCount = spans.filter { !$0.status.isDisjoint(with: SpanStatus.flagged) }.count
    }

    /// When the trace's earliest span started.
    public var startTime: Timestamp { .microseconds(start) }
    /// From the earliest start to the latest end.
    public var elapsed: Duration { .microseconds(duration) }
    /// When the trace's last span ended.
    public var endTime: Timestamp { .microseconds(start &+ duration) }
}
