import StrataEncoding

/// What a written span segment holds.
struct TraceSegmentStats: Sendable {
    var spanCount = 0
    var traceCount = 0
    var minStart = Int64.max
    var maxEnd = Int64.min
}

/// The order of spans in a segment: (base_id, parent_id, start, trace_id), then input order.
struct SortKey: Comparable {
    var base: TraceID
    var parent: TraceID
    var start: Int64
    var trace: TraceID
    var index: Int

    static func < (a: SortKey, b: SortKey) -> Bool {
        if a.base != b.base { return a.base < b.base }
        if a.parent != b.parent { return a.parent < b.parent }
        if a.start != b.start { return a.start < b.start }
        if a.trace != b.trace { return a.trace < b.trace }
        return a.index < b.index
    }
}

/// Per-block facts in a segment's index: where the block is and what it can match.
struct TraceBlockInfo: Sendable {
    var offset: Int
    var length: Int
    var spanCount: Int
    var traceCount: Int
    var firstBase: TraceID
    var lastBase: TraceID
    var minStart: Int64
    var maxEnd: Int64
    var minDuration: Int64
    var maxDuration: Int64
    var errorSpans: Int
}

/// One posting: a block holding spans with an attribute value, and what those spans span.
struct TracePosting: Sendable {
    var block: Int
    var minStart: Int64
    var maxStart: Int64
    var maxDuration: Int64
    var errorSpans: Int
}

