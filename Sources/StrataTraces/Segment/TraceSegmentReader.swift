import StrataEncoding
import StrataStorage
import Synchronization

/// Reads one span segment. Version 3: opening reads the header and footer only; a lookup by
/// base_id reads one page of the filter, and the index (dictionaries, block table, postings,
/// completed list) is read, checked and decoded the first time a query needs it. Versions 1-2
/// keep the filter inside the index, which is decoded on open. Blocks are read and checked
/// (CRC32C, zstd, structure) when a query needs them.
///
/// Safe to share between tasks. The file is read by position, not mapped (see
/// `PositionalFile`: a mapped page would count a whole large folio as resident).
final class TraceSegmentReader: Sendable {
    let path: String
    let file: PositionalFile
    var fileSize: Int { file.size }
    let version: UInt8
    /// Where the index frame is, and where the blocks end (the filter region or the index).
    let indexOffset: Int
    let indexLength: Int
    let dataEnd: Int
    /// Version 3: the filter region's offset and its number of lines.
    let filterAt: Int
    let filterLines: Int
    /// Versions 1-2: the index, decoded on open. Version 3: decoded on first use.
    private let index: Mutex<Index?>
    /// Version 3: the filter's lines, read and checked (every page's CRC) on first use.
    private let filterBits = Mutex<[UInt8]?>(nil)
    /// About how much memory the decoded index takes (for the store's reader cache).
    let decodedBytes: Int

    var spanCount: Int { get throws(StorageError) { try decodedIndex().spans } }
    var traceCount: Int { get throws(StorageError) { try decodedIndex().traces } }
    /// Segment dictionaries, per dictionary column.
    var dictionaries: [[String]] { get throws(StorageError) { try decodedIndex().dictionaries } }
    /// Span kinds: a code per dictionary column.
    var kinds: [[Int]] { get throws(StorageError) { try decodedIndex().kinds } }
    var blocks: [TraceBlockInfo] { get throws(StorageError) { try decodedIndex().blocks } }
    /// postings[column][value code] = blocks with spans of that value.
    var postings: [[[TracePosting]]] { get throws(StorageError) { try decodedIndex().postings } }
    /// trace_ids (ascending) of spans this segment holds whole while an earlier segment holds
    /// their start or stop alone: those earlier copies are left out of scans and counts.
    var completed: [TraceID] { get throws(StorageError) { try decodedIndex().completed } }

