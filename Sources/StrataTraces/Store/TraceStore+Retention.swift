import StrataEncoding
import StrataStorage

/// How long the traces one selector matches are kept.
public struct TraceRetentionRule: Sendable, Equatable {
    /// The traces the rule applies to: a trace matches when one of its spans satisfies every
    /// condition (`{service="glance", error=true}`); its time bounds and limit are ignored.
    public var selector: TraceSearch
    /// How long, µs, back from the pass's reference time; nil keeps matching traces forever.
    public var keep: Int64?

    public init(selector: TraceSearch, keep: Int64?) {
        self.selector = selector
        self.keep = keep
    }
}

/// The trace store's retention policy.
public struct TraceRetention: Sendable, Equatable {
    /// The first rule matching a trace (any of its spans, wherever in the store) decides its keep.
    public var rules: [TraceRetentionRule]
    /// The keep (µs) of traces no rule matches; nil keeps them forever.
    public var keep: Int64?

    public init(rules: [TraceRetentionRule] = [], keep: Int64? = nil) {
        self.rules = rules
        self.keep = keep
    }
}

/// What `TraceStore.applyRetention` did, or would do (`dryRun`).
public struct TraceRetentionReport: Sendable, Equatable {
    /// The time (µs) the keeps count back from; nil when the store is empty (nothing done).
    public var reference: Int64?
    /// Segments removed whole, unread: every span in them started before every cut.
    public var droppedSegments: [String] = []
    /// Segments that held spans on both sides of a cut, rewritten without the older ones (an
    /// output nil: nothing was left, the input is removed).
    public var rewritten: [TraceSegmentRewrite] = []
    public var spansDropped = 0
    /// Traces no segment holds any more (those of a segment dropped unread are counted from its
    /// manifest entry, `newTraces`).
    public var tracesDropped = 0
    /// Every byte under the store's directory before and after (a dry run: the outputs
    /// encoded in memory stand for the files).
    public var bytesBefore = 0
    public var bytesAfter = 0
    public var seconds = 0.0
    public var dryRun = false
    public init() {}
}

extension TraceStore {
    /// The newest span start (µs) the store holds, head or segments (spans a tombstone hides
    /// included), nil when it holds none. Reads the index of the newest segments only.
    public func newestSpanTime() throws(TraceStoreError) -> Int64? {
        try TraceStoreError.catching(at: directory) {
            let (snapshot, headNewest) = state.withLock { st -> (SegmentSnapshot, Int64?) in
                var newest = st.head.table.spans.map(\.start).max()
                st.head.pending.forEach { _, p in newest = max(newest ?? p.start, p.start) }
                return (segments.snapshot(), newest)
            }
            defer { snapshot.release() }
            var best = headNewest
            let entries = snapshot.entries.filter { $0.kind == TraceStore.segmentKind }.sorted { $0.maxTime > $1.maxTime }
            for e in entries {
                // A segment's maxTime is its latest span end, so no span in it starts after it.
                if let b = best, e.maxTime <= b { break }
                // Every span has a posting in every posting column: column 0's give the latest start.
                for list in try reader(for: e.name).postings.first ?? [] {
                    for p in list { best = max(best ?? p.maxStart, p.maxStart) }
                }
            }
            return best
        }
    }

