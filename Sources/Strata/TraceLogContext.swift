import StrataLabels
import StrataLogs
import StrataMetrics
import StrataTraces

/// From a trace to its logs: the hosts, services and time window of its spans, and the
/// request ids its spans carry, as log queries for the log store to run.
///
/// ```swift
/// let context = TraceLogContext(spans: try db.traces.trace(baseID))
/// let logs = try db.logs.search(context.requestQuery ?? context.windowQuery)
/// ```
public struct TraceLogContext: Sendable {
    /// Hosts of the spans, sorted.
    public var hosts: [String]
    /// osprofiler projects of the spans (glance, nova, ...), sorted.
    public var projects: [String]
    /// The trace's window widened by the margin, raw nanoseconds since the epoch (start inclusive,
    /// end exclusive), as `LogQuery` takes it.
    public var start: Int64
    public var end: Int64
    /// `req-<uuid>` ids found in the spans' payloads, sorted (empty when the spans carry none,
    /// as osprofiler's events usually do not).
    public var requestIDs: [String]
    /// Records of the trace's hosts whose program belongs to one of its projects, in the window.
    public var windowQuery: LogQuery
    /// Records carrying one of the request ids (nil without ids).
    public var requestQuery: LogQuery?

    /// The context of one trace's spans.
    /// - Parameter margin: how far before the first start and after the last end to look
    ///   (whole microseconds count).
    public init(spans: [Span], margin: Duration = .seconds(1)) {
        let margin = margin.rawUnits(1_000)
        hosts = Set(spans.map(\.host).filter { !$0.isEmpty }).sorted()
        projects = Set(spans.map { $0.project.isEmpty ? $0.service : $0.project }.filter { !$0.isEmpty }).sorted()
        let first = spans.map(\.start).min() ?? 0
        let last = spans.map(\.end).max() ?? 0
        start = (first - margin) * 1000
        end = (last + margin) * 1000 + 1
        var ids = Set<String>()
        for s in spans {
            for f in [s.info.requestPath, s.info.requestQuery, s.info.errorMessage, s.info.extra, s.info.functionArgs, s.info.functionKwargs] {
                TraceLogContext.requestIDs(in: f, into: &ids)
            }
        }
        requestIDs = ids.sorted()
        var streams: [LabelMatcher] = []
        if let m = TraceLogContext.oneOf("host", hosts, prefix: false) { streams.append(m) }
        if let m = TraceLogContext.oneOf("program", projects, prefix: true) { streams.append(m) }
        windowQuery = LogQuery(streams: streams, start: start, end: end, limit: 1000, direction: .forward)
        if requestIDs.isEmpty {
            requestQuery = nil
        } else {
            let filter = requestIDs.count == 1
                ? FieldFilter("request_id", .equal, .string(requestIDs[0]))
                : FieldFilter("request_id", .regex, .string(requestIDs.joined(separator: "|")))
            requestQuery = LogQuery(fieldFilters: [filter], start: start, end: end, limit: 1000, direction: .forward)
        }
    }

    static func oneOf(_ name: String, _ values: [String], prefix: Bool) -> LabelMatcher? {
        guard !values.isEmpty else { return nil }
        let escaped = values.map { v in
            v.map { c -> String in "\\.+*?()|[]{}^$".contains(c) ? "\\\(c)" : String(c) }.joined()
        }
        if !prefix && values.count == 1 { return .equal(name, values[0]) }
        let pattern = prefix ? "(" + escaped.joined(separator: "|") + ").*" : escaped.joined(separator: "|")
        return try? LabelMatcher(.regex, name, pattern)
    }

    /// Adds every `req-<uuid>` in `text` to `ids`.
    static func requestIDs(in text: String, into ids: inout Set<String>) {
        let b = Array(text.utf8)
        guard b.count >= 40 else { return }
        var i = 0
        while i + 40 <= b.count {
            if b[i] == UInt8(ascii: "r") && b[i + 1] == UInt8(ascii: "e") && b[i + 2] == UInt8(ascii: "q") && b[i + 3] == UInt8(ascii: "-"),
                TraceID(parsing: String(decoding: b[(i + 4)..<(i + 40)], as: UTF8.self)) != nil
            {
                ids.insert(String(decoding: b[i..<(i + 40)], as: UTF8.self))
                i += 40
            } else {
                i += 1
            }
        }
    }
}
