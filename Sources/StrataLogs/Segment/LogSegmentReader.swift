import StrataLabels
import StrataStorage
import StrataEncoding
import Synchronization

/// A read-only view of one log segment file. Opening reads and checks the header, the trailer
/// and the directory only; the template dictionary (with its trigram index) and the field index
/// are read, checked and decoded the first time a query needs them, and kept; columns are
/// decompressed on demand, per block. A damaged section is reported, with the file and offset,
/// by the first query that touches it.
final class LogSegmentReader: Sendable {
    /// The field index. Version 1-2: the whole of it, sorted key hashes and where each key's
    /// postings start in `postings`. Version 3: the chunk table (each chunk is decoded as a
    /// version-2 index when a lookup needs it).
    struct FieldIndex: Sendable {
        var keys: [UInt64] = []
        var starts: [Int] = []
        var postings: [UInt8] = []
        var chunks: [Chunk] = []

        struct Chunk: Sendable {
            var firstKey: UInt64
            var lastKey: UInt64
            var keys: Int
            /// File offset of the chunk's frame.
            var at: Int
        }

        /// The chunk whose key range holds `key`, if any.
        func chunk(holding key: UInt64) -> Chunk? {
            var lo = 0, hi = chunks.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if chunks[mid].lastKey < key { lo = mid + 1 } else { hi = mid }
            }
            return lo < chunks.count && chunks[lo].firstKey <= key ? chunks[lo] : nil
        }
    }

    struct Group: Sendable {
        var tid: UInt32
        var rows: Int
        /// Frame offsets of the number columns, one per number placeholder.
        var numbersAt: FrameOffsets
        var idsAt: Int
    }
    /// A group's number frame offsets: a 0-based view of its block's one offsets array (one
    /// allocation per block rather than one per template group).
    struct FrameOffsets: RandomAccessCollection, Sendable {
        let storage: [Int]
        let start: Int
        let count: Int
        var startIndex: Int { 0 }
        var endIndex: Int { count }
        subscript(i: Int) -> Int { storage[start + i] }
    }
    struct Block: Sendable {
        var rowStart: Int
        var rowCount: Int
        var minTime: Int64
        var maxTime: Int64
        var streams: [UInt32]
        /// Frame offsets of the timestamp, stream, flags, template-id and fields columns.
        var columns: [Int]
        /// In ascending template id (as written; a list out of order finds no group and reads as corrupt).
        var groups: [Group]

        /// The index of the group of template `tid`.
        func group(of tid: UInt32) -> Int? {
            var lo = 0, hi = groups.count - 1
            while lo <= hi {
                let mid = (lo + hi) / 2
                let t = groups[mid].tid
                if t == tid { return mid }
                if t < tid { lo = mid + 1 } else { hi = mid - 1 }
            }
            return nil
        }
    }

    let number: UInt64
    /// Where the segment's records go among records with equal timestamps: its number, or for
    /// a compacted segment the smallest of its inputs' keys (`Docs/format/manifest.md`).
    let order: UInt64
    let path: String
    let file: PositionalFile
    let rowCount: Int
    let minTime: Int64
    let maxTime: Int64
    let rawBytes: Int
    let streams: [Labels]
    let fieldNames: [String]
    let version: UInt8
    /// Version 4: the block list's frame offset. Versions 1-3: the decompressed directory and
    /// where the block list starts in it. Decoded on first use.
    private let directory: [UInt8]
    let blocksAt: Int
    /// Where decoded sections are kept (the store's, shared by its readers and bounded).
    let cache: SectionCache
    /// Frame offsets of the template dictionary, the trigram index and the field index.
    let templatesAt: Int
    let trigramsAt: Int
    let indexAt: Int
    /// Version 5: where the key filter region starts and its lines (0: no filter).
    let keyFilterAt: Int
    let keyFilterLines: Int
    /// The key filter pages read and checked so far, by page number.
    private let keyFilterPages = Mutex<[Int: [UInt8]]>([:])
    /// Where the frames end (the directory's offset).
    let dataEnd: Int

    /// Opens and checks the header, trailer and directory of `path`.
    init(
        number: UInt64, path: String, fs: any FileSystem = SystemFileSystem(), order: UInt64? = nil,
        cache: SectionCache = SectionCache(budget: .max)
    ) throws(LogStoreError) {
        self.cache = cache
        self.number = number
        self.order = order ?? number
        self.path = path
        let file: PositionalFile
        do throws(StorageError) { file = try PositionalFile(path: path, fs: fs) } catch { throw LogStoreError.storage(error) }
        self.file = file
        let size = file.size
        func corrupt(_ offset: Int, _ detail: String) -> LogStoreError {
            .corrupt(path: path, offset: offset, detail: detail)
        }
        func read(_ at: Int, _ count: Int) throws(LogStoreError) -> [UInt8] {
            do throws(StorageError) { return try file.read(at: at, count: count) } catch { throw LogStoreError.storage(error) }
        }
        guard size >= LogSegmentFormat.headerSize + LogSegmentFormat.trailerSize else {
            throw corrupt(0, "file of \(size) bytes is shorter than header and trailer")
        }
        let h = try read(0, LogSegmentFormat.headerSize)
        guard h.prefix(8).elementsEqual(LogSegmentFormat.magic) else { throw corrupt(0, "bad magic number") }
        guard h[8] >= 1 && h[8] <= LogSegmentFormat.version else { throw corrupt(8, "unsupported format version \(h[8])") }
        let version = h[8]
        if let k = (9..<LogSegmentFormat.headerSize).first(where: { h[$0] != 0 }) { throw corrupt(k, "reserved header byte is not zero") }
        let t = size - LogSegmentFormat.trailerSize
        let tb = try read(t, LogSegmentFormat.trailerSize)
        guard tb[(tb.count - 4)...].elementsEqual(LogSegmentFormat.trailerMagic) else {
            throw corrupt(size - 4, "bad trailer magic")
        }
        let (dirAt, dirLength, crc) = tb.withUnsafeBytes { b in
            (Int(truncatingIfNeeded: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 0, as: UInt64.self))),
             Int(truncatingIfNeeded: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 8, as: UInt64.self))),
             UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 16, as: UInt32.self)))
        }
        guard crc == tb.withUnsafeBytes({ CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<16])) }) else {
            throw corrupt(t, "trailer checksum mismatch")
        }
        guard dirAt >= LogSegmentFormat.headerSize, dirLength > 0, dirAt <= t, dirLength == t - dirAt else {
            throw corrupt(t, "directory offset \(dirAt) and length \(dirLength) do not end at the trailer")
        }
        let end = dirAt  // frames live in [headerSize, dirAt)
        let dirFrame = try read(dirAt, dirLength)
        let dirBytes = try LogSegmentReader.decodeFrame(dirFrame, baseOffset: dirAt, at: dirAt, path: path)
        let dir = try LogSegmentReader.decoding(path, dirAt, "directory") {
            try dirBytes.withUnsafeBytes { try Directory($0, end: end, version: version) }
        }
        // Version 4 keeps the block list in a frame of its own; older ones at the directory's tail.
        directory = version >= LogSegmentFormat.blockListFrameVersion ? [] : dirBytes
        blocksAt = dir.blocksAt
        (keyFilterAt, keyFilterLines) = (dir.keyFilterAt, dir.keyFilterLines)
        rowCount = dir.rowCount
        minTime = dir.minTime
        maxTime = dir.maxTime
        rawBytes = dir.rawBytes
        streams = dir.streams
        fieldNames = dir.fieldNames
        self.version = version
        (templatesAt, trigramsAt, indexAt) = (dir.templatesAt, dir.trigramsAt, dir.indexAt)
        dataEnd = end
        for at in [templatesAt, trigramsAt, indexAt] where at < LogSegmentFormat.headerSize || at >= end {
            throw corrupt(at, "frame offset outside the data region")
        }
    }

    /// The blocks of the directory, decoded and checked on first use (a query that the field
    /// index or the time range rules out never decodes them).
    func blocks() throws(LogStoreError) -> [Block] {
        let (rows, streamCount, end, path) = (rowCount, streams.count, dataEnd, self.path)
        return try cache.value(SectionCache.Key(path: path, section: .blocks)) { () throws(LogStoreError) -> ([Block], bytes: Int) in
            let (bytes, at, frameAt) = version >= LogSegmentFormat.blockListFrameVersion
                ? (try sectionFrame(blocksAt), 0, blocksAt) : (directory, blocksAt, end)
            let blocks = try LogSegmentReader.decoding(path, frameAt, "block list") {
                try bytes.withUnsafeBytes { try Directory.blocks($0, at: at, rowCount: rows, streamCount: streamCount, end: end) }
            }
            return (blocks, 2 * (bytes.count - at) + 64)
        }
    }

    /// The template dictionary and its trigram index, read and checked on first use.
    func dictionary() throws(LogStoreError) -> TemplateDictionary {
        try cache.value(SectionCache.Key(path: path, section: .dictionary)) { () throws(LogStoreError) in try decodeDictionary() }
    }

    /// The field index (version 3: its chunk table), read and checked on first use.
    func fieldIndex() throws(LogStoreError) -> FieldIndex {
        try cache.value(SectionCache.Key(path: path, section: .fieldIndex)) { () throws(LogStoreError) in try decodeFieldIndex() }
    }

    private func corrupt(_ offset: Int, _ detail: String) -> LogStoreError {
        .corrupt(path: path, offset: offset, detail: detail)
    }

    private func sectionFrame(_ at: Int) throws(LogStoreError) -> [UInt8] {
        try readFrame(at: at, limit: dataEnd)
    }

    private func decodeDictionary() throws(LogStoreError) -> (TemplateDictionary, bytes: Int) {
        let path = self.path, version = self.version
        let tb = try sectionFrame(templatesAt)
        let templates = try LogSegmentReader.decoding(path, templatesAt, "template dictionary") {
            try tb.withUnsafeBytes { p in
                var r = RawBufferReader(p)
                let n = try r.count(limit: p.count, "template count")
                var templates: [[UInt8]] = []
                for _ in 0..<n {
                    let len = try r.count(limit: p.count, "template length")
                    let t = Array(try r.bytes(len))
                    templates.append(version == 1 ? LineTemplate.upgradingVersion1(t) : t)
                }
                try r.expectEnd("template dictionary")
                return templates
            }
        }
        let gb = try sectionFrame(trigramsAt)
        let trigrams = try LogSegmentReader.decoding(path, trigramsAt, "trigram index") {
            try gb.withUnsafeBytes { try TrigramIndex(decoding: $0, templateCount: templates.count, baseOffset: 0) }
        }
        let dictionary = TemplateDictionary(templates, trigrams: trigrams)
        let dirAt = dataEnd
        for b in try blocks() {
            for g in b.groups {
                guard Int(g.tid) < templates.count else {
                    throw corrupt(dirAt, "block names template \(g.tid) of \(templates.count)")
                }
                guard g.numbersAt.count == dictionary.programs[Int(g.tid)].numberSlots else {
                    throw corrupt(dirAt, "template \(g.tid) has \(dictionary.programs[Int(g.tid)].numberSlots) number slots, a block lists \(g.numbersAt.count)")
                }
            }
        }
        return (dictionary, 2 * (tb.count + gb.count) + 64)
    }

    private func decodeFieldIndex() throws(LogStoreError) -> (FieldIndex, bytes: Int) {
        let ib = try sectionFrame(indexAt)
        guard version >= LogSegmentFormat.chunkedFieldIndexVersion else {
            let (keys, starts) = try decodeKeys(ib, at: indexAt, "field index")
            return (FieldIndex(keys: keys, starts: starts, postings: ib), ib.count + 16 * keys.count + 64)
        }
        let (headerSize, end) = (LogSegmentFormat.headerSize, dataEnd)
        let chunks = try LogSegmentReader.decoding(path, indexAt, "field index chunk table") {
            try ib.withUnsafeBytes { p in
                var r = RawBufferReader(p)
                let n = try r.count(limit: p.count / 18, "field index chunks")
                var chunks: [FieldIndex.Chunk] = []
                chunks.reserveCapacity(n)
                for i in 0..<n {
                    let at = r.fileOffset
                    let first = try r.uint64(), last = try r.uint64()
                    let keys = try r.count(limit: Int(UInt32.max), "chunk keys")
                    let frameAt = try r.count(limit: end - 1, "chunk offset")
                    guard first <= last, i == 0 || first > chunks[i - 1].lastKey, keys > 0, frameAt >= headerSize else {
                        throw FormatError(.invalid, at: at, "field index chunk \(i) out of order or out of place")
                    }
                    chunks.append(FieldIndex.Chunk(firstKey: first, lastKey: last, keys: keys, at: frameAt))
                }
                try r.expectEnd("field index chunk table")
                return chunks
            }
        }
        return (FieldIndex(chunks: chunks), 40 * chunks.count + 64)
    }

    /// Decodes a version-2 field index (the whole index, or one version-3 chunk): the keys and
    /// where each key's postings start in `bytes`.
    private func decodeKeys(_ bytes: [UInt8], at frameAt: Int, _ what: String) throws(LogStoreError) -> ([UInt64], [Int]) {
        let rows = rowCount
        return try LogSegmentReader.decoding(path, frameAt, what) {
            try bytes.withUnsafeBytes { p in
                var r = RawBufferReader(p)
                let n = try r.count(limit: p.count / 9, "index keys")
                var keys: [UInt64] = [], starts: [Int] = []
                keys.reserveCapacity(n)
                starts.reserveCapacity(n)
                var previous: UInt64 = 0
                for i in 0..<n {
                    let at = r.fileOffset
                    let k = try r.uint64()
                    guard i == 0 || k > previous else { throw FormatError(.invalid, at: at, "index keys out of order") }
                    previous = k
                    keys.append(k)
                    starts.append(r.position)
                    let m = try r.count(limit: rows, "postings")
                    for _ in 0..<m { _ = try r.varint() }
                }
                try r.expectEnd(what)
                return (keys, starts)
            }
        }
    }

    /// A version-3 field index chunk, read, checked and decoded: its keys must be the ones the
    /// chunk table promises.
    private func decodeChunk(_ c: FieldIndex.Chunk) throws(LogStoreError) -> FieldIndex {
        let bytes = try sectionFrame(c.at)
        let (keys, starts) = try decodeKeys(bytes, at: c.at, "field index chunk")
        guard keys.count == c.keys, keys.first == c.firstKey, keys.last == c.lastKey else {
            throw corrupt(c.at, "field index chunk holds \(keys.count) keys, its table entry says \(c.keys) from \(c.firstKey) to \(c.lastKey)")
        }
        return FieldIndex(keys: keys, starts: starts, postings: bytes)
    }

    /// Whether the field index may hold `key`: version 5 reads (once) and checks the one page of
    /// the key filter that holds the key's line; older versions answer true.
    func mayContain(key: UInt64) throws(LogStoreError) -> Bool {
        guard keyFilterLines > 0 else { return true }
        let (line, h) = PagedKeyFilter.probe(key, lines: keyFilterLines)
        let page = line / PagedKeyFilter.linesPerPage
        let bytes: [UInt8]
        if let cached = keyFilterPages.withLock({ $0[page] }) {
            bytes = cached
        } else {
            let at = keyFilterAt + PagedKeyFilter.pageOffset(page)
            let n = PagedKeyFilter.linesIn(page: page, lines: keyFilterLines) * PagedKeyFilter.lineBytes
            do throws(StorageError) { bytes = try file.read(at: at, count: n + 4) } catch { throw LogStoreError.storage(error) }
            guard bytes.withUnsafeBytes(PagedKeyFilter.pageIsIntact) else { throw corrupt(at, "key filter page \(page) checksum mismatch") }
            keyFilterPages.withLock { $0[page] = bytes }
        }
        let at = (line % PagedKeyFilter.linesPerPage) * PagedKeyFilter.lineBytes
        return bytes.withUnsafeBytes { PagedKeyFilter.lineHolds(UnsafeRawBufferPointer(rebasing: $0[at..<(at + PagedKeyFilter.lineBytes)]), h) }
    }

    /// Reads and checks every page of a version-5 key filter: for `verify`.
    func verifyKeyFilter() throws(LogStoreError) {
        guard keyFilterLines > 0 else { return }
        let region: [UInt8]
        do throws(StorageError) { region = try file.read(at: keyFilterAt, count: PagedKeyFilter.regionSize(lines: keyFilterLines)) } catch {
            throw LogStoreError.storage(error)
        }
        if case .failure(let damage) = PagedKeyFilter.lines(of: region, lines: keyFilterLines) {
            throw corrupt(keyFilterAt + damage.offset, "key filter page \(damage.page) checksum mismatch")
        }
    }

    /// Reads and checks the whole field index (every chunk of a version-3 segment): for `verify`.
    func verifyFieldIndex() throws(LogStoreError) {
        let index = try fieldIndex()
        for c in index.chunks { _ = try decodeChunk(c) }
    }

    /// Runs `decode` on a decompressed section; a format error names the section's frame offset.
    static func decoding<T>(_ path: String, _ frameAt: Int, _ what: String, _ decode: () throws -> T) throws(LogStoreError) -> T {
        do {
            return try decode()
        } catch let e as FormatError {
            throw LogStoreError.corrupt(path: path, offset: frameAt, detail: "\(what) (byte \(e.offset) of the section): \(e)")
        } catch let e as LogStoreError {
            throw e
        } catch {
            throw LogStoreError.corrupt(path: path, offset: frameAt, detail: "\(what): \(error)")
        }
    }

    /// Reads and decompresses the frame at `at`, which must end before `limit`: one `pread` of
    /// up to 16 KiB, and a second one for the rest of a longer frame.
    func readFrame(at: Int, limit: Int) throws(LogStoreError) -> [UInt8] {
        guard at >= 0, at < limit else {
            throw LogStoreError.corrupt(path: path, offset: max(at, 0), detail: "frame offset \(at) outside the data region ending at \(limit)")
        }
        var bytes: [UInt8]
        do throws(StorageError) { bytes = try file.read(at: at, count: min(limit - at, 16 << 10)) } catch { throw LogStoreError.storage(error) }
        // The frame's length from its head (codec, raw length, stored length, then payload and CRC).
        let needed: Int? = bytes.withUnsafeBytes { p in
            var r = RawBufferReader(p)
            guard (try? r.uint8()) != nil, (try? r.varint()) != nil, let stored = try? r.varint(), stored <= UInt64(limit) else { return nil }
            return r.position + Int(stored) + 4
        }
        if let needed, needed > bytes.count, needed <= limit - at {
            do throws(StorageError) { bytes = try file.read(at: at, count: needed) } catch { throw LogStoreError.storage(error) }
        }
        return try LogSegmentReader.decodeFrame(bytes, baseOffset: at, at: at, path: path)
    }

    /// Decompresses the frame at file offset `at` from `b`, which holds the file's bytes from
    /// `baseOffset` on (the frame must end inside it); errors name file offsets.
    static func decodeFrame(_ bytes: [UInt8], baseOffset: Int, at: Int, path: String) throws(LogStoreError) -> [UInt8] {
        let decoded = bytes.withUnsafeBytes { b -> Result<[UInt8], FormatError> in
          do throws(FormatError) {
            var r = RawBufferReader(b, baseOffset: baseOffset, at: at - baseOffset)
            let codecByte = try r.uint8()
            guard let codec = BlockCodec(rawValue: codecByte) else {
                throw FormatError(.badCompression, at: at, "unknown codec \(codecByte)")
            }
            let rawLength = try r.count(limit: LogSegmentFormat.maxFrame, "raw length")
            let stored = try r.count(limit: r.remaining, "stored length")
            let payloadAt = r.fileOffset
            let payload = try r.bytes(stored)
            let crc = try r.uint32()
            guard crc == CRC32C.checksum(payload) else {
                throw FormatError(.checksumMismatch, at: payloadAt, "frame checksum mismatch")
            }
            if codec == .none {
                guard stored == rawLength else { throw FormatError(.badCompression, at: at, "stored \(stored) of \(rawLength)") }
                return .success(Array(payload))
            }
            return .success(try BlockCompression.decompress(payload, codec: codec, decompressedSize: rawLength, offset: payloadAt))
          } catch {
            return .failure(error)
          }
        }
        switch decoded {
        case .success(let frame): return frame
        case .failure(let error): throw LogStoreError.corrupt(path: path, offset: error.offset, detail: "\(error)")
        }
    }

    func frame(_ at: Int, _ stats: inout LogSearchStats) throws(LogStoreError) -> [UInt8] {
        let f = try readFrame(at: at, limit: file.size - LogSegmentFormat.trailerSize)
        stats.bytesDecoded += f.count
        return f
    }

    /// Rows under index key `key` (sorted, unique). A version-3 segment decodes the one chunk
    /// whose key range holds `key` (none when no chunk does).
    func rows(forKey key: UInt64) throws(LogStoreError) -> [UInt32] {
        guard try mayContain(key: key) else { return [] }
        var index = try fieldIndex()
        if version >= LogSegmentFormat.chunkedFieldIndexVersion {
            guard let c = index.chunk(holding: key) else { return [] }
            index = try decodeChunk(c)
        }
        let (indexKeys, indexStarts, postings) = (index.keys, index.starts, index.postings)
        var lo = 0, hi = indexKeys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if indexKeys[mid] < key { lo = mid + 1 } else { hi = mid }
        }
        guard lo < indexKeys.count, indexKeys[lo] == key else { return [] }
        var out: [UInt32] = []
        postings.withUnsafeBytes { p in
            var r = RawBufferReader(p, at: indexStarts[lo])
            guard let m = try? r.count(limit: rowCount, "postings") else { return }
            var row: UInt64 = 0
            for i in 0..<m {
                guard let d = try? r.varint() else { return }
                row = i == 0 ? d : row &+ d
                if row < UInt64(rowCount), out.last != UInt32(row) { out.append(UInt32(row)) }
            }
        }
        return out
    }

    /// The block of `blocks` holding `row`.
    static func blockIndex(of row: Int, in blocks: [Block]) -> Int? {
        var lo = 0, hi = blocks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if blocks[mid].rowStart + blocks[mid].rowCount <= row { lo = mid + 1 } else { hi = mid }
        }
        return lo < blocks.count && row >= blocks[lo].rowStart ? lo : nil
    }

    /// The record at `row`.
    func record(row: UInt32) throws -> LogRecord {
        let blocks = try self.blocks()
        guard let bi = LogSegmentReader.blockIndex(of: Int(row), in: blocks) else {
            throw LogStoreError.unknownRecord(LogRecordID(segment: number, row: row))
        }
        var stats = LogSearchStats()
        let cursor = LogBlockCursor(self, bi, blocks[bi])
        cursor.singleRows = true
        return try cursor.record(Int(row) - blocks[bi].rowStart, &stats)
    }
}

