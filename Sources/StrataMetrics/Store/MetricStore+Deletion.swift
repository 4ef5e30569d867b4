import StrataEncoding
import StrataLabels
import StrataStorage

/// A deletion: the samples of the series matching every matcher, in `[start, end]` (Unix ms, inclusive).
///
/// ```swift
/// let d = MetricDeletion(matchers: [.equal("job", "test")], start: 1_700_000_000_000, end: .max)
/// let counted = try store.delete(d)        // hidden from every query at once
/// try store.applyDeletions()               // later: removed from the files
/// ```
public struct MetricDeletion: Sendable, Equatable, CustomStringConvertible {
    /// A PromQL series selector, already parsed. A matcher never names `__strata_aggr__`
    /// (a downsampled series matches by its own labels).
    public var matchers: [LabelMatcher]
    /// First deleted time, Unix ms inclusive (`Int64.min`: open).
    public var start: Int64
    /// Last deleted time, Unix ms inclusive (`Int64.max`: open).
    public var end: Int64

    public init(matchers: [LabelMatcher], start: Int64 = .min, end: Int64 = .max) {
        self.matchers = matchers
        self.start = start
        self.end = end
    }

    public static func == (a: MetricDeletion, b: MetricDeletion) -> Bool {
        a.start == b.start && a.end == b.end && sameMatchers(a.matchers, b.matchers)
    }

    public var description: String {
        "{\(matchers.map(\.description).joined(separator: ", "))} [\(start), \(end)]"
    }

    /// The hidden times; nil when `start > end` (nothing).
    var range: ClosedRange<Int64>? { start <= end ? start...end : nil }

    /// The most bytes one encoded deletion may take (`StoreState.maxTombstoneBytes`).
    static let maxEncodedBytes = StoreState.maxTombstoneBytes

    /// Tombstone bytes (Docs/format/manifest.md § Metric tombstones):
    /// `[version u8 = 1][matcher count uvarint]([kind u8][uvarint length, UTF-8][value: uvarint length, UTF-8])*[start zigzag varint][end zigzag varint]`,
    /// kind 0 `=`, 1 `!=`, 2 `=~`, 3 `!~`.
    var encoded: [UInt8] {
        var w = ByteWriter(capacity: 32)
        w.appendUInt8(1)
        w.appendVarint(UInt64(matchers.count))
        for m in matchers {
            w.appendUInt8(MetricDeletion.kindCode(m.kind))
            w.appendLengthPrefixed(m.name)
            w.appendLengthPrefixed(m.value)
        }
        w.appendSignedVarint(start)
        w.appendSignedVarint(end)
        return w.bytes
    }

    static func kindCode(_ k: LabelMatcher.Kind) -> UInt8 {
        switch k {
        case .equal: 0
        case .notEqual: 1
        case .regex: 2
        case .notRegex: 3
        }
    }

    /// Decodes a tombstone. Offsets in the error count from the tombstone's first byte.
    /// - Throws: `FormatError` for an unknown version or kind, truncated or trailing bytes, or a regex that does not compile.
    init(encoded b: [UInt8]) throws(FormatError) {
        var r = ByteReader(b)
        let version = try r.readUInt8()
        guard version == 1 else {
            throw FormatError(.unsupportedVersion, at: 0, "metric tombstone version \(version) (this build reads 1)")
        }
        let n = try r.readLength(limit: b.count)
        var ms: [LabelMatcher] = []
        for _ in 0..<n {
            let at = r.position
            let code = try r.readUInt8()
            let kind: LabelMatcher.Kind
            switch code {
            case 0: kind = .equal
            case 1: kind = .notEqual
            case 2: kind = .regex
            case 3: kind = .notRegex
            default: throw FormatError(.invalid, at: at, "metric tombstone matcher kind \(code)")
            }
            let name = try r.readLengthPrefixedString()
            let value = try r.readLengthPrefixedString()
            do throws(LabelMatcherError) {
                ms.append(try LabelMatcher(kind, name, value))
            } catch {
                throw FormatError(.invalid, at: at, "metric tombstone matcher: \(error)")
            }
        }
        matchers = ms
        start = try r.readSignedVarint()
        end = try r.readSignedVarint()
        guard r.isAtEnd else { throw FormatError(.invalid, at: r.position, "\(r.remaining) bytes after the metric tombstone") }
    }
}

func sameMatchers(_ a: [LabelMatcher], _ b: [LabelMatcher]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.kind == $1.kind && $0.name == $1.name && $0.value == $1.value }
}

