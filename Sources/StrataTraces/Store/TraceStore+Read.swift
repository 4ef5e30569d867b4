import StrataLabels
import StrataEncoding
import StrataStorage

extension TraceStore {
    /// Every span of the trace `baseID`: segments, completed head spans, and events still
    /// waiting for their partner (as flagged spans). Sorted by start. A resend still in the
    /// head (see `flush`) is shown once.
    /// - Throws: `StorageError` naming the file and offset when a segment is damaged.
    public func trace(_ baseID: TraceID) throws(TraceStoreError) -> [Span] {
        try TraceStoreError.catching(at: directory) {
            // The snapshot and the head are read together: a flush in between would otherwise
            // leave its spans out of both.
            let (snapshot, fromHead) = state.withLock { st in
                let t = st.head.table
                var spans: [Span] = []
                for p in t.spans where p.base == baseID { spans.append(t.span(p)) }
                st.head.pending.forEach { _, p in if p.base == baseID { spans.append(t.span(p)) } }
                return (segments.snapshot(), spans)
            }
            defer { snapshot.release() }
            if try deletedBases(snapshot).contains(baseID) { return [] }
            var out: [Span] = []
            for r in try readers(of: snapshot) {
                guard let b = try r.blockHolding(baseID) else { continue }
                let columns = try r.columns(inBlock: b, onlyTrace: baseID)
                guard let t = columns.trace(baseID) else { continue }
                out += try wrap(r.path) { () throws(FormatError) in try columns.spans(ofTrace: t) }
            }
            out += fromHead
            out.sort { $0.start != $1.start ? $0.start < $1.start : $0.traceID < $1.traceID }
            return TraceStore.withoutResends(out)
        }
    }

    /// The traces with a span matching `query`, newest first, at most `query.limit`.
    public func search(_ query: TraceSearch) throws(TraceStoreError) -> [TraceSummary] {
        try TraceStoreError.catching(at: directory) {
            var found: [TraceID: Int64] = [:]  // base_id -> latest matching span start
            var fromBlock: [TraceID: (summary: TraceSummary, segment: String)] = [:]
            try forEachMatch(query, withText: false) { columns, k, t, segment in
                let base = columns.bases[t]
                found[base] = max(found[base] ?? .min, columns.starts[k])
                if fromBlock[base] == nil { fromBlock[base] = (columns.summary(ofTrace: t), segment) }
            } head: { s in
                found[s.baseID] = max(found[s.baseID] ?? .min, s.start)
            }
            var ids = found.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
            if query.limit > 0 && ids.count > query.limit { ids = Array(ids.prefix(query.limit)) }
            // A trace seen in one block is summarised from it, unless another segment or the head
            // may hold more of its spans (a trace cut by a flush): then it is read whole.
            let snapshot = segments.snapshot()
            defer { snapshot.release() }
            let headBases = state.withLock { st in
                Set(st.head.table.spans.map(\.base)).union(st.head.pending.allValues.map(\.base))
            }
            var out: [TraceSummary] = []
            let segmentEntries = snapshot.entries.filter { $0.kind == TraceStore.segmentKind }
            let segmentReaders = try readers(of: snapshot)
            for id in ids {
                if let (summary, segment) = fromBlock[id], !headBases.contains(id) {
                    var elsewhere = false
                    for (e, r) in zip(segmentEntries, segmentReaders) where e.name != segment {
                        if try r.blockHolding(id) != nil {
                            elsewhere = true
                            break
                        }
                    }
                    if !elsewhere {
                        out.append(summary)
                        continue
                    }
                }
                out.append(TraceSummary(spans: try trace(id)))
            }
            return out
        }
    }

    /// Calls `body` with every stored span matching `query` (its limit ignored), segment by
    /// segment, skipping segments, blocks and postings that cannot match.
    public func forEachMatchingSpan(_ query: TraceSearch, _ body: (Span) throws -> Void) throws {
        try forEachMatch(query, withText: true) { columns, k, t, _ in
            try body(try wrap("span block") { () throws(FormatError) in try columns.span(k, trace: t) })
        } head: { s in
            try body(s)
        }
    }