/// A segment's decoded directory.
struct Directory {
    var rowCount = 0
    var minTime: Int64 = 0
    var maxTime: Int64 = 0
    var rawBytes = 0
    var streams: [Labels] = []
    var fieldNames: [String] = []
    var templatesAt = 0
    var trigramsAt = 0
    var indexAt = 0
    /// Version 4: the block list's frame offset; older versions: where the block list starts in
    /// the directory payload.
    var blocksAt = 0
    /// Version 5: the key filter region and its lines.
    var keyFilterAt = 0
    var keyFilterLines = 0

    /// Decodes the directory payload; frame offsets must be below `end`.
    init(_ p: UnsafeRawBufferPointer, end: Int, version: UInt8) throws(FormatError) {
        var r = RawBufferReader(p, baseOffset: 0)
        rowCount = try r.count(limit: Int(UInt32.max), "row count")
        minTime = try r.signedVarint()
        maxTime = try r.signedVarint()
        rawBytes = try r.count(limit: Int.max, "raw bytes")
        let ns = try r.count(limit: p.count, "stream count")
        for _ in 0..<ns {
            let nl = try r.count(limit: p.count, "label count")
            var labels: [Label] = []
            for _ in 0..<nl {
                let name = try r.string()
                labels.append(Label(name, try r.string()))
            }
            streams.append(Labels(sorted: labels))
        }
        let nf = try r.count(limit: p.count, "field name count")
        for _ in 0..<nf { fieldNames.append(try r.string()) }
        templatesAt = try r.count(limit: end, "template offset")
        trigramsAt = try r.count(limit: end, "trigram offset")
        indexAt = try r.count(limit: end, "field index offset")
        if version >= LogSegmentFormat.blockListFrameVersion {
            blocksAt = try r.count(limit: end - 1, "block list offset")
            guard blocksAt >= LogSegmentFormat.headerSize else { throw FormatError(.invalid, at: r.fileOffset, "block list offset \(blocksAt) inside the header") }
            if version >= LogSegmentFormat.keyFilterVersion {
                let at = r.fileOffset
                keyFilterAt = try r.count(limit: end - 1, "key filter offset")
                keyFilterLines = try r.count(limit: end, "key filter lines")
                guard keyFilterAt >= LogSegmentFormat.headerSize, keyFilterLines > 0,
                    keyFilterAt + PagedKeyFilter.regionSize(lines: keyFilterLines) <= end
                else { throw FormatError(.invalid, at: at, "key filter of \(keyFilterLines) lines at \(keyFilterAt) outside the data region") }
            }
            try r.expectEnd("segment directory")
        } else {
            // The block list (the rest) is decoded by `blocks(_:at:...)` when a query first needs it.
            blocksAt = r.position
        }
    }