/// What `MetricStore.delete` counted (and recorded, unless a dry run).
public struct MetricDeletionReport: Sendable, Equatable {
    /// Series (by their own labels) with at least one sample the deletion hides that no earlier one hid.
    public var series: Int
    /// Samples (floats and histograms) the deletion hides that no earlier deletion hid.
    public var samples: Int
    /// True when a tombstone was written (false in a dry run, or when `start > end`).
    public var recorded: Bool
    /// Tombstones pending after the call.
    public var pending: Int
}

/// What `MetricStore.applyDeletions` did, or would do (`dryRun`).
public struct MetricDeletionApplyReport: Sendable, Equatable {
    /// Tombstones removed from the manifest (0 in a dry run, or when a flush kept overlapping the rewrites).
    public var tombstonesApplied: Int
    /// Blocks all of whose samples were deleted (removed without a rewrite).
    public var blocksDropped: [String]
    /// Blocks rewritten without the deleted samples (and later blocks overlapping them, rewritten unchanged to keep their order).
    public var blocksRewritten: [MetricBlockRewrite]
    public var samplesDropped: Int
    /// Series (by their own labels) no block holds any more.
    public var seriesRemoved: Int
    /// Bytes of the store's blocks before and after (a dry run estimates after from sample counts: `bytesAfterEstimated`).
    public var bytesBefore: Int
    public var bytesAfter: Int
    public var bytesAfterEstimated: Bool
    public var seconds: Double
    public var dryRun: Bool
}

/// The pending deletions decoded from the store state bytes they came from.
struct TombstoneCache: Sendable {
    var bytes: [UInt8] = []
    var deletions: [MetricDeletion] = []
}

extension MetricStore {
    /// Counts the (series, samples) `d` covers now, in the head and the blocks, minus what earlier
    /// tombstones already hide; unless `dryRun`, records a tombstone in the manifest (one atomic,
    /// durable manifest write) so that every query from then on hides them: `select` (floats and
    /// histograms), `labelNames` and `labelValues` (a series whose every sample is hidden is gone).
    /// `stats()` keeps counting hidden samples until `applyDeletions()`.
    ///
    /// A tombstone hides its whole range until it is applied, samples appended into the range
    /// after the delete included; once applied, samples appended later show.
    /// - Throws: `MetricStoreError.readOnly`; `.storage(.invalidState)` naming the manifest when
    ///   the encoded deletion exceeds 1024 bytes or 4096 tombstones are pending (apply them first).
    @discardableResult
    public func delete(_ d: MetricDeletion, dryRun: Bool = false) throws(MetricStoreError) -> MetricDeletionReport {
        if options.readOnly && !dryRun { throw MetricStoreError.readOnly }
        let bytes = d.encoded
        guard bytes.count <= MetricDeletion.maxEncodedBytes else {
            throw .storage(
                .invalidState(
                    path: segments.manifestPath,
                    detail: "the deletion \(d) takes \(bytes.count) bytes as a tombstone, the most is \(MetricDeletion.maxEncodedBytes)"))
        }
        var series = Set<Labels>()
        var samples = 0
        if let range = d.range {
            // Raw samples (head and raw blocks), minus what earlier tombstones hide.
            let set = try select(d.matchers, from: range.lowerBound, through: range.upperBound, aggregate: .count)
            for s in set.series {
                // A series with downsampled steps in range: its points up to the last step are
                // aggregates (counted below from the blocks), the ones after it raw samples.
                let n = try s.samples().reduce(0) { $0 + ($1.timestamp > s.downsampledThrough ? 1 : 0) } + s.histograms().count
                if n > 0 {
                    samples += n
                    series.insert(seriesIdentity(s.labels))
                }
            }
            // Stored points of downsampled blocks (each aggregate series' points, as stats() counts them).
            let (n, ids) = try downsampledPoints(d.matchers, range)
            samples += n
            series.formUnion(ids)
        }
        var pending = try pendingDeletions().count
        let record = !dryRun && d.range != nil
        if record {
            do throws(StorageError) {
                var full = false
                try segments.publish(adding: [], removing: [], changingState: { (state: inout StoreState) in
                    if state.tombstones.count >= StoreState.maxTombstones { full = true; return }
                    state.tombstones.append(bytes)
                    pending = state.tombstones.count
                })
                if full {
                    throw StorageError.invalidState(
                        path: segments.manifestPath, detail: "\(StoreState.maxTombstones) deletions are pending; apply them first")
                }
            } catch {
                throw .storage(error)
            }
        }
        return MetricDeletionReport(series: series.count, samples: samples, recorded: record, pending: pending)
    }

