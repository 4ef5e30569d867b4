import StrataStorage
import StrataEncoding
import StrataLabels

/// Writes one log segment from records sorted by time (Docs/format/log-segment.md).
struct LogSegmentWriter {
    let rowsPerBlock: Int
    let level: Int32
    /// The format version to write: the current one; tests write 2 (one field index frame) and
    /// 3 (the block list inside the directory) to check that readers still take them.
    var version: UInt8 = LogSegmentFormat.version

    /// What the manifest and `stats()` need to know about a written segment.
    struct Summary {
        var rows = 0
        var minTime = Int64.max
        var maxTime = Int64.min
        var rawBytes = 0
    }

    /// Per-template variables of the block being written.
    struct Group {
        var rows = 0
        /// Each row's numbers as `mask` wrote them (`[length varint][digits]` in line order).
        var numbers: [UInt8] = []
        var ids: [UInt8] = []

        /// The numbers split into one column per number placeholder (`slots` of them).
        func columns(_ slots: Int) -> [[UInt8]] {
            guard slots > 0 else { return [] }
            var cols = [[UInt8]](repeating: [], count: slots)
            for k in 0..<slots { cols[k].reserveCapacity(numbers.count / slots + 16) }
            numbers.withUnsafeBufferPointer { nb in
                var i = 0, k = 0
                while i < nb.count {
                    var len = 0, shift = 0, j = i
                    while j < nb.count {
                        let c = nb[j]
                        j += 1
                        len |= Int(c & 0x7F) << shift
                        if c < 0x80 { break }
                        shift += 7
                    }
                    let end = min(nb.count, j + len)
                    cols[k].append(contentsOf: UnsafeBufferPointer(rebasing: nb[i..<end]))
                    i = end
                    k = k + 1 == slots ? 0 : k + 1
                }
            }
            return cols
        }
    }

    /// Encodes `records` (already sorted by time) as a segment file.
    func encode(_ records: [LogRecord]) -> ([UInt8], Summary) {
        var e = encoder()
        var row = 0
        while row < records.count {
            let end = min(records.count, row + max(1, rowsPerBlock))
            e.addBlock(records[row..<end])
            row = end
        }
        return e.finish()
    }

    /// A segment written block by block: `LogSegmentEncoder.addBlock` takes `rowsPerBlock`
    /// records at a time (the last block may be shorter), so a caller holds one block of records,
    /// not the segment's. The bytes are the same as `encode`'s for the same records.
    func encoder() -> LogSegmentEncoder { LogSegmentEncoder(self) }

    /// Adds every id of a masked line to the index under its line-id key.
    static func indexLineIDs(_ template: [UInt8], _ ids: [UInt8], row: UInt32, into index: inout PostingsBuilder) {
        guard !ids.isEmpty else { return }
        var k = 0
        var i = 0
        ids.withUnsafeBytes { idb in
            while i < template.count {
                let b = template[i]
                if b == LineTemplate.escape {
                    i += 2
                    continue
                }
                if b == LineTemplate.uuid || b == LineTemplate.hex32 {
                    index.add(KeyHash.lineID(b, UnsafeRawBufferPointer(rebasing: idb[k..<k + 16])), row)
                    k += 16
                }
                i += 1
            }
        }
    }

    static func containsUUID(_ v: UnsafeRawBufferPointer) -> Bool {
        guard v.count >= 36 else { return false }
        for i in 0...(v.count - 36) where LineTemplate.isUUID(v, i) { return true }
        return false
    }

}

/// A template as a dictionary key, hashed once with a fast 64-bit hash.
struct TemplateKey: Hashable {
    let bytes: [UInt8]
    let hash: UInt64

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        bytes.withUnsafeBytes { p in
            var i = 0
            while i + 8 <= p.count {
                h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
                h ^= h >> 29
                i += 8
            }
            while i < p.count {
                h = (h ^ UInt64(p[i])) &* 0x94D0_49BB_1331_11EB
                i += 1
            }
        }
        hash = h
    }
    static func == (a: TemplateKey, b: TemplateKey) -> Bool { a.hash == b.hash && a.bytes == b.bytes }
    func hash(into hasher: inout Hasher) { hasher.combine(hash) }
}

/// The state of one segment being encoded (`LogSegmentWriter.encoder()`): the output so far, the
/// dictionaries, the index and the block list; never the records themselves.
struct LogSegmentEncoder {
    typealias Summary = LogSegmentWriter.Summary
    typealias Group = LogSegmentWriter.Group
    let level: Int32
    let version: UInt8
    private var out = ByteWriter(capacity: 1 << 20)
    private let zctx = ZstdContext()
    private var summary = Summary()
    private var streamIDs: [Labels: UInt32] = [:]
    private var streams: [Labels] = []
    private var fieldIDs: [String: UInt32] = [:]
    private var lastStream: (labels: Labels, id: UInt32)? = nil
    /// Recent field names and ids, checked before the dictionary (records repeat the same names).
    private var recentFields: [(String, UInt32)] = []
    private var fieldNames: [String] = []
    private var templateIDs: [TemplateKey: UInt32] = [:]
    private var templates: [[UInt8]] = []
    private var templateSlots: [Int] = []
    private var index = PostingsBuilder(capacity: 1 << 16)
    private var dir = ByteWriter(capacity: 1 << 16)
    private var blockDirs = ByteWriter(capacity: 1 << 16)
    private var blockCount = 0
    private var template: [UInt8] = []
    private var numbers: [UInt8] = []
    private var ids: [UInt8] = []

