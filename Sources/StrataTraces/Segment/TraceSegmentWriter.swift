import StrataStorage
import StrataEncoding

/// What a written span segment holds.
struct TraceSegmentStats: Sendable {
    var spanCount = 0
    var traceCount = 0
    var minStart = Int64.max
    var maxEnd = Int64.min
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
/// (dictionaries, block table, postings; version 3 puts the base_id filter in a region of its
/// own before it) and a footer (Docs/format/span-segment.md § Span segment).
enum TraceSegmentWriter {
    /// Encodes `spans` (any order) as one segment file.
    static func encode(
        _ input: [Span], blockSpans: Int = TraceSegmentFormat.targetBlockSpans, level: Int32 = 9,
        version: UInt8 = TraceSegmentFormat.currentVersion
    ) -> (bytes: [UInt8], stats: TraceSegmentStats) {
        var table = SpanTable()
        for s in input { table.append(s, event: 0) }
        return encode(table, sortedRows(table, Array(table.spans.indices)), blockSpans: blockSpans, level: level, version: version)
    }

    /// `rows` (ascending) of `table` sorted by (base_id, parent_id, start, trace_id), then row order.
    ///
    /// Rows are grouped by base_id with one hash lookup each, the groups ordered by base_id,
    /// and each group (a trace: tens of spans) sorted on its own: cheaper than one sort of
    /// a million keys.
    static func sortedRows(_ table: SpanTable, _ rows: [Int]) -> [Int] {
        let spans = table.spans
        var groupOf = TraceIDMap<Int32>(capacity: rows.count / 8)
        var bases: [TraceID] = []
        var counts: [Int] = []
        var group = [Int32](repeating: 0, count: rows.count)
        for (i, r) in rows.enumerated() {
            let b = spans[r].base
            if let g = groupOf[b] {
                group[i] = g
                counts[Int(g)] += 1
            } else {
                let g = Int32(bases.count)
                groupOf.insert(b, g)
                bases.append(b)
                counts.append(1)
                group[i] = g
            }
        }
        let order = bases.indices.sorted { bases[$0] < bases[$1] }
        var next = [Int](repeating: 0, count: bases.count)
        var at = 0
        for g in order {
            next[g] = at
            at += counts[g]
        }
        var out = [Int](repeating: 0, count: rows.count)
        for (i, r) in rows.enumerated() {
            let g = Int(group[i])
            out[next[g]] = r
            next[g] += 1
        }
        out.withUnsafeMutableBufferPointer { buf in
            var lo = 0
            for g in order {
                let hi = lo + counts[g]
                if hi - lo > 1 {
                    buf[lo..<hi].sort { a, b in
                        let x = spans[a], y = spans[b]
                        if x.parent != y.parent { return x.parent < y.parent }
                        if x.start != y.start { return x.start < y.start }
                        if x.trace != y.trace { return x.trace < y.trace }
                        return a < b
                    }
                }
                lo = hi
            }
        }
        return out
    }