    /// The points stored in downsampled blocks for the series `matchers` select (by their own
    /// labels) in `range`, and those series. Earlier tombstones are not subtracted here.
    func downsampledPoints(_ matchers: [LabelMatcher], _ range: ClosedRange<Int64>) throws(MetricStoreError) -> (Int, Set<Labels>) {
        let snapshot = segments.snapshot()
        defer { snapshot.release() }
        var points = 0
        var series = Set<Labels>()
        for entry in snapshot.entries
        where entry.kind == SegmentKind.metricBlock && MetricStore.blockResolution(entry) > 0 && entry.maxTime >= range.lowerBound
            && entry.minTime <= range.upperBound
        {
            let reader = try self.reader(for: entry.name)
            do throws(FormatError) {
                let ids = try selectPostings(
                    matchers, allCount: reader.seriesOffsets.count, values: { reader.labelValues($0) },
                    postings: { (n: String, v: String) throws(FormatError) -> [UInt32] in try reader.postings(n, v) })
                for id in ids {
                    let s = try reader.series(id)
                    var ts: [Int64] = [], vs: [Double] = []
                    for c in s.chunks where c.maxTime >= range.lowerBound && c.minTime <= range.upperBound {
                        try reader.decode(c, timestamps: &ts, values: &vs)
                    }
                    let n = ts.reduce(0) { $0 + (range.contains($1) ? 1 : 0) }
                    if n > 0 {
                        points += n
                        series.insert(seriesIdentity(s.labels))
                    }
                }
            } catch {
                throw MetricStoreError.storage(StorageError(path: reader.path, error))
            }
        }
        return (points, series)
    }

    /// The deletions recorded but not yet applied to the files, oldest first.
    /// - Throws: `MetricStoreError.storage` naming the manifest when a tombstone does not decode.
    public func pendingDeletions() throws(MetricStoreError) -> [MetricDeletion] {
        let snap = segments.snapshot()
        defer { snap.release() }
        return try tombstones(in: snap)
    }

    /// Removes what the pending tombstones cover from the files: flushes the head, rewrites every
    /// block holding covered samples (dropping the blocks left empty; each rewrite is one atomic
    /// publish), then removes the applied tombstones in one more manifest write (until then they
    /// keep hiding, so every state in between answers the same). After it, `stats()` counts drop
    /// by what the deletions hid. Runs under the compaction lock. `dryRun` writes nothing and
    /// reports what it would rewrite (counting the head's covered samples, estimating bytes).
    @discardableResult
    public func applyDeletions(dryRun: Bool = false) throws(MetricStoreError) -> MetricDeletionApplyReport {
        if options.readOnly && !dryRun { throw MetricStoreError.readOnly }
        return try compacting.withLock { _ throws(MetricStoreError) -> MetricDeletionApplyReport in
            let clock = ContinuousClock.now
            let raw: [[UInt8]]
            do throws(StorageError) { raw = try segments.currentState().tombstones } catch { throw .storage(error) }
            // Nothing pending: the head stays as it is (no tiny block from a frequent pass).
            if !dryRun && !raw.isEmpty { try flush() }
            let deletions = try raw.map { (b: [UInt8]) throws(MetricStoreError) -> MetricDeletion in
                do throws(FormatError) { return try MetricDeletion(encoded: b) } catch {
                    throw .storage(StorageError(path: segments.manifestPath, error))
                }
            }
            var report = MetricDeletionApplyReport(
                tombstonesApplied: 0, blocksDropped: [], blocksRewritten: [], samplesDropped: 0, seriesRemoved: 0, bytesBefore: blockBytes(),
                bytesAfter: blockBytes(), bytesAfterEstimated: false, seconds: 0, dryRun: dryRun)
            if deletions.isEmpty { return report }
            let out = try runRewrite(dryRun: dryRun) { labels in
                deletions.compactMap { matchesIgnoringAggregate($0.matchers, labels) ? $0.range : nil }
            }
            report.blocksDropped = out.dropped
            report.blocksRewritten = out.rewritten
            report.samplesDropped = out.samplesDropped
            report.seriesRemoved = out.seriesRemoved
            report.bytesBefore = out.bytesBefore
            report.bytesAfter = out.bytesAfter
            report.bytesAfterEstimated = out.estimated
            if !dryRun && out.complete {
                do throws(StorageError) {
                    try segments.publish(adding: [], removing: [], changingState: { (state: inout StoreState) in
                        for b in raw {
                            if let i = state.tombstones.firstIndex(of: b) { state.tombstones.remove(at: i) }
                        }
                    })
                } catch {
                    throw .storage(error)
                }
                report.tombstonesApplied = raw.count
            }
            report.seconds = (ContinuousClock.now - clock).inSeconds
            return report
        }
    }