    init(_ writer: LogSegmentWriter) {
        level = writer.level
        version = writer.version
        out.append(contentsOf: LogSegmentFormat.magic)
        out.appendUInt8(version)
        out.append(contentsOf: [UInt8](repeating: 0, count: 7))
    }

    private mutating func frame(_ raw: [UInt8]) -> UInt64 {
        let at = UInt64(out.count)
        BlockCompression.appendFramed(raw, codec: .zstd, level: level, to: &out, context: zctx)
        return at
    }

    /// The records written so far.
    var rows: Int { summary.rows }

    /// Adds one block: `records` (non-empty, sorted by time, none older than the records before).
    mutating func addBlock(_ records: ArraySlice<LogRecord>) {
        guard !records.isEmpty else { return }
        let base = summary.rows
        var ts = ByteWriter(capacity: records.count * 4)
        var sc = ByteWriter(capacity: records.count)
        var flags: [UInt8] = []
        var tc = ByteWriter(capacity: records.count * 2)
        var fc = ByteWriter(capacity: records.count * 16)
        var groupSlot: [UInt32: Int] = [:]
        var groupList: [Group] = []
        var blockStreams = Set<UInt32>()
        var previous = records.first!.timestamp
        ts.appendSignedVarint(previous)
        for (k, rec) in records.enumerated() {
            let r = base + k
            if k > 0 {
                ts.appendVarint(UInt64(bitPattern: rec.timestamp &- previous))
                previous = rec.timestamp
            }
            summary.minTime = min(summary.minTime, rec.timestamp)
            summary.maxTime = max(summary.maxTime, rec.timestamp)
            summary.rawBytes += rec.line.count
            let sid: UInt32
            if let last = lastStream, last.labels == rec.stream {
                sid = last.id
            } else if let s = streamIDs[rec.stream] {
                sid = s
                lastStream = (rec.stream, s)
            } else {
                sid = UInt32(streams.count)
                streamIDs[rec.stream] = sid
                streams.append(rec.stream)
                lastStream = (rec.stream, sid)
            }
            blockStreams.insert(sid)
            sc.appendVarint(UInt64(sid))
            flags.append(rec.flags.rawValue)

            numbers.removeAll(keepingCapacity: true)
            ids.removeAll(keepingCapacity: true)
            rec.line.withUnsafeBytes { LineTemplate.mask($0, template: &template, numbers: &numbers, ids: &ids) }
            let tid: UInt32
            let key = TemplateKey(template)
            if let t = templateIDs[key] {
                tid = t
            } else {
                tid = UInt32(templates.count)
                templateIDs[key] = tid
                templates.append(template)
                templateSlots.append(TemplateProgram(template).numberSlots)
            }
            tc.appendVarint(UInt64(tid))
            let slot: Int
            if let s = groupSlot[tid] {
                slot = s
            } else {
                slot = groupList.count
                groupSlot[tid] = slot
                groupList.append(Group())
            }
            groupList[slot].rows += 1
            groupList[slot].numbers.append(contentsOf: numbers)
            groupList[slot].ids.append(contentsOf: ids)
            LogSegmentWriter.indexLineIDs(template, ids, row: UInt32(r), into: &index)

            fc.appendVarint(UInt64(rec.fields.count))
            rec.line.withUnsafeBytes { line in
                for f in rec.fields {
                    let nid: UInt32
                    if let hit = recentFields.first(where: { $0.0 == f.name }) {
                        nid = hit.1
                    } else if let n = fieldIDs[f.name] {
                        nid = n
                        if recentFields.count < 16 { recentFields.append((f.name, n)) }
                    } else {
                        nid = UInt32(fieldNames.count)
                        fieldIDs[f.name] = nid
                        fieldNames.append(f.name)
                    }
                    fc.appendVarint(UInt64(nid))
                    var value = f.value
                    value.withUTF8 { v in
                        let vb = UnsafeRawBufferPointer(v)
                        if !vb.isEmpty, let at = ByteSearch.firstIndex(line, vb) {
                            fc.appendUInt8(1)
                            fc.appendVarint(UInt64(at))
                            fc.appendVarint(UInt64(vb.count))
                            // An id inside a value taken from the line is found through the line-id index.
                            if !LogSegmentWriter.containsUUID(vb) {
                                index.add(KeyHash.field(f.name, vb), UInt32(r))
                            }
                        } else {
                            fc.appendUInt8(0)
                            fc.appendVarint(UInt64(vb.count))
                            fc.append(contentsOf: vb)
                            if !vb.isEmpty { index.add(KeyHash.field(f.name, vb), UInt32(r)) }
                        }
                    }
                }
            }
        }
        let minT = records.first!.timestamp, maxT = records.last!.timestamp
        let tsAt = frame(ts.bytes), scAt = frame(sc.bytes), flAt = frame(flags)
        let tcAt = frame(tc.bytes), fcAt = frame(fc.bytes)
        blockDirs.appendVarint(UInt64(records.count))
        blockDirs.appendSignedVarint(minT)
        blockDirs.appendVarint(UInt64(bitPattern: maxT &- minT))
        blockDirs.appendVarint(UInt64(blockStreams.count))
        for s in blockStreams.sorted() { blockDirs.appendVarint(UInt64(s)) }
        for at in [tsAt, scAt, flAt, tcAt, fcAt] { blockDirs.appendVarint(at) }
        blockDirs.appendVarint(UInt64(groupList.count))
        for tid in groupSlot.keys.sorted() {
            let g = groupList[groupSlot[tid]!]
            let slotAts = g.columns(templateSlots[Int(tid)]).map { frame($0) }
            let iAt = frame(g.ids)
            blockDirs.appendVarint(UInt64(tid))
            blockDirs.appendVarint(UInt64(g.rows))
            blockDirs.appendVarint(UInt64(slotAts.count))
            for at in slotAts { blockDirs.appendVarint(at) }
            blockDirs.appendVarint(iAt)
        }
        blockCount += 1
        summary.rows += records.count
    }

