import StrataEncoding
import StrataLabels
import StrataStorage

/// One retention rule: the records of the streams `streams` selects whose line passes every
/// line filter are kept for `keep` nanoseconds before the reference time.
public struct LogRetentionRule: Sendable, Equatable {
    /// A LogQL stream selector, already parsed (all must match; empty: every stream).
    public var streams: [LabelMatcher]
    /// LogQL line filters (`|=`, `!=`, `|~`, `!~`), already parsed; all must hold.
    public var lineFilters: [LineFilter] = []
    /// How long matching records are kept, nanoseconds (nil: forever).
    public var keep: Int64?

    public init(streams: [LabelMatcher], lineFilters: [LineFilter] = [], keep: Int64?) {
        self.streams = streams
        self.lineFilters = lineFilters
        self.keep = keep
    }
}

/// A retention policy for the log store.
public struct LogRetention: Sendable, Equatable {
    /// The rules in order: the first rule matching a record (stream matchers and line filters) decides its cut.
    public var rules: [LogRetentionRule]
    /// How long records no rule matches are kept, nanoseconds (nil: forever).
    public var keep: Int64?

    public init(rules: [LogRetentionRule] = [], keep: Int64?) {
        self.rules = rules
        self.keep = keep
    }
}

/// What `LogStore.applyRetention` did, or (`dryRun`) would do.
public struct LogRetentionReport: Sendable, Equatable {
    /// The reference time the cuts were taken from (nanoseconds; nil: the store was empty and
    /// no `now` was given, so nothing was done).
    public var reference: Int64?
    /// Segments all of whose records were older than their cut: removed.
    public var segmentsDropped: [String] = []
    /// Segments holding records on both sides of a cut: rewritten without the old ones.
    public var rewrites: [LogSegmentRewrite] = []
    /// Segments whose records had to be read to decide (the others were decided from their
    /// manifest entry's time range or their stream dictionary).
    public var segmentsRead = 0
    /// Records removed (in a dry run, head records included: a real run flushes them first).
    public var recordsDropped = 0
    /// Segment bytes before and after (a dry run estimates `after`: a rewritten segment's bytes
    /// scaled by the share of its records kept).
    public var bytesBefore = 0
    public var bytesAfter = 0
    /// Wall seconds.
    public var seconds: Double = 0
    public var dryRun = false
    public init() {}
}

/// A retention policy with its cuts worked out and its filters compiled.
struct CompiledRetention {
    struct Rule {
        let streams: [LabelMatcher]
        let lines: [LineMatcher]
        /// Records older than this (nanoseconds) go; `.min` keeps everything.
        let cut: Int64
    }
    let rules: [Rule]
    let defaultCut: Int64
    /// The smallest and largest cut any record can get.
    let lowest: Int64
    let highest: Int64

    init(_ p: LogRetention, reference: Int64) throws(LogStoreError) {
        func cut(_ keep: Int64?) throws(LogStoreError) -> Int64 {
            guard let keep else { return .min }
            guard keep >= 0 else { throw LogStoreError.invalidQuery("a retention keeps a negative duration (\(keep) ns)") }
            let (c, overflow) = reference.subtractingReportingOverflow(keep)
            return overflow ? .min : c
        }
        var rules: [Rule] = []
        for r in p.rules {
            var lines: [LineMatcher] = []
            for f in r.lineFilters { lines.append(try LineMatcher(f)) }
            rules.append(Rule(streams: r.streams, lines: lines, cut: try cut(r.keep)))
        }
        self.rules = rules
        defaultCut = try cut(p.keep)
        let all = rules.map(\.cut) + [defaultCut]
        lowest = all.min() ?? defaultCut
        highest = all.max() ?? defaultCut
    }

    static func streamMatches(_ matchers: [LabelMatcher], _ labels: Labels) -> Bool {
        for m in matchers where !m.matches(labels[m.name] ?? "") { return false }
        return true
    }

    /// The cut of one record: the first matching rule's, else the default.
    func cut(_ r: LogRecord) -> Int64 {
        for rule in rules where CompiledRetention.streamMatches(rule.streams, r.stream) {
            if rule.lines.isEmpty { return rule.cut }
            let passes = r.line.withUnsafeBytes { p in rule.lines.allSatisfy { $0.passes(p) } }
            if passes { return rule.cut }
        }
        return defaultCut
    }

