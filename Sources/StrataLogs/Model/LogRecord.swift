import StrataLabels

/// One log record: a time, the stream it belongs to, the message and the fields parsed
/// out of it.
///
/// ```swift
/// let r = LogRecord(time: .now, stream: try Labels(validating: ["host": "wally113"]), line: Array("up".utf8))
/// ```
///
/// Stream labels are few and low-cardinality (`host`, `program`, `level`, `file`); everything
/// with many values (request ids, instance uuids, users, projects, pids, HTTP fields) is a
/// field, never a stream label.
public struct LogRecord: Sendable, Equatable {
    /// The raw time, nanoseconds since the Unix epoch (the log store's unit, what segments and
    /// queries compare); `time` is the same as a `Timestamp`.
    public var timestamp: Int64
    /// The stream's labels (sorted by name, as `Labels` keeps them).
    public var stream: Labels
    /// The record's text exactly as ingested: the whole line (timestamp, pid, level, context and
    /// message included), continuation lines (tracebacks) joined to it with `\n`. Line filters and
    /// `grep` see this text; queries give it back byte for byte. Not required to be UTF-8.
    public var line: [UInt8]
    /// Parsed fields, e.g. `request_id`, `global_request_id`, `instance`, `user`, `project`,
    /// `pid`, `http_method`, `http_path`, `http_status`, `http_bytes`, `http_time`.
    public var fields: [LogField]
    /// What the ingester had to do to keep this record.
    public var flags: LogRecordFlags

    public init(
        time: Timestamp, stream: Labels, line: [UInt8], fields: [LogField] = [],
        flags: LogRecordFlags = []
    ) {
        self.init(timestamp: time.nanoseconds, stream: stream, line: line, fields: fields, flags: flags)
    }

    /// A record at `timestamp` nanoseconds since the epoch: the raw path inside the package.
    package init(
        timestamp: Int64, stream: Labels, line: [UInt8], fields: [LogField] = [],
        flags: LogRecordFlags = []
    ) {
        self.timestamp = timestamp
        self.stream = stream
        self.line = line
        self.fields = fields
        self.flags = flags
    }

    /// The record's time.
    public var time: Timestamp {
        get { .nanoseconds(timestamp) }
        set { timestamp = newValue.nanoseconds }
    }

    /// The value of field `name`, if present.
    public func field(_ name: String) -> String? {
        fields.first(where: { $0.name == name })?.value
    }
}

/// A field of a log record: a name and its value as text.
public struct LogField: Sendable, Equatable, Hashable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// Flags kept with a record (stored in the segment, shown by queries).
public struct LogRecordFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The line did not parse as its format; the whole line is the message.
    public static let unparsed = LogRecordFlags(rawValue: 1 << 0)
    /// The timestamp could not be read; the documented fallback rule gave it.
    public static let timestampFallback = LogRecordFlags(rawValue: 1 << 1)
    /// The message was longer than the limit and was truncated.
    public static let truncated = LogRecordFlags(rawValue: 1 << 2)
    /// The message is one part of a longer line that was split (see `LogStoreOptions`).
    public static let split = LogRecordFlags(rawValue: 1 << 3)
    /// The message is not valid UTF-8 (stored as bytes; shown with replacement characters).
    public static let invalidUTF8 = LogRecordFlags(rawValue: 1 << 4)
}