    /// Opens `path` and checks header and footer (versions 1-2: and the index).
    /// - Throws: `StorageError` naming the file and offset.
    init(path: String, fs: any FileSystem) throws(StorageError) {
        self.path = path
        let file = try PositionalFile(path: path, fs: fs)
        let size = file.size
        guard size >= TraceSegmentFormat.headerSize + TraceSegmentFormat.footerSize else {
            throw StorageError.corrupt(path: path, offset: 0, detail: "span segment of \(size) bytes is too short")
        }
        let header = try file.read(at: 0, count: TraceSegmentFormat.headerSize)
        var hr = ByteReader(header)
        let magic = try wrap(path) { () throws(FormatError) in try hr.readUInt32() }
        guard magic == TraceSegmentFormat.magic else {
            throw StorageError(path: path, FormatError(.badMagic, at: 0, "not a span segment"))
        }
        let version = try wrap(path) { () throws(FormatError) in try hr.readUInt8() }
        guard version >= TraceSegmentFormat.version && version <= TraceSegmentFormat.currentVersion else {
            throw StorageError(path: path, FormatError(.unsupportedVersion, at: 4, "span segment version \(version)"))
        }
        let paged = version >= TraceSegmentFormat.pagedFilterVersion
        let footerSize = paged ? TraceSegmentFormat.pagedFooterSize : TraceSegmentFormat.footerSize
        guard size >= TraceSegmentFormat.headerSize + footerSize else {
            throw StorageError.corrupt(path: path, offset: 0, detail: "span segment of \(size) bytes is too short")
        }
        let footerAt = size - footerSize
        let footer = try file.read(at: footerAt, count: footerSize)
        var fr = ByteReader(footer, baseOffset: footerAt)
        let (indexOffset, indexLength, filterAt, filterLines) = try wrap(path) { () throws(FormatError) in
            let o = try fr.readUInt64(), l = try fr.readUInt64()
            let fa = paged ? try fr.readUInt64() : 0
            let fl = paged ? UInt64(try fr.readUInt32()) : 0
            try fr.verifyCRC32C(from: 0)
            guard try fr.readUInt32() == TraceSegmentFormat.magic else {
                throw FormatError(.badMagic, at: footerAt + footerSize - 4, "footer magic")
            }
            return (o, l, fa, fl)
        }
        guard indexOffset >= UInt64(TraceSegmentFormat.headerSize), indexLength > 0,
            indexOffset + indexLength == UInt64(footerAt)
        else {
            throw StorageError.corrupt(path: path, offset: footerAt, detail: "footer index range \(indexOffset)+\(indexLength) does not end at the footer")
        }
        if paged {
            guard filterAt >= UInt64(TraceSegmentFormat.headerSize), filterLines > 0, filterLines <= UInt64(size),
                filterAt + UInt64(PagedKeyFilter.regionSize(lines: Int(filterLines))) == indexOffset
            else {
                throw StorageError.corrupt(path: path, offset: footerAt, detail: "footer filter region \(filterAt), \(filterLines) lines, does not end at the index")
            }
        }
        self.file = file
        self.version = version
        self.indexOffset = Int(indexOffset)
        self.indexLength = Int(indexLength)
        self.filterAt = Int(filterAt)
        self.filterLines = Int(filterLines)
        dataEnd = paged ? Int(filterAt) : Int(indexOffset)
        if paged {
            index = Mutex(nil)
            decodedBytes = 1024 + 4 * Int(indexLength) + PagedKeyFilter.regionSize(lines: Int(filterLines))
        } else {
            let decoded = try TraceSegmentReader.readIndex(file, path: path, version: version, indexOffset: Int(indexOffset), indexLength: Int(indexLength), dataEnd: Int(indexOffset))
            index = Mutex(decoded.index)
            decodedBytes = 1024 + 3 * decoded.rawBytes
        }
    }

    /// Whether the index has been decoded (always for versions 1-2).
    var indexIsDecoded: Bool { index.withLock { $0 != nil } }

    /// The index: decoded on open (versions 1-2) or now, the first time (version 3).
    func decodedIndex() throws(StorageError) -> Index {
        if let i = index.withLock({ $0 }) { return i }
        let decoded = try TraceSegmentReader.readIndex(file, path: path, version: version, indexOffset: indexOffset, indexLength: indexLength, dataEnd: dataEnd)
        index.withLock { $0 = decoded.index }
        return decoded.index
    }

    /// Reads, checks and decodes the index frame.
    static func readIndex(_ file: PositionalFile, path: String, version: UInt8, indexOffset: Int, indexLength: Int, dataEnd: Int) throws(StorageError)
        -> (index: Index, rawBytes: Int)
    {
        let indexBytes = try file.read(at: indexOffset, count: indexLength)
        var ir = ByteReader(indexBytes, baseOffset: indexOffset)
        let raw = try wrap(path) { () throws(FormatError) in
            try BlockCompression.readFramed(&ir, maxRawLength: TraceSegmentFormat.maxRawSection)
        }
        let index = try wrap(path) { () throws(FormatError) in
            try withRawBytes(raw) { b throws(FormatError) in
                try TraceSegmentReader.decodeIndex(
                    b, dataEnd: dataEnd, indexOffset: indexOffset, withFilter: version < TraceSegmentFormat.pagedFilterVersion,
                    withCompleted: version >= TraceSegmentFormat.versionWithCompleted)
            }
        }
        return (index, raw.count)
    }

    /// Whether the segment may hold trace `base`: versions 1-2 ask the decoded filter; version
    /// 3 reads and checks the one page of the filter region that holds `base`'s line.
    func mayContain(_ base: TraceID) throws(StorageError) -> Bool {
        guard version >= TraceSegmentFormat.pagedFilterVersion else { return try decodedIndex().filter!.mayContain(base) }
        let (line, h) = PagedKeyFilter.probe(base.mixedHash, lines: filterLines)
        let at = line * PagedKeyFilter.lineBytes
        let test = { (bits: [UInt8]) -> Bool in
            bits.withUnsafeBytes { PagedKeyFilter.lineHolds(UnsafeRawBufferPointer(rebasing: $0[at..<(at + PagedKeyFilter.lineBytes)]), h) }
        }
        if let answer = filterBits.withLock({ $0.map(test) }) { return answer }
        let bits = try readFilter()
        filterBits.withLock { $0 = bits }
        return test(bits)
    }

