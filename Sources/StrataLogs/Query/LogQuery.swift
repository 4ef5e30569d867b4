import StrataLabels

/// A log search as the store executes it: what LogQL log queries compile to.
///
/// `{host="wally113", program=~"nova-.*"} |= "ERROR" != "DEBUG" | request_id="req-1"`
/// becomes `streams` = two matchers, `lineFilters` = two filters, `fieldFilters` = one filter.
public struct LogQuery: Sendable {
    /// Matchers on stream labels (all must match). An empty list matches every stream.
    public var streams: [LabelMatcher]
    /// Line filters on the record's `line`, applied in order (all must hold).
    public var lineFilters: [LineFilter]
    /// Filters on fields or stream labels (all must hold). A record without the field has the
    /// empty string as its value, as in LogQL.
    public var fieldFilters: [FieldFilter]
    /// Inclusive start and exclusive end, raw nanoseconds since the epoch (`.min` and `.max`: open);
    /// `startTime` and `endTime` are the same as `Timestamp`s.
    public var start: Int64
    public var end: Int64
    /// Maximum records returned (0 = no limit).
    public var limit: Int
    /// `.backward` = newest first (LogQL's default), `.forward` = oldest first.
    public var direction: LogDirection

    public init(
        streams: [LabelMatcher] = [], lineFilters: [LineFilter] = [], fieldFilters: [FieldFilter] = [],
        start: Int64 = .min, end: Int64 = .max, limit: Int = 100, direction: LogDirection = .backward
    ) {
        self.streams = streams
        self.lineFilters = lineFilters
        self.fieldFilters = fieldFilters
        self.start = start
        self.end = end
        self.limit = limit
        self.direction = direction
    }
}

extension LogQuery {
    /// The inclusive start (`.distantPast`: open).
    public var startTime: Timestamp {
        get { .nanoseconds(start) }
        set { start = newValue.nanoseconds }
    }
    /// The exclusive end (`.distantFuture`: open).
    public var endTime: Timestamp {
        get { .nanoseconds(end) }
        set { end = newValue.nanoseconds }
    }
}

/// The order of returned records.
public enum LogDirection: String, Sendable {
    case forward, backward
}

/// A LogQL line filter.
public struct LineFilter: Sendable, Equatable {
    public enum Operator: String, Sendable {
        /// `|=` (contains), `!=` (does not contain), `|~` (regex matches), `!~` (regex does not match).
        case contains = "|=", notContains = "!=", matches = "|~", notMatches = "!~"
    }
    public var op: Operator
    /// The literal (for `|=` / `!=`) or the RE2 pattern (for `|~` / `!~`, unanchored as in Loki).
    public var pattern: String
    /// Case-insensitive literal match (a `(?i)` prefix on a regex means the same).
    public var caseInsensitive: Bool
    public init(_ op: Operator, _ pattern: String, caseInsensitive: Bool = false) {
        self.op = op
        self.pattern = pattern
        self.caseInsensitive = caseInsensitive
    }
}

/// A LogQL label filter on a field or stream label: `| http_status >= 500`, `| level=~"ERROR|CRITICAL"`.
public struct FieldFilter: Sendable, Equatable {
    public enum Operator: String, Sendable {
        case equal = "=", notEqual = "!=", regex = "=~", notRegex = "!~"
        case greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<="
    }
    public enum Value: Sendable, Equatable {
        /// Compared as text (`=`, `!=`, `=~`, `!~`).
        case string(String)
        /// Compared as a number; a record whose value is not a number does not match.
        case number(Double)
        /// Compared as a duration in seconds (`| http_time > 1s`).
        case duration(Double)
    }
    public var name: String
    public var op: Operator
    public var value: Value
    public init(_ name: String, _ op: Operator, _ value: Value) {
        self.name = name
        self.op = op
        self.value = value
    }
}