    /// Decodes the block list that starts at `at` in the directory payload `p`.
    static func blocks(_ p: UnsafeRawBufferPointer, at: Int, rowCount: Int, streamCount ns: Int, end: Int) throws(FormatError)
        -> [LogSegmentReader.Block]
    {
        var r = RawBufferReader(p, at: at)
        var blocks: [LogSegmentReader.Block] = []
        let nb = try r.count(limit: p.count, "block count")
        blocks.reserveCapacity(nb)
        var rowStart = 0
        for _ in 0..<nb {
            let rc = try r.count(limit: rowCount - rowStart, "block rows")
            let minT = try r.signedVarint()
            let maxT = minT &+ Int64(bitPattern: try r.varint())
            let nbs = try r.count(limit: ns, "block streams")
            var bs: [UInt32] = []
            for _ in 0..<nbs { bs.append(UInt32(try r.count(limit: max(0, ns - 1), "stream id"))) }
            var cols: [Int] = []
            for _ in 0..<5 { cols.append(try r.count(limit: end, "column offset")) }
            let ng = try r.count(limit: rc, "group count")
            var groups: [LogSegmentReader.Group] = []
            groups.reserveCapacity(ng)
            var shape: [(tid: UInt32, rows: Int, numbersStart: Int, numbers: Int, idsAt: Int)] = []
            shape.reserveCapacity(ng)
            var numbers: [Int] = []
            for _ in 0..<ng {
                let tid = UInt32(try r.count(limit: Int(UInt32.max), "template id"))
                let rows = try r.count(limit: rc, "group rows")
                let nSlots = try r.count(limit: p.count, "number slots")
                let first = numbers.count
                for _ in 0..<nSlots { numbers.append(try r.count(limit: end, "numbers offset")) }
                let iAt = try r.count(limit: end, "ids offset")
                shape.append((tid, rows, first, nSlots, iAt))
            }
            for g in shape {
                groups.append(
                    LogSegmentReader.Group(
                        tid: g.tid, rows: g.rows, numbersAt: LogSegmentReader.FrameOffsets(storage: numbers, start: g.numbersStart, count: g.numbers),
                        idsAt: g.idsAt))
            }
            blocks.append(
                LogSegmentReader.Block(
                    rowStart: rowStart, rowCount: rc, minTime: minT, maxTime: maxT, streams: bs, columns: cols,
                    groups: groups))
            rowStart += rc
        }
        try r.expectEnd("block list")
        guard rowStart == rowCount else {
            throw FormatError(.invalid, at: r.fileOffset, "blocks hold \(rowStart) rows, directory says \(rowCount)")
        }
        return blocks
    }
}
