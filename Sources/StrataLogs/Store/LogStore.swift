import StrataEncoding
import StrataStorage
import Synchronization

/// The log store: an append-only, durable store of log records with indexed search.
///
/// Recent records live in the head (memory, backed by the WAL); `flush()` (or a full head)
/// writes them, sorted by time, into an immutable columnar segment named by the directory's
/// manifest. Searches merge the head and the segments; segments answer exact field values
/// from their field index and line filters from their template dictionary and trigram index,
/// verifying only the rows the indexes cannot decide.
///
/// ```swift
/// let store = try LogStore(directory: "/var/lib/strata/logs")
/// try store.append([LogRecord(time: .now, stream: labels, line: Array(text.utf8))])  // durable now
/// let result = try store.search(LogQuery(lineFilters: [LineFilter(.contains, "ERROR")], limit: 20))
/// for hit in result.hits { print(hit.id, String(decoding: hit.record.line, as: UTF8.self)) }
/// ```
///
/// The store is safe to use from many tasks; appends are serialised, searches run concurrently.
/// The caller owns exclusive access to the directory (see `Database`, which holds the lock).
public final class LogStore: Sendable {
    /// The directory this store keeps its files in.
    public let directory: String
    public let options: LogStoreOptions
    let fs: any FileSystem
    let segments: SegmentSet
    let state: Mutex<State>
    /// Held by `compact()`: one compaction at a time.
    let compacting = Mutex(())
    /// Decoded segment sections, within `options.sectionCacheBytes`.
    let sectionCache: SectionCache
    /// The pending tombstones (`delete`), decoded from the manifest's store state.
    let deletions: Mutex<DeletionState>

    struct State: ~Copyable {
        var head = LogHead()
        var wal: WriteAheadLog?
        var failure: StorageError?
        var recovery: [String] = []
        var splitLines = 0
        var truncatedLines = 0
        /// Segment readers by file name, opened by the first query whose time range meets them.
        var readers: [String: LogSegmentReader] = [:]
        /// Segments that could not be opened, with the reason.
        var broken: [String: (entry: SegmentEntry, error: LogStoreError)] = [:]
    }

    /// Opens (or creates) the store in `directory`: reads the manifest, removes files a crash
    /// left unpublished, recovers the WAL (truncating a torn tail) and replays it into the head.
    /// - Throws: `LogStoreError.storage` when a file cannot be read or the manifest is corrupt.
    public init(
        directory: String, options: LogStoreOptions = LogStoreOptions(), fileSystem: any FileSystem = SystemFileSystem()
    ) throws(LogStoreError) {
        self.directory = directory
        self.options = options
        self.fs = fileSystem
        self.sectionCache = SectionCache(budget: options.sectionCacheBytes)
        var st = State()
        var ds = DeletionState()
        do {
            var head = LogHead()
            let opened = try StoreWAL.openStore(
                directory: directory, fs: fileSystem, readOnly: options.readOnly, durability: options.durability,
                walSegmentSize: options.walSegmentSize
            ) { type, payload in
                guard type == LogWALRecord.records else { return }
                try LogWALRecord.decode(payload) { head.add($0) }
            }
            segments = opened.segments
            ds = try LogStore.loadDeletions(opened.segments)
            st.head = head
            if let report = opened.wal.recovery { st.recovery.append(report) }
            st.wal = opened.wal.wal
        } catch {
            throw LogStoreError.storage(StorageError(error, path: directory))
        }
        state = Mutex(st)
        deletions = Mutex(ds)
    }

    /// The tombstones in the manifest's store state, decoded and compiled.
    /// - Throws: `StorageError` naming the manifest when one does not decode.
    static func loadDeletions(_ set: SegmentSet) throws(StorageError) -> DeletionState {
        var ds = DeletionState()
        let tombstones = try set.currentState().tombstones
        for (k, bytes) in tombstones.enumerated() {
            do throws(FormatError) {
                let d = try LogDeletion(tombstone: bytes)
                ds.list.append(d)
                ds.queries.append(try d.compiled())
            } catch {
                // The offset is within the tombstone: say which one.
                let detail = "log tombstone \(k + 1) of \(tombstones.count) in the store state (offset \(error.offset) of its \(bytes.count) bytes): \(error.explanation)"
                throw StorageError(path: set.manifestPath, FormatError(error.kind, at: 0, detail))
            }
        }
        return ds
    }

    /// What WAL recovery repaired when the store was opened (one line per problem).
    public var recoveryReport: [String] { state.withLock { $0.recovery } }

