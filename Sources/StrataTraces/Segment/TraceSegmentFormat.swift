/// Constants of the span segment file (`NNNNNN.spans`); Docs/format/span-segment.md has the bytes.
enum TraceSegmentFormat {
    /// "STRS" little-endian at offset 0 and again in the footer.
    static let magic: UInt32 = 0x5352_5453
    static let version: UInt8 = 1
    /// Version 2: version 1 plus, at the end of the index, the trace_ids of spans the segment
    /// completes (`completed`). Written only when that list is not empty.
    static let versionWithCompleted: UInt8 = 2
    static let headerSize = 8
    static let footerSize = 24
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
