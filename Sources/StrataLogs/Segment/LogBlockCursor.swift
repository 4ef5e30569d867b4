import StrataEncoding

/// One block of a segment being read by one query: columns are decompressed on first use and kept.
final class LogBlockCursor {
    let segment: LogSegmentReader
    let blockIndex: Int
    let block: LogSegmentReader.Block
    private(set) var timestamps: [Int64] = []
    private(set) var streamIDs: [UInt32] = []
    private(set) var templateIDs: [UInt32] = []
    /// Per row, its position among the rows of its template in this block.
    private(set) var ranks: [Int] = []
    private var flagBytes: [UInt8]?
    private var fieldBytes: [UInt8] = []
    private var fieldStarts: [Int]?
    /// Rebuilt lines per group: one buffer and the start of each line (plus the end).
    private var groupLines: [Int: (bytes: [UInt8], starts: [Int])] = [:]
    /// Decoded variable frames per group, for rebuilding single rows.
    private var groupVariables: [Int: (columns: [[UInt8]], ids: [UInt8])] = [:]
    /// Rebuild single rows instead of whole groups (for the few rows of index candidates and results).
    var singleRows = false
    /// Single rows rebuilt per group; after a few, the whole group is rebuilt once instead.
    private var singleRowCount: [Int: Int] = [:]
    /// The segment's template dictionary, fetched once per cursor (the segment decodes it on first use).
    private var dictionaryCache: TemplateDictionary?

    /// A cursor on block `blockIndex` of `segment`, whose directory entry is `block`.
    init(_ segment: LogSegmentReader, _ blockIndex: Int, _ block: LogSegmentReader.Block) {
        self.segment = segment
        self.blockIndex = blockIndex
        self.block = block
    }

    private func dictionary() throws(LogStoreError) -> TemplateDictionary {
        if let d = dictionaryCache { return d }
        let d = try segment.dictionary()
        dictionaryCache = d
        return d
    }

    private func corrupt(_ at: Int, _ detail: String) -> LogStoreError {
        .corrupt(path: segment.path, offset: at, detail: detail)
    }

    func loadTimestamps(_ stats: inout LogSearchStats) throws(LogStoreError) {
        guard timestamps.isEmpty else { return }
        let at = block.columns[0]
        let f = try segment.frame(at, &stats)
        var out: [Int64] = []
        out.reserveCapacity(block.rowCount)
        let ok = f.withUnsafeBytes { p -> Bool in
            var r = RawBufferReader(p)
            guard var t = try? r.signedVarint() else { return false }
            out.append(t)
            for _ in 1..<max(1, block.rowCount) {
                guard let d = try? r.varint() else { return false }
                t = t &+ Int64(bitPattern: d)
                out.append(t)
            }
            return r.remaining == 0
        }
        guard ok, out.count == block.rowCount else { throw corrupt(at, "timestamp column does not hold \(block.rowCount) rows") }
        timestamps = out
    }

    private func varints(_ column: Int, limit: Int, _ stats: inout LogSearchStats, _ what: String) throws(LogStoreError) -> [UInt32] {
        let at = block.columns[column]
        let f = try segment.frame(at, &stats)
        var out: [UInt32] = []
        out.reserveCapacity(block.rowCount)
        let ok = f.withUnsafeBytes { p -> Bool in
            var r = RawBufferReader(p)
            for _ in 0..<block.rowCount {
                guard let v = try? r.varint(), v < UInt64(limit) else { return false }
                out.append(UInt32(v))
            }
            return r.remaining == 0
        }
        guard ok else { throw corrupt(at, "\(what) column is not \(block.rowCount) ids below \(limit)") }
        return out
    }

    func loadStreams(_ stats: inout LogSearchStats) throws(LogStoreError) {
        guard streamIDs.isEmpty else { return }
        streamIDs = try varints(1, limit: segment.streams.count, &stats, "stream")
    }

    func loadTemplates(_ stats: inout LogSearchStats) throws(LogStoreError) {
        guard templateIDs.isEmpty else { return }
        let tids = try varints(3, limit: (try dictionary()).templates.count, &stats, "template id")
        var counters: [UInt32: Int] = [:]
        var rk: [Int] = []
        rk.reserveCapacity(tids.count)
        for t in tids {
            let c = counters[t, default: 0]
            rk.append(c)
            counters[t] = c + 1
        }
        for (t, c) in counters {
            guard let g = block.group(of: t), block.groups[g].rows == c else {
                throw corrupt(block.columns[3], "template \(t) has \(c) rows in the column, the directory disagrees")
            }
        }
        templateIDs = tids
        ranks = rk
    }

