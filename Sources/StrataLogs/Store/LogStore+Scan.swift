import StrataEncoding
import StrataStorage

extension LogStore {
    /// Calls `visit` with every record `q` matches in the head and the segments, in no particular order.
    /// Records a pending tombstone covers are left out (see `delete`).
    func collect(_ q: CompiledLogQuery, stats: inout LogSearchStats, _ visit: (Match) -> Void) throws {
        let hider = self.hider()
        for seg in try openSegments(start: q.start, end: q.end) {
            if let hider, let hidden = try hiddenRows(seg, hider) {
                try seg.scan(q, stats: &stats) { m in if !hidden.contains(m.id.row) { visit(m) } }
            } else {
                try seg.scan(q, stats: &stats, visit)
            }
        }
        let head = state.withLock { $0.head.records }
        stats.headRecordsScanned += head.count
        for (i, r) in head.enumerated() where q.matches(r) {
            if let hider, hider.covers(r) { continue }
            visit(Match(id: LogRecordID(segment: LogRecordID.head, row: UInt32(i)), timestamp: r.timestamp, stream: r.stream, record: r))
        }
    }

    /// The record behind a match, read from its segment when the match does not carry it.
    func materialize(_ m: Match) throws -> LogRecord {
        if let r = m.record { return r }
        guard let seg = try openSegments().first(where: { $0.number == m.id.segment }) else {
            throw LogStoreError.unknownRecord(m.id)
        }
        if let hider = self.hider(), let hidden = try hiddenRows(seg, hider), hidden.contains(m.id.row) {
            throw LogStoreError.unknownRecord(m.id)
        }
        return try seg.record(row: m.id.row)
    }

    /// The pending tombstones, or nil when there are none (then queries take exactly the path
    /// they took before deletions existed: one lock and an emptiness test per query).
    func hider() -> Hider? {
        deletions.withLock { d in d.queries.isEmpty ? nil : Hider(queries: d.queries, generation: d.generation) }
    }

    /// The rows of `seg` the tombstones of `hider` cover, or nil when there are none. Found with
    /// the segment's own indexes (each tombstone is a query), once per segment and tombstone list.
    func hiddenRows(_ seg: LogSegmentReader, _ hider: Hider) throws -> Set<UInt32>? {
        let cached = deletions.withLock { d in d.generation == hider.generation ? d.hidden[seg.number] : nil }
        if let cached { return cached.isEmpty ? nil : cached }
        let rows = try LogStore.coveredRows(seg, hider.queries)
        deletions.withLock { d in if d.generation == hider.generation { d.hidden[seg.number] = rows } }
        return rows.isEmpty ? nil : rows
    }

    /// The rows of `seg` any of `queries` matches.
    static func coveredRows(_ seg: LogSegmentReader, _ queries: [CompiledLogQuery]) throws -> Set<UInt32> {
        var rows = Set<UInt32>()
        var stats = LogSearchStats()
        for q in queries where seg.maxTime >= q.start && seg.minTime < q.end {
            try seg.scan(q, stats: &stats) { rows.insert($0.id.row) }
        }
        return rows
    }

    /// Readers of the live segments, oldest first. A segment that could not be opened fails the
    /// query if its time range overlaps `[start, end)`, and is passed over otherwise.
    func openSegments(start: Int64 = .min, end: Int64 = .max) throws(LogStoreError) -> [LogSegmentReader] {
        // The snapshot keeps the files it lists on disk until they are opened (mapped): a
        // compaction that retires one meanwhile deletes it only after the release.
        let snapshot = segments.snapshot()
        defer { snapshot.release() }
        let readOnly = options.readOnly
        return try state.withLock { (st: inout State) throws(LogStoreError) -> [LogSegmentReader] in
            var out: [LogSegmentReader] = []
            for e in snapshot.entries where e.kind == LogSegmentFormat.segmentKind && e.maxTime >= start && e.minTime < end {
                if let r = st.readers[e.name] {
                    out.append(r)
                } else if let b = st.broken[e.name] {
                    throw b.error
                } else if let r = try LogStore.open(e, in: segments, readOnly: readOnly, cache: sectionCache, into: &st) {
                    out.append(r)
                }
            }
            return out.sorted { $0.order < $1.order }
        }
    }