    /// Calls `segment` with each matching span of the segments (block columns, span index,
    /// trace index) without building spans, and `head` with each matching head span.
    func forEachMatch(
        _ query: TraceSearch, withText: Bool, _ segment: (TraceBlockColumns, Int, Int, String) throws -> Void,
        head: (Span) throws -> Void
    ) throws {
        // The head's table is copied (copy on write) under the lock, with the snapshot taken
        // at the same moment, and read outside it.
        let (snapshot, t) = state.withLock { st in (segments.snapshot(), st.head.table) }
        defer { snapshot.release() }
        // Traces a `delete` covered (empty, the usual case: nothing is looked up per trace).
        let deleted = try deletedBases(snapshot)
        let context = ZstdContext()
        let minD = query.minDuration ?? .min, maxD = query.maxDuration ?? .max
        let partial = SpanStatus.incomplete.rawValue | SpanStatus.missingStart.rawValue
        // Numbers first; strings are built only for the spans that pass them.
        var headRows: [Int] = []
        var headSpans: [Span] = []
        for (i, p) in t.spans.enumerated()
        where p.start >= query.start && p.start < query.end && p.duration >= minD && p.duration <= maxD
            && (query.error.map { (p.status & SpanStatus.error.rawValue != 0) == $0 } ?? true)
        {
            let s = t.span(p)
            if query.matches(s) && (deleted.isEmpty || !deleted.contains(s.baseID)) {
                headRows.append(i)
                headSpans.append(s)
            }
        }
        // Resends still in the head are left out, as the flush will; so are parts stored alone
        // that a head span completes.
        let (hidden, completedInHead) = try headView(t, headRows, snapshot)
        let visibleHead = hidden.isEmpty ? headSpans : headRows.indices.filter { !hidden.contains(headRows[$0]) }.map { headSpans[$0] }
        // Segments that complete spans stored alone before them (few: most list none).
        var completedLists: [[TraceID]] = []
        for r in try readers(of: snapshot) {
            let list = try r.completed
            if !list.isEmpty { completedLists.append(list) }
        }
        func completed(_ id: TraceID) -> Bool {
            completedInHead.contains(id) || completedLists.contains { TraceSegmentReader.contains($0, id) }
        }
        for e in snapshot.entries where e.kind == TraceStore.segmentKind {
            guard e.maxTime >= query.start && e.minTime < query.end else { continue }
            let r = try reader(for: e.name)
            let blocks = try candidateBlocks(r, query)
            if blocks.isEmpty { continue }
            let kindOK = try r.matchingKinds(query)
            for b in blocks {
                let c = try r.columns(inBlock: b, context: context, withText: withText)
                for t in 0..<c.bases.count {
                    if !deleted.isEmpty && deleted.contains(c.bases[t]) { continue }
                    for k in c.traceFirst[t]..<c.traceFirst[t + 1] {
                        guard kindOK[c.kinds[k]], c.durations[k] >= minD, c.durations[k] <= maxD,
                            c.starts[k] >= query.start, c.starts[k] < query.end
                        else { continue }
                        if let wantError = query.error, (c.status[k] & SpanStatus.error.rawValue != 0) != wantError { continue }
                        // A start or stop stored alone that a later segment holds whole.
                        if c.status[k] & partial != 0 && completed(c.traceID(k)) { continue }
                        try segment(c, k, t, e.name)
                    }
                }
            }
        }
        for s in visibleHead { try head(s) }
    }