    // MARK: Writing

    /// Appends records. Returns once they are durable per `options.durability`; a record is
    /// then visible to searches.
    ///
    /// Records may arrive in any time order (segments are sorted when written). A line longer
    /// than `options.maxLineBytes` is split into several records flagged `.split`, or truncated
    /// and flagged `.truncated`, per `options.longLines`; nothing is dropped silently.
    /// - Throws: `LogStoreError.failed` when the WAL cannot be written (the store then refuses
    ///   further writes; nothing acknowledged is lost).
    public func append(_ records: [LogRecord]) throws(LogStoreError) {
        try LogStoreError.catching(at: directory) {
            if options.readOnly { throw LogStoreError.readOnly }
            if records.isEmpty { return }
            let (kept, split, truncated) = LogStore.limitLineLengths(records, options)
            let flushNeeded = try state.withLock { st throws -> Bool in
                if let f = st.failure { throw LogStoreError.failed(f) }
                if let wal = st.wal, options.durability != .none {
                    do throws(StorageError) {
                        try options.durability.log(to: wal, failure: &st.failure) { wal throws(StorageError) in
                            // Large batches go in several WAL records (each well under the WAL's record limit).
                            var i = kept.startIndex
                            while i < kept.endIndex {
                                var j = i
                                var bytes = 0
                                while j < kept.endIndex && (j == i || bytes < 8 << 20) {
                                    bytes += kept[j].line.count + 64
                                    j += 1
                                }
                                let slice = kept[i..<j]
                                try wal.append(type: LogWALRecord.records) { w in LogWALRecord.encode(slice, into: &w) }
                                i = j
                            }
                        }
                    } catch {
                        throw LogStoreError.failed(error)
                    }
                }
                for r in kept { st.head.add(r) }
                st.splitLines += split
                st.truncatedLines += truncated
                return st.head.lineBytes >= options.maxHeadBytes
            }
            if flushNeeded { try flush() }
        }
    }

    /// Applies `maxLineBytes`: returns the records to keep and how many lines were split or truncated.
    static func limitLineLengths(_ records: [LogRecord], _ o: LogStoreOptions) -> ([LogRecord], Int, Int) {
        let limit = max(1, o.maxLineBytes)
        guard records.contains(where: { $0.line.count > limit }) else { return (records, 0, 0) }
        var out: [LogRecord] = []
        out.reserveCapacity(records.count + 8)
        var split = 0, truncated = 0
        for r in records {
            guard r.line.count > limit else { out.append(r); continue }
            switch o.longLines {
            case .truncate:
                var t = r
                t.line = Array(r.line[0..<limit])
                t.flags.insert(.truncated)
                out.append(t)
                truncated += 1
            case .split:
                var at = 0
                while at < r.line.count {
                    var part = r
                    part.line = Array(r.line[at..<min(at + limit, r.line.count)])
                    part.flags.insert(.split)
                    out.append(part)
                    at += limit
                }
                split += 1
            }
        }
        return (out, split, truncated)
    }

    /// Makes every append acknowledged so far durable: writes the WAL's buffer and fsyncs it. With
    /// `durability: .buffered`, a server calls it once for many appends (group commit) and
    /// acknowledges them after it returns. A failure leaves the store refusing writes, as a failed
    /// fsync inside an append does. A no-op without a WAL.
    public func syncWAL() throws(LogStoreError) {
        try LogStoreError.catching(at: directory) {
            if options.readOnly { return }
            let file = try state.withLock { st throws -> OpenFile? in
                if let f = st.failure { throw LogStoreError.storage(f) }
                do throws(StorageError) { return try st.wal?.flushForDetachedSync() } catch {
                    st.failure = error
                    throw LogStoreError.storage(error)
                }
            }
            guard let file else { return }
            defer { fs.close(file) }
            do throws(StorageError) { try fs.fsync(file) } catch {
                state.withLock { $0.failure = error }
                throw LogStoreError.storage(error)
            }
        }
    }

    /// Makes every acknowledged record durable: with a WAL, syncs it; without one, flushes the head.
    public func close() throws(LogStoreError) {
        try LogStoreError.catching(at: directory) {
            if options.readOnly { return }
            if options.durability == .none {
                try flush()
            } else {
                try state.withLock { st throws in
                    do throws(StorageError) { try st.wal?.sync() } catch { throw LogStoreError.storage(error) }
                }
            }
        }
    }
}