    /// Applies a retention policy: drops every span that starts before its trace's cut.
    ///
    /// The reference time is `now` (µs), or `newestSpanTime()` (ages count back from the newest
    /// data, so a backfill of old data is not wiped on arrival). A trace's rule is the first of
    /// `policy.rules` whose selector one of its spans matches, looked for over all its spans in
    /// the store (every segment and the head); its cut is `reference - keep`.
    ///
    /// Spans go one by one, not traces whole: a span starting before its trace's cut is dropped,
    /// one starting at or after it kept. So no query returns a span older than its cut (the
    /// issue's exactness), a segment wholly older than every cut is removed without being read,
    /// and a segment wholly newer is never touched (dropping whole traces would need the
    /// base_ids of dropped segments read, and newer segments rewritten for the rest of their
    /// traces). A trace across the cut keeps its newer spans (`trace(_:)` shows them; their
    /// parents may be gone). A start or stop stored alone goes by its own start; a segment
    /// that loses the whole span of a part stored alone elsewhere stops hiding that part.
    ///
    /// The head is flushed first (events waiting for their partner stay in it; a later pass
    /// cuts them once flushed). The pass holds one segment's spans at a time, and the rule of
    /// each trace of the segments that meet a cut. Segments holding spans on both sides of a cut are rewritten,
    /// each published in one atomic manifest write in place of its input (a crash leaves the
    /// input or the output), under the compaction lock. `dryRun` writes nothing, flushes
    /// nothing and counts the segments only.
    /// - Throws: `TraceStoreError.readOnly` on a read-only store (unless `dryRun`), `.storage`
    ///   when a segment cannot be read or written; rewrites done before stay done.
    @discardableResult
    public func applyRetention(_ policy: TraceRetention, now: Int64? = nil, dryRun: Bool = false) throws(TraceStoreError)
        -> TraceRetentionReport
    {
        if options.readOnly && !dryRun { throw TraceStoreError.readOnly }
        return try compacting.withLock { _ throws(TraceStoreError) -> TraceRetentionReport in
            let clock = ContinuousClock.now
            // Flush only when the head holds a completed span some cut may reach (the latest cut:
            // reference - the shortest keep), so a frequent pass does not write a tiny segment.
            if !dryRun {
                var reference = now
                if reference == nil { reference = try newestSpanTime() }
                let keeps = (policy.rules.map(\.keep) + [policy.keep]).compactMap { $0 }
                if let reference, let shortest = keeps.min() {
                    let (latestCut, overflow) = reference.subtractingReportingOverflow(max(0, shortest))
                    let headOld = state.withLock { st in st.head.table.spans.contains { $0.start < latestCut } }
                    if overflow || headOld { try flush() }
                }
            }
            var report = TraceRetentionReport()
            report.dryRun = dryRun
            report.bytesBefore = try TraceStoreError.catching(at: directory) { try totalBytes(directory) }
            report.bytesAfter = report.bytesBefore
            var newest = now
            if newest == nil { newest = try newestSpanTime() }
            guard let reference = newest else { return report }
            report.reference = reference
            func cut(_ keep: Int64?) -> Int64 {
                guard let keep else { return .min }
                let (v, o) = reference.subtractingReportingOverflow(keep)
                return o ? (keep > 0 ? .min : .max) : v
            }
            let ruleCuts = policy.rules.map { cut($0.keep) }
            let defaultCut = cut(policy.keep)
            let minCut = (ruleCuts + [defaultCut]).min() ?? .min
            let maxCut = (ruleCuts + [defaultCut]).max() ?? .min
            guard maxCut > .min else { return report }
            let selectors = policy.rules.map { r in
                var q = r.selector
                q.start = .min
                q.end = .max
                q.limit = 0
                return q
            }
            try TraceStoreError.catching(at: directory) {
                let snapshot = segments.snapshot()
                defer { snapshot.release() }
                var dropped: [SegmentEntry] = []
                var straddling: [SegmentEntry] = []
                for e in snapshot.entries where e.kind == TraceStore.segmentKind {
                    if e.maxTime < minCut {
                        dropped.append(e)
                    } else if e.minTime < maxCut {
                        straddling.append(e)
                    }
                }
                // Each trace's rule: the first one matched by any of its spans (the smallest index
                // a span matches; `rules.count`: none). Over the straddling segments, one at a time,
                // then for the traces with a span older than some cut, their spans elsewhere.
                func ruleOf(_ s: Span) -> Int { selectors.firstIndex { $0.matches(s) } ?? selectors.count }
                var ruleOfTrace: [TraceID: Int] = [:]
                var candidates = Set<TraceID>()
                for e in straddling {
                    for s in try allSpans(of: e).spans {
                        ruleOfTrace[s.baseID] = min(ruleOfTrace[s.baseID] ?? selectors.count, ruleOf(s))
                        if s.start < maxCut { candidates.insert(s.baseID) }
                    }
                }
                let inStraddling = Set(straddling.map(\.name))
                var probe = probe(of: snapshot, withText: true)
                // (Not needed with no rules, nor for a trace already matching the first rule.)
                for base in candidates.sorted() where ruleOfTrace[base] ?? 0 > 0 {
                    for s in probe.entries.indices where !inStraddling.contains(probe.entries[s].name) {
                        guard let (c, t) = try probe.trace(base, inSegment: s) else { continue }
                        let path = try probe.reader(s).path
                        for span in try wrap(path, { () throws(FormatError) in try c.spans(ofTrace: t) }) {
                            ruleOfTrace[base] = min(ruleOfTrace[base] ?? selectors.count, ruleOf(span))
                        }
                    }
                }
                state.withLock { st in
                    let t = st.head.table
                    func see(_ p: PackedSpan) {
                        guard ruleOfTrace[p.base] ?? 0 > 0, candidates.contains(p.base) else { return }
                        ruleOfTrace[p.base] = min(ruleOfTrace[p.base] ?? selectors.count, ruleOf(t.span(p)))
                    }
                    for p in t.spans { see(p) }
                    st.head.pending.forEach { _, p in see(p) }
                }
                var cutOf: [TraceID: Int64] = [:]
                for base in candidates {
                    let rule = ruleOfTrace[base] ?? selectors.count
                    cutOf[base] = rule < ruleCuts.count ? ruleCuts[rule] : defaultCut
                }
                ruleOfTrace = [:]
                let keep = { (s: Span) -> Bool in s.start >= cutOf[s.baseID] ?? .min }
                var plans: [RewritePlan] = []
                var keptCandidates = Set<TraceID>()
                for e in straddling {
                    let p = try plan(e, keep: keep, kept: { b in if cutOf[b] != nil { keptCandidates.insert(b) } }, track: { cutOf[$0] != nil })
                    if let p { plans.append(p) }
                }
                // Traces that leave a rewritten segment and are held nowhere after the pass (only
                // candidates lose spans, so only they can leave).
                var left = Set<TraceID>()
                for p in plans { left.formUnion(p.left) }
                left.subtract(keptCandidates)
                let droppedNames = Set(dropped.map(\.name))
                var gone = Set<TraceID>()
                var holder: SegmentEntry? = nil  // an untouched segment holding a trace that left the rewritten ones
                for base in left.sorted() {
                    var held = false
                    for s in probe.entries.indices
                    where !inStraddling.contains(probe.entries[s].name) && !droppedNames.contains(probe.entries[s].name) {
                        if try probe.reader(s).blockHolding(base) != nil {
                            held = true
                            if holder == nil { holder = probe.entries[s] }
                            break
                        }
                    }
                    if !held { gone.insert(base) }
                }
                // Traces a dropped segment published before every rewritten segment holding them
                // also holds: a flush counts a trace in the first segment published holding it, so
                // the dropped segment took the count away (not to be taken off again if the trace is
                // gone, to be counted again if it lives on).
                var countedInDropped = Set<TraceID>()
                if !dropped.isEmpty && !plans.isEmpty {
                    var order: [String: Int] = [:]
                    for (i, e) in snapshot.entries.enumerated() { order[e.name] = i }
                    var firstHolder: [TraceID: Int] = [:]
                    for p in plans {
                        let i = order[p.entry.name] ?? 0
                        for b in p.tracked { firstHolder[b] = min(firstHolder[b] ?? i, i) }
                    }
                    let droppedAt = probe.entries.indices.filter { droppedNames.contains(probe.entries[$0].name) }
                    for (b, i) in firstHolder.sorted(by: { $0.key < $1.key }) {
                        for s in droppedAt where order[probe.entries[s].name] ?? .max < i {
                            if try probe.reader(s).blockHolding(b) != nil {
                                countedInDropped.insert(b)
                                break
                            }
                        }
                    }
                }
                let unplaced = TraceStore.distributeNewTraces(
                    &plans, gone: gone.subtracting(countedInDropped), extra: countedInDropped.subtracting(gone).count)
                report.droppedSegments = dropped.map(\.name)
                report.spansDropped =
                    dropped.reduce(0) { $0 + Int(clamping: $1.recordCount) } + plans.reduce(0) { $0 + Int(clamping: $1.entry.recordCount) - $1.keptSpans }
                report.tracesDropped = gone.count + dropped.reduce(0) { $0 + SegmentMetadata(decoding: $1.metadata).newTraces }
                if !dryRun && !dropped.isEmpty {
                    try segments.publish(adding: [], removing: dropped.map(\.name), walStart: nil)
                    for e in dropped { readers.remove(path: segments.path(of: e.name)) }
                }
                report.rewritten = try rewrite(plans, dryRun: dryRun, keep: keep)
                if dryRun {
                    report.bytesAfter = report.bytesBefore - dropped.reduce(0) { $0 + Int(clamping: $1.sizeBytes) }
                        - report.rewritten.reduce(0) { $0 + $1.bytesBefore - $1.bytesAfter }
                    report.seconds = (ContinuousClock.now - clock).inSeconds
                    return
                }
                // The rewrites left no output to count a trace that lives on untouched: its segment counts it.
                if unplaced > 0, let holder { try recount(holder, extra: unplaced) }
            }
            if !dryRun {
                // Counted once the pass's snapshot is released: the retired files are deleted then.
                report.bytesAfter = try TraceStoreError.catching(at: directory) { try totalBytes(directory) }
                report.seconds = (ContinuousClock.now - clock).inSeconds
            }
            return report
        }
    }
}
