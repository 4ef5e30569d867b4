import StrataEncoding
import StrataStorage

/// Traces to delete (`strata delete <db> <base_id>` or a trace selector).
public struct TraceDeletion: Sendable, Equatable {
    /// These traces (with `selector`: those of them it matches).
    public var baseIDs: [TraceID] = []
    /// Whole traces with a span satisfying every condition of it (its own time bounds narrow
    /// `start...end`; its limit is ignored).
    public var selector: TraceSearch? = nil
    /// A trace is covered when one of its spans (one `selector` matches, if given) starts in
    /// `start...end`, µs, both inclusive (`Int64.min`, `Int64.max`: open).
    public var start: Int64
    public var end: Int64

    public init(baseIDs: [TraceID] = [], selector: TraceSearch? = nil, start: Int64 = .min, end: Int64 = .max) {
        self.baseIDs = baseIDs
        self.selector = selector
        self.start = start
        self.end = end
    }
}

/// What `TraceStore.delete` covered (and hides from then on, unless `dryRun`).
public struct TraceDeletionReport: Sendable, Equatable {
    /// Traces and spans as `stats()` counts them: it drops by exactly these.
    public var traces = 0
    public var spans = 0
    /// The base_ids covered, ascending (traces already deleted are left out).
    public var baseIDs: [TraceID] = []
    /// Tombstones written to the manifest (0 in a dry run).
    public var tombstones = 0
    public var dryRun = false
    public init() {}
}

/// What `TraceStore.applyDeletions` did, or would do (`dryRun`).
public struct TraceDeletionApplyReport: Sendable, Equatable {
    /// Tombstones applied and removed from the manifest, and the traces they named.
    public var tombstones = 0
    public var traces = 0
    /// Segments rewritten without the deleted traces (output nil: nothing was left, removed).
    public var rewritten: [TraceSegmentRewrite] = []
    public var spansRemoved = 0
    public var bytesBefore = 0
    public var bytesAfter = 0
    public var seconds = 0.0
    public var dryRun = false
    public init() {}
}

extension TraceStore {
    /// Deletes whole traces: counts the traces and spans `d` covers, and unless `dryRun`
    /// records their base_ids in tombstones in the manifest (one atomic, durable manifest
    /// write). From then on `trace(_:)`, `search(_:)`, `forEachMatchingSpan` and `stats()`
    /// leave them out, spans of them appended later included; `applyDeletions` removes them
    /// from the files.
    ///
    /// A selector is resolved to the base_ids it covers now, so hiding is a set lookup per
    /// trace. A tombstone holds 63 base_ids and the manifest 4096 tombstones: at most 258,048
    /// traces can wait for `applyDeletions`. A deletion that would go past that is refused
    /// whole (`TraceStoreError.invalidRequest`, nothing written): apply the pending deletions,
    /// or delete a narrower range.
    /// - Throws: `.invalidRequest` for a deletion naming no trace (no base_id, no selector) or
    ///   too many; `.readOnly` (unless `dryRun`); `.storage` when a file cannot be read or written.
    @discardableResult
    public func delete(_ d: TraceDeletion, dryRun: Bool = false) throws(TraceStoreError) -> TraceDeletionReport {
        if options.readOnly && !dryRun { throw TraceStoreError.readOnly }
        guard !d.baseIDs.isEmpty || d.selector != nil else {
            throw TraceStoreError.invalidRequest("a trace deletion needs base_ids or a trace selector")
        }
        // Under the compaction lock: one writer of tombstones at a time, so the capacity check holds.
        return try compacting.withLock { _ throws(TraceStoreError) -> TraceDeletionReport in
            try TraceStoreError.catching(at: directory) {
                var covered = Set<TraceID>()
                if let selector = d.selector {
                    var q = selector
                    q.start = max(q.start, d.start)
                    q.end = min(q.end, d.end == .max ? .max : d.end + 1)
                    q.limit = 0
                    let wanted = d.baseIDs.isEmpty ? nil : Set(d.baseIDs)
                    if q.start < q.end {
                        try forEachMatch(q, withText: false) { c, _, t, _ in
                            if wanted?.contains(c.bases[t]) ?? true { covered.insert(c.bases[t]) }
                        } head: { s in
                            if wanted?.contains(s.baseID) ?? true { covered.insert(s.baseID) }
                        }
                    }
                } else {
                    for base in Set(d.baseIDs) where try trace(base).contains(where: { $0.start >= d.start && $0.start <= d.end }) {
                        covered.insert(base)
                    }
                }
                let (snapshot, table) = state.withLock { st in (segments.snapshot(), st.head.table) }
                defer { snapshot.release() }
                covered.subtract(try deletedBases(snapshot))
                let counts = try hiddenCounts(covered, snapshot, table)
                var report = TraceDeletionReport()
                report.dryRun = dryRun
                report.traces = counts.segmentTraces + counts.headTraces
                report.spans = counts.segmentSpans + counts.headSpans
                report.baseIDs = covered.sorted()
                guard !dryRun, !covered.isEmpty else { return report }
                let added = TraceTombstone.encode(report.baseIDs)
                let existing = try tombstones(snapshot).count
                guard existing + added.count <= StoreState.maxTombstones else {
                    throw TraceStoreError.invalidRequest(
                        "the deletion covers \(covered.count) traces, \(added.count) tombstones of \(TraceTombstone.maxTraces) base_ids; "
                            + "the manifest holds \(existing) of at most \(StoreState.maxTombstones) "
                            + "(\(TraceTombstone.maxPendingTraces) traces): apply the pending deletions first, or delete a narrower range")
                }
                try segments.publish(adding: [], removing: [], changingState: { $0.tombstones.append(contentsOf: added) })
                report.tombstones = added.count
                return report
            }
        }
    }

