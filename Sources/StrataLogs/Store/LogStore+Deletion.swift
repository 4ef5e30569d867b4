import StrataEncoding
import StrataStorage

extension LogStore {
    /// Deletes the records `d` covers, at once for every query: counts them (head and segments,
    /// minus those an earlier tombstone already hides) and, unless `dryRun`, records `d` as a
    /// tombstone in the manifest's store state (one atomic, durable manifest write). From then on
    /// `search`, `count`, `countWithStats`, `countOverTime`, `context` and `record` (hence LogQL)
    /// hide every record it covers, including records appended into its range after the delete,
    /// until `applyDeletions` removes them all from the files. `streams`, `labelNames` and
    /// `labelValues` leave out the streams a tombstone hides whole (no line filter, its time range
    /// covering them); a stream hidden only by line filters, and `fieldNames`, may still show
    /// until then (they read segment dictionaries, not records).
    ///
    /// Queries with tombstones pending find the rows each one covers in a segment with that
    /// segment's indexes, once per segment (cached until the tombstones change); without
    /// tombstones a query does what it did before deletions existed.
    /// - Throws: `LogStoreError.invalidRegex` for a bad line filter, `.invalidQuery` when
    ///   `start > end`, the tombstone is over 1024 bytes or 4096 are pending, `.storage` when
    ///   the manifest cannot be written.
    @discardableResult
    public func delete(_ d: LogDeletion, dryRun: Bool = false) throws(LogStoreError) -> LogDeletionReport {
        if options.readOnly && !dryRun { throw LogStoreError.readOnly }
        guard d.start <= d.end else { throw LogStoreError.invalidQuery("a deletion's start \(d.start) is after its end \(d.end)") }
        let query = try CompiledLogQuery(d.query)
        let bytes = d.encoded
        guard bytes.count <= StoreState.maxTombstoneBytes else {
            throw LogStoreError.invalidQuery("the deletion takes \(bytes.count) bytes, over the \(StoreState.maxTombstoneBytes) a tombstone may")
        }
        return try compacting.withLock { _ throws(LogStoreError) -> LogDeletionReport in
            try LogStoreError.catching(at: directory) {
                var n = 0
                var stats = LogSearchStats()
                try collect(query, stats: &stats) { _ in n += 1 }
                let pending = deletions.withLock { $0.list.count }
                if dryRun { return LogDeletionReport(records: n, pendingTombstones: pending, dryRun: true) }
                guard pending < StoreState.maxTombstones else {
                    throw LogStoreError.invalidQuery("\(pending) deletions are pending, the most a store keeps: apply them first")
                }
                do throws(StorageError) {
                    try segments.publish(adding: [], removing: [], changingState: { $0.tombstones.append(bytes) })
                } catch {
                    throw LogStoreError.storage(error)
                }
                deletions.withLock { ds in
                    ds.list.append(d)
                    ds.queries.append(query)
                    ds.generation &+= 1
                    ds.hidden.removeAll()
                }
                return LogDeletionReport(records: n, pendingTombstones: pending + 1, dryRun: false)
            }
        }
    }

    /// The deletions recorded and not yet applied, oldest first.
    public func pendingDeletions() throws(LogStoreError) -> [LogDeletion] {
        deletions.withLock { $0.list }
    }

    /// Applies the pending deletions to the files: flushes the head, rewrites every segment that
    /// holds covered records without them (one atomic manifest write each, ordering key kept),
    /// drops the segments they empty, then removes the applied tombstones (one last manifest
    /// write; until it, they keep hiding what they cover, so every intermediate state answers
    /// as before). Afterwards `stats().records` is lower by exactly the records the deletions
    /// counted (plus any appended into their ranges since). Runs under the compaction lock.
    /// `LogRecordID`s of records in rewritten segments change (ids are positions in a segment).
    /// Records appended into a tombstone's range while this runs (after its flush) are not
    /// removed, and are visible once it returns (the tombstone is gone).
    /// - Throws: `LogStoreError.storage` when a segment cannot be read or written: segments
    ///   rewritten before stay rewritten and every tombstone stays pending (a second call finishes).
    /// - Parameter dryRun: write nothing; count what would go (head records included), bytes
    ///   after estimated proportionally to the records kept.
    @discardableResult
    public func applyDeletions(dryRun: Bool = false) throws(LogStoreError) -> LogDeletionApplyReport {
        if options.readOnly && !dryRun { throw LogStoreError.readOnly }
        let start = ContinuousClock.now
        return try compacting.withLock { _ throws(LogStoreError) -> LogDeletionApplyReport in
            try LogStoreError.catching(at: directory) {
                var report = LogDeletionApplyReport()
                report.dryRun = dryRun
                let queries = deletions.withLock { $0.queries }
                let entries = segments.entries.filter { $0.kind == LogSegmentFormat.segmentKind }
                report.bytesBefore = entries.reduce(0) { $0 + Int(clamping: $1.sizeBytes) }
                report.bytesAfter = report.bytesBefore
                guard !queries.isEmpty else { return report }
                report.tombstonesApplied = queries.count
                let hider = Hider(queries: queries, generation: 0)
                if dryRun {
                    let head = state.withLock { $0.head.records }
                    report.recordsDropped += head.reduce(0) { $0 + (hider.covers($1) ? 1 : 0) }
                } else {
                    try flush()
                }
                var drop: [SegmentEntry] = []
                for e in segments.entries where e.kind == LogSegmentFormat.segmentKind {
                    guard queries.contains(where: { e.maxTime >= $0.start && e.minTime < $0.end }) else { continue }
                    let reader = try segmentReader(e)
                    let hidden = try LogStore.coveredRows(reader, queries)
                    if hidden.isEmpty { continue }
                    if hidden.count == reader.rowCount {
                        drop.append(e)
                        continue
                    }
                    switch try rewrite(e, reader, dryRun: dryRun, drop: { row, _ in hidden.contains(row) }) {
                    case .untouched: break
                    case .dropped: drop.append(e)
                    case .rewritten(let w):
                        report.rewrites.append(w)
                        report.recordsDropped += w.recordsBefore - w.recordsAfter
                        report.bytesAfter += w.outputBytes - w.inputBytes
                    }
                }
                report.segmentsDropped = drop.map(\.name)
                report.recordsDropped += drop.reduce(0) { $0 + Int(clamping: $1.recordCount) }
                report.bytesAfter -= drop.reduce(0) { $0 + Int(clamping: $1.sizeBytes) }
                if !dryRun {
                    try dropSegments(drop)
                    let applied = queries.count
                    do throws(StorageError) {
                        try segments.publish(adding: [], removing: [], changingState: { s in
                            s.tombstones.removeFirst(min(applied, s.tombstones.count))
                        })
                    } catch {
                        throw LogStoreError.storage(error)
                    }
                    deletions.withLock { ds in
                        ds.list.removeFirst(min(applied, ds.list.count))
                        ds.queries.removeFirst(min(applied, ds.queries.count))
                        ds.generation &+= 1
                        ds.hidden.removeAll()
                    }
                }
                report.seconds = (ContinuousClock.now - start).inSeconds
                return report
            }
        }
    }
}
