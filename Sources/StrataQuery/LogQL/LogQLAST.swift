import StrataLabels
import StrataLogs
import StrataMetrics

/// A parsed LogQL query: a log query (lines) or a metric query over logs (numbers).
public enum LogQLExpr: Sendable {
    /// `{host="wally113"} |= "ERROR" | request_id="req-1"`: returns log lines.
    case logs(LogSelectorExpr)
    /// `sum by (host) (count_over_time({level="ERROR"}[1m]))`: returns a vector or matrix. The
    /// tree is PromQL's, with `LogRangeAggregation` nodes (reached through `.extension`) at the leaves.
    case metric(Expr)
}

/// A stream selector and its pipeline: what a log query selects.
public struct LogSelectorExpr: Sendable, CustomStringConvertible {
    /// Stream label matchers (`{...}`); at least one must not match the empty string.
    public var streams: [LabelMatcher]
    /// Line filters in order.
    public var lineFilters: [LineFilter]
    /// Label filters (`| name op value`), all of which must hold.
    public var fieldFilters: [FieldFilter]
    /// Label filter stages that use `or` (log queries only): each stage is a list of `and` groups,
    /// at least one of which must hold (`| a="x" or b="y" and c="z"` is `[[a], [b, c]]`).
    public var alternatives: [[[FieldFilter]]] = []
    public var range: SourceRange

    public init(streams: [LabelMatcher], lineFilters: [LineFilter] = [], fieldFilters: [FieldFilter] = [], range: SourceRange) {
        self.streams = streams
        self.lineFilters = lineFilters
        self.fieldFilters = fieldFilters
        self.range = range
    }

    /// The store's query for this selector over `[start, end)`, ignoring `alternatives` (callers
    /// check that there are none, or use `logQueries`).
    public func logQuery(start: Timestamp, end: Timestamp, limit: Int, direction: LogDirection = .backward) -> LogQuery {
        logQuery(start: start.nanoseconds, end: end.nanoseconds, limit: limit, direction: direction)
    }

    /// The store queries whose union this selector selects over `[start, end)`: one per
    /// combination of the `or` stages' groups (one query when there are none).
    public func logQueries(start: Timestamp, end: Timestamp, limit: Int, direction: LogDirection = .backward) -> [LogQuery] {
        logQueries(start: start.nanoseconds, end: end.nanoseconds, limit: limit, direction: direction)
    }

    /// `logQuery(start:end:limit:direction:)` over raw nanoseconds: the path inside the package.
    package func logQuery(start: Int64, end: Int64, limit: Int, direction: LogDirection = .backward) -> LogQuery {
        LogQuery(
            streams: streams, lineFilters: lineFilters, fieldFilters: fieldFilters, start: start, end: end, limit: limit,
            direction: direction)
    }

    /// `logQueries(start:end:limit:direction:)` over raw nanoseconds: the path inside the package.
    package func logQueries(start: Int64, end: Int64, limit: Int, direction: LogDirection = .backward) -> [LogQuery] {
        var combos: [[FieldFilter]] = [fieldFilters]
        for stage in alternatives {
            combos = combos.flatMap { base in stage.map { base + $0 } }
        }
        return combos.map {
            LogQuery(
                streams: streams, lineFilters: lineFilters, fieldFilters: $0, start: start, end: end, limit: limit,
                direction: direction)
        }
    }

    public var description: String {
        var s = "{" + streams.map(\.description).joined(separator: ", ") + "}"
        for f in lineFilters {
            let pattern = (f.caseInsensitive && !f.pattern.hasPrefix("(?i)") ? "(?i)" : "") + f.pattern
            s += " \(f.op.rawValue) \"\(Labels.escape(pattern))\""
        }
        for f in fieldFilters {
            s += " | " + Self.describe(f)
        }
        for stage in alternatives {
            s += " | " + stage.map { $0.map(Self.describe).joined(separator: " and ") }.joined(separator: " or ")
        }
        return s
    }

    static func describe(_ f: FieldFilter) -> String {
        let value: String
        switch f.value {
        case .string(let v): value = "\"\(Labels.escape(v))\""
        case .number(let v): value = v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
        case .duration(let v): value = "\(v)s"
        }
        return "\(f.name)\(f.op.rawValue)\(value)"
    }
}

/// The functions that turn a log range into numbers.
public enum LogRangeFunction: String, Sendable, CaseIterable {
    /// Records in the range.
    case count_over_time
    /// Records per second (`count_over_time / range seconds`).
    case rate
    /// Bytes of the records' lines in the range.
    case bytes_over_time
    /// Line bytes per second.
    case bytes_rate
}

/// `count_over_time({...} |= "x" [5m] offset 1m)`: one series per stream, evaluated at each step
/// over the window `(t - range - offset, t - offset]`.
public struct LogRangeAggregation: ExprExtension {
    public var function: LogRangeFunction
    public var selector: LogSelectorExpr
    /// The range in ms.
    public var rangeMilliseconds: Int64
    /// The offset in ms (0 when absent).
    public var offsetMilliseconds: Int64
    public var range: SourceRange

    public var description: String {
        var s = "\(function.rawValue)(\(selector) [\(DurationLiteral.format(milliseconds: rangeMilliseconds))]"
        if offsetMilliseconds != 0 { s += " offset \(DurationLiteral.format(milliseconds: offsetMilliseconds))" }
        return s + ")"
    }
}