    /// The lowest and highest cut a record of `stream` can get (one value unless a rule with
    /// line filters selects the stream before a rule without any does).
    func cuts(of stream: Labels) -> (low: Int64, high: Int64) {
        var low = Int64.max, high = Int64.min
        for rule in rules where CompiledRetention.streamMatches(rule.streams, stream) {
            low = min(low, rule.cut)
            high = max(high, rule.cut)
            if rule.lines.isEmpty { return (low, high) }
        }
        return (min(low, defaultCut), max(high, defaultCut))
    }
}

/// What a rewrite of one segment came to.
enum SegmentRewriteOutcome {
    case untouched
    case dropped(records: Int)
    case rewritten(LogSegmentRewrite)
}

extension LogStore {
    /// The newest record time the store holds (head or segments), nanoseconds; nil when empty.
    /// Records hidden by a pending tombstone count (they are still held).
    public func newestRecordTime() throws(LogStoreError) -> Int64? {
        var newest: Int64? = state.withLock { $0.head.records.lazy.map(\.timestamp).max() }
        for e in segments.entries where e.kind == LogSegmentFormat.segmentKind && e.recordCount > 0 {
            newest = max(newest ?? e.maxTime, e.maxTime)
        }
        return newest
    }

    /// Applies a retention policy. The reference time is `now` (nanoseconds) or, when nil,
    /// `newestRecordTime()`; a record goes when its time is before its cut: the reference minus
    /// the `keep` of the first rule it matches (stream matchers and line filters), else of the policy.
    ///
    /// Flushes the head first, then per segment: one all of whose records are older than their
    /// cut is dropped (without reading it when its time range alone decides it, else from its
    /// stream dictionary when no line filter is involved); one with no such record is left
    /// untouched; one straddling a cut is rewritten without the old records, in one atomic
    /// manifest write (its ordering key kept, so ties stay in order). Runs under the compaction
    /// lock; queries go on meanwhile and see either the old segment or the new one.
    /// After it returns no query returns a record older than its cut (records appended since,
    /// with older times, excepted). `LogRecordID`s of records in rewritten segments change.
    /// - Parameters:
    ///   - dryRun: write nothing; report what would go. Segments are still read to count records
    ///     exactly; the bytes after are estimated proportionally to the records kept.
    /// - Throws: `LogStoreError.invalidRegex` for a bad line filter, `.invalidQuery` for a negative
    ///   `keep`, `.storage` when a segment cannot be read or written (segments done stay done).
    @discardableResult
    public func applyRetention(_ policy: LogRetention, now: Int64? = nil, dryRun: Bool = false) throws(LogStoreError)
        -> LogRetentionReport
    {
        if options.readOnly && !dryRun { throw LogStoreError.readOnly }
        let start = ContinuousClock.now
        var report = LogRetentionReport()
        report.dryRun = dryRun
        let newest = try newestRecordTime()
        guard let reference = now ?? newest else { return report }
        report.reference = reference
        let policy = try CompiledRetention(policy, reference: reference)
        try compacting.withLock { _ throws(LogStoreError) in
            if dryRun {
                let head = state.withLock { $0.head.records }
                report.recordsDropped += head.reduce(0) { $0 + ($1.timestamp < policy.cut($1) ? 1 : 0) }
            } else if state.withLock({ st in st.head.records.contains { $0.timestamp < policy.highest } }) {
                // Only when the head holds a record some cut may reach: a frequent pass does not
                // cut a tiny segment each time.
                try flush()
            }
            let entries = segments.entries.filter { $0.kind == LogSegmentFormat.segmentKind }
            report.bytesBefore = entries.reduce(0) { $0 + Int(clamping: $1.sizeBytes) }
            report.bytesAfter = report.bytesBefore
            var drop: [SegmentEntry] = []
            for e in entries {
                if e.maxTime < policy.lowest {
                    drop.append(e)
                    continue
                }
                if e.minTime >= policy.highest { continue }
                let reader = try segmentReader(e)
                let cuts = reader.streams.map { policy.cuts(of: $0) }
                if cuts.allSatisfy({ e.maxTime < $0.low }) {
                    drop.append(e)
                    continue
                }
                if cuts.allSatisfy({ e.minTime >= $0.high }) { continue }
                report.segmentsRead += 1
                switch try rewrite(e, reader, dryRun: dryRun, drop: { _, r in r.timestamp < policy.cut(r) }) {
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
            if !dryRun { try dropSegments(drop) }
        }
        report.seconds = (ContinuousClock.now - start).inSeconds
        return report
    }

    /// A fresh reader of a manifest entry (for a rewrite: not shared with queries).
    func segmentReader(_ e: SegmentEntry) throws(LogStoreError) -> LogSegmentReader {
        guard let (number, _) = FileNames.parseSegment(e.name) else {
            throw LogStoreError.corrupt(path: segments.path(of: e.name), offset: 0, detail: "not a segment file name")
        }
        return try LogSegmentReader(number: number, path: segments.path(of: e.name), fs: fs, order: LogStore.orderKey(e, number: number))
    }

    /// Reads every record of `e`; when `drop` takes some but not all of them, writes the rest as
    /// one segment with the same level and ordering key and publishes it in place of `e` (one
    /// manifest write), unless `dryRun`. A segment `drop` empties is not removed here (the
    /// caller drops such segments together).
    func rewrite(_ e: SegmentEntry, _ reader: LogSegmentReader, dryRun: Bool, drop: (UInt32, LogRecord) -> Bool)
        throws(LogStoreError) -> SegmentRewriteOutcome
    {
        // The kept records go to the encoder a block at a time, in row order (the segment's time
        // order): memory holds one block of records and the encoded output, not the segment.
        var encoder = segmentWriter.encoder()
        let blockRows = max(1, options.rowsPerBlock)
        var pending: [LogRecord] = []
        pending.reserveCapacity(dryRun ? 0 : blockRows)
        var kept = 0
        var total = 0
        var stats = LogSearchStats()
        for (b, block) in try reader.blocks().enumerated() {
            let cursor = LogBlockCursor(reader, b, block)
            for i in 0..<block.rowCount {
                let r = try cursor.record(i, &stats)
                total += 1
                if drop(UInt32(block.rowStart + i), r) { continue }
                kept += 1
                if dryRun { continue }
                pending.append(r)
                if pending.count == blockRows {
                    encoder.addBlock(pending[...])
                    pending.removeAll(keepingCapacity: true)
                }
            }
        }
        if kept == total { return .untouched }
        if kept == 0 { return .dropped(records: total) }
        let inputBytes = Int(clamping: e.sizeBytes)
        var w = LogSegmentRewrite(
            input: e.name, output: nil, recordsBefore: total, recordsAfter: kept, inputBytes: inputBytes,
            outputBytes: Int((Double(inputBytes) * Double(kept) / Double(max(total, 1))).rounded()))
        if dryRun { return .rewritten(w) }
        encoder.addBlock(pending[...])
        let (bytes, summary) = encoder.finish()
        let entry = try writeSegment(bytes, summary, level: e.level, orderKey: reader.order)
        do throws(StorageError) {
            try segments.publish(adding: [entry], removing: [e.name])
        } catch {
            throw LogStoreError.storage(error.withSpaceNeeded(Int(clamping: entry.sizeBytes)))
        }
        retire([e.name], numbers: [reader.number])
        w.output = entry.name
        w.outputBytes = Int(clamping: entry.sizeBytes)
        return .rewritten(w)
    }

    /// Removes `entries` from the manifest in one write.
    func dropSegments(_ entries: [SegmentEntry]) throws(LogStoreError) {
        guard !entries.isEmpty else { return }
        do throws(StorageError) {
            try segments.publish(adding: [], removing: entries.map(\.name))
        } catch {
            throw LogStoreError.storage(error)
        }
        retire(entries.map(\.name), numbers: entries.compactMap { FileNames.parseSegment($0.name)?.0 })
    }

    /// Forgets the readers, decoded sections and hidden-row sets of retired segments (queries
    /// that hold a reader keep their mapping).
    func retire(_ names: [String], numbers: [UInt64]) {
        state.withLock { st in
            for n in names { st.readers[n] = nil; st.broken[n] = nil }
        }
        for n in names { sectionCache.remove(path: segments.path(of: n)) }
        deletions.withLock { d in for n in numbers { d.hidden[n] = nil } }
    }
}
