import StrataLabels
import StrataLogs
import StrataMetrics

/// What a `LogTextParser` did with its input.
public struct LogParseCounts: Sendable, Equatable {
    /// Lines read (continuation and blank lines included).
    public var lines = 0
    /// Records produced.
    public var records = 0
    /// Lines that did not parse as the format: kept as records flagged `.unparsed`.
    public var unparsed = 0
    /// Lines joined to the record above them (tracebacks).
    public var continuationLines = 0
    /// Records whose time came from the fallback rule (flag `.timestampFallback`).
    public var timestampFallbacks = 0
    /// Records whose text is not valid UTF-8 (flag `.invalidUTF8`; kept as bytes).
    public var invalidUTF8 = 0
    /// Empty lines outside a record (nothing to keep).
    public var blankLines = 0
    public init() {}
}

/// Turns log text into `LogRecord`s, streaming: feed it buffers of bytes, it consumes whole lines.
///
/// Rules (Docs/ingest-formats.md, "Logs"):
/// - Each line is parsed as `format`; the record keeps the whole line as its `line`.
/// - A line that does not parse and starts with a space, a tab or `Traceback`, or follows such a
///   line, continues the record above it (joined with `\n`): Python tracebacks after ERROR records.
/// - Any other line that does not parse is a record of its own, flagged `.unparsed`, with no
///   fields; its time is read from its start if it starts with an ISO 8601 or syslog time.
/// - Fallback time (flag `.timestampFallback`): the previous record's time in the same file; before
///   the first timed record of a file, that record's time; in a file with none, `fallbackTimestamp`.
/// - Labels: `host`, `program`, `level`, `file` (absent ones are left out); fields as each format says.
/// - RFC 3164 times take `syslogYear`; a time more than half a year before the previous record's
///   moves to the next year (a file that runs over New Year).
///
/// ```swift
/// var parser = LogTextParser(format: .oslo, source: LogSource(path: "logs/wally113/nova-api.log"))
/// var records: [LogRecord] = []
/// let used = bytes.withUnsafeBufferPointer { parser.parse($0, isFinal: true, into: &records) }
/// ```
public struct LogTextParser {
    public let format: LogFormat
    public let source: LogSource
    public var jsonMapping: JSONLogMapping
    /// The year of RFC 3164 times (they carry none). Updated from every full timestamp seen, so a
    /// syslog file read after others of the same run takes their year.
    public var syslogYear: Int
    /// Time given to records of a file that has no readable time at all (ns).
    public var fallbackTimestamp: Int64
    public private(set) var counts = LogParseCounts()

    private var pending: LogRecord?
    private var pendingHasContinuation = false
    private var lastTimestamp: Int64?
    /// Records waiting for the first timed record of the file.
    private var untimed: [LogRecord] = []
    private var streams: [StreamKey: Labels] = [:]
    private var lastStream: (key: StreamKey, labels: Labels)?
    private var programCache: (bytes: [UInt8], name: String) = ([], "")
    private static let halfYear: Int64 = 183 * 86_400 * 1_000_000_000

    private struct StreamKey: Hashable {
        var level: String?
        var program: String?
        var host: String?
    }

    public init(
        format: LogFormat, source: LogSource, jsonMapping: JSONLogMapping = JSONLogMapping(), syslogYear: Int = 2019,
        fallbackTimestamp: Int64 = 0
    ) {
        self.format = format
        self.source = source
        self.jsonMapping = jsonMapping
        self.syslogYear = syslogYear
        self.fallbackTimestamp = fallbackTimestamp
    }