    /// The ordering key of a log segment's entry: the second varint of its metadata (compacted
    /// segments), else its number.
    static func orderKey(_ e: SegmentEntry, number: UInt64) -> UInt64 {
        var r = ByteReader(e.metadata)
        guard (try? r.readVarint()) != nil, !r.isAtEnd, let key = try? r.readVarint() else { return number }
        return key
    }

    /// Opens the reader of a manifest entry (its header, trailer and directory: sections are read
    /// when a query needs them), or records (when the file is damaged) and throws why it cannot be read.
    static func open(
        _ e: SegmentEntry, in segments: SegmentSet, readOnly: Bool, cache: SectionCache, into st: inout State
    ) throws(LogStoreError) -> LogSegmentReader? {
        guard e.kind == LogSegmentFormat.segmentKind, let (number, _) = FileNames.parseSegment(e.name) else { return nil }
        do throws(LogStoreError) {
            let r = try LogSegmentReader(
                number: number, path: segments.path(of: e.name), fs: segments.fs, order: orderKey(e, number: number), cache: cache)
            st.readers[e.name] = r
            return r
        } catch {
            // A reader that opened the store before another process compacted it finds the
            // retired inputs gone: say so (opening the database again sees the output).
            if readOnly, case .storage(let s) = error, s.isNotFound {
                throw LogStoreError.storage(
                    .invalidState(
                        path: s.path,
                        detail: "the segment was merged away by a compaction after this reader opened the database; open it again"))
            }
            // Only damage is remembered; a failed open (no memory, too many files) is tried again.
            if case .storage(.corrupt) = error { st.broken[e.name] = (e, error) }
            throw error
        }
    }

    /// Writes the head into a segment (rows sorted by time, ties in arrival order), publishes it,
    /// and checkpoints the WAL.
    /// - Returns: the number of records written.
    @discardableResult
    public func flush() throws(LogStoreError) -> Int {
        try LogStoreError.catching(at: directory) {
            if options.readOnly { throw LogStoreError.readOnly }
            return try state.withLock { st throws -> Int in
                if let f = st.failure { throw LogStoreError.failed(f) }
                let records = st.head.records
                var added: [SegmentEntry] = []
                if !records.isEmpty { added.append(try writeSegment(records, level: 0, orderKey: nil)) }
                var walStart: Int? = nil
                do {
                    if let wal = st.wal {
                        walStart = Int(try wal.cut())
                        try wal.sync()
                    }
                    if !added.isEmpty || walStart != nil {
                        try segments.publish(adding: added, removing: [], walStart: walStart)
                    }
                    if let wal = st.wal, let walStart { try wal.removeSegments(before: UInt32(walStart)) }
                } catch {
                    throw LogStoreError.storage(StorageError(error, path: directory))
                }
                st.head = LogHead()
                return records.count
            }
        }
    }

    /// Sorts `records` by time (ties keep their order), writes them as a new segment file and
    /// returns its manifest entry (not yet published). `orderKey`: the ordering key a compacted
    /// segment carries in its metadata (nil: its number).
    func writeSegment(_ records: [LogRecord], level: UInt8, orderKey: UInt64?) throws(LogStoreError) -> SegmentEntry {
        let order = records.indices.sorted { a, b in
            records[a].timestamp != records[b].timestamp ? records[a].timestamp < records[b].timestamp : a < b
        }
        let (bytes, summary) = segmentWriter.encode(order.map { records[$0] })
        return try writeSegment(bytes, summary, level: level, orderKey: orderKey)
    }

    /// The writer of this store's segments (`encoder()` for one written block by block).
    var segmentWriter: LogSegmentWriter { LogSegmentWriter(rowsPerBlock: options.rowsPerBlock, level: options.compressionLevel) }

