import StrataEncoding
import StrataLabels

/// Builds one immutable metric block in memory.
///
/// Give it each series once, in ascending label order, with strictly increasing
/// timestamps; `finish()` returns the file's bytes. Identical timestamp columns (series
/// scraped together) are stored once.
struct BlockWriter {
    private var out = ByteWriter(capacity: 1 << 20)
    private var symbols: [String: Int] = [:]
    private var entries: [(labels: Labels, chunks: [BlockChunkMeta], histogramChunks: [BlockChunkMeta])] = []
    private var hasHistograms = false
    private var timestampRecords: [[UInt8]: Int] = [:]
    private var stats = BlockStats(seriesCount: 0, sampleCount: 0, minTime: .max, maxTime: .min)
    let maxChunkSamples: Int
    /// Series may come in any order (each still once): `finish()` sorts the index. Chunks are
    /// encoded as they come either way, so a writer holds encoded bytes, not samples.
    let anyOrder: Bool

    init(maxChunkSamples: Int = 8192, anyOrder: Bool = false) {
        self.maxChunkSamples = max(1, maxChunkSamples)
        self.anyOrder = anyOrder
        out.appendUInt32(BlockFormat.magic)
        out.appendUInt8(BlockFormat.version)
        out.appendUInt8(0)
        out.appendUInt16(0)
    }

    /// Adds a series. `timestamps` must be strictly increasing and as long as `values`.
    mutating func add(_ labels: Labels, timestamps: [Int64], values: [Double], histograms: [HistogramSample] = []) {
        precondition(timestamps.count == values.count)
        if timestamps.isEmpty && histograms.isEmpty { return }
        if !anyOrder, let last = entries.last { precondition(last.labels < labels, "series must be added in label order") }
        var chunks: [BlockChunkMeta] = []
        let n = timestamps.count
        let pieces = (n + maxChunkSamples - 1) / maxChunkSamples
        var start = 0
        for p in 0..<max(0, pieces) {
            let end = n * (p + 1) / pieces
            let tsBytes = timestamps[start..<end].withUnsafeBufferPointer { ChunkColumns.encodeTimestamps($0) }
            let tsOffset: Int
            if let existing = timestampRecords[tsBytes] {
                tsOffset = existing
            } else {
                tsOffset = appendRecord(tsBytes)
                timestampRecords[tsBytes] = tsOffset
            }
            let vBytes = values[start..<end].withUnsafeBufferPointer { ChunkColumns.encodeValues($0) }
            let vOffset = appendRecord(vBytes)
            chunks.append(
                BlockChunkMeta(
                    minTime: timestamps[start], maxTime: timestamps[end - 1], count: end - start,
                    timestampsOffset: tsOffset, valuesOffset: vOffset))
            start = end
        }
        for l in labels.labels {
            if symbols[l.name] == nil { symbols[l.name] = 0 }
            if symbols[l.value] == nil { symbols[l.value] = 0 }
        }
        var histogramChunks: [BlockChunkMeta] = []
        var h = 0
        while h < histograms.count {
            let end = min(histograms.count, h + maxChunkSamples)
            let off = appendRecord(HistogramCodec.encodeChunk(histograms[h..<end]))
            histogramChunks.append(
                BlockChunkMeta(
                    minTime: histograms[h].timestamp, maxTime: histograms[end - 1].timestamp, count: end - h,
                    timestampsOffset: off, valuesOffset: off))
            h = end
        }
        if !histograms.isEmpty { hasHistograms = true }
        entries.append((labels, chunks, histogramChunks))
        stats.seriesCount += 1
        stats.sampleCount += n + histograms.count
        if n > 0 {
            stats.minTime = min(stats.minTime, timestamps[0])
            stats.maxTime = max(stats.maxTime, timestamps[n - 1])
        }
        if let f = histograms.first, let l = histograms.last {
            stats.minTime = min(stats.minTime, f.timestamp)
            stats.maxTime = max(stats.maxTime, l.timestamp)
        }
    }

    var isEmpty: Bool { entries.isEmpty }
    var currentStats: BlockStats { stats }

    /// `[length varint][payload][crc32c(payload) u32]`; returns the record's offset.
    private mutating func appendRecord(_ payload: [UInt8]) -> Int {
        let off = out.count
        out.appendVarint(UInt64(payload.count))
        let start = out.count
        out.append(contentsOf: payload)
        out.appendCRC32C(from: start)
        return off
    }