    /// Parses the whole lines at the start of `bytes` (every byte when `isFinal`) and appends the
    /// finished records to `records`. The last record is held back until the next line shows it
    /// has no continuation; `isFinal` releases it.
    /// - Returns: the number of bytes consumed; pass the rest again with more data.
    public mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>, isFinal: Bool, into records: inout [LogRecord]) -> Int {
        var start = 0
        let n = bytes.count
        guard let base = bytes.baseAddress else {
            if isFinal { finish(into: &records) }
            return 0
        }
        while start < n {
            let rest = UnsafeRawBufferPointer(start: base + start, count: n - start)
            let nl: Int
            if let i = rest.firstIndex(of: 0x0A) {
                nl = start + i
            } else if isFinal {
                nl = n
            } else {
                break
            }
            var end = nl
            if end > start, bytes[end - 1] == 0x0D { end -= 1 }
            line(UnsafeBufferPointer(start: base + start, count: end - start), into: &records)
            start = min(nl + 1, n)
        }
        if isFinal { finish(into: &records) }
        return start
    }

    /// Releases the held-back record and any records still waiting for a time.
    public mutating func finish(into records: inout [LogRecord]) {
        if let r = pending { emit(r, into: &records) }
        pending = nil
        pendingHasContinuation = false
        if !untimed.isEmpty {
            for var r in untimed {
                r.timestamp = fallbackTimestamp
                records.append(r)
            }
            untimed.removeAll()
        }
    }

    private mutating func line(_ p: UnsafeBufferPointer<UInt8>, into records: inout [LogRecord]) {
        counts.lines += 1
        if p.isEmpty {
            if pending != nil && pendingHasContinuation {
                pending!.line.append(0x0A)
                counts.continuationLines += 1
            } else {
                counts.blankLines += 1
            }
            return
        }
        var parsed: ParsedLogLine?
        switch format {
        case .oslo: parsed = OsloLineParser.parse(p, programCache: &programCache)
        case .syslog: parsed = SyslogLineParser.parse(p, year: syslogYear)
        case .platform: parsed = PlatformLineParser.parse(p)
        case .jsonl: parsed = JSONLineParser.parse(p, mapping: jsonMapping)
        case .plain: parsed = nil
        }
        // RFC 3164 has no year: a time far before the previous record's means the year turned.
        if format == .syslog, let t = parsed?.timestamp, let last = pending?.timestamp ?? lastTimestamp, t < last - Self.halfYear {
            syslogYear += 1
            parsed = SyslogLineParser.parse(p, year: syslogYear)
        }
        if let parsed {
            if let r = pending { emit(r, into: &records) }
            let record = LogRecord(
                timestamp: parsed.timestamp, stream: stream(parsed.level, parsed.program, parsed.host),
                line: Array(p), fields: parsed.fields)
            if format != .syslog { syslogYear = LogTimestamp.year(ofNanoseconds: parsed.timestamp) }
            pending = record
            pendingHasContinuation = false
            return
        }
        let c = p[0]
        if format != .jsonl, format != .plain, var r = pending,
            pendingHasContinuation || c == 0x20 || c == 0x09 || LogBytes.hasPrefix(p, 0, "Traceback")
        {
            r.line.append(0x0A)
            r.line.append(contentsOf: p)
            pending = r
            pendingHasContinuation = true
            counts.continuationLines += 1
            return
        }
        if let r = pending { emit(r, into: &records) }
        var record = LogRecord(timestamp: 0, stream: stream(nil, nil, nil), line: Array(p))
        if format != .plain {
            record.flags.insert(.unparsed)
            counts.unparsed += 1
        }
        if let (ns, _) = LogTimestamp.iso8601(p, 0) ?? LogTimestamp.bsdSyslog(p, 0, year: syslogYear) {
            record.timestamp = ns
        } else {
            record.flags.insert(.timestampFallback)
            counts.timestampFallbacks += 1
        }
        pending = record
        pendingHasContinuation = false
    }

    /// Gives a fallback time, checks UTF-8 and hands the record out (or parks it until a time is known).
    private mutating func emit(_ record: LogRecord, into records: inout [LogRecord]) {
        var r = record
        counts.records += 1
        if !Self.isASCII(r.line), String(validating: r.line, as: UTF8.self) == nil {
            r.flags.insert(.invalidUTF8)
            counts.invalidUTF8 += 1
        }
        if r.flags.contains(.timestampFallback) {
            guard let last = lastTimestamp else {
                untimed.append(r)
                if untimed.count >= 100_000 { finishUntimed(at: fallbackTimestamp, into: &records) }
                return
            }
            r.timestamp = last
        } else {
            if !untimed.isEmpty { finishUntimed(at: r.timestamp, into: &records) }
            lastTimestamp = r.timestamp
        }
        records.append(r)
    }

    private mutating func finishUntimed(at t: Int64, into records: inout [LogRecord]) {
        for var u in untimed {
            u.timestamp = t
            records.append(u)
        }
        untimed.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    private static func isASCII(_ b: [UInt8]) -> Bool {
        b.withUnsafeBufferPointer { p in
            var i = 0
            let n = p.count
            if let base = p.baseAddress {
                let raw = UnsafeRawPointer(base)
                while i + 8 <= n {
                    if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
                    i += 8
                }
            }
            while i < n {
                if p[i] >= 0x80 { return false }
                i += 1
            }
            return true
        }
    }

    /// The stream labels of a record (cached: few distinct streams per file).
    private mutating func stream(_ level: String?, _ program: String?, _ host: String?) -> Labels {
        let key = StreamKey(level: level, program: program, host: host)
        if let last = lastStream, last.key == key { return last.labels }
        if let s = streams[key] {
            lastStream = (key, s)
            return s
        }
        var labels: [Label] = []
        if let f = source.file { labels.append(Label("file", f)) }
        if let h = source.host ?? host { labels.append(Label("host", h)) }
        if let level { labels.append(Label("level", level)) }
        if let p = program ?? source.program { labels.append(Label("program", p)) }
        let s = Labels(sorted: labels)
        streams[key] = s
        return s
    }
}
