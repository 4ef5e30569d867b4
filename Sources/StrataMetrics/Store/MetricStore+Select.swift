import StrataEncoding
import StrataLabels
import StrataStorage

/// What a metric store holds, for `strata inspect`.
public struct MetricStoreStats: Sendable {
    /// Distinct series across head and blocks.
    public var series: Int
    /// Samples stored (blocks plus head), the points of downsampled blocks' aggregate series included.
    public var samples: Int
    /// Every byte under the store's directory: blocks, WAL, manifest.
    public var bytes: Int
    public var blocks: Int
    public var headSamples: Int
    public var minTime: Int64?
    public var maxTime: Int64?
    /// The downsampled tiers, by increasing resolution: blocks, aggregate points (five per step and
    /// series) and file bytes of each.
    public var downsampled: [(resolution: Int64, blocks: Int, points: Int, bytes: Int)] = []
}

extension MetricStore {
    /// The series matching every matcher that have samples in `[start, end]` (inclusive; the store
    /// keeps milliseconds, `.distantPast` and `.distantFuture` leave a side open), in ascending
    /// label order. Samples are decoded lazily, chunk by chunk, as they are iterated.
    ///
    /// ```swift
    /// let set = try store.select([.equal("__name__", "up")], from: .now - .seconds(3600), through: .now)
    /// ```
    /// - Throws: `MetricStoreError.storage` naming the file and offset when a block needed for the answer is damaged.
    public func select(_ matchers: [LabelMatcher], from start: Timestamp, through end: Timestamp) throws(MetricStoreError)
        -> SeriesSet
    {
        try select(
            matchers, from: start.rawBound(unit: 1_000_000, roundingUp: true),
            through: end.rawBound(unit: 1_000_000, roundingUp: false))
    }

    /// `select(_:from:through:)` over raw Unix milliseconds `[minTime, maxTime]`: the path inside
    /// the package (the PromQL evaluator works in ms). Over downsampled ranges a series reads the
    /// `aggregate` (see `MetricAggregate`; `select(_:from:through:)` reads the average per step).
    package func select(
        _ matchers: [LabelMatcher], from minTime: Int64, through maxTime: Int64, aggregate: MetricAggregate
    ) throws(MetricStoreError) -> SeriesSet {
        let snapshot = segments.snapshot()
        var bySeries: [Labels: [SampleSource]] = [:]
        var histogramsBySeries: [Labels: [HistogramSource]] = [:]
        let blocks = snapshot.entries.filter { $0.kind == SegmentKind.metricBlock }
        for (order, entry) in blocks.enumerated()
        where entry.maxTime >= minTime && entry.minTime <= maxTime && MetricStore.blockResolution(entry) == 0 {
            let reader = try self.reader(for: entry.name)
            let ids: [UInt32]
            do throws(FormatError) {
                ids = try selectPostings(
                    matchers, allCount: reader.seriesOffsets.count, values: { reader.labelValues($0) },
                    postings: { (n: String, v: String) throws(FormatError) -> [UInt32] in try reader.postings(n, v) })
            } catch {
                throw MetricStoreError.storage(StorageError(path: reader.path, error))
            }
            for id in ids {
                let s: (labels: Labels, chunks: [BlockChunkMeta], histogramChunks: [BlockChunkMeta])
                do throws(FormatError) { s = try reader.series(id) } catch { throw MetricStoreError.storage(StorageError(path: reader.path, error)) }
                for c in s.chunks where c.maxTime >= minTime && c.minTime <= maxTime {
                    bySeries[s.labels, default: []].append(.chunk(reader, c, order: order))
                }
                for c in s.histogramChunks where c.maxTime >= minTime && c.minTime <= maxTime {
                    histogramsBySeries[s.labels, default: []].append(.chunk(reader, c, order: order))
                }
            }
        }
        state.withLock { st in
            for ref in st.head.select(matchers) {
                let hs = st.head.series[Int(ref)]
                if let first = hs.histograms.first, let last = hs.histograms.last,
                    last.timestamp >= minTime && first.timestamp <= maxTime
                {
                    let kept = hs.histograms.filter { $0.timestamp >= minTime && $0.timestamp <= maxTime }
                    histogramsBySeries[hs.labels, default: []].append(.memory(kept, order: Int.max))
                }
                guard let first = hs.timestamps.first, let last = hs.timestamps.last,
                    last >= minTime && first <= maxTime
                else { continue }
                var lo = 0
                var hi = hs.timestamps.count
                if first < minTime { lo = lowerBound(hs.timestamps, minTime) }
                if last > maxTime { hi = lowerBound(hs.timestamps, maxTime &+ 1) }
                if lo >= hi { continue }
                bySeries[hs.labels, default: []].append(
                    .memory(
                        timestamps: Array(hs.timestamps[lo..<hi]), values: Array(hs.values[lo..<hi]), order: Int.max))
            }
        }
        let downsampled = try selectDownsampled(matchers, from: minTime, through: maxTime, aggregate: aggregate, blocks: blocks, into: &bySeries)
        let sorted = histogramsBySeries.isEmpty ? bySeries.keys.sorted() : Set(bySeries.keys).union(histogramsBySeries.keys).sorted()
        let series = sorted.map {
            SelectedSeries(
                labels: $0, sources: bySeries[$0] ?? [], histogramSources: histogramsBySeries[$0] ?? [], minTime: minTime,
                maxTime: maxTime, downsampledThrough: downsampled[$0] ?? .min)
        }
        return SeriesSet(series: try hidingDeleted(series, snapshot: snapshot), snapshot: snapshot)
    }