    /// The pending deletions of `snapshot`'s manifest (decoded once per distinct store state).
    func tombstones(in snapshot: SegmentSnapshot) throws(MetricStoreError) -> [MetricDeletion] {
        let bytes = snapshot.storeState
        // Version 1 (or none): no tombstones.
        if bytes.isEmpty || bytes[0] == 1 { return [] }
        if let hit = tombstoneCache.withLock({ $0.bytes == bytes ? $0.deletions : nil }) { return hit }
        let decoded: [MetricDeletion]
        do throws(FormatError) {
            decoded = try StoreState(bytes: bytes).tombstones.map { (b: [UInt8]) throws(FormatError) -> MetricDeletion in
                try MetricDeletion(encoded: b)
            }
        } catch {
            throw .storage(StorageError(path: segments.manifestPath, error))
        }
        tombstoneCache.withLock { $0 = TombstoneCache(bytes: bytes, deletions: decoded) }
        return decoded
    }

    /// `series` with what the snapshot's tombstones hide taken out: each matching series hides
    /// their ranges, and a series left with no sample in the selected range is dropped.
    func hidingDeleted(_ series: [SelectedSeries], snapshot: SegmentSnapshot) throws(MetricStoreError) -> [SelectedSeries] {
        let deletions = try tombstones(in: snapshot)
        if deletions.isEmpty { return series }
        var out: [SelectedSeries] = []
        out.reserveCapacity(series.count)
        for var s in series {
            let ranges = deletions.compactMap { matchesIgnoringAggregate($0.matchers, s.labels) ? $0.range : nil }
            if ranges.isEmpty {
                out.append(s)
                continue
            }
            if ranges.coversAll(s.minTime, s.maxTime) { continue }
            s.hidden = ranges
            var it = s.makeIterator()
            if try it.next() == nil, try s.histograms().isEmpty { continue }
            out.append(s)
        }
        return out
    }

    /// With tombstones pending, the label sets of every series that has a sample they do not
    /// hide (head and blocks); nil when none is pending (callers take the fast path).
    func labelSetsWithDeletions() throws(MetricStoreError) -> [Labels]? {
        let snap = segments.snapshot()
        defer { snap.release() }
        let deletions = try tombstones(in: snap)
        if deletions.isEmpty { return nil }
        var visible = Set<Labels>()
        for e in snap.entries where e.kind == SegmentKind.metricBlock {
            let r = try reader(for: e.name)
            do throws(FormatError) {
                for id in 0..<UInt32(r.seriesOffsets.count) {
                    let s = try r.series(id)
                    if visible.contains(s.labels) { continue }
                    let ranges = deletions.compactMap { matchesIgnoringAggregate($0.matchers, s.labels) ? $0.range : nil }
                    if ranges.isEmpty || s.chunks.contains(where: { !ranges.covers($0.minTime) || !ranges.covers($0.maxTime) })
                        || s.histogramChunks.contains(where: { !ranges.covers($0.minTime) || !ranges.covers($0.maxTime) })
                    {
                        visible.insert(s.labels)
                        continue
                    }
                    // Every chunk starts and ends hidden: look inside.
                    var shown = false
                    for c in s.chunks where !shown && !ranges.coversAll(c.minTime, c.maxTime) {
                        var ts: [Int64] = [], vs: [Double] = []
                        try r.decode(c, timestamps: &ts, values: &vs)
                        shown = ts.contains { !ranges.covers($0) }
                    }
                    for c in s.histogramChunks where !shown && !ranges.coversAll(c.minTime, c.maxTime) {
                        shown = try r.decodeHistograms(c).contains { !ranges.covers($0.timestamp) }
                    }
                    if shown { visible.insert(s.labels) }
                }
            } catch {
                throw .storage(StorageError(path: r.path, error))
            }
        }
        state.withLock { st in
            for s in st.head.series where !visible.contains(s.labels) {
                let ranges = deletions.compactMap { matchesIgnoringAggregate($0.matchers, s.labels) ? $0.range : nil }
                if s.timestamps.contains(where: { !ranges.covers($0) }) || s.histograms.contains(where: { !ranges.covers($0.timestamp) }) {
                    visible.insert(s.labels)
                }
            }
        }
        return Array(visible)
    }
}
