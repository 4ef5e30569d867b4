import StrataEncoding
import StrataLabels
import StrataStorage

/// One merge of a metric compaction: the blocks it read and the one it wrote.
public struct MetricCompactionStep: Sendable, Equatable {
    /// Why: `overlap` (blocks whose time ranges meet, e.g. a backfill) or `level` (neighbours of
    /// one aligned window of the next range).
    public enum Kind: String, Sendable {
        case overlap, level
    }
    public var kind: Kind
    /// The input block files.
    public var inputs: [String]
    /// Samples read (duplicates across inputs included) and file bytes of the inputs.
    public var samples: Int
    public var inputBytes: Int
    /// The output block (nil in a dry run), its samples and bytes.
    public var output: String?
    public var outputSamples: Int
    public var outputBytes: Int
    /// Start and end (exclusive) of the output's window, Unix ms.
    public var minTime: Int64
    public var maxTime: Int64
    public var seconds: Double
}

/// What `MetricStore.compact` did, or would do (`dryRun`).
public struct MetricCompactionReport: Sendable, Equatable {
    public var steps: [MetricCompactionStep] = []
    public var blocksBefore = 0
    public var blocksAfter = 0
    /// The largest block a step wrote (a dry run: the inputs of the largest step).
    public var peakExtraBytes = 0
    public init() {}
}

extension MetricStore {
    /// Merges blocks as Prometheus's compactor does: blocks whose time ranges overlap (a
    /// backfill, out-of-order data) merge into one first; then, for each range of
    /// `options.compactionRanges` in turn (by default 6 h, 18 h, 54 h, 162 h and 486 h), the blocks that lie inside one aligned window of it merge, except in the window
    /// that holds the newest block (more may still come there). A sample at the same time in
    /// several inputs is kept once, with the value of the most recently written block.
    ///
    /// Each merge writes one block and publishes it in the manifest write that retires its
    /// inputs: a crash leaves the inputs or the output. Queries that took their snapshot before
    /// keep reading the inputs until they finish. One compaction runs at a time.
    /// - Throws: `MetricStoreError.storage` when a block cannot be read or written (a full
    ///   disk says how many bytes the output needed); steps done before stay done.
    @discardableResult
    public func compact(dryRun: Bool = false) throws(MetricStoreError) -> MetricCompactionReport {
        if options.readOnly && !dryRun { throw MetricStoreError.readOnly }
        return try compacting.withLock { _ throws(MetricStoreError) -> MetricCompactionReport in
            var report = MetricCompactionReport()
            var live = segments.entries.filter { $0.kind == SegmentKind.metricBlock }
            report.blocksBefore = live.count
            var passes = 0
            while let (kind, group) = MetricStore.nextMergeByResolution(live, ranges: options.compactionRanges, maxSamples: options.compactionMaxSamples), passes < 4 * report.blocksBefore + 16 {
                passes += 1
                let step: MetricCompactionStep
                if dryRun {
                    step = MetricCompactionStep(
                        kind: kind, inputs: group.map(\.name), samples: group.reduce(0) { $0 + Int($1.recordCount) },
                        inputBytes: group.reduce(0) { $0 + Int($1.sizeBytes) }, output: nil, outputSamples: 0, outputBytes: 0,
                        minTime: group.map(\.minTime).min()!, maxTime: group.map(\.maxTime).max()!, seconds: 0)
                    report.peakExtraBytes = max(report.peakExtraBytes, step.inputBytes)
                    // Plan the rest as if this merge were done.
                    let names = Set(group.map(\.name))
                    live.removeAll { names.contains($0.name) }
                    live.append(
                        SegmentEntry(
                            name: "planned-\(report.steps.count)", kind: SegmentKind.metricBlock,
                            level: (group.map(\.level).max() ?? 0) &+ 1, minTime: step.minTime, maxTime: step.maxTime,
                            sizeBytes: UInt64(step.inputBytes), recordCount: UInt64(step.samples),
                            metadata: MetricStore.encodeBlockMeta(
                                BlockStats(seriesCount: 0, sampleCount: step.samples, minTime: step.minTime, maxTime: step.maxTime),
                                resolution: MetricStore.blockResolution(group[0]))))
                } else {
                    let merged = try merge(group, kind: kind)
                    live = segments.entries.filter { $0.kind == SegmentKind.metricBlock }
                    guard let merged else { continue }  // a flush meanwhile overlapped it: plan again
                    step = merged
                    report.peakExtraBytes = max(report.peakExtraBytes, step.outputBytes)
                }
                report.steps.append(step)
            }
            report.blocksAfter = live.count
            return report
        }
    }

