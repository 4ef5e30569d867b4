import StrataEncoding

/// Constants of the metric block file (`NNNNNN.blk`); Docs/format/metric-block.md § Metric block documents every byte.
enum BlockFormat {
    /// "SMB1" read as little-endian bytes 'S' 'M' 'B' 'K'.
    static let magic: UInt32 = 0x4B42_4D53
    static let version: UInt8 = 1
    /// The version of blocks that hold native histogram chunks (series entries gain a histogram
    /// chunk list); float-only blocks are still written as version 1.
    static let histogramVersion: UInt8 = 2
    static let headerSize = 8
    static let footerSize = 64
    /// Largest count of anything (series, symbols, chunks) a reader will believe.
    static let maxCount = 1 << 30
}

/// One chunk of a series inside a block: a time range, a sample count, and the offsets
/// of its timestamp and value records (timestamp records are shared between series
/// that were scraped together).
public struct BlockChunkMeta: Sendable, Equatable {
    public var minTime: Int64
    public var maxTime: Int64
    public var count: Int
    var timestampsOffset: Int
    var valuesOffset: Int
}

/// Block-level facts kept in the footer and the manifest.
public struct BlockStats: Sendable, Equatable {
    public var seriesCount: Int
    public var sampleCount: Int
    public var minTime: Int64
    public var maxTime: Int64
}