    /// The segment file's bytes and what the manifest needs.
    mutating func finish() -> ([UInt8], Summary) {
        // Template dictionary, trigram index over it, field index.
        var tw = ByteWriter(capacity: 1 << 16)
        tw.appendVarint(UInt64(templates.count))
        for t in templates { tw.appendLengthPrefixed(bytes: t) }
        let templatesAt = frame(tw.bytes)
        let trigramsAt = frame(TrigramIndex.build(templates).encoded())
        // Field index (version 3): its chunks, then the chunk table the directory points at.
        let fieldIndexAt: UInt64
        if version >= LogSegmentFormat.chunkedFieldIndexVersion {
            var table = ByteWriter(capacity: 4096)
            let chunks = index.chunks(maxKeys: LogSegmentFormat.fieldIndexChunkKeys)
            table.appendVarint(UInt64(chunks.count))
            for c in chunks {
                let at = frame(c.bytes)
                table.appendUInt64(c.firstKey)
                table.appendUInt64(c.lastKey)
                table.appendVarint(UInt64(c.keys))
                table.appendVarint(at)
            }
            fieldIndexAt = frame(table.bytes)
        } else {
            fieldIndexAt = frame(index.encoded())
        }

        dir.appendVarint(UInt64(summary.rows))
        dir.appendSignedVarint(summary.rows > 0 ? summary.minTime : 0)
        dir.appendSignedVarint(summary.rows > 0 ? summary.maxTime : 0)
        dir.appendVarint(UInt64(summary.rawBytes))
        dir.appendVarint(UInt64(streams.count))
        for s in streams {
            dir.appendVarint(UInt64(s.count))
            for l in s.labels {
                dir.appendLengthPrefixed(l.name)
                dir.appendLengthPrefixed(l.value)
            }
        }
        dir.appendVarint(UInt64(fieldNames.count))
        for f in fieldNames { dir.appendLengthPrefixed(f) }
        dir.appendVarint(templatesAt)
        dir.appendVarint(trigramsAt)
        dir.appendVarint(fieldIndexAt)
        if version >= LogSegmentFormat.blockListFrameVersion {
            var list = ByteWriter(capacity: blockDirs.bytes.count + 8)
            list.appendVarint(UInt64(blockCount))
            list.append(contentsOf: blockDirs.bytes)
            dir.appendVarint(frame(list.bytes))
            if version >= LogSegmentFormat.keyFilterVersion {
                let keys = index.keys
                let lines = PagedKeyFilter.lineCount(keys: keys.count)
                dir.appendVarint(UInt64(out.count))
                dir.appendVarint(UInt64(lines))
                out.append(contentsOf: PagedKeyFilter.encode(keys, lines: lines))
            }
        } else {
            dir.appendVarint(UInt64(blockCount))
            dir.append(contentsOf: blockDirs.bytes)
        }
        let dirAt = UInt64(out.count)
        BlockCompression.appendFramed(dir.bytes, codec: .zstd, level: level, to: &out, context: zctx)
        let dirLength = UInt64(out.count) - dirAt
        let trailerStart = out.count
        out.appendUInt64(dirAt)
        out.appendUInt64(dirLength)
        out.appendCRC32C(from: trailerStart)
        out.append(contentsOf: LogSegmentFormat.trailerMagic)
        return (out.bytes, summary)
    }
}
