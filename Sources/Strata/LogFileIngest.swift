import StrataIngest
import StrataLabels
import StrataLogs

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@_exported import enum StrataIngest.LogFormat
@_exported import struct StrataIngest.JSONLogMapping
@_exported import struct StrataIngest.LogSource
@_exported import struct StrataIngest.LogParseCounts

/// What ingesting one log file did.
public struct LogFileIngestReport: Sendable {
    public var path: String
    public var format: LogFormat
    public var bytesRead = 0
    /// Records appended to the store.
    public var recordsAccepted = 0
    /// What the parser counted (unparsed lines, continuation lines, timestamp fallbacks, invalid UTF-8).
    public var counts = LogParseCounts()
}

/// Streams log files into a `LogStore`, parsing them with `LogTextParser` in 4 MiB reads.
///
/// ```swift
/// var ingester = LogFileIngester()
/// let report = try ingester.ingest(path: "logs/wally113/nova-api.log", into: db.logs)
/// ```
public struct LogFileIngester {
    /// Label `host` for every record (nil: from the path `logs/<host>/...` or the line).
    public var host: String?
    /// The JSON lines mapping.
    public var jsonMapping = JSONLogMapping()
    /// The year given to RFC 3164 syslog times; updated from the full timestamps of every file
    /// ingested before (so `messages` read after `nova-api.log` takes its year).
    public var syslogYear: Int
    /// Time of records in a file that has no readable time at all, raw nanoseconds since the epoch.
    public var fallbackTimestamp: Int64
    /// Records per append (a WAL record each).
    public var batchSize = 8192
    /// Called with bytes read so far in the current file.
    public var progress: ((Int) -> Void)?

    /// - Parameter now: the ingest time: the fallback for files without times, and its year the
    ///   first guess for syslog files (the epoch by default).
    public init(now: Timestamp = .nanoseconds(0)) {
        self.init(now: now.nanoseconds)
    }

    /// An ingester with a raw nanoseconds ingest time: the path inside the package.
    package init(now: Int64) {
        self.fallbackTimestamp = now
        self.syslogYear = now == 0 ? 1970 : Self.year(ofNanoseconds: now)
    }

    /// The format of a log file from its first bytes (`LogFormat.detect`); nil when the file looks
    /// like something else (metric text, an empty file).
    public static func detectFormat(head: [UInt8], jsonMapping: JSONLogMapping = JSONLogMapping()) -> LogFormat {
        LogFormat.detect(head: head, jsonMapping: jsonMapping)
    }

    /// Parses and appends one file.
    /// - Throws: `IngestError.read` when the file cannot be read, `.logs` when the store refuses a write.
    public mutating func ingest(path: String, format: LogFormat, into store: LogStore) throws(IngestError) -> LogFileIngestReport {
        try ingest(path: path, format: format) { (records) throws(LogStoreError) in try store.append(records) }
    }

    /// Parses one file and hands its records to `sink` in batches of `batchSize` (a dry run passes
    /// a sink that drops them).
    /// - Throws: `IngestError.read` when the file cannot be read, `.logs` with what `sink` throws.
    public mutating func ingest(
        path: String, format: LogFormat, sink: ([LogRecord]) throws(LogStoreError) -> Void
    ) throws(IngestError) -> LogFileIngestReport {
        var report = LogFileIngestReport(path: path, format: format)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IngestError.read(.io(operation: "open", path: path, offset: nil, errno: errno)) }
        defer { close(fd) }
        var parser = LogTextParser(
            format: format, source: LogSource(path: path, host: host), jsonMapping: jsonMapping, syslogYear: syslogYear,
            fallbackTimestamp: fallbackTimestamp)
        var buffer = [UInt8](repeating: 0, count: 4 << 20)
        var carry = 0
        var eof = false
        var records: [LogRecord] = []
        records.reserveCapacity(batchSize)
        while !eof {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + carry, $0.count - carry) }
            if n < 0 { throw IngestError.read(.io(operation: "read", path: path, offset: report.bytesRead, errno: errno)) }
            if n == 0 { eof = true }
            report.bytesRead += n
            let filled = carry + n
            let consumed = buffer.withUnsafeBufferPointer {
                parser.parse(UnsafeBufferPointer(rebasing: $0[0..<filled]), isFinal: eof, into: &records)
            }
            carry = filled - consumed
            if carry > 0 {
                if consumed == 0 && carry == buffer.count {
                    buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count))  // a line longer than the buffer
                } else {
                    buffer.withUnsafeMutableBytes { b in
                        b.baseAddress!.copyMemory(from: b.baseAddress! + consumed, byteCount: carry)
                    }
                }
            }
            if records.count >= batchSize || (eof && !records.isEmpty) {
                do { try sink(records) } catch { throw .logs(error) }
                report.recordsAccepted += records.count
                records.removeAll(keepingCapacity: true)
            }
            progress?(report.bytesRead)
        }
        report.counts = parser.counts
        if format != .syslog { syslogYear = parser.syslogYear }
        return report
    }

    static func year(ofNanoseconds ns: Int64) -> Int {
        var t = time_t(ns / 1_000_000_000)
        var tm = tm()
        gmtime_r(&t, &tm)
        return Int(tm.tm_year) + 1900
    }
}
