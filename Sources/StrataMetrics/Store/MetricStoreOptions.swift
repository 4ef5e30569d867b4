import StrataLabels
import StrataStorage
/// How a `MetricStore` behaves; every field has a default that suits a monitoring server.
public struct MetricStoreOptions: Sendable {
    /// When an append is acknowledged (one type for all stores, see `StrataStorage.Durability`).
    public typealias Durability = StrataStorage.Durability

    /// When appends are acknowledged. Default `.fsync`.
    public var durability: Durability = .fsync
    /// How far behind the newest appended timestamp a sample may be and still be accepted, in ms.
    /// Older samples are rejected and counted. Default 10 minutes.
    public var outOfOrderWindow: Int64 = 10 * 60_000
    /// The most series the store will hold; a new series beyond it is refused. Default 5 million.
    public var seriesLimit: Int = 5_000_000
    /// Width of a block's time partition in ms (blocks are aligned to multiples of it). Default 2 h.
    public var blockRange: Int64 = 2 * 3_600_000
    /// The block ranges `compact()` merges into, in ms, smallest first (each window aligned to
    /// its range). Default 3, 9, 27, 81 and 243 times the default `blockRange` (6 h, 18 h, 54 h, 162 h, 486 h), as Prometheus's compactor; the largest block spans about 20 days.
    public var compactionRanges: [Int64] = [6, 18, 54, 162, 486].map { $0 * 3_600_000 }
    /// The most samples one compaction step merges (it holds its output block in memory, about
    /// a byte a sample, and one series' samples at a time). Default 50 million.
    public var compactionMaxSamples: Int = 50_000_000
    /// Most samples in one chunk. Default 8,192.
    public var maxChunkSamples: Int = 8192
    /// Bytes of open block readers (their decoded symbol, series and postings tables; chunks
    /// are read from the file as queries need them) kept between queries; the least recently
    /// used block is closed first. Default 256 MiB.
    public var readerCacheBytes: Int = 256 << 20
    /// WAL segment size in bytes. Default 64 MiB.
    public var walSegmentSize: Int = 64 << 20
    /// Open for reading while another process may write: nothing on disk is created, repaired or
    /// deleted, the WAL is replayed up to its last whole record, and every write throws
    /// `MetricStoreError.readOnly`. Default false.
    public var readOnly = false

    public init() {}
}

/// A handle to a series registered in a `MetricStore`, for fast appends.
public struct SeriesRef: Hashable, Sendable {
    public let raw: UInt32
    init(_ raw: UInt32) { self.raw = raw }
}

/// Samples for many series, appended in one call (and one WAL record).
public struct SampleBatch: Sendable {
    var refs: [UInt32] = []
    var timestamps: [Int64] = []
    var values: [Double] = []

    /// An empty batch with room for `capacity` samples.
    public init(capacity: Int = 0) {
        refs.reserveCapacity(capacity)
        timestamps.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
    }

    /// Adds a sample for `series` at `time` (rounded down to the millisecond, the store's unit).
    @inlinable
    public mutating func append(_ series: SeriesRef, _ time: Timestamp, _ value: Double) {
        appendRaw(series.raw, time.milliseconds, value)
    }

    /// Adds a sample for `series` at `milliseconds` since the epoch: the raw path, for loops that
    /// already hold Unix milliseconds (the store's unit, so nothing is converted).
    @inlinable
    public mutating func append(_ series: SeriesRef, milliseconds: Int64, _ value: Double) {
        appendRaw(series.raw, milliseconds, value)
    }

    @usableFromInline
    mutating func appendRaw(_ ref: UInt32, _ t: Int64, _ v: Double) {
        refs.append(ref)
        timestamps.append(t)
        values.append(v)
    }

    /// Number of samples in the batch.
    public var count: Int { refs.count }

    /// Empties the batch, keeping its storage.
    public mutating func removeAll() {
        refs.removeAll(keepingCapacity: true)
        timestamps.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
    }
}

/// What happened to the samples of one append.
public struct AppendSummary: Sendable {
    /// Samples stored.
    public var accepted = 0
    /// Exact duplicates (same series, time and value bits) that were ignored.
    public var duplicatesIgnored = 0
    /// Samples older than the out-of-order window, rejected.
    public var tooOld = 0
    /// Samples at a time the series already has with another value, rejected.
    public var conflicts = 0
    /// The first rejections with their reasons (at most `AppendSummary.maxListed`).
    public var rejections: [AppendRejection] = []

    /// How many individual rejections are listed.
    public static let maxListed = 100

    /// Samples refused.
    public var rejected: Int { tooOld + conflicts }

    public init() {}

    mutating func add(_ o: AppendSummary) {
        accepted += o.accepted
        duplicatesIgnored += o.duplicatesIgnored
        tooOld += o.tooOld
        conflicts += o.conflicts
        for r in o.rejections where rejections.count < Self.maxListed { rejections.append(r) }
    }
}

/// One refused sample and why.
public struct AppendRejection: Sendable, CustomStringConvertible {
    public var labels: Labels
    public var timestamp: Int64
    public var value: Double
    public var reason: String
    public var description: String { "\(labels) @\(timestamp): \(reason)" }
}

/// Errors of the metric store.
///
/// Metrics, logs and traces report problems with files the same way: `.storage` carries a
/// `StorageError` that names the file, the offset and what is wrong; `.failed` is the first
/// write failure, after which the store refuses writes; `.readOnly` a write to a reader.
public enum MetricStoreError: Error, Sendable, CustomStringConvertible, StoreErrorConvertible {
    /// A file could not be read or written, or its bytes are damaged.
    case storage(StorageError)
    /// An earlier WAL failure (this one) left the store unable to accept writes.
    case failed(StorageError)
    /// A write to a store opened with `readOnly`.
    case readOnly
    /// Registering one more series would exceed `MetricStoreOptions.seriesLimit`.
    case seriesLimit(limit: Int, labels: Labels)
    /// A `SeriesRef` that this store never handed out.
    case unknownSeries(UInt32)
    /// A histogram sample whose spans, buckets or bounds disagree.
    case invalidHistogram(labels: Labels, timestamp: Int64, reason: String)

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
        case .failed(let e): "metric store is read-only after a write failure: \(e)"
        case .readOnly: "the metric store was opened read-only; writes need the database opened for writing"
        case .seriesLimit(let limit, let labels):
            "series limit of \(limit) reached; refused new series \(labels) (raise MetricStoreOptions.seriesLimit)"
        case .unknownSeries(let r): "unknown series ref \(r)"
        case .invalidHistogram(let l, let t, let r): "invalid histogram for \(l) at \(t): \(r)"
        }
    }
}
