import StrataLabels

extension LogStore {
    /// Runs a log query: the records that pass every stream matcher, line filter and field
    /// filter in `[q.start, q.end)`, at most `q.limit` of them in `q.direction` order.
    ///
    /// Line filters are on the whole raw line: `|=` finds exactly the lines `grep -F` finds,
    /// `|~` the lines `grep -E` finds (POSIX extended syntax with RE2's `(?i)`, `\d`, `\w`, `\s`).
    /// - Throws: `LogStoreError.invalidRegex` for a bad pattern, `.corrupt` naming the file and
    ///   offset when a segment the query needs is damaged.
    public func search(_ q: LogQuery) throws(LogStoreError) -> LogSearchResult {
        try LogStoreError.catching(at: directory) {
            let cq = try CompiledLogQuery(q)
            var stats = LogSearchStats()
            var found: [Match] = []
            try collect(cq, stats: &stats) { found.append($0) }
            found.sort(by: q.direction == .forward ? Match.before : { Match.before($1, $0) })
            if q.limit > 0 && found.count > q.limit { found.removeLast(found.count - q.limit) }
            var hits: [LogHit] = []
            hits.reserveCapacity(found.count)
            var cursors: [Int: LogBlockCursor] = [:]
            var cursorSegment: UInt64 = .max
            for m in found {
                if let r = m.record {
                    hits.append(LogHit(id: m.id, record: r))
                    continue
                }
                guard let seg = m.reader else { throw LogStoreError.unknownRecord(m.id) }
                let blocks = try seg.blocks()
                guard let b = LogSegmentReader.blockIndex(of: Int(m.id.row), in: blocks) else {
                    throw LogStoreError.unknownRecord(m.id)
                }
                if cursorSegment != m.id.segment {
                    cursors.removeAll()
                    cursorSegment = m.id.segment
                }
                let cursor = cursors[b] ?? LogBlockCursor(seg, b, blocks[b])
                cursor.singleRows = true
                cursors[b] = cursor
                hits.append(LogHit(id: m.id, record: try cursor.record(Int(m.id.row) - blocks[b].rowStart, &stats)))
            }
            return LogSearchResult(hits: hits, stats: stats)
        }
    }

    /// The number of records `q` matches, ignoring `q.limit`; cheaper than `search` (a line is
    /// rebuilt only when the indexes cannot decide it).
    public func count(_ q: LogQuery) throws(LogStoreError) -> Int {
        try LogStoreError.catching(at: directory) {
            try countWithStats(q).count
        }
    }

    /// `count(_:)` with what the search did.
    public func countWithStats(_ q: LogQuery) throws(LogStoreError) -> (count: Int, stats: LogSearchStats) {
        try LogStoreError.catching(at: directory) {
            let cq = try CompiledLogQuery(q)
            var stats = LogSearchStats()
            var n = 0
            let hider = self.hider()
            for seg in try openSegments(start: q.start, end: q.end) {
                if let hider, let hidden = try hiddenRows(seg, hider) {
                    try seg.scan(cq, stats: &stats) { m in if !hidden.contains(m.id.row) { n += 1 } }
                } else {
                    n += try seg.count(cq, stats: &stats)
                }
            }
            let head = state.withLock { $0.head.records }
            stats.headRecordsScanned += head.count
            for r in head where cq.matches(r) {
                if let hider, hider.covers(r) { continue }
                n += 1
            }
            return (n, stats)
        }
    }

    /// The most buckets `countOverTime` returns per stream (Prometheus allows 11,000 points per series).
    public static let maxBuckets: Int64 = 11_000