    /// The deletions waiting for `applyDeletions`, one per tombstone, each naming its base_ids
    /// (`start` and `end` open: a tombstone hides the whole trace).
    /// - Throws: `TraceStoreError.storage` naming the manifest when a tombstone does not decode.
    public func pendingDeletions() throws(TraceStoreError) -> [TraceDeletion] {
        let snapshot = segments.snapshot()
        defer { snapshot.release() }
        do throws(StorageError) {
            return try tombstones(snapshot).map { TraceDeletion(baseIDs: $0.bases) }
        } catch {
            throw TraceStoreError.storage(error)
        }
    }

    /// Removes the deleted traces from the files: flushes the head, rewrites every segment
    /// holding a span of a pending deletion's trace without them (each published in one atomic
    /// manifest write in place of its input; a segment left empty is removed), then removes
    /// the applied tombstones in a last manifest write. Until then they keep hiding what is
    /// left, so a crash at any point answers as before. `stats()` already left the deleted
    /// traces out (it dropped by exactly what each `delete` counted when it was made) and
    /// answers the same afterwards, now from the files; `strata inspect`'s segment span counts
    /// drop by `spansRemoved`. Events of a deleted trace still waiting in the head for their
    /// partner stay hidden by a tombstone written again in that last write.
    /// - Throws: `.readOnly` (unless `dryRun`), `.storage` when a file cannot be read or
    ///   written or a tombstone does not decode; rewrites done before stay done.
    @discardableResult
    public func applyDeletions(dryRun: Bool = false) throws(TraceStoreError) -> TraceDeletionApplyReport {
        if options.readOnly && !dryRun { throw TraceStoreError.readOnly }
        return try compacting.withLock { _ throws(TraceStoreError) -> TraceDeletionApplyReport in
            let clock = ContinuousClock.now
            // Nothing pending: the head stays as it is (no tiny segment from a frequent pass).
            let pending = try TraceStoreError.catching(at: directory) { try !segments.currentState().tombstones.isEmpty }
            if !dryRun && pending { try flush() }
            var report = try TraceStoreError.catching(at: directory) { () throws -> TraceDeletionApplyReport in
                var report = TraceDeletionApplyReport()
                report.dryRun = dryRun
                report.bytesBefore = try totalBytes(directory)
                report.bytesAfter = report.bytesBefore
                let snapshot = segments.snapshot()
                defer { snapshot.release() }
                let applied = try tombstones(snapshot)
                guard !applied.isEmpty else { return report }
                var bases = Set<TraceID>()
                for t in applied { bases.formUnion(t.bases) }
                let sorted = bases.sorted()
                report.tombstones = applied.count
                report.traces = bases.count
                let keep = { (s: Span) -> Bool in !bases.contains(s.baseID) }
                var plans: [RewritePlan] = []
                for e in snapshot.entries where e.kind == TraceStore.segmentKind {
                    let r = try reader(for: e.name)
                    var holds = false
                    for b in sorted where try r.blockHolding(b) != nil {
                        holds = true
                        break
                    }
                    guard holds else { continue }
                    if let p = try plan(e, keep: keep) { plans.append(p) }
                }
                // Every segment holding a deleted trace is rewritten, so each leaves the store whole.
                var gone = Set<TraceID>()
                for p in plans { gone.formUnion(p.left) }
                _ = TraceStore.distributeNewTraces(&plans, gone: gone)
                report.spansRemoved = plans.reduce(0) { $0 + Int(clamping: $1.entry.recordCount) - $1.keptSpans }
                report.rewritten = try rewrite(plans, dryRun: dryRun, keep: keep)
                if dryRun {
                    report.bytesAfter = report.bytesBefore - report.rewritten.reduce(0) { $0 + $1.bytesBefore - $1.bytesAfter }
                    report.seconds = (ContinuousClock.now - clock).inSeconds
                    return report
                }
                // What the rewrites could not remove: events still waiting in the head, and
                // segments a flush published meanwhile.
                let known = Set(snapshot.entries.map(\.name))
                var remaining = state.withLock { st in
                    var waiting = Set<TraceID>()
                    st.head.pending.forEach { _, p in if bases.contains(p.base) { waiting.insert(p.base) } }
                    for p in st.head.table.spans where bases.contains(p.base) { waiting.insert(p.base) }
                    return waiting
                }
                for e in segments.entries where e.kind == TraceStore.segmentKind && !known.contains(e.name) {
                    let r = try reader(for: e.name)
                    for b in sorted where try r.blockHolding(b) != nil { remaining.insert(b) }
                }
                let again = TraceTombstone.encode(Array(remaining))
                try segments.publish(adding: [], removing: [], changingState: { state in
                    for t in applied {
                        if let i = state.tombstones.firstIndex(of: t.bytes) { state.tombstones.remove(at: i) }
                    }
                    state.tombstones.append(contentsOf: again)
                })
                return report
            }
            if !dryRun {
                // Counted once the snapshot is released: the retired files are deleted then.
                report.bytesAfter = try TraceStoreError.catching(at: directory) { try totalBytes(directory) }
                report.seconds = (ContinuousClock.now - clock).inSeconds
            }
            return report
        }
    }
}
