import StrataLogs

/// What a format's line parser read from one line (the caller builds the `LogRecord`).
struct ParsedLogLine {
    /// Nanoseconds since the epoch, UTC.
    var timestamp: Int64
    /// The canonical level (`LogLevelName`), nil when the format has none.
    var level: String?
    var fields: [LogField] = []
    /// The program named by the line itself (syslog tag, Loghub file prefix), overriding the file's.
    var program: String?
    /// The host named by the line (syslog HOSTNAME, JSON `Hostname`), used when the source has none.
    var host: String?
    /// Where the message starts (after timestamp, pid, level, logger and request context).
    var messageStart: Int

    init(timestamp: Int64, level: String? = nil, messageStart: Int) {
        self.timestamp = timestamp
        self.level = level
        self.messageStart = messageStart
    }
}