/// Writes a span segment: header, zstd-framed blocks of whole traces, a zstd-framed index
/// (dictionaries, block table, postings, base_id filter) and a footer (FORMAT.md § Trace store).
enum TraceSegmentWriter {
    /// Encodes `spans` (any order) as one segment file.
    static func encode(_ input: [Span], blockSpans: Int = TraceSegmentFormat.targetBlockSpans, level: Int32 = 9)
        -> (bytes: [UInt8], stats: TraceSegmentStats)
    {
        // Sort by (base_id, parent_id, start) through an index, to move each span once.
        // Sort small keys, not the spans (each holds many strings: copying them costs).
        var keys = input.enumerated().map { i, s in SortKey(base: s.baseID, parent: s.parentID, start: s.start, trace: s.traceID, index: i) }
        keys.sort()
        let spans = keys.map { input[$0.index] }

        var w = ByteWriter(capacity: input.count * 24 + 4096)
        w.appendUInt32(TraceSegmentFormat.magic)
        w.appendUInt8(TraceSegmentFormat.version)
        w.append(contentsOf: [0, 0, 0])
        var dictionaries = TraceBlockCodec.Dictionaries()
        var blocks: [TraceBlockInfo] = []
        var postings: [[Int: [TracePosting]]] = Array(repeating: [:], count: TraceSegmentFormat.postingColumns)
        var stats = TraceSegmentStats()
        let context = ZstdContext()
        var i = 0
        while i < spans.count {
            var j = i
            var traces = 0
            while j < spans.count && (j - i < blockSpans || spans[j].baseID == spans[j - 1].baseID) {
                if j == i || spans[j].baseID != spans[j - 1].baseID { traces += 1 }
                j += 1
            }
            let (sections, codes) = TraceBlockCodec.encode(spans[i..<j], dictionaries: &dictionaries)
            let offset = w.count
            BlockCompression.appendFramed(sections[0], codec: .none, to: &w)
            for section in sections.dropFirst() {
                BlockCompression.appendFramed(section, codec: .zstd, level: level, to: &w, context: context)
            }
            var info = TraceBlockInfo(
                offset: offset, length: w.count - offset, spanCount: j - i, traceCount: traces,
                firstBase: spans[i].baseID, lastBase: spans[j - 1].baseID, minStart: .max, maxEnd: .min,
                minDuration: .max, maxDuration: .min, errorSpans: 0)
            var blockPostings: [[Int: TracePosting]] = Array(repeating: [:], count: TraceSegmentFormat.postingColumns)
            for k in i..<j {
                let s = spans[k]
                info.minStart = min(info.minStart, s.start)
                info.maxEnd = max(info.maxEnd, s.end)
                info.minDuration = min(info.minDuration, s.duration)
                info.maxDuration = max(info.maxDuration, s.duration)
                let err = s.isError ? 1 : 0
                info.errorSpans += err
                for c in 0..<TraceSegmentFormat.postingColumns {
                    let v = codes[c][k - i]
                    var p = blockPostings[c][v] ?? TracePosting(
                        block: blocks.count, minStart: .max, maxStart: .min, maxDuration: .min, errorSpans: 0)
                    p.minStart = min(p.minStart, s.start)
                    p.maxStart = max(p.maxStart, s.start)
                    p.maxDuration = max(p.maxDuration, s.duration)
                    p.errorSpans += err
                    blockPostings[c][v] = p
                }
            }
            for c in 0..<TraceSegmentFormat.postingColumns {
                for (v, p) in blockPostings[c] { postings[c][v, default: []].append(p) }
            }
            stats.minStart = min(stats.minStart, info.minStart)
            stats.maxEnd = max(stats.maxEnd, info.maxEnd)
            stats.traceCount += traces
            blocks.append(info)
            i = j
        }
        stats.spanCount = spans.count

        var filter = BaseIDFilter(count: stats.traceCount)
        var x = ByteWriter(capacity: blocks.count * 64 + 1024)
        x.appendVarint(UInt64(stats.spanCount))
        x.appendVarint(UInt64(stats.traceCount))
        x.appendVarint(UInt64(blocks.count))
        for c in 0..<TraceSegmentFormat.dictionaryColumns {
            x.appendVarint(UInt64(dictionaries.values[c].count))
            for v in dictionaries.values[c] { x.appendLengthPrefixed(v) }
        }
        x.appendVarint(UInt64(dictionaries.kinds.count))
        for k in dictionaries.kinds { for code in k { x.appendVarint(UInt64(code)) } }
        for b in blocks {
            x.appendVarint(UInt64(b.offset))
            x.appendVarint(UInt64(b.length))
            x.appendVarint(UInt64(b.spanCount))
            x.appendVarint(UInt64(b.traceCount))
            b.firstBase.append(to: &x.bytes)
            b.lastBase.append(to: &x.bytes)
            x.appendSignedVarint(b.minStart)
            x.appendSignedVarint(b.maxEnd)
            x.appendSignedVarint(b.minDuration)
            x.appendSignedVarint(b.maxDuration)
            x.appendVarint(UInt64(b.errorSpans))
        }
        for c in 0..<TraceSegmentFormat.postingColumns {
            for v in 0..<dictionaries.values[c].count {
                let list = postings[c][v] ?? []
                x.appendVarint(UInt64(list.count))
                var prev = 0
                for p in list {
                    x.appendVarint(UInt64(p.block - prev))
                    prev = p.block
                    x.appendSignedVarint(p.minStart &- blocks[p.block].minStart)
                    x.appendSignedVarint(p.maxStart &- p.minStart)
                    x.appendSignedVarint(p.maxDuration)
                    x.appendVarint(UInt64(p.errorSpans))
                }
            }
        }
        var previous: TraceID? = nil
        for s in spans where s.baseID != previous {
            filter.insert(s.baseID)
            previous = s.baseID
        }
        filter.encode(into: &x)
        let indexOffset = w.count
        BlockCompression.appendFramed(x.bytes, codec: .zstd, level: 3, to: &w, context: context)
        let footerStart = w.count
        w.appendUInt64(UInt64(indexOffset))
        w.appendUInt64(UInt64(footerStart - indexOffset))
        w.appendCRC32C(from: footerStart)
        w.appendUInt32(TraceSegmentFormat.magic)
        if spans.isEmpty {
            stats.minStart = 0
            stats.maxEnd = 0
        }
        return (w.bytes, stats)
    }
}
