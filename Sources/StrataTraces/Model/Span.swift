import StrataLabels

/// One osprofiler span: a `<point>-start` event paired with its `<point>-stop`.
///
/// The store keeps times in microseconds since the Unix epoch, UTC (osprofiler timestamps carry
/// microseconds): `start` and `duration` are those raw numbers, `startTime`, `endTime` and
/// `elapsed` the same as a `Timestamp` and a `Duration`. A span built from a start without a
/// stop, or a stop without a start, is kept and flagged in `status` (see `SpanStatus`).
///
/// ```swift
/// let span = Span(baseID: request, traceID: id, parentID: request, name: "wsgi", project: "glance",
///                 startTime: .now, elapsed: .milliseconds(2_400))
/// ```
public struct Span: Sendable, Equatable {
    /// The whole request, shared by every span of the trace.
    public var baseID: TraceID
    /// This span.
    public var traceID: TraceID
    /// The caller's span; `baseID` for a top-level span.
    public var parentID: TraceID
    /// The trace point without `-start`/`-stop`, e.g. `wsgi`, `db`, `rpc`.
    public var name: String
    /// osprofiler's `service`, e.g. `api`, `osapi_compute`, `public`.
    public var service: String
    /// osprofiler's `project`, e.g. `glance`, `nova`, `keystone`.
    public var project: String
    /// The host that emitted the start event (`info.host`).
    public var host: String
    /// The start event's time (the stop's time for a span without a start), raw microseconds
    /// since the epoch; `startTime` is the same as a `Timestamp`.
    public var start: Int64
    /// stop - start, raw microseconds; 0 when either is missing; negative only when flagged
    /// `stopBeforeStart`. `elapsed` is the same as a `Duration`.
    public var duration: Int64
    /// Error and completeness flags.
    public var status: SpanStatus
    /// The payload of `info` beyond the host.
    public var info: SpanInfo

    /// A span starting at `startTime` that took `elapsed` (both rounded down to the microsecond).
    public init(
        baseID: TraceID, traceID: TraceID, parentID: TraceID, name: String, service: String = "", project: String = "",
        host: String = "", startTime: Timestamp, elapsed: Duration = .zero, status: SpanStatus = [],
        info: SpanInfo = SpanInfo()
    ) {
        self.init(
            baseID: baseID, traceID: traceID, parentID: parentID, name: name, service: service, project: project,
            host: host, start: startTime.microseconds, duration: elapsed.rawUnits(1_000), status: status, info: info)
    }

    /// A span at raw microseconds `start` that took `duration` µs: the path inside the package
    /// (the osprofiler parser, the segment codec).
    package init(
        baseID: TraceID, traceID: TraceID, parentID: TraceID, name: String, service: String = "", project: String = "",
        host: String = "", start: Int64, duration: Int64 = 0, status: SpanStatus = [], info: SpanInfo = SpanInfo()
    ) {
        self.baseID = baseID
        self.traceID = traceID
        self.parentID = parentID
        self.name = name
        self.service = service
        self.project = project
        self.host = host
        self.start = start
        self.duration = duration
        self.status = status
        self.info = info
    }

    /// start + duration (start for a span without both events), raw microseconds.
    @inlinable public var end: Int64 { start &+ max(0, duration) }
    /// When the span started (setting it rounds down to the microsecond).
    @inlinable public var startTime: Timestamp {
        get { .microseconds(start) }
        set { start = newValue.microseconds }
    }
    /// When the span ended: `startTime + elapsed` (`startTime` for a span without both events).
    @inlinable public var endTime: Timestamp { .microseconds(end) }
    /// How long the span took (setting it rounds down to the microsecond).
    @inlinable public var elapsed: Duration {
        get { .microseconds(duration) }
        set { duration = newValue.rawUnits(1_000) }
    }
    /// True when the stop carried an error (`etype`).
    @inlinable public var isError: Bool { status.contains(.error) }
    /// True for a top-level span (`parent_id == base_id`).
    @inlinable public var isTopLevel: Bool { parentID == baseID }
}

/// Flags of a span, stored with it.
public struct SpanStatus: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The stop event carried `etype` (an exception).
    public static let error = SpanStatus(rawValue: 1 << 0)
    /// A start whose stop never arrived (within the timeout, or by the end of ingest).
    public static let incomplete = SpanStatus(rawValue: 1 << 1)
    /// A stop whose start never arrived.
    public static let missingStart = SpanStatus(rawValue: 1 << 2)
    /// The stop's timestamp is earlier than the start's (clock skew); `duration` is negative.
    public static let stopBeforeStart = SpanStatus(rawValue: 1 << 3)
    /// A second start (or stop) with the same trace_id arrived; this span is one of them.
    public static let duplicate = SpanStatus(rawValue: 1 << 4)

    /// Every flag that marks a span as not whole.
    public static let flagged: SpanStatus = [.incomplete, .missingStart, .stopBeforeStart, .duplicate]
}

/// The `info` payload of a span's events: typed fields for what osprofiler's drivers
/// usually send, and the rest kept as JSON text so nothing is lost. Empty means absent.
public struct SpanInfo: Sendable, Equatable, Hashable {
    /// `info.request.method`, `.path`, `.query`, `.scheme` (wsgi spans).
    public var requestMethod = ""
    public var requestPath = ""
    public var requestQuery = ""
    public var requestScheme = ""
    /// `info.db.statement` (db spans) and `info.db.params` as JSON text.
    public var dbStatement = ""
    public var dbParams = ""
    /// `info.function.name` (rpc, driver spans), `.args` and `.kwargs` as JSON text.
    public var functionName = ""
    public var functionArgs = ""
    public var functionKwargs = ""
    /// `info.etype` and `info.message` of an error stop.
    public var errorType = ""
    public var errorMessage = ""
    /// Every other `info` member of the start and stop events, as one JSON object text
    /// (`{"key": value, ...}`), or empty. Keys of `request`/`db`/`function` other than the
    /// typed ones are kept here under `request.<key>` etc.
    public var extra = ""

    public init() {}
}