    /// Blocks of `r` that may hold a span matching `q`, from the block table and the postings.
    func candidateBlocks(_ r: TraceSegmentReader, _ q: TraceSearch) throws(StorageError) -> [Int] {
        let (postings, dictionaries, blockTable) = (try r.postings, try r.dictionaries, try r.blocks)
        func blockOK(_ b: TraceBlockInfo) -> Bool {
            if b.maxEnd < q.start || b.minStart >= q.end { return false }
            if let v = q.minDuration, b.maxDuration < v { return false }
            if let v = q.maxDuration, b.minDuration > v { return false }
            if q.error == true && b.errorSpans == 0 { return false }
            if q.error == false && b.errorSpans == b.spanCount { return false }
            return true
        }
        func postingOK(_ p: TracePosting) -> Bool {
            if p.maxStart < q.start || p.minStart >= q.end { return false }
            if let v = q.minDuration, p.maxDuration < v { return false }
            if q.error == true && p.errorSpans == 0 { return false }
            return true
        }
        /// Blocks with `value` in any of `columns`, nil when the column is unconstrained.
        func postingBlocks(_ value: String?, _ columns: [SpanAttribute]) -> Set<Int>? {
            guard let value else { return nil }
            var out = Set<Int>()
            for c in columns {
                guard let code = dictionaries[c.rawValue].firstIndex(of: value) else { continue }
                for p in postings[c.rawValue][code] where postingOK(p) { out.insert(p.block) }
            }
            return out
        }
        /// Blocks with a value that regex matcher `m` accepts in any of `columns`.
        func postingBlocks(_ m: LabelMatcher, _ columns: [SpanAttribute]) -> Set<Int> {
            var out = Set<Int>()
            for c in columns {
                for (code, value) in dictionaries[c.rawValue].enumerated() where m.matches(value) {
                    for p in postings[c.rawValue][code] where postingOK(p) { out.insert(p.block) }
                }
            }
            return out
        }
        var sets: [Set<Int>] = []
        // A positive regex that rejects "" narrows the blocks like an equality; negative
        // matchers are left to the span kinds.
        for m in q.matchers where (m.kind == .regex || m.kind == .equal) && !m.matchesEmpty {
            switch m.name {
            case "service": sets.append(postingBlocks(m, [.service, .project]))
            case "project": sets.append(postingBlocks(m, [.project]))
            case "name": sets.append(postingBlocks(m, [.name]))
            case "host": sets.append(postingBlocks(m, [.host]))
            default: break
            }
        }
        if let s = postingBlocks(q.service, [.service, .project]) { sets.append(s) }
        if let s = postingBlocks(q.project, [.project]) { sets.append(s) }
        if let s = postingBlocks(q.name, [.name]) { sets.append(s) }
        if let s = postingBlocks(q.host, [.host]) { sets.append(s) }
        var blocks: [Int]
        if sets.isEmpty {
            blocks = Array(0..<blockTable.count)
        } else {
            sets.sort { $0.count < $1.count }
            var acc = sets[0]
            for s in sets.dropFirst() { acc.formIntersection(s) }
            blocks = acc.sorted()
        }
        return blocks.filter { blockOK(blockTable[$0]) }
    }

