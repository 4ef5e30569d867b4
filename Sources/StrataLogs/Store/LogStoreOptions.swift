import StrataLabels
import StrataStorage

/// How a `LogStore` behaves; every field has a default that suits a log server.
public struct LogStoreOptions: Sendable {
    /// When an append is acknowledged (one type for all stores, see `StrataStorage.Durability`).
    public typealias Durability = StrataStorage.Durability

    /// What happens to a line longer than `maxLineBytes`.
    public enum LongLinePolicy: Sendable {
        /// Kept whole, as consecutive records of at most `maxLineBytes` each, flagged `.split`.
        case split
        /// The first `maxLineBytes` are kept, flagged `.truncated`; the rest is counted as dropped bytes.
        case truncate
    }

    /// When appends are acknowledged. Default `.fsync`.
    public var durability: Durability = .fsync
    /// The longest line kept in one record, in bytes. Default 256 KiB.
    public var maxLineBytes: Int = 256 << 10
    /// What to do with longer lines. Default `.split` (nothing is lost).
    public var longLines: LongLinePolicy = .split
    /// The head is flushed into a segment automatically once it holds this many line bytes. Default 64 MiB.
    public var maxHeadBytes: Int = 64 << 20
    /// Rows per block inside a segment (the unit of decompression). Default 8,192.
    public var rowsPerBlock: Int = 8192
    /// Zstandard level for segment columns. Default 3.
    public var compressionLevel: Int32 = 3
    /// WAL segment size in bytes. Default 64 MiB.
    public var walSegmentSize: Int = 64 << 20
    /// Decoded segment sections (block lists, template dictionaries, field index chunk tables)
    /// are kept within about this many bytes, the least recently used dropped first. Default 256 MiB.
    public var sectionCacheBytes: Int = 256 << 20
    /// `compact()` merges neighbouring segments into outputs of at most this many raw line
    /// bytes; a segment of at least half of it is left alone. Default 256 MiB.
    public var compactionTargetBytes: Int = 256 << 20
    /// `compact()` merges segments only while the output spans at most this much time. Default 1 day.
    public var compactionWindow: Duration = .seconds(86_400)

    /// Open for reading while another process may write: nothing on disk is created, repaired or
    /// deleted, the WAL is replayed up to its last whole record, and every write throws
    /// `LogStoreError.readOnly`. Default false.
    public var readOnly = false

    public init() {}
}