    /// The lines of group `g`, rebuilt from the template and the group's numbers and ids.
    func lines(ofGroup g: Int, _ stats: inout LogSearchStats) throws(LogStoreError) -> (bytes: [UInt8], starts: [Int]) {
        if let l = groupLines[g] { return l }
        let group = block.groups[g]
        var columns: [[UInt8]] = []
        let ids: [UInt8]
        if let v = groupVariables.removeValue(forKey: g) {
            (columns, ids) = v
        } else {
            for at in group.numbersAt { columns.append(try segment.frame(at, &stats)) }
            ids = try segment.frame(group.idsAt, &stats)
        }
        guard let l = (try dictionary()).programs[Int(group.tid)].rebuild(rows: group.rows, columns: columns, ids: ids) else {
            throw corrupt(group.numbersAt.first ?? group.idsAt, "variables of template \(group.tid) do not fit its \(group.rows) rows")
        }
        groupLines[g] = l
        return l
    }
    /// The line of block row `i` (templates must be loaded).
    func withLine<R>(_ i: Int, _ stats: inout LogSearchStats, _ body: (UnsafeRawBufferPointer) -> R) throws(LogStoreError) -> R {
        guard let g = block.group(of: templateIDs[i]) else { throw corrupt(block.columns[3], "row \(i) has no group") }
        if singleRows && groupLines[g] == nil && singleRowCount[g, default: 0] < 16 {
            singleRowCount[g, default: 0] += 1
            let group = block.groups[g]
            let vars: (columns: [[UInt8]], ids: [UInt8])
            if let v = groupVariables[g] {
                vars = v
            } else {
                var columns: [[UInt8]] = []
                for at in group.numbersAt { columns.append(try segment.frame(at, &stats)) }
                vars = (columns, try segment.frame(group.idsAt, &stats))
                groupVariables[g] = vars
            }
            guard let line = (try dictionary()).programs[Int(group.tid)].rebuildRow(ranks[i], columns: vars.columns, ids: vars.ids) else {
                throw corrupt(group.numbersAt.first ?? group.idsAt, "variables of template \(group.tid) do not fit its \(group.rows) rows")
            }
            return line.withUnsafeBytes(body)
        }
        let l = try lines(ofGroup: g, &stats)
        let k = ranks[i]
        return l.bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[l.starts[k]..<l.starts[k + 1]])) }
    }

    func loadFields(_ stats: inout LogSearchStats) throws(LogStoreError) {
        guard fieldStarts == nil else { return }
        let at = block.columns[4]
        fieldBytes = try segment.frame(at, &stats)
        var starts: [Int] = []
        starts.reserveCapacity(block.rowCount)
        let names = segment.fieldNames.count
        let ok = fieldBytes.withUnsafeBytes { p -> Bool in
            var r = RawBufferReader(p)
            for _ in 0..<block.rowCount {
                starts.append(r.position)
                guard let n = try? r.count(limit: p.count) else { return false }
                for _ in 0..<n {
                    guard let name = try? r.varint(), name < UInt64(names), let tag = try? r.uint8() else { return false }
                    switch tag {
                    case 0:
                        guard let len = try? r.count(limit: r.remaining), (try? r.bytes(len)) != nil else { return false }
                    case 1:
                        guard (try? r.varint()) != nil, (try? r.varint()) != nil else { return false }
                    default: return false
                    }
                }
            }
            return r.remaining == 0
        }
        guard ok else { throw corrupt(at, "fields column does not decode into \(block.rowCount) rows") }
        fieldStarts = starts
    }

    /// The fields of block row `i` (fields and templates must be loaded).
    func fields(_ i: Int, _ stats: inout LogSearchStats) throws(LogStoreError) -> [LogField] {
        guard let starts = fieldStarts else { return [] }
        let names = segment.fieldNames
        let line = try withLine(i, &stats) { Array($0) }
        return try LogSegmentReader.decoding(segment.path, block.columns[4], "fields of block row \(i)") {
            try fieldBytes.withUnsafeBytes { p in
                var r = RawBufferReader(p, at: starts[i])
                var out: [LogField] = []
                let n = try r.count(limit: p.count)
                for _ in 0..<n {
                    let at = r.fileOffset
                    let id = try r.count(limit: Int.max)
                    guard id < names.count else { throw FormatError(.invalid, at: at, "field name \(id) of \(names.count)") }
                    let name = names[id]
                    if try r.uint8() == 0 {
                        out.append(LogField(name, try r.string()))
                    } else {
                        let off = try r.count(limit: line.count)
                        let len = try r.count(limit: line.count - off)
                        out.append(LogField(name, String(decoding: line[off..<(off + len)], as: UTF8.self)))
                    }
                }
                return out
            }
        }
    }

    /// The whole record at block row `i`.
    func record(_ i: Int, _ stats: inout LogSearchStats) throws(LogStoreError) -> LogRecord {
        try loadTimestamps(&stats)
        try loadStreams(&stats)
        try loadTemplates(&stats)
        try loadFields(&stats)
        if flagBytes == nil {
            let f = try segment.frame(block.columns[2], &stats)
            guard f.count == block.rowCount else { throw corrupt(block.columns[2], "flags column of \(f.count) bytes for \(block.rowCount) rows") }
            flagBytes = f
        }
        let line = try withLine(i, &stats) { Array($0) }
        return LogRecord(
            timestamp: timestamps[i], stream: segment.streams[Int(streamIDs[i])], line: line,
            fields: try fields(i, &stats), flags: LogRecordFlags(rawValue: flagBytes![i]))
    }
}