    /// Counts and bytes of what is stored.
    public func stats() throws(TraceStoreError) -> TraceStoreStats {
        try TraceStoreError.catching(at: directory) {
            let (snap, table, pending) = state.withLock { st in (segments.snapshot(), st.head.table, st.head.pending.count) }
            defer { snap.release() }
            var spans = 0, traces = 0, count = 0
            var minT: Int64? = nil, maxT: Int64? = nil
            for (e, r) in zip(snap.entries.filter { $0.kind == TraceStore.segmentKind }, try readers(of: snap)) {
                count += 1
                // New traces leave out traces continued from an earlier segment, so a trace split by
                // a flush counts once; a start or stop stored alone and completed later counts once.
                // (Clamped sums: a manifest's numbers are checksummed, but never trusted to trap.)
                let meta = SegmentMetadata(decoding: e.metadata)
                spans = spans.addingReportingOverflow(Int(clamping: e.recordCount) - (try r.completed.count)).partialValue
                traces = traces.addingReportingOverflow(meta.newTraces).partialValue
                minT = min(minT ?? e.minTime, e.minTime)
                maxT = max(maxT ?? e.maxTime, e.maxTime)
            }
            // The head as the next flush will write it: resends left out, traces a segment holds
            // part of counted there, stored parts that head spans complete not counted twice.
            let rows = table.spans
            let hmin = rows.map(\.start).min(), hmax = rows.map(\.end).max()
            var head = 0, headTraces = 0
            if !rows.isEmpty {
                var probe = probe(of: snap, withText: false)
                let w = try TraceStore.rowsToWrite(table, probe: &probe)
                head = w.rows.count
                var last: TraceID? = nil
                for r in w.rows where rows[r].base != last {
                    last = rows[r].base
                    if !w.continued.contains(rows[r].base) { headTraces += 1 }
                }
                spans -= w.completing.count
            }
            // Traces a `delete` covered are left out until `applyDeletions` removes them.
            let deleted = try deletedBases(snap)
            if !deleted.isEmpty {
                let hidden = try hiddenCounts(deleted, snap, table)
                spans -= hidden.segmentSpans
                traces -= hidden.segmentTraces
                head -= hidden.headSpans
                headTraces -= hidden.headTraces
            }
            if let hmin { minT = min(minT ?? hmin, hmin) }
            if let hmax { maxT = max(maxT ?? hmax, hmax) }
            return TraceStoreStats(
                spans: spans + head, traces: traces + headTraces, bytes: try totalBytes(directory), segments: count,
                headSpans: head, pendingEvents: pending, minTime: minT, maxTime: maxT)
        }
    }

    func totalBytes(_ path: String) throws -> Int {
        var total = 0
        for name in try fs.listDirectory(path) {
            let p = FileNames.join(path, name)
            total += name == FileNames.walDirectory ? try totalBytes(p) : try fs.fileSize(p)
        }
        return total
    }

    /// Reads every segment and block, checks every checksum and invariant.
    /// - Returns: every problem found, each naming the file, the offset and what is wrong.
    public func verify() -> [StorageError] {
        var problems: [StorageError] = []
        let snap = segments.snapshot()
        defer { snap.release() }
        for e in snap.entries where e.kind == TraceStore.segmentKind {
            let path = segments.path(of: e.name)
            let r: TraceSegmentReader
            do { r = try reader(for: e.name) } catch {
                problems.append(error)
                continue
            }
            let blocks: [TraceBlockInfo]
            do {
                let spanCount = try r.spanCount
                blocks = try r.blocks
                if spanCount != Int(e.recordCount) {
                    problems.append(.corrupt(path: path, offset: 0, detail: "holds \(spanCount) spans, MANIFEST says \(e.recordCount)"))
                }
                try r.verifyFilter()
            } catch {
                problems.append(error)
                continue
            }
            for b in 0..<blocks.count {
                do {
                    let spans = try r.spans(inBlock: b)
                    let info = blocks[b]
                    for (i, s) in spans.enumerated() {
                        if i > 0 {
                            let p = spans[i - 1]
                            let ordered = p.baseID < s.baseID || (p.baseID == s.baseID && (p.parentID < s.parentID || (p.parentID == s.parentID && p.start <= s.start)))
                            if !ordered {
                                problems.append(.corrupt(path: path, offset: info.offset, detail: "spans out of (base_id, parent_id, start) order"))
                                break
                            }
                        }
                        if s.start < info.minStart || s.end > info.maxEnd {
                            problems.append(.corrupt(path: path, offset: info.offset, detail: "span outside the block's time range"))
                            break
                        }
                    }
                    if spans.first?.baseID != info.firstBase || spans.last?.baseID != info.lastBase {
                        problems.append(.corrupt(path: path, offset: info.offset, detail: "block base_id range differs from the index"))
                    }
                } catch {
                    problems.append(StorageError(error, path: path))
                }
            }
        }
        return problems
    }
}