    /// Counts of the records `q` matches per stream and per time bucket: bucket `i` covers
    /// `[start + i*step, start + (i+1)*step)`; the query's own time range applies too.
    /// Streams without any match are left out; the list is sorted by stream labels.
    /// - Throws: `LogStoreError.invalidQuery` for a non-positive step or more than `maxBuckets` buckets.
    public func countOverTime(_ q: LogQuery, start: Timestamp, end: Timestamp, step: Duration) throws(LogStoreError)
        -> [LogCountSeries]
    {
        try countOverTime(q, start: start.nanoseconds, end: end.nanoseconds, step: step.rawUnits(1))
    }

    /// `countOverTime(_:start:end:step:)` in raw nanoseconds: the path inside the package.
    package func countOverTime(_ q: LogQuery, start: Int64, end: Int64, step: Int64) throws(LogStoreError) -> [LogCountSeries] {
        try LogStoreError.catching(at: directory) {
            guard step > 0 else { throw LogStoreError.invalidQuery("step must be positive, got \(step)") }
            guard end > start else { return [] }
            let (span, overflow) = end.subtractingReportingOverflow(start)
            guard !overflow, (span - 1) / step < LogStore.maxBuckets else {
                throw LogStoreError.invalidQuery("more than \(LogStore.maxBuckets) buckets of \(step) ns between \(start) and \(end)")
            }
            var narrowed = q
            narrowed.start = max(q.start, start)
            narrowed.end = min(q.end, end)
            let buckets = Int((span - 1) / step) + 1
            let cq = try CompiledLogQuery(narrowed)
            var stats = LogSearchStats()
            var perStream: [Labels: [Int]] = [:]
            try collect(cq, stats: &stats) { m in
                let b = Int((m.timestamp - start) / step)
                perStream[m.stream, default: [Int](repeating: 0, count: buckets)][b] += 1
            }
            return perStream.map { LogCountSeries(stream: $0.key, counts: $0.value) }.sorted { $0.stream < $1.stream }
        }
    }

    /// The `before` records before and `after` records after record `id` in the same stream
    /// (by time, then ingestion order), oldest first, with the record itself in the middle.
    /// - Throws: `LogStoreError.unknownRecord` when no record has this id.
    public func context(of id: LogRecordID, before: Int, after: Int) throws(LogStoreError) -> [LogHit] {
        try LogStoreError.catching(at: directory) {
            let anchor = try record(id)
            let exact = anchor.stream.labels.map { LabelMatcher.equal($0.name, $0.value) }
            // Everything in the stream at the anchor's time, plus `before` older and `after` newer records.
            var older = LogQuery(streams: exact, end: anchor.timestamp, limit: max(0, before), direction: .backward)
            var newer = LogQuery(streams: exact, start: anchor.timestamp &+ 1, limit: max(0, after), direction: .forward)
            let same = LogQuery(streams: exact, start: anchor.timestamp, end: anchor.timestamp &+ 1, limit: 0, direction: .forward)
            if before == 0 { older.limit = 0; older.end = older.start }
            if after == 0 { newer.limit = 0; newer.start = newer.end }
            let tied = try search(same).hits.filter { $0.record.stream == anchor.stream }
            guard let at = tied.firstIndex(where: { $0.id == id }) else { throw LogStoreError.unknownRecord(id) }
            var out: [LogHit] = []
            let tiedBefore = Array(tied[..<at].suffix(before))
            if before > tiedBefore.count {
                older.limit = before - tiedBefore.count
                out += try search(older).hits.filter { $0.record.stream == anchor.stream }.reversed()
            }
            out += tiedBefore
            out.append(tied[at])
            let tiedAfter = Array(tied[(at + 1)...].prefix(after))
            out += tiedAfter
            if after > tiedAfter.count {
                newer.limit = after - tiedAfter.count
                out += try search(newer).hits.filter { $0.record.stream == anchor.stream }
            }
            return out
        }
    }