    /// Writes an encoded segment as a new file and returns its manifest entry (not yet published).
    func writeSegment(_ bytes: [UInt8], _ summary: LogSegmentWriter.Summary, level: UInt8, orderKey: UInt64?) throws(LogStoreError)
        -> SegmentEntry
    {
        let name = segments.nextSegmentName(ext: LogSegmentFormat.fileExtension)
        do throws(StorageError) {
            try AtomicFile.write(bytes, to: segments.path(of: name), fs: fs)
        } catch {
            throw LogStoreError.storage(error.withSpaceNeeded(bytes.count))
        }
        var meta = ByteWriter(capacity: 16)
        meta.appendVarint(UInt64(summary.rawBytes))
        if let orderKey { meta.appendVarint(orderKey) }
        return SegmentEntry(
            name: name, kind: LogSegmentFormat.segmentKind, level: level, minTime: summary.minTime,
            maxTime: summary.maxTime, sizeBytes: UInt64(bytes.count), recordCount: UInt64(summary.rows),
            metadata: meta.bytes)
    }

    /// Sizes and counts: records, raw bytes, and every byte on disk (segments, WAL, manifest).
    public func stats() throws(LogStoreError) -> LogStoreStats {
        try LogStoreError.catching(at: directory) {
            var s = LogStoreStats()
            state.withLock { st in
                s.headRecords = st.head.records.count
                s.records = st.head.records.count
                s.rawBytes = st.head.lineBytes
                s.splitLines = st.splitLines
                s.truncatedLines = st.truncatedLines
                for r in st.head.records {
                    s.minTime = min(s.minTime ?? r.timestamp, r.timestamp)
                    s.maxTime = max(s.maxTime ?? r.timestamp, r.timestamp)
                }
            }
            for e in segments.entries where e.kind == LogSegmentFormat.segmentKind {
                s.minTime = min(s.minTime ?? e.minTime, e.minTime)
                s.maxTime = max(s.maxTime ?? e.maxTime, e.maxTime)
                s.segments += 1
                s.segmentBytes += Int(e.sizeBytes)
                s.records += Int(e.recordCount)
                var r = ByteReader(e.metadata)
                if let raw = try? r.readVarint() { s.rawBytes += Int(raw) }
            }
            do {
                let walDir = FileNames.join(directory, FileNames.walDirectory)
                if try fs.exists(walDir) {
                    for name in try fs.listDirectory(walDir) { s.walBytes += try fs.fileSize(FileNames.join(walDir, name)) }
                }
                s.manifestBytes = try fs.fileSize(segments.manifestPath)
            } catch {
                throw LogStoreError.storage(StorageError(error, path: directory))
            }
            return s
        }
    }

    /// Reads every segment completely and checks every checksum and structure.
    /// - Returns: the problems found (empty when all is well), each naming a file and an offset.
    public func verify() -> [StorageError] {
        var problems: [StorageError] = []
        for e in segments.entries where e.kind == LogSegmentFormat.segmentKind {
            guard let (number, _) = FileNames.parseSegment(e.name) else { continue }
            let path = segments.path(of: e.name)
            do {
                let seg = try LogSegmentReader(number: number, path: path, fs: fs)
                // Sections are read lazily by queries; verify reads them all. The field index
                // alone being damaged leaves the blocks to check.
                do { try seg.verifyFieldIndex() } catch let LogStoreError.storage(e) { problems.append(e) }
                do { try seg.verifyKeyFilter() } catch let LogStoreError.storage(e) { problems.append(e) }
                let blocks = try seg.blocks()
                _ = try seg.dictionary()
                var stats = LogSearchStats()
                for (b, block) in blocks.enumerated() {
                    do {
                        _ = try LogBlockCursor(seg, b, block).record(0, &stats)
                        let cursor = LogBlockCursor(seg, b, block)
                        for g in block.groups.indices { _ = try cursor.lines(ofGroup: g, &stats) }
                        _ = try cursor.record(0, &stats)
                    } catch let LogStoreError.storage(e) {
                        problems.append(e)
                    }
                }
            } catch let LogStoreError.storage(e) {
                problems.append(e)
            } catch {
                problems.append(StorageError(error, path: path))
            }
        }
        return problems
    }
}
