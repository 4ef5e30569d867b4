import StrataStorage
import StrataLabels

/// Where a record lives: a segment and a row in it.
///
/// An id of a flushed record (`segment` > 0, the number in its file name) stays valid as long
/// as the segment lives. Records still in the head have `segment == LogRecordID.head` and a row
/// in arrival order; such ids are valid until the next `flush()`.
public struct LogRecordID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The segment number (`000042.logs` is 42), or `LogRecordID.head`.
    public var segment: UInt64
    /// The row within the segment (rows are sorted by time), or the arrival index in the head.
    public var row: UInt32
    /// The `segment` value of records still in the head.
    public static let head = UInt64.max

    public init(segment: UInt64, row: UInt32) {
        self.segment = segment
        self.row = row
    }
    public static func < (a: LogRecordID, b: LogRecordID) -> Bool {
        (a.segment, a.row) < (b.segment, b.row)
    }
    public var description: String { segment == Self.head ? "head:\(row)" : "\(segment):\(row)" }
}

/// A record found by a search, with its id.
public struct LogHit: Sendable, Equatable {
    public var id: LogRecordID
    public var record: LogRecord
}

/// What a search did, for `explain` output and benchmarks.
public struct LogSearchStats: Sendable, Equatable {
    /// Segments whose time range and stream table were looked at.
    public var segmentsConsidered = 0
    /// Segments skipped by time range, stream matchers or indexes without reading rows.
    public var segmentsSkipped = 0
    /// Blocks (of `rowsPerBlock` rows) looked at, and those skipped by indexes.
    public var blocksConsidered = 0
    public var blocksSkipped = 0
    /// Rows whose line or fields were checked one by one (candidates the indexes could not decide).
    public var rowsVerified = 0
    /// Rows decided by an index alone (field index hits, template decisions).
    public var rowsDecidedByIndex = 0
    /// Bytes decompressed from segment files.
    public var bytesDecoded = 0
    /// Head records scanned.
    public var headRecordsScanned = 0
    public init() {}
}

/// The answer to `LogStore.search`.
public struct LogSearchResult: Sendable {
    /// At most `query.limit` records, newest first for `.backward`, oldest first for `.forward`
    /// (ties in time keep ingestion order).
    public var hits: [LogHit]
    /// What the search did.
    public var stats: LogSearchStats
    public init(hits: [LogHit], stats: LogSearchStats) {
        self.hits = hits
        self.stats = stats
    }
}

/// Counts per time bucket for one stream (`LogStore.countOverTime`).
public struct LogCountSeries: Sendable, Equatable {
    /// The stream's labels.
    public var stream: Labels
    /// `counts[i]` counts records with `start + i*step <= t < start + (i+1)*step`.
    public var counts: [Int]
    public init(stream: Labels, counts: [Int]) {
        self.stream = stream
        self.counts = counts
    }
}

/// Sizes and counts of a log store (`LogStore.stats()`).
public struct LogStoreStats: Sendable, Equatable {
    /// Records stored (segments and head).
    public var records = 0
    /// Line bytes ingested and stored (segments and head).
    public var rawBytes = 0
    /// Records in the head (not yet in a segment).
    public var headRecords = 0
    /// Live segment files.
    public var segments = 0
    /// Bytes of segment files (data and every index).
    public var segmentBytes = 0
    /// Bytes of the WAL directory.
    public var walBytes = 0
    /// Bytes of the manifest.
    public var manifestBytes = 0
    /// Everything on disk: segments, WAL and manifest.
    public var diskBytes: Int { segmentBytes + walBytes + manifestBytes }
    /// Lines split into several records or truncated since the store was opened.
    public var splitLines = 0
    public var truncatedLines = 0
    /// The oldest and newest record times held (ns since the epoch; nil when empty), hidden
    /// (deleted, not yet applied) records included.
    public var minTime: Int64?
    public var maxTime: Int64?
    public init() {}
}

/// Errors of the log store: the same shape as `MetricStoreError` and `TraceStoreError`, plus
/// the query errors only logs have.
public enum LogStoreError: Error, Sendable, Equatable, CustomStringConvertible, StoreErrorConvertible {
    /// A file could not be read or written, or its bytes are damaged (file, offset, what).
    case storage(StorageError)
    /// An earlier WAL failure (this one) left the store unable to accept writes.
    case failed(StorageError)
    /// A write to a store opened with `readOnly`.
    case readOnly
    /// A line filter's or field filter's regular expression does not compile.
    case invalidRegex(pattern: String, reason: String)
    /// A query asks for something impossible (e.g. a non-positive step).
    case invalidQuery(String)
    /// No record has this id (any more).
    case unknownRecord(LogRecordID)

    /// Damaged bytes at `offset` of the segment file `path`.
    static func corrupt(path: String, offset: Int, detail: String) -> LogStoreError {
        .storage(.corrupt(path: path, offset: offset, detail: detail))
    }

    /// The file error behind `.storage` and `.failed`; nil for the other cases.
    public var storageError: StorageError? {
        switch self {
        case .storage(let e), .failed(let e): e
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .storage(let e): e.description
        case .failed(let e): "log store is read-only after a write failure: \(e)"
        case .readOnly: "the log store was opened read-only; writes need the database opened for writing"
        case .invalidRegex(let p, let r): "invalid regular expression \"\(p)\": \(r)"
        case .invalidQuery(let s): "invalid log query: \(s)"
        case .unknownRecord(let id): "no log record \(id)"
        }
    }
}
