import StrataEncoding
import StrataStorage

/// The store's bytes in a span segment's manifest entry (FORMAT.md, "Span segment manifest entry").
struct SegmentMetadata: Sendable, Equatable {
    /// Traces (distinct base_ids) in the segment.
    var traces: Int
    /// Those of them that no earlier span segment holds part of.
    var newTraces: Int
    /// trace_ids of spans that an earlier segment holds as their start or stop alone (flagged
    /// incomplete or missingStart) and that this segment holds whole: the earlier copies are left out of searches,
    /// statistics and counts.
    var completed: [TraceID]

    /// At most this many completed ids are listed (16 bytes each; the manifest caps an entry's bytes).
    static let maxCompleted = 65_536

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 8 + completed.count * 16)
        w.appendVarint(UInt64(traces))
        w.appendVarint(UInt64(newTraces))
        let listed = completed.prefix(SegmentMetadata.maxCompleted)
        w.appendVarint(UInt64(listed.count))
        var ids: [UInt8] = []
        ids.reserveCapacity(listed.count * 16)
        for id in listed { id.append(to: &ids) }
        w.append(contentsOf: ids)
        return w.bytes
    }

    /// Decodes `bytes`; entries written before 2026-12 hold `traces` alone (or with `newTraces`).
    /// Bytes that do not decode give what was read so far (the manifest's checksum guards them).
    init(decoding bytes: [UInt8]) {
        var r = ByteReader(bytes)
        traces = Int(clamping: (try? r.readVarint()) ?? 0)
        newTraces = r.isAtEnd ? traces : Int(clamping: (try? r.readVarint()) ?? UInt64(traces))
        completed = []
        guard !r.isAtEnd, let n = try? r.readVarint(), n <= UInt64(r.remaining / 16) else { return }
        for _ in 0..<Int(n) {
            guard let b = try? r.readBytes(16) else { break }
            completed.append(Array(b).withUnsafeBytes { TraceID(bytes16: $0) })
        }
    }

    init(traces: Int, newTraces: Int, completed: [TraceID]) {
        self.traces = traces
        self.newTraces = newTraces
        self.completed = completed
    }
}