    /// Encodes rows `spans` of `table`, in that order (sorted by `sortedRows`), as one segment file.
    /// - Parameter completed: trace_ids of spans here whose start or stop an earlier segment holds
    ///   alone, listed at the end of the index.
    /// - Parameter version: the current version; tests write 1-2 (the filter inside the index; 2
    ///   when `completed` is not empty) to check that readers still take them.
    static func encode(
        _ table: SpanTable, _ spans: [Int], blockSpans: Int = TraceSegmentFormat.targetBlockSpans, level: Int32 = 9,
        completed: [TraceID] = [], version: UInt8 = TraceSegmentFormat.currentVersion
    ) -> (bytes: [UInt8], stats: TraceSegmentStats) {
        let rows = table.spans
        let paged = version >= TraceSegmentFormat.pagedFilterVersion
        var w = ByteWriter(capacity: spans.count * 24 + 4096)
        w.appendUInt32(TraceSegmentFormat.magic)
        w.appendUInt8(paged ? version : completed.isEmpty ? TraceSegmentFormat.version : TraceSegmentFormat.versionWithCompleted)
        w.append(contentsOf: [0, 0, 0])
        var dictionaries = TraceBlockCodec.Dictionaries(strings: table.strings.count, kinds: table.kinds.count)
        var values = BlockValueTable()
        var blocks: [TraceBlockInfo] = []
        // Per posting column, by dictionary code: the postings (one per block holding the value).
        var postings: [[[TracePosting]]] = Array(repeating: [], count: TraceSegmentFormat.postingColumns)
        // This block's postings per column, and where each code's is in it (-1: none yet).
        var blockPostings: [[(code: Int, posting: TracePosting)]] = Array(repeating: [], count: TraceSegmentFormat.postingColumns)
        var inBlock: [[Int32]] = Array(repeating: [], count: TraceSegmentFormat.postingColumns)
        var stats = TraceSegmentStats()
        let context = ZstdContext()
        var i = 0
        while i < spans.count {
            var j = i
            var traces = 0
            while j < spans.count && (j - i < blockSpans || rows[spans[j]].base == rows[spans[j - 1]].base) {
                if j == i || rows[spans[j]].base != rows[spans[j - 1]].base { traces += 1 }
                j += 1
            }
            let (sections, kinds) = TraceBlockCodec.encode(table, Array(spans[i..<j]), dictionaries: &dictionaries, values: &values)
            let offset = w.count
            BlockCompression.appendFramed(sections[0], codec: .none, to: &w)
            for section in sections.dropFirst() {
                BlockCompression.appendFramed(section, codec: .zstd, level: level, to: &w, context: context)
            }
            var info = TraceBlockInfo(
                offset: offset, length: w.count - offset, spanCount: j - i, traceCount: traces,
                firstBase: rows[spans[i]].base, lastBase: rows[spans[j - 1]].base, minStart: .max, maxEnd: .min,
                minDuration: .max, maxDuration: .min, errorSpans: 0)
            for k in i..<j {
                let s = rows[spans[k]]
                info.minStart = min(info.minStart, s.start)
                info.maxEnd = max(info.maxEnd, s.end)
                info.minDuration = min(info.minDuration, s.duration)
                info.maxDuration = max(info.maxDuration, s.duration)
                let err = s.status & SpanStatus.error.rawValue != 0 ? 1 : 0
                info.errorSpans += err
                let codes = dictionaries.kinds[kinds[k - i]]
                for c in 0..<TraceSegmentFormat.postingColumns {
                    let v = codes[c]
                    if v >= inBlock[c].count { inBlock[c].append(contentsOf: repeatElement(-1, count: v + 1 - inBlock[c].count)) }
                    var at = Int(inBlock[c][v])
                    if at < 0 {
                        at = blockPostings[c].count
                        inBlock[c][v] = Int32(at)
                        blockPostings[c].append((v, TracePosting(
                            block: blocks.count, minStart: .max, maxStart: .min, maxDuration: .min, errorSpans: 0)))
                    }
                    blockPostings[c][at].posting.minStart = min(blockPostings[c][at].posting.minStart, s.start)
                    blockPostings[c][at].posting.maxStart = max(blockPostings[c][at].posting.maxStart, s.start)
                    blockPostings[c][at].posting.maxDuration = max(blockPostings[c][at].posting.maxDuration, s.duration)
                    blockPostings[c][at].posting.errorSpans += err
                }
            }
            for c in 0..<TraceSegmentFormat.postingColumns {
                for (v, p) in blockPostings[c] {
                    if v >= postings[c].count { postings[c].append(contentsOf: repeatElement([], count: v + 1 - postings[c].count)) }
                    postings[c][v].append(p)
                    inBlock[c][v] = -1
                }
                blockPostings[c].removeAll(keepingCapacity: true)
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
            for v in dictionaries.values[c] {
                table.strings.withBytes(v) { b in
                    x.appendVarint(UInt64(b.count))
                    x.append(contentsOf: b)
                }
            }
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
                let list = v < postings[c].count ? postings[c][v] : []
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
        var bases: [TraceID] = []
        bases.reserveCapacity(stats.traceCount)
        var previous: TraceID? = nil
        for r in spans where rows[r].base != previous {
            bases.append(rows[r].base)
            previous = rows[r].base
        }
        var filterAt = 0, filterLines = 0
        if paged {
            filterLines = PagedKeyFilter.lineCount(keys: bases.count)
            filterAt = w.count
            w.append(contentsOf: PagedBaseIDFilter.encode(bases, lines: filterLines))
        } else {
            for b in bases { filter.insert(b) }
            filter.encode(into: &x)
        }
        if paged || !completed.isEmpty {
            let ids = Array(Set(completed)).sorted()
            x.appendVarint(UInt64(ids.count))
            var raw: [UInt8] = []
            raw.reserveCapacity(ids.count * 16)
            for id in ids { id.append(to: &raw) }
            x.append(contentsOf: raw)
        }
        let indexOffset = w.count
        BlockCompression.appendFramed(x.bytes, codec: .zstd, level: 3, to: &w, context: context)
        let footerStart = w.count
        w.appendUInt64(UInt64(indexOffset))
        w.appendUInt64(UInt64(footerStart - indexOffset))
        if paged {
            w.appendUInt64(UInt64(filterAt))
            w.appendUInt32(UInt32(filterLines))
        }
        w.appendCRC32C(from: footerStart)
        w.appendUInt32(TraceSegmentFormat.magic)
        if spans.isEmpty {
            stats.minStart = 0
            stats.maxEnd = 0
        }
        return (w.bytes, stats)
    }
}
