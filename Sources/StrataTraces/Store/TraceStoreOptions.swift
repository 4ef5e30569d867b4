import StrataLabels
import StrataStorage

/// How a `TraceStore` behaves; every field has a default that suits a monitoring server.
public struct TraceStoreOptions: Sendable {
    /// When an append is acknowledged (one type for all stores, see `StrataStorage.Durability`).
    public typealias Durability = StrataStorage.Durability

    /// When appends are acknowledged. Default `.fsync`.
    public var durability: Durability = .fsync
    /// How long (µs, in event time) a start waits for its stop, or a stop for its start, before
    /// a flush turns it into a flagged span. Default 10 minutes.
    public var openSpanTimeout: Int64 = 10 * 60 * 1_000_000
    /// Completed spans held in memory before they are written to a segment. Default 1 million.
    public var maxHeadSpans: Int = 1_000_000
    /// Spans per block the segment writer aims for (smaller: faster lookups, larger files).
    public var blockSpans: Int = 4096
    /// Width of a segment's time partition in µs: a flush writes one segment per window of
    /// trace start times, so a search over an hour reads the segments of that hour. Default 1 h.
    public var segmentRange: Int64 = 3_600_000_000
    /// `compact()` merges neighbouring span segments into outputs of at most this many spans;
    /// a segment of at least half of it is left alone. Default 4 million.
    public var compactionTargetSpans: Int = 4_000_000
    /// `compact()` merges segments only while the output spans at most this much time. Default 1 day.
    public var compactionWindow: Duration = .seconds(86_400)
    /// WAL segment size in bytes. Default 64 MiB.
    public var walSegmentSize: Int = 64 << 20
    /// Bytes of open segment readers (their decoded indexes: dictionaries, block table,
    /// postings, base_id filter; blocks are read as queries need them) kept between queries; the
    /// least recently used segment is closed first. Default 256 MiB.
    public var readerCacheBytes: Int = 256 << 20

    /// Open for reading while another process may write: nothing on disk is created, repaired or
    /// deleted, the WAL is replayed up to its last whole record, and every write throws
    /// `TraceStoreError.readOnly`. Default false.
    public var readOnly = false

    public init() {}
}

/// Errors of the trace store: the same shape as `MetricStoreError` and `LogStoreError`.
public enum TraceStoreError: Error, Sendable, CustomStringConvertible, StoreErrorConvertible {
    /// A file could not be read or written, or its bytes are damaged.
    case storage(StorageError)
    /// An earlier WAL failure (this one) left the store unable to accept writes.
    case failed(StorageError)
    /// A write to a store opened with `readOnly`.
    case readOnly
    /// A request the store refuses, and why (a deletion that names no trace, or one covering
    /// more traces than the manifest's tombstones can hold).
    case invalidRequest(String)

    /// The file error behind `.storage` and `.failed`; nil for `.readOnly`.
    public var storageError: StorageError? {
        switch self {
        case .storage(let e), .failed(let e): e
        case .readOnly, .invalidRequest: nil
        }
    }

    public var description: String {
        switch self {
        case .storage(let e): e.description
        case .failed(let e): "trace store is read-only after a write failure: \(e)"
        case .readOnly: "the trace store was opened read-only; writes need the database opened for writing"
        case .invalidRequest(let why): why
        }
    }
}

/// What the trace store holds.
public struct TraceStoreStats: Sendable {
    /// Spans in segments and in the head (pending events not counted), as searches see them:
    /// resends still in the head and stored parts (a start or stop alone) that a later span
    /// completes are not counted.
    public var spans: Int
    /// Distinct traces. A trace split across segments (or between segments and the head) counts
    /// once when its parts are within `openSpanTimeout` of each other in time; parts further
    /// apart count once each.
    public var traces: Int
    /// Every byte under the store's directory: segments, WAL, manifest.
    public var bytes: Int
    public var segments: Int
    /// Completed spans not yet in a segment.
    public var headSpans: Int
    /// Starts waiting for their stop (and stops for their start).
    public var pendingEvents: Int
    /// Earliest span start and latest span end, µs.
    public var minTime: Int64?
    public var maxTime: Int64?
}
