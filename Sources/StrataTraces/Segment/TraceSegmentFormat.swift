/// Constants of the span segment file (`NNNNNN.spans`); Docs/format/span-segment.md has the bytes.
enum TraceSegmentFormat {
    /// "STRS" little-endian at offset 0 and again in the footer.
    static let magic: UInt32 = 0x5352_5453
    static let version: UInt8 = 1
    /// Version 2: version 1 plus, at the end of the index, the trace_ids of spans the segment
    /// completes (`completed`). Written only when that list is not empty.
    static let versionWithCompleted: UInt8 = 2
    /// Version 3: the base_id filter is a `PagedBaseIDFilter` region of its own between the
    /// blocks and the index, which the footer locates; the index is decoded only when a query
    /// needs it (a lookup reads one filter page of a segment that does not hold the trace). The
    /// index always ends with the completed list. What writers write.
    static let pagedFilterVersion: UInt8 = 3
    static let currentVersion: UInt8 = 3
    static let headerSize = 8
    /// Versions 1-2: `[indexOffset u64][indexLength u64][crc32c u32][magic u32]`.
    static let footerSize = 24
    /// Version 3: `[indexOffset u64][indexLength u64][filterOffset u64][filterLines u32][crc32c u32][magic u32]`.
    static let pagedFooterSize = 36
    /// Spans per block the writer aims for (blocks end at trace boundaries).
    static let targetBlockSpans = 4096
    /// Largest raw block or index a reader accepts.
    static let maxRawSection = 256 << 20

    /// Span columns coded with segment-wide dictionaries (few distinct values):
    /// name, service, project, host, then SpanInfo fields requestMethod, requestScheme,
    /// dbStatement, functionName, errorType.
    static let dictionaryInfoFields = [0, 3, 4, 6, 9]
    /// SpanInfo fields coded with per-block dictionaries (many distinct values):
    /// requestPath, requestQuery, dbParams, functionArgs, functionKwargs, errorMessage, extra.
    static let blockInfoFields = [1, 2, 5, 7, 8, 10, 11]
    /// Number of segment-dictionary columns.
    static let dictionaryColumns = 4 + dictionaryInfoFields.count
    /// The dictionary columns that have postings: name, service, project, host.
    static let postingColumns = 4
}

/// Which posting column: the order of the first four dictionary columns.
public enum SpanAttribute: Int, Sendable, CaseIterable {
    case name = 0, service, project, host
}