    /// Reads the version-3 filter region (one read) and checks every page's CRC; returns the
    /// lines without the CRCs.
    private func readFilter() throws(StorageError) -> [UInt8] {
        let region = try file.read(at: filterAt, count: PagedKeyFilter.regionSize(lines: filterLines))
        switch PagedKeyFilter.lines(of: region, lines: filterLines) {
        case .success(let bits): return bits
        case .failure(let damage):
            throw StorageError(path: path, FormatError(.checksumMismatch, at: filterAt + damage.offset, "base_id filter page \(damage.page) checksum mismatch"))
        }
    }

    /// Checks every page of a version-3 filter region (for `verify`).
    func verifyFilter() throws(StorageError) {
        guard version >= TraceSegmentFormat.pagedFilterVersion else { return }
        _ = try readFilter()
    }


    struct Index {
        var spans: Int
        var traces: Int
        var dictionaries: [[String]]
        var kinds: [[Int]]
        var blocks: [TraceBlockInfo]
        var postings: [[[TracePosting]]]
        /// Versions 1-2 (version 3 keeps it in a region of its own).
        var filter: BaseIDFilter?
        var completed: [TraceID]
    }

    static func decodeIndex(_ b: UnsafeRawBufferPointer, dataEnd: Int, indexOffset: Int, withFilter: Bool = true, withCompleted: Bool = false) throws(FormatError)
        -> Index
    {
        var r = RawBufferReader(b)
        let spans = try r.count(limit: Int(UInt32.max), "span count")
        let traces = try r.count(limit: spans, "trace count")
        let blockCount = try r.count(limit: spans, "block count")
        var dictionaries: [[String]] = []
        for _ in 0..<TraceSegmentFormat.dictionaryColumns {
            let n = try r.count(limit: spans, "dictionary size")
            var d: [String] = []
            d.reserveCapacity(n)
            for _ in 0..<n { d.append(try r.string()) }
            dictionaries.append(d)
        }
        let kindCount = try r.count(limit: spans, "span kinds")
        var kinds: [[Int]] = []
        kinds.reserveCapacity(kindCount)
        for _ in 0..<kindCount {
            var k: [Int] = []
            for c in 0..<TraceSegmentFormat.dictionaryColumns {
                let code = try r.count(limit: dictionaries[c].count - 1, "kind code")
                guard code < dictionaries[c].count else { throw FormatError(.invalid, at: r.position, "kind code past an empty dictionary") }
                k.append(code)
            }
            kinds.append(k)
        }
        var blocks: [TraceBlockInfo] = []
        var expectedOffset = TraceSegmentFormat.headerSize
        var spanTotal = 0
        var traceTotal = 0
        for i in 0..<blockCount {
            let at = r.position
            let offset = try r.count(limit: dataEnd, "block offset")
            let length = try r.count(limit: dataEnd - offset, "block length")
            let n = try r.count(limit: spans, "block spans")
            let t = try r.count(limit: n, "block traces")
            let first = TraceID(bytes16: try r.bytes(16)), last = TraceID(bytes16: try r.bytes(16))
            let info = TraceBlockInfo(
                offset: offset, length: length, spanCount: n, traceCount: t, firstBase: first, lastBase: last,
                minStart: try r.signedVarint(), maxEnd: try r.signedVarint(), minDuration: try r.signedVarint(),
                maxDuration: try r.signedVarint(), errorSpans: try r.count(limit: n, "error spans"))
            guard offset == expectedOffset, n > 0, t > 0, !(last < first),
                i == 0 || blocks[i - 1].lastBase < first
            else { throw FormatError(.invalid, at: indexOffset + at, "block \(i) entry out of order or overlapping") }
            expectedOffset = offset + length
            spanTotal += n
            traceTotal += t
            blocks.append(info)
        }
        guard expectedOffset == dataEnd, spanTotal == spans, traceTotal == traces else {
            throw FormatError(.invalid, at: indexOffset, "block table does not add up to the segment")
        }
        var postings: [[[TracePosting]]] = []
        for c in 0..<TraceSegmentFormat.postingColumns {
            var column: [[TracePosting]] = []
            for _ in 0..<dictionaries[c].count {
                let n = try r.count(limit: blockCount, "postings")
                var list: [TracePosting] = []
                list.reserveCapacity(n)
                var block = 0
                for k in 0..<n {
                    let delta = try r.count(limit: blockCount, "posting block")
                    guard k == 0 || delta > 0 else { throw FormatError(.invalid, at: r.position, "postings not ascending") }
                    block += delta
                    guard block < blockCount else { throw FormatError(.invalid, at: r.position, "posting block \(block) past \(blockCount)") }
                    let minStart = blocks[block].minStart &+ (try r.signedVarint())
                    let maxStart = minStart &+ (try r.signedVarint())
                    list.append(
                        TracePosting(
                            block: block, minStart: minStart, maxStart: maxStart, maxDuration: try r.signedVarint(),
                            errorSpans: try r.count(limit: spans, "posting errors")))
                }
                column.append(list)
            }
            postings.append(column)
        }
        let filter = withFilter ? try BaseIDFilter.decode(&r) : nil
        var completed: [TraceID] = []
        if withCompleted {
            let n = try r.count(limit: spans, "completed span count")
            completed.reserveCapacity(n)
            for _ in 0..<n {
                let id = TraceID(bytes16: try r.bytes(16))
                guard completed.last.map({ $0 < id }) ?? true else {
                    throw FormatError(.invalid, at: indexOffset, "completed trace_ids not ascending")
                }
                completed.append(id)
            }
        }
        try r.expectEnd("span segment index")
        return Index(
            spans: spans, traces: traces, dictionaries: dictionaries, kinds: kinds, blocks: blocks, postings: postings,
            filter: filter, completed: completed)
    }