    /// Every label name in the store, sorted (a series whose every sample a pending deletion hides does not count).
    public func labelNames() throws(MetricStoreError) -> [String] {
        if let visible = try labelSetsWithDeletions() { return Set(visible.flatMap { $0.labels.map(\.name) }).sorted() }
        var names = Set<String>()
        for e in segments.snapshot().entries where e.kind == SegmentKind.metricBlock {
            names.formUnion(try reader(for: e.name).labelNames)
        }
        state.withLock { st in names.formUnion(st.head.postings.keys.filter { !st.head.valuesWithSamples($0).isEmpty }) }
        names.remove(MetricStore.aggregateLabel)  // downsampled blocks' reserved label
        return names.sorted()
    }

    /// Every value of label `name` in the store, sorted (a series whose every sample a pending deletion hides does not count).
    public func labelValues(_ name: String) throws(MetricStoreError) -> [String] {
        if let visible = try labelSetsWithDeletions() { return Set(visible.compactMap { $0[name] }).sorted() }
        var values = Set<String>()
        for e in segments.snapshot().entries where e.kind == SegmentKind.metricBlock {
            values.formUnion(try reader(for: e.name).labelValues(name))
        }
        state.withLock { st in values.formUnion(st.head.valuesWithSamples(name)) }
        return values.sorted()
    }

    /// Counts of what is stored and the bytes it takes on disk. Samples a pending deletion hides
    /// are still counted until `applyDeletions()` removes them from the files.
    public func stats() throws(MetricStoreError) -> MetricStoreStats {
        try MetricStoreError.catching(at: directory) {
            let snap = segments.snapshot()
            let blocks = snap.entries.filter { $0.kind == SegmentKind.metricBlock }
            var labels = Set<Labels>()
            var samples = 0
            var minT: Int64? = nil
            var maxT: Int64? = nil
            for e in blocks {
                let r = try reader(for: e.name)
                for id in 0..<UInt32(r.seriesOffsets.count) { labels.insert(try r.series(id).labels.removing([MetricStore.aggregateLabel])) }
                samples += Int(e.recordCount)
                minT = min(minT ?? e.minTime, e.minTime)
                maxT = max(maxT ?? e.maxTime, e.maxTime)
            }
            let headSamples = state.withLock { st in
                for s in st.head.series where !s.timestamps.isEmpty || !s.histograms.isEmpty { labels.insert(s.labels) }
                if st.head.sampleCount > 0 {
                    minT = min(minT ?? st.head.minTime, st.head.minTime)
                    maxT = max(maxT ?? st.head.maxTime, st.head.maxTime)
                }
                return st.head.sampleCount
            }
            var tiers: [Int64: (blocks: Int, points: Int, bytes: Int)] = [:]
            for e in blocks where MetricStore.blockResolution(e) > 0 {
                let r = MetricStore.blockResolution(e)
                let t = tiers[r] ?? (0, 0, 0)
                tiers[r] = (t.blocks + 1, t.points + Int(e.recordCount), t.bytes + Int(e.sizeBytes))
            }
            return MetricStoreStats(
                series: labels.count, samples: samples + headSamples, bytes: try totalBytes(directory),
                blocks: blocks.count, headSamples: headSamples, minTime: minT, maxTime: maxT,
                downsampled: tiers.keys.sorted().map { ($0, tiers[$0]!.blocks, tiers[$0]!.points, tiers[$0]!.bytes) })
        }
    }

