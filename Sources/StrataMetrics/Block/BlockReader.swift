import StrataLabels
import StrataStorage
import StrataEncoding

/// Reads one immutable metric block through a memory map.
///
/// Opening checks the header, footer, symbol table and both offset tables; series
/// entries, postings and chunks are checked (CRC32C) when they are read, so damage in
/// one place fails only the reads that touch it. Every error is a `FormatError` whose
/// offset is a file offset; the store adds the path.
final class BlockReader: Sendable {
    let file: MappedFile
    let stats: BlockStats
    let symbols: [String]
    let seriesOffsets: [Int]
    /// label name → value → offset of its postings record.
    let postingsIndex: [String: [String: Int]]
    /// End of the region that holds records (start of the footer).
    let dataEnd: Int
    /// The block's format version (2 when series entries list histogram chunks).
    let version: UInt8
    /// About how much memory the decoded tables take (for the store's reader cache).
    let decodedBytes: Int

    var path: String { file.path }

    init(file: MappedFile) throws(FormatError) {
        self.file = file
        let b = file.bytes
        guard b.count >= BlockFormat.headerSize + BlockFormat.footerSize else {
            throw FormatError(.truncated, at: 0, "file of \(b.count) bytes is too short for a block")
        }
        var h = RawBufferReader(b)
        guard try h.uint32() == BlockFormat.magic else { throw FormatError(.badMagic, at: 0, "not a metric block") }
        let version = b[4]
        guard version <= BlockFormat.histogramVersion else {
            throw FormatError(
                .unsupportedVersion, at: 4, "block version \(version), this build reads up to \(BlockFormat.histogramVersion)")
        }
        self.version = version
        guard b[5] == 0 && b[6] == 0 && b[7] == 0 else {
            throw FormatError(.invalid, at: 5, "reserved header bytes are not zero")
        }
        let footerStart = b.count - BlockFormat.footerSize
        var f = RawBufferReader(b, at: footerStart)
        let symbolsOffset = try f.uint64()
        let seriesTableOffset = try f.uint64()
        let postingsTableOffset = try f.uint64()
        let seriesCount = try f.uint64()
        let sampleCount = try f.uint64()
        let minT = Int64(bitPattern: try f.uint64())
        let maxT = Int64(bitPattern: try f.uint64())
        let crcAt = f.position
        let storedCRC = try f.uint32()
        let footerMagic = try f.uint32()
        guard footerMagic == BlockFormat.magic else {
            throw FormatError(.badMagic, at: crcAt + 4, "footer magic missing (file truncated or overwritten?)")
        }
        guard storedCRC == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[footerStart..<crcAt])) else {
            throw FormatError(.checksumMismatch, at: footerStart, "footer checksum mismatch")
        }
        dataEnd = footerStart
        guard symbolsOffset < footerStart, seriesTableOffset < footerStart, postingsTableOffset < footerStart,
            seriesCount <= UInt64(BlockFormat.maxCount)
        else {
            throw FormatError(.invalid, at: footerStart, "footer offsets out of range")
        }
        stats = BlockStats(
            seriesCount: Int(seriesCount), sampleCount: Int(sampleCount), minTime: minT, maxTime: maxT)

        // Symbols: [count][strings...][crc] (not a length-prefixed record, the CRC covers count and strings).
        var s = RawBufferReader(UnsafeRawBufferPointer(rebasing: b[0..<footerStart]), at: Int(symbolsOffset))
        let nSymbols = try s.count(limit: footerStart)
        var syms: [String] = []
        syms.reserveCapacity(nSymbols)
        for _ in 0..<nSymbols { syms.append(try s.string()) }
        let symEnd = s.position
        let symCRC = try s.uint32()
        guard symCRC == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[Int(symbolsOffset)..<symEnd])) else {
            throw FormatError(.checksumMismatch, at: Int(symbolsOffset), "symbol table checksum mismatch")
        }
        symbols = syms

        let st = try RawBufferReader.record(in: b, at: Int(seriesTableOffset), limit: footerStart)
        var sc = RawBufferReader(st)
        let n = try sc.count(limit: BlockFormat.maxCount)
        guard n == Int(seriesCount) else {
            throw FormatError(.invalid, at: Int(seriesTableOffset), "series table has \(n) entries, footer says \(seriesCount)")
        }
        var offs: [Int] = []
        offs.reserveCapacity(n)
        var prev = 0
        for _ in 0..<n {
            prev += try sc.count(limit: footerStart)
            offs.append(prev)
        }
        seriesOffsets = offs

        let pt = try RawBufferReader.record(in: b, at: Int(postingsTableOffset), limit: footerStart)
        var pc = RawBufferReader(pt)
        let np = try pc.count(limit: BlockFormat.maxCount)
        var idx: [String: [String: Int]] = [:]
        for _ in 0..<np {
            let nameAt = Int(postingsTableOffset)
            let ni = try pc.count(limit: syms.count - 1)
            let vi = try pc.count(limit: syms.count - 1)
            let off = try pc.count(limit: footerStart)
            _ = nameAt
            idx[syms[ni], default: [:]][syms[vi]] = off
        }
        postingsIndex = idx
        decodedBytes = 1024 + syms.reduce(0) { $0 + $1.utf8.count + 32 } + 8 * offs.count + 96 * np
    }

    /// The ids of the series whose postings record for `name=value` lists them.
    func postings(_ name: String, _ value: String) throws(FormatError) -> [UInt32] {
        guard let off = postingsIndex[name]?[value] else { return [] }
        let r = try RawBufferReader.record(in: file.bytes, at: off, limit: dataEnd)
        var c = RawBufferReader(r)
        let n = try c.count(limit: seriesOffsets.count)
        var ids: [UInt32] = []
        ids.reserveCapacity(n)
        var prev: UInt64 = 0
        for _ in 0..<n {
            prev &+= try c.varint()
            guard prev < UInt64(seriesOffsets.count) else {
                throw FormatError(.invalid, at: off, "postings id \(prev) out of range")
            }
            ids.append(UInt32(prev))
        }
        return ids
    }

    /// Labels and chunk list of series `id`.
    func series(_ id: UInt32) throws(FormatError) -> (labels: Labels, chunks: [BlockChunkMeta], histogramChunks: [BlockChunkMeta]) {
        let off = seriesOffsets[Int(id)]
        let r = try RawBufferReader.record(in: file.bytes, at: off, limit: dataEnd)
        var c = RawBufferReader(r)
        let nl = try c.count(limit: r.count)
        var ls: [Label] = []
        ls.reserveCapacity(nl)
        for _ in 0..<nl {
            let n = try c.count(limit: symbols.count - 1)
            let v = try c.count(limit: symbols.count - 1)
            ls.append(Label(symbols[n], symbols[v]))
        }
        let nc = try c.count(limit: r.count)
        var chunks: [BlockChunkMeta] = []
        chunks.reserveCapacity(nc)
        var prevMax: Int64 = 0
        for i in 0..<nc {
            let d = try c.signedVarint()
            let minT = i == 0 ? d : prevMax &+ d
            let span = Int64(bitPattern: try c.varint())
            let count = try c.count(limit: BlockFormat.maxCount)
            let tsOff = try c.count(limit: dataEnd)
            let vOff = try c.count(limit: dataEnd)
            chunks.append(
                BlockChunkMeta(minTime: minT, maxTime: minT &+ span, count: count, timestampsOffset: tsOff, valuesOffset: vOff))
            prevMax = minT &+ span
        }
        var histogramChunks: [BlockChunkMeta] = []
        if version >= BlockFormat.histogramVersion {
            let nh = try c.count(limit: r.count)
            prevMax = 0
            for i in 0..<nh {
                let d = try c.signedVarint()
                let minT = i == 0 ? d : prevMax &+ d
                let span = Int64(bitPattern: try c.varint())
                let count = try c.count(limit: BlockFormat.maxCount)
                let off = try c.count(limit: dataEnd)
                histogramChunks.append(
                    BlockChunkMeta(minTime: minT, maxTime: minT &+ span, count: count, timestampsOffset: off, valuesOffset: off))
                prevMax = minT &+ span
            }
        }
        return (Labels(sorted: ls), chunks, histogramChunks)
    }

    /// Decodes one histogram chunk (`series(_:).histogramChunks`).
    func decodeHistograms(_ chunk: BlockChunkMeta) throws(FormatError) -> [HistogramSample] {
        let r = try RawBufferReader.record(in: file.bytes, at: chunk.valuesOffset, limit: dataEnd)
        let bytes = Array(r)
        let out = try HistogramCodec.decodeChunk(bytes, range: 0..<bytes.count, baseOffset: chunk.valuesOffset)
        guard out.count == chunk.count else {
            throw FormatError(
                .invalid, at: chunk.valuesOffset, "histogram chunk holds \(out.count) samples, index says \(chunk.count)")
        }
        for i in out.indices.dropFirst() where out[i].timestamp <= out[i - 1].timestamp {
            throw FormatError(.invalid, at: chunk.valuesOffset, "histogram chunk timestamps not increasing")
        }
        if let f = out.first, let l = out.last, f.timestamp != chunk.minTime || l.timestamp != chunk.maxTime {
            throw FormatError(.invalid, at: chunk.valuesOffset, "histogram chunk time range differs from index")
        }
        return out
    }

    /// Decodes one chunk's samples, appending them to `ts` and `vs`.
    func decode(_ chunk: BlockChunkMeta, timestamps ts: inout [Int64], values vs: inout [Double]) throws(FormatError) {
        let b = file.bytes
        let t0 = ts.count, v0 = vs.count
        let tr = try RawBufferReader.record(in: b, at: chunk.timestampsOffset, limit: dataEnd)
        try ChunkColumns.decodeTimestamps(tr, baseOffset: chunk.timestampsOffset, into: &ts)
        let vr = try RawBufferReader.record(in: b, at: chunk.valuesOffset, limit: dataEnd)
        try ChunkColumns.decodeValues(vr, baseOffset: chunk.valuesOffset, into: &vs)
        guard ts.count - t0 == chunk.count, vs.count - v0 == chunk.count else {
            let got = (ts.count - t0, vs.count - v0)
            ts.removeSubrange(t0...)
            vs.removeSubrange(v0...)
            throw FormatError(
                .invalid, at: chunk.valuesOffset,
                "chunk decoded to \(got.0) timestamps and \(got.1) values, index says \(chunk.count)")
        }
    }

    /// Every label value stored for `name`.
    func labelValues(_ name: String) -> [String] { postingsIndex[name].map { Array($0.keys) } ?? [] }

    /// Every label name.
    var labelNames: [String] { Array(postingsIndex.keys) }
}