    /// The block that holds `base`'s spans, if any.
    func block(containing base: TraceID) throws(StorageError) -> Int? {
        guard try mayContain(base) else { return nil }
        let blocks = try self.blocks
        var lo = 0, hi = blocks.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let b = blocks[mid]
            if base < b.firstBase { hi = mid - 1 } else if b.lastBase < base { lo = mid + 1 } else { return mid }
        }
        return nil
    }

    /// True when this segment completes a span of trace_id `id` (see `completed`).
    func completes(_ id: TraceID) throws(StorageError) -> Bool {
        TraceSegmentReader.contains(try self.completed, id)
    }

    /// Binary search of the ascending `completed`.
    static func contains(_ completed: [TraceID], _ id: TraceID) -> Bool {
        var lo = 0, hi = completed.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            if completed[mid] == id { return true }
            if completed[mid] < id { lo = mid + 1 } else { hi = mid - 1 }
        }
        return false
    }

    /// Whether block `i` holds trace `base`, from the base_ids at the head of its raw id section
    /// (no decompression: a filter false positive costs one small read, not a block decode).
    /// Unreadable or unexpected bytes answer true, leaving the verdict to the full decode.
    func blockHolds(_ base: TraceID, block i: Int) throws(StorageError) -> Bool {
        let b = try blocks[i]
        let want = min(b.length, 1 + 10 + 10 + b.traceCount * 16)
        let head = try file.read(at: b.offset, count: want)
        var r = ByteReader(head)
        guard (try? r.readUInt8()) == BlockCodec.none.rawValue, let raw = try? r.readVarint(), let stored = try? r.readVarint(),
            raw == stored, raw >= UInt64(b.traceCount * 16), r.remaining >= b.traceCount * 16
        else { return true }
        let start = r.position
        var lo = 0, hi = b.traceCount - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let id = head.withUnsafeBytes { TraceID(bytes16: UnsafeRawBufferPointer(rebasing: $0[(start + mid * 16)..<(start + mid * 16 + 16)])) }
            if id == base { return true }
            if id < base { lo = mid + 1 } else { hi = mid - 1 }
        }
        return false
    }

    /// The block holding trace `base`, checked against the block's base_ids (see `blockHolds`).
    func blockHolding(_ base: TraceID) throws(StorageError) -> Int? {
        guard let b = try block(containing: base) else { return nil }
        return try blockHolds(base, block: b) ? b : nil
    }

    /// Reads and checks block `i` (checksums, sizes, structure) and decodes its integer columns.
    /// - Parameter withText: false skips the text section (not decompressed, its checksum not
    ///   checked: `verify` and span building read it); enough for searches.
    /// - Parameter onlyTrace: decode the start times of this trace only (see `TraceBlockColumns`).
    func columns(inBlock i: Int, context: ZstdContext? = nil, withText: Bool = true, onlyTrace: TraceID? = nil) throws(StorageError)
        -> TraceBlockColumns
    {
        let index = try decodedIndex()
        let (b, dictionaries, kinds) = (index.blocks[i], index.dictionaries, index.kinds)
        let bytes = try file.read(at: b.offset, count: b.length)
        var r = ByteReader(bytes, baseOffset: b.offset)
        return try wrap(path) { () throws(FormatError) in
            let max = TraceSegmentFormat.maxRawSection
            let ids = try BlockCompression.readFramed(&r, maxRawLength: max, context: context)
            let codes = try BlockCompression.readFramed(&r, maxRawLength: max, context: context)
            let times = try BlockCompression.readFramed(&r, maxRawLength: max, context: context)
            let text: [UInt8]?
            if withText {
                text = try BlockCompression.readFramed(&r, maxRawLength: max, context: context)
                guard r.isAtEnd else { throw FormatError(.invalid, at: r.fileOffset, "bytes after the block's four sections") }
            } else {
                text = nil
            }
            let columns = try TraceBlockColumns(
                ids: ids, codes: codes, times: times, text: text, dictionaries: dictionaries, kinds: kinds, baseOffset: b.offset,
                onlyTrace: onlyTrace)
            guard columns.n == b.spanCount, columns.bases.count == b.traceCount else {
                throw FormatError(.invalid, at: b.offset, "block has \(columns.n) spans in \(columns.bases.count) traces, the index says \(b.spanCount) in \(b.traceCount)")
            }
            return columns
        }
    }

    /// Reads, checks and decodes every span of block `i`.
    func spans(inBlock i: Int, context: ZstdContext? = nil) throws(StorageError) -> [Span] {
        let c = try columns(inBlock: i, context: context)
        return try wrap(path) { () throws(FormatError) in try c.allSpans() }
    }

    /// For each span kind, whether it satisfies the attribute conditions of `q`.
    func matchingKinds(_ q: TraceSearch) throws(StorageError) -> [Bool] {
        let index = try decodedIndex()
        let dictionaries = index.dictionaries
        return index.kinds.map { codes in
            let name = dictionaries[0][codes[0]], service = dictionaries[1][codes[1]]
            let project = dictionaries[2][codes[2]], host = dictionaries[3][codes[3]]
            if let v = q.service, service != v && project != v { return false }
            if let v = q.project, project != v { return false }
            if let v = q.name, name != v { return false }
            if let v = q.host, host != v { return false }
            for m in q.matchers where !TraceSearch.matches(m, name: name, service: service, project: project, host: host) {
                return false
            }
            return true
        }
    }

    /// The code of `value` in dictionary column `column`, if the segment has it.
    func code(_ column: Int, _ value: String) throws(StorageError) -> Int? {
        try dictionaries[column].firstIndex(of: value)
    }
}

/// Runs a decoder step, naming `path` in its error.
@inline(__always)
func wrap<T>(_ path: String, _ body: () throws(FormatError) -> T) throws(StorageError) -> T {
    do throws(FormatError) { return try body() } catch { throw StorageError(path: path, error) }
}

/// `bytes.withUnsafeBytes` for a body that throws `FormatError` (typed throws do not pass through it).
@inline(__always)
func withRawBytes<T>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(FormatError) -> T) throws(FormatError) -> T {
    let result: Result<T, FormatError> = bytes.withUnsafeBytes { b in
        do throws(FormatError) { return .success(try body(b)) } catch { return .failure(error) }
    }
    return try result.get()
}

/// `bytes.withUnsafeMutableBytes` for a body that throws `StorageError`.
@inline(__always)
func withMutableRawBytes<T>(_ bytes: inout [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(StorageError) -> T) throws(StorageError) -> T {
    let result: Result<T, StorageError> = bytes.withUnsafeMutableBytes { b in
        do throws(StorageError) { return .success(try body(b)) } catch { return .failure(error) }
    }
    return try result.get()
}