    /// Writes the index and footer and returns the whole file.
    mutating func finish() -> (bytes: [UInt8], stats: BlockStats) {
        if anyOrder {
            entries.sort { $0.labels < $1.labels }
            precondition(zip(entries, entries.dropFirst()).allSatisfy { $0.labels < $1.labels }, "a series was added twice")
        }
        // Symbol table: sorted strings; ids are positions.
        let sortedSymbols = symbols.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for (i, s) in sortedSymbols.enumerated() { symbols[s] = i }
        let symbolsOffset = out.count
        let symStart = out.count
        out.appendVarint(UInt64(sortedSymbols.count))
        for s in sortedSymbols { out.appendLengthPrefixed(s) }
        out.appendCRC32C(from: symStart)

        // Series entries, one CRC each so damage stays local to a series.
        var seriesOffsets: [Int] = []
        var postings: [Int: [Int: [UInt32]]] = [:]  // nameSym → valueSym → ids
        for (id, e) in entries.enumerated() {
            var p = ByteWriter(capacity: 64)
            p.appendVarint(UInt64(e.labels.count))
            for l in e.labels.labels {
                let n = symbols[l.name]!, v = symbols[l.value]!
                p.appendVarint(UInt64(n))
                p.appendVarint(UInt64(v))
                postings[n, default: [:]][v, default: []].append(UInt32(id))
            }
            p.appendVarint(UInt64(e.chunks.count))
            var prevMax = Int64(0)
            for (i, c) in e.chunks.enumerated() {
                p.appendSignedVarint(i == 0 ? c.minTime : c.minTime &- prevMax)
                p.appendVarint(UInt64(bitPattern: c.maxTime &- c.minTime))
                p.appendVarint(UInt64(c.count))
                p.appendVarint(UInt64(c.timestampsOffset))
                p.appendVarint(UInt64(c.valuesOffset))
                prevMax = c.maxTime
            }
            if hasHistograms {
                p.appendVarint(UInt64(e.histogramChunks.count))
                prevMax = 0
                for (i, c) in e.histogramChunks.enumerated() {
                    p.appendSignedVarint(i == 0 ? c.minTime : c.minTime &- prevMax)
                    p.appendVarint(UInt64(bitPattern: c.maxTime &- c.minTime))
                    p.appendVarint(UInt64(c.count))
                    p.appendVarint(UInt64(c.valuesOffset))
                    prevMax = c.maxTime
                }
            }
            seriesOffsets.append(appendRecord(p.bytes))
        }

        // Postings lists, then the table that finds them.
        var postingsTable: [(Int, Int, Int)] = []
        for n in postings.keys.sorted() {
            for v in postings[n]!.keys.sorted() {
                let ids = postings[n]![v]!
                var p = ByteWriter(capacity: ids.count + 4)
                p.appendVarint(UInt64(ids.count))
                var prev: UInt32 = 0
                for id in ids { p.appendVarint(UInt64(id &- prev)); prev = id }
                postingsTable.append((n, v, appendRecord(p.bytes)))
            }
        }
        let postingsTableOffset = out.count
        var t = ByteWriter(capacity: postingsTable.count * 6)
        t.appendVarint(UInt64(postingsTable.count))
        for (n, v, off) in postingsTable {
            t.appendVarint(UInt64(n))
            t.appendVarint(UInt64(v))
            t.appendVarint(UInt64(off))
        }
        _ = appendRecord(t.bytes)

        let seriesTableOffset = out.count
        var s = ByteWriter(capacity: seriesOffsets.count * 3)
        s.appendVarint(UInt64(seriesOffsets.count))
        var prev = 0
        for off in seriesOffsets { s.appendVarint(UInt64(off - prev)); prev = off }
        _ = appendRecord(s.bytes)

        // Footer: fixed 64 bytes.
        let footerStart = out.count
        out.appendUInt64(UInt64(symbolsOffset))
        out.appendUInt64(UInt64(seriesTableOffset))
        out.appendUInt64(UInt64(postingsTableOffset))
        out.appendUInt64(UInt64(stats.seriesCount))
        out.appendUInt64(UInt64(stats.sampleCount))
        out.appendInt64(stats.isEmptyRange ? 0 : stats.minTime)
        out.appendInt64(stats.isEmptyRange ? 0 : stats.maxTime)
        out.appendCRC32C(from: footerStart)
        out.appendUInt32(BlockFormat.magic)
        assert(out.count - footerStart == BlockFormat.footerSize)
        if hasHistograms { out.bytes[4] = BlockFormat.histogramVersion }
        return (out.bytes, stats)
    }
}

extension BlockStats {
    var isEmptyRange: Bool { minTime > maxTime }
}
