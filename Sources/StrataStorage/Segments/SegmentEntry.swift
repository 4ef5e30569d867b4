/// One immutable segment file named by a store's manifest.
///
/// The storage layer reads only `name` and `sizeBytes` (to check the file); the rest
/// describes the segment to its store and to the compaction and retention jobs.
public struct SegmentEntry: Sendable, Hashable {
    /// The file name within the store directory, as made by `SegmentSet.nextSegmentName(ext:)`.
    public var name: String
    /// What the segment holds, as the store defines it (for example block vs. index file).
    public var kind: UInt8
    /// The compaction level: 0 for a flushed head, higher for merged segments.
    public var level: UInt8
    /// The earliest timestamp in the segment, in the store's unit.
    public var minTime: Int64
    /// The latest timestamp in the segment (inclusive), in the store's unit.
    public var maxTime: Int64
    /// The exact file size; checked when the segment is published and when the store opens.
    public var sizeBytes: UInt64
    /// How many samples, records or spans the segment holds.
    public var recordCount: UInt64
    /// Store-specific bytes, opaque to the storage layer (at most 16 MiB).
    public var metadata: [UInt8]

    /// Describes a segment.
    public init(
        name: String, kind: UInt8, level: UInt8 = 0, minTime: Int64, maxTime: Int64, sizeBytes: UInt64,
        recordCount: UInt64, metadata: [UInt8] = []
    ) {
        self.name = name
        self.kind = kind
        self.level = level
        self.minTime = minTime
        self.maxTime = maxTime
        self.sizeBytes = sizeBytes
        self.recordCount = recordCount
        self.metadata = metadata
    }
}

/// The `kind` byte of every segment file kind, in one place.
public enum SegmentKind {
    /// A metric block (`NNNNNN.blk`).
    public static let metricBlock: UInt8 = 1
}