    /// The next group to merge: overlapping blocks first, then the smallest range whose aligned
    /// window (not the newest one) holds two or more blocks.
    /// A merge holds its output block in memory (encoded, about a byte a sample) and one series'
    /// samples at a time, so a group stops at `maxSamples` (an overlap group over it is left as
    /// it is: queries read overlapping blocks correctly, only slower).
    static func nextMerge(_ blocks: [SegmentEntry], ranges: [Int64], maxSamples: Int = .max) -> (MetricCompactionStep.Kind, [SegmentEntry])? {
        let sorted = blocks.sorted { ($0.minTime, $0.maxTime, $0.name) < ($1.minTime, $1.maxTime, $1.name) }
        // Overlaps: a run of blocks each meeting the union of the ones before it.
        var i = 0
        while i < sorted.count {
            var j = i + 1
            var end = sorted[i].maxTime
            while j < sorted.count && sorted[j].minTime <= end {
                end = max(end, sorted[j].maxTime)
                j += 1
            }
            if j - i >= 2 && sorted[i..<j].reduce(0, { $0 + Int(clamping: $1.recordCount) }) <= maxSamples {
                return (.overlap, Array(sorted[i..<j]))
            }
            i = j
        }
        guard let newest = sorted.map(\.maxTime).max() else { return nil }
        for range in ranges where range > 0 {
            var windows: [Int64: [SegmentEntry]] = [:]
            for b in sorted {
                let w = floorDiv(b.minTime, range)
                guard floorDiv(b.maxTime, range) == w else { continue }  // spans windows: too big for this range
                windows[w, default: []].append(b)
            }
            let newestWindow = floorDiv(newest, range)
            for w in windows.keys.sorted() where w != newestWindow {
                guard let all = windows[w], all.count >= 2 else { continue }
                var group: [SegmentEntry] = []
                var samples = 0
                for b in all {
                    samples += Int(clamping: b.recordCount)
                    if samples > maxSamples { break }
                    group.append(b)
                }
                if group.count >= 2 { return (.level, group) }
            }
        }
        return nil
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Reads `group`, merges its series (a time held by several inputs keeps the newest
    /// block's value), writes one block and publishes it in place of the group.
    /// Returns nil (and publishes nothing) when a block published while it ran overlaps the
    /// output: its samples are newer than the inputs' and must keep winning at equal times.
    private func merge(_ group: [SegmentEntry], kind: MetricCompactionStep.Kind) throws(MetricStoreError) -> MetricCompactionStep? {
        let start = ContinuousClock.now
        let known = Set(segments.entries.map(\.name))
        // Blocks of one resolution only (`nextMergeByResolution`); a downsampled block's counter
        // series are chains that join with `mergeCounterChains`.
        let resolution = MetricStore.blockResolution(group[0])
        // Oldest written first, so that later inputs win at equal timestamps. Inputs that do not
        // overlap (a level step) go in time order instead: no tie to settle, and each series'
        // runs then follow each other, so merging them is appending them.
        let byTime = group.sorted { $0.minTime < $1.minTime }
        let disjoint = zip(byTime, byTime.dropFirst()).allSatisfy { $0.maxTime < $1.minTime }
        let inputs = disjoint ? byTime : group.sorted { (FileNames.parseSegment($0.name)?.0 ?? 0) < (FileNames.parseSegment($1.name)?.0 ?? 0) }
        // One series at a time across every input (memory: the encoded output and one series'
        // samples, not the group's).
        let across = try seriesAcross(inputs)
        var samplesRead = 0
        var writer = BlockWriter(maxChunkSamples: options.maxChunkSamples)
        for labels in across.keys {
            var floats: [(t: [Int64], v: [Double])] = []
            var histograms: [[HistogramSample]] = []
            for (k, reader) in across.readers.enumerated() {
                guard let id = across.ids[k][labels]?.first else { continue }  // labels are unique in a block
                do throws(FormatError) {
                    let s = try reader.series(id)
                    var ts: [Int64] = [], vs: [Double] = []
                    for c in s.chunks { try reader.decode(c, timestamps: &ts, values: &vs) }
                    samplesRead += ts.count
                    if !ts.isEmpty { floats.append((ts, vs)) }
                    var hs: [HistogramSample] = []
                    for c in s.histogramChunks { hs += try reader.decodeHistograms(c) }
                    samplesRead += hs.count
                    if !hs.isEmpty { histograms.append(hs) }
                } catch {
                    throw MetricStoreError.storage(StorageError(path: reader.path, error))
                }
            }
            let (ts, vs) =
                resolution > 0 && labels[MetricStore.aggregateLabel] == MetricAggregate.counter.rawValue
                ? MetricStore.mergeCounterChains(floats) : MetricStore.mergeRuns(floats)
            let hs = MetricStore.mergeHistogramRuns(histograms)
            writer.add(labels, timestamps: ts, values: vs, histograms: hs)
        }
        let (bytes, stats) = writer.finish()
        let name = segments.nextSegmentName(ext: FileNames.metricBlockExtension)
        do throws(StorageError) {
            try AtomicFile.write(bytes, to: segments.path(of: name), fs: fs)
            let entry = SegmentEntry(
                name: name, kind: SegmentKind.metricBlock, level: (group.map(\.level).max() ?? 0) &+ 1,
                minTime: stats.minTime, maxTime: stats.maxTime, sizeBytes: UInt64(bytes.count),
                recordCount: UInt64(stats.sampleCount), metadata: MetricStore.encodeBlockMeta(stats, resolution: resolution))
            // Under the store's lock, which a flush holds while it publishes: no block can appear
            // between the check and the publish.
            let published = try state.withLock { _ throws(StorageError) -> Bool in
                let overlapped = segments.entries.contains {
                    !known.contains($0.name) && $0.kind == SegmentKind.metricBlock && $0.maxTime >= stats.minTime
                        && $0.minTime <= stats.maxTime
                }
                if overlapped { return false }
                try segments.publish(adding: [entry], removing: group.map(\.name))
                return true
            }
            if !published {
                try? fs.unlink(segments.path(of: name))
                return nil
            }
        } catch {
            throw MetricStoreError.storage(error.withSpaceNeeded(bytes.count))
        }
        for e in group { readers.remove(path: segments.path(of: e.name)) }
        return MetricCompactionStep(
            kind: kind, inputs: group.map(\.name), samples: samplesRead, inputBytes: group.reduce(0) { $0 + Int($1.sizeBytes) },
            output: name, outputSamples: stats.sampleCount, outputBytes: bytes.count, minTime: stats.minTime, maxTime: stats.maxTime,
            seconds: (ContinuousClock.now - start).inSeconds)
    }

    /// Sorted runs (oldest input first) merged into one sorted run; at a time several runs
    /// hold, the last run's value wins. Linear in the samples (runs are merged pairwise).
    static func mergeRuns(_ runs: [(t: [Int64], v: [Double])]) -> ([Int64], [Double]) {
        guard var (ts, vs) = runs.first.map({ ($0.t, $0.v) }) else { return ([], []) }
        for r in runs.dropFirst() {
            // Blocks of a level step follow each other in time: a run that starts after the
            // merged samples end is appended as it is (no ties to settle).
            if let first = r.t.first, ts.last.map({ $0 < first }) ?? true {
                ts.append(contentsOf: r.t)
                vs.append(contentsOf: r.v)
                continue
            }
            var t2: [Int64] = [], v2: [Double] = []
            t2.reserveCapacity(ts.count + r.t.count)
            v2.reserveCapacity(ts.count + r.t.count)
            var i = 0, j = 0
            while i < ts.count || j < r.t.count {
                if j == r.t.count || (i < ts.count && ts[i] < r.t[j]) {
                    t2.append(ts[i]); v2.append(vs[i]); i += 1
                } else {
                    if i < ts.count && ts[i] == r.t[j] { i += 1 }  // the later run wins
                    t2.append(r.t[j]); v2.append(r.v[j]); j += 1
                }
            }
            (ts, vs) = (t2, v2)
        }
        return (ts, vs)
    }

    static func mergeHistogramRuns(_ runs: [[HistogramSample]]) -> [HistogramSample] {
        if runs.count <= 1 { return runs.first ?? [] }
        var latest: [Int64: HistogramSample] = [:]
        for r in runs { for h in r { latest[h.timestamp] = h } }
        return latest.keys.sorted().map { latest[$0]! }
    }


}
