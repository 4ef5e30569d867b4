import StrataEncoding
import StrataStorage

/// The store's bytes in a span segment's manifest entry (Docs/format/manifest.md § Trace store state and span segment manifest entry).
struct SegmentMetadata: Sendable, Equatable {
    /// Traces (distinct base_ids) in the segment.
    var traces: Int
    /// Those of them that no earlier span segment holds part of.
    var newTraces: Int

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 8)
        w.appendVarint(UInt64(traces))
        w.appendVarint(UInt64(newTraces))
        return w.bytes
    }
}

extension SegmentMetadata {
    /// Decodes `bytes`; entries written before 2026-12 hold `traces` alone. Bytes that do not
    /// decode give what was read so far (the manifest's checksum guards them); bytes after
    /// the two numbers are ignored.
    init(decoding bytes: [UInt8]) {
        var r = ByteReader(bytes)
        let traces = Int(clamping: (try? r.readVarint()) ?? 0)
        self.init(traces: traces, newTraces: r.isAtEnd ? traces : Int(clamping: (try? r.readVarint()) ?? UInt64(traces)))
    }
}