    /// The record with this id.
    /// - Throws: `LogStoreError.unknownRecord` when there is none.
    public func record(_ id: LogRecordID) throws(LogStoreError) -> LogRecord {
        try LogStoreError.catching(at: directory) {
            if id.segment == LogRecordID.head {
                let r = state.withLock { st -> LogRecord? in
                    Int(id.row) < st.head.records.count ? st.head.records[Int(id.row)] : nil
                }
                guard let r, !(hider()?.covers(r) ?? false) else { throw LogStoreError.unknownRecord(id) }
                return r
            }
            return try materialize(Match(id: id, timestamp: 0, stream: Labels(), record: nil))
        }
    }

    /// Every stream whose labels satisfy all `matchers`, sorted. A stream a pending tombstone
    /// hides whole (no line filter; its time range covers the stream's records in each segment)
    /// is left out; one hidden only by line filters is still listed until `applyDeletions`
    /// (streams and label names and values come from segment dictionaries, not from records).
    public func streams(matching matchers: [LabelMatcher]) throws(LogStoreError) -> [Labels] {
        try LogStoreError.catching(at: directory) {
            var all = Set<Labels>()
            try forEachStream { all.insert($0) }
            return all.filter { l in matchers.allSatisfy { $0.matches(l[$0.name] ?? "") } }.sorted()
        }
    }

    /// The names of every stream label, sorted.
    public func labelNames() throws(LogStoreError) -> [String] {
        try LogStoreError.catching(at: directory) {
            var names = Set<String>()
            try forEachStream { for l in $0.labels { names.insert(l.name) } }
            return names.sorted()
        }
    }

    /// The values stream label `name` takes, sorted.
    public func labelValues(_ name: String) throws(LogStoreError) -> [String] {
        try LogStoreError.catching(at: directory) {
            var values = Set<String>()
            try forEachStream { if let v = $0[name] { values.insert(v) } }
            return values.sorted()
        }
    }

    /// The names of every field of every record, sorted.
    public func fieldNames() throws(LogStoreError) -> [String] {
        try LogStoreError.catching(at: directory) {
            var names = Set<String>()
            state.withLock { st in for r in st.head.records { for f in r.fields { names.insert(f.name) } } }
            for seg in try openSegments() { names.formUnion(seg.fieldNames) }
            return names.sorted()
        }
    }

    /// Streams all of whose records pending tombstones hide are left out: in the head record by
    /// record, in a segment when a tombstone without line or field filters matches the stream
    /// over the segment's whole time range (a stream hidden only by line filters still shows).
    func forEachStream(_ visit: (Labels) -> Void) throws {
        var seen = Set<Labels>()
        let hider = self.hider()
        state.withLock { st in
            for r in st.head.records where !(hider?.covers(r) ?? false) && seen.insert(r.stream).inserted { visit(r.stream) }
        }
        for seg in try openSegments() {
            let whole = hider?.queries.filter {
                $0.lines.isEmpty && $0.fields.isEmpty && $0.start <= seg.minTime && $0.end > seg.maxTime
            } ?? []
            for s in seg.streams where !seen.contains(s) {
                if whole.contains(where: { $0.streamMatches(s) }) { continue }
                seen.insert(s)
                visit(s)
            }
        }
    }
}

/// A matching record as sources report it; `record` is filled when the source already has it.
struct Match {
    var id: LogRecordID
    var timestamp: Int64
    var stream: Labels
    var record: LogRecord?
    /// The segment's ordering key (`LogSegmentReader.order`; the head: `.max`).
    var order: UInt64 = .max
    /// The reader the match came from (nil: the head), so its record is read from the very
    /// segment the scan saw, even if a compaction retired it since.
    var reader: LogSegmentReader? = nil

    /// Time order, ties in ingestion order (segments by ordering key, then the head; lower rows
    /// first). A compacted segment keeps the smallest key of its inputs and their rows in order,
    /// so ties come out as they did before the merge.
    static func before(_ a: Match, _ b: Match) -> Bool {
        if a.timestamp != b.timestamp { return a.timestamp < b.timestamp }
        if a.order != b.order { return a.order < b.order }
        return a.id < b.id
    }
}