    /// Bytes of every file under `path`, recursively.
    func totalBytes(_ path: String) throws -> Int {
        var total = 0
        for name in try fs.listDirectory(path) {
            let p = FileNames.join(path, name)
            if name == FileNames.walDirectory {
                total += try totalBytes(p)
            } else {
                total += try fs.fileSize(p)
            }
        }
        return total
    }

    /// The block reader for a published segment, opened once and kept in `readers` while the
    /// budget allows (a failed open is tried again by the next query, and reported again).
    func reader(for name: String) throws(MetricStoreError) -> BlockReader {
        let path = segments.path(of: name)
        let key = DecodedCache.Key(path: path, section: 0)
        if let r = readers.cached(key, as: BlockReader.self) { return r }
        let r: BlockReader
        do throws(StorageError) {
            let f = try fs.map(path)
            do throws(FormatError) { r = try BlockReader(file: f) } catch { throw StorageError(path: path, error) }
        } catch {
            if error.isNotFound && options.readOnly {
                // Another process compacted the block away after this reader opened the store.
                throw .storage(
                    .invalidState(
                        path: path, detail: "the block was merged away by a compaction after this reader opened the database; open it again"))
            }
            throw .storage(error)
        }
        // Only blocks still live are kept: a query on an older snapshot must not pin a block
        // that a compaction retired.
        if segments.entries.contains(where: { $0.name == name }) { readers.insert(key, r, bytes: r.decodedBytes) }
        return r
    }

    /// Reads every block completely, checking every checksum and invariant.
    /// - Returns: every problem found, each naming the file, the offset and what is wrong; empty when all is well.
    public func verify() -> [StorageError] {
        var problems: [StorageError] = []
        for e in segments.snapshot().entries where e.kind == SegmentKind.metricBlock {
            let path = segments.path(of: e.name)
            let r: BlockReader
            do { r = try reader(for: e.name) } catch {
                problems.append(error.storageError ?? .invalidState(path: path, detail: error.description))
                continue
            }
            var samples = 0
            var prevLabels: Labels? = nil
            for id in 0..<UInt32(r.seriesOffsets.count) {
                do {
                    let s = try r.series(id)
                    if let p = prevLabels, !(p < s.labels) {
                        problems.append(.corrupt(path: path, offset: Int(r.seriesOffsets[Int(id)]), detail: "series \(id) is out of label order"))
                    }
                    prevLabels = s.labels
                    for c in s.histogramChunks {
                        do throws(FormatError) {
                            samples += try r.decodeHistograms(c).count
                        } catch {
                            problems.append(StorageError(path: path, error))
                        }
                    }
                    for c in s.chunks {
                        var ts: [Int64] = [], vs: [Double] = []
                        try r.decode(c, timestamps: &ts, values: &vs)
                        samples += ts.count
                        for i in 1..<max(1, ts.count) where ts[i] <= ts[i - 1] {
                            problems.append(.corrupt(path: path, offset: Int(c.timestampsOffset), detail: "timestamps not increasing"))
                            break
                        }
                        if let f = ts.first, let l = ts.last, f != c.minTime || l != c.maxTime {
                            problems.append(.corrupt(path: path, offset: Int(c.timestampsOffset), detail: "chunk time range differs from index"))
                        }
                    }
                } catch {
                    problems.append(StorageError(error, path: path))
                }
            }
            for (name, values) in r.postingsIndex {
                for v in values.keys {
                    do { _ = try r.postings(name, v) } catch { problems.append(StorageError(path: path, error)) }
                }
            }
            if samples != r.stats.sampleCount && problems.isEmpty {
                problems.append(
                    .corrupt(path: path, offset: r.file.bytes.count, detail: "footer says \(r.stats.sampleCount) samples, chunks hold \(samples)"))
            }
        }
        return problems
    }
}

func lowerBound(_ a: [Int64], _ x: Int64) -> Int {
    var lo = 0, hi = a.count
    while lo < hi {
        let m = (lo + hi) >> 1
        if a[m] < x { lo = m + 1 } else { hi = m }
    }
    return lo
}
