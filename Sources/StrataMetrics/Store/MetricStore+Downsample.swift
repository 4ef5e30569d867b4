import StrataEncoding
import StrataLabels
import StrataStorage

extension MetricStore {
    /// Replaces old samples by per-step aggregates, level by level (Thanos-style downsampling).
    ///
    /// Levels are taken in order of `after`. For each, `cut` is `reference - after` rounded down to a
    /// multiple of its `resolution`, where `reference` is `now` (Unix ms) or else the newest sample
    /// time. Float samples at or before `cut` (for the first level the raw samples, for later levels
    /// the previous level's aggregates) become one point per step `(k·resolution, (k+1)·resolution]`,
    /// stamped with the step's end, in each of five series per input series: the series' labels plus
    /// `__strata_aggr__` = `count`, `sum`, `min`, `max`, `counter` (the reset-adjusted counter at the
    /// step's end, continuing across passes; see Docs/downsampling.md). Samples newer than the cut and
    /// native histogram samples stay raw: their blocks are rewritten without the aggregated samples.
    /// Each level is one manifest publish that adds the aggregate blocks and the rewritten blocks and
    /// removes the blocks they replace, so a crash leaves the old or the new state and a query sees
    /// each step either raw or aggregated. A second run with the same reference changes nothing.
    ///
    /// Before the first level, head samples at or before its cut are flushed to blocks.
    /// - Parameters:
    ///   - levels: each `resolution` ≥ 2 ms and a multiple of the previous level's; `after` ≥ 0 (ms).
    ///   - now: the reference time, Unix ms (nil: the newest sample in the store).
    ///   - dryRun: report what would be done, write nothing (every level is planned against the store
    ///     as it is, and the head is not counted).
    /// - Throws: `MetricStoreError.storage` for invalid levels or when a block cannot be read or
    ///   written; levels done before stay done.
    @discardableResult
    public func downsample(_ levels: [DownsampleLevel], now: Int64? = nil, dryRun: Bool = false) throws(MetricStoreError)
        -> MetricDownsampleReport
    {
        if options.readOnly && !dryRun { throw MetricStoreError.readOnly }
        let sorted = levels.sorted { ($0.after, $0.resolution) < ($1.after, $1.resolution) }
        var previous: Int64 = 0
        for l in sorted {
            guard l.resolution >= 2, l.after >= 0, l.resolution > previous, previous == 0 || l.resolution % previous == 0 else {
                throw MetricStoreError.storage(
                    .invalidState(
                        path: directory,
                        detail: "downsampling levels must have resolutions of at least 2 ms, each a multiple of the one before, and after >= 0; got \(levels)"))
            }
            previous = l.resolution
        }
        return try compacting.withLock { _ throws(MetricStoreError) -> MetricDownsampleReport in
            var report = MetricDownsampleReport()
            var start = now
            if start == nil { start = try newestSampleTime() }
            guard let reference = start else { return report }
            var inputResolution: Int64 = 0
            for l in sorted {
                let (edge, overflow) = reference.subtractingReportingOverflow(l.after)
                if overflow { break }
                let cut = MetricStore.floorDiv(edge, l.resolution) * l.resolution
                if inputResolution == 0 && !dryRun {
                    let headOld = state.withLock { $0.head.sampleCount > 0 && $0.head.minTime <= cut }
                    if headOld { try flush(before: cut &+ 1) }
                }
                if let step = try downsampleLevel(from: inputResolution, to: l.resolution, cut: cut, dryRun: dryRun) {
                    report.steps.append(step)
                }
                inputResolution = l.resolution
            }
            return report
        }
    }

    /// Samples aggregated by the output blocks of one level go into blocks of this many steps.
    static let stepsPerBlock: Int64 = 288

    /// One level: reads the blocks of `inRes` that reach `cut`, aggregates what lies at or before it
    /// into steps of `res`, and publishes the aggregate blocks and the remainders in their place.
    private func downsampleLevel(from inRes: Int64, to res: Int64, cut: Int64, dryRun: Bool) throws(MetricStoreError)
        -> MetricDownsampleStep?
    {
        let known = Set(segments.entries.map(\.name))
        let live = segments.entries.filter { $0.kind == SegmentKind.metricBlock }
        var inputs = live.filter { MetricStore.blockResolution($0) == inRes && $0.minTime <= cut }
        if inputs.isEmpty { return nil }
        // Time order; blocks that overlap go in write order so the newest value wins at equal times.
        inputs.sort { $0.minTime < $1.minTime }
        if !zip(inputs, inputs.dropFirst()).allSatisfy({ $0.maxTime < $1.minTime }) {
            inputs.sort { (FileNames.parseSegment($0.name)?.0 ?? 0) < (FileNames.parseSegment($1.name)?.0 ?? 0) }
        }
        // Memory stays bounded by the encoded outputs: raw inputs are read one series at a time
        // (across every input block), and aggregates and remainders go straight into block writers.
        var aggregated = 0
        var kept = 0
        var steps = 0
        // The aggregate blocks, one per `stepsPerBlock` steps of time (series in any order: the
        // five aggregates of one series do not sort next to each other).
        var partitions: [Int64: BlockWriter] = [:]
        // What each input keeps (rewritten as a block of the input's resolution).
        var remainders = inputs.map { _ in BlockWriter(maxChunkSamples: options.maxChunkSamples, anyOrder: true) }
        let span = res * MetricStore.stepsPerBlock
        // A run split across two aggregate blocks continues in the same counter space (the earlier
        // piece's marker is its last value).
        func emit(_ labels: Labels, _ run: AggregateRun) {
            steps += run.ts.count
            if dryRun { return }
            var i = 0
            while i < run.ts.count {
                let p = MetricStore.floorDiv(run.ts[i], span)
                var j = i
                while j < run.ts.count && MetricStore.floorDiv(run.ts[j], span) == p { j += 1 }
                let piece = j == run.ts.count ? run.slice(i..<j, marker: run.marker) : run.slice(i..<j)
                for a in MetricAggregate.stored {
                    let (t, v) = piece.stored(a)
                    partitions[p, default: BlockWriter(maxChunkSamples: options.maxChunkSamples, anyOrder: true)].add(
                        labels.setting(MetricStore.aggregateLabel, to: a.rawValue), timestamps: t, values: v)
                }
                i = j
            }
        }
        if inRes == 0 {
            // Raw samples in steps some downsampled block already holds (a backfill after an
            // earlier pass) stay raw: the step is not computed twice.
            let done = try counterMarkers(for: nil, before: cut)
            let across = try seriesAcross(inputs)
            for labels in across.keys {
                var below: [(t: [Int64], v: [Double])] = []
                for (k, reader) in across.readers.enumerated() {
                    guard let id = across.ids[k][labels]?.first else { continue }  // labels are unique in a block
                    do throws(FormatError) {
                        let s = try reader.series(id)
                        var ts: [Int64] = [], vs: [Double] = []
                        for c in s.chunks { try reader.decode(c, timestamps: &ts, values: &vs) }
                        var hs: [HistogramSample] = []
                        for c in s.histogramChunks { hs += try reader.decodeHistograms(c) }
                        let low = done[labels].map { lowerBound(ts, $0.t &+ 1) } ?? 0
                        let split = max(low, lowerBound(ts, cut &+ 1))
                        if split > low {
                            below.append((Array(ts[low..<split]), Array(vs[low..<split])))
                            aggregated += split - low
                        }
                        if low > 0 || split < ts.count || !hs.isEmpty {
                            kept += low + ts.count - split + hs.count
                            if !dryRun {
                                remainders[k].add(labels, timestamps: Array(ts[..<low] + ts[split...]), values: Array(vs[..<low] + vs[split...]), histograms: hs)
                            }
                        }
                    } catch {
                        throw MetricStoreError.storage(StorageError(path: reader.path, error))
                    }
                }
                if below.isEmpty { continue }
                let (ts, vs) = MetricStore.mergeRuns(below)
                let run = Downsampler.aggregateRaw(ts, vs, resolution: res, baseline: done[labels]?.v)
                if !run.isEmpty { emit(labels, run) }
            }
        } else {
            // The inputs are aggregates already: read them one series (its five aggregates) at a
            // time across the inputs, as the raw level does.
            let across = try seriesAcross(inputs) { labels in
                labels[MetricStore.aggregateLabel] == nil ? nil : labels.removing([MetricStore.aggregateLabel])
            }
            for base in across.keys {
                var below: [AggregateRun] = []
                for (k, reader) in across.readers.enumerated() {
                    guard let ids = across.ids[k][base] else { continue }
                    do throws(FormatError) {
                        for (_, run) in try MetricStore.readRuns(reader, matching: ids) {
                            let split = lowerBound(run.ts, cut &+ 1)
                            if split > 0 {
                                below.append(split == run.ts.count ? run : run.slice(0..<split))
                                aggregated += split
                            }
                            if split < run.ts.count {
                                kept += run.ts.count - split
                                if dryRun { continue }
                                let upper = run.slice(split..<run.ts.count, marker: run.marker)
                                for a in MetricAggregate.stored {
                                    let (t, v) = upper.stored(a)
                                    remainders[k].add(base.setting(MetricStore.aggregateLabel, to: a.rawValue), timestamps: t, values: v)
                                }
                            }
                        }
                    } catch {
                        throw MetricStoreError.storage(StorageError(path: reader.path, error))
                    }
                }
                if below.isEmpty { continue }
                let run = Downsampler.aggregateRuns(below, resolution: res)
                if !run.isEmpty { emit(base, run) }
            }
        }
        if aggregated == 0 { return nil }
        var step = MetricDownsampleStep(
            resolution: res, inputResolution: inRes, cut: cut, inputs: inputs.map(\.name),
            inputBytes: inputs.reduce(0) { $0 + Int($1.sizeBytes) }, aggregatedSamples: aggregated, keptSamples: kept,
            steps: steps, outputs: [], outputBytes: 0)
        if dryRun { return step }

        var added: [SegmentEntry] = []
        do throws(StorageError) {
            for p in partitions.keys.sorted() {
                added.append(try writeBlock(&partitions[p]!, resolution: res))
                partitions[p] = nil
            }
            for k in remainders.indices where !remainders[k].isEmpty {
                added.append(try writeBlock(&remainders[k], resolution: inRes))
            }
            // Under the store's lock, which a flush holds while it publishes: a block of the input
            // resolution that appeared meanwhile and reaches the cut would be left beside the
            // aggregates; then publish nothing (the next pass takes it).
            let published = try state.withLock { _ throws(StorageError) -> Bool in
                let raced = segments.entries.contains {
                    !known.contains($0.name) && $0.kind == SegmentKind.metricBlock && MetricStore.blockResolution($0) == inRes
                        && $0.minTime <= cut
                }
                if raced { return false }
                try segments.publish(adding: added, removing: inputs.map(\.name))
                return true
            }
            if !published {
                for e in added { try? fs.unlink(segments.path(of: e.name)) }
                return nil
            }
        } catch {
            for e in added { try? fs.unlink(segments.path(of: e.name)) }
            throw MetricStoreError.storage(error)
        }
        for e in inputs { readers.remove(path: segments.path(of: e.name)) }
        step.outputs = added.map(\.name)
        step.outputBytes = added.reduce(0) { $0 + Int($1.sizeBytes) }
        return step
    }

    /// Writes a finished block under a new name and returns its manifest entry.
    private func writeBlock(_ w: inout BlockWriter, resolution: Int64) throws(StorageError) -> SegmentEntry {
        let (bytes, stats) = w.finish()
        let name = segments.nextSegmentName(ext: FileNames.metricBlockExtension)
        do throws(StorageError) {
            try AtomicFile.write(bytes, to: segments.path(of: name), fs: fs)
        } catch {
            throw error.withSpaceNeeded(bytes.count)
        }
        return SegmentEntry(
            name: name, kind: SegmentKind.metricBlock, level: 0, minTime: stats.minTime, maxTime: stats.maxTime,
            sizeBytes: UInt64(bytes.count), recordCount: UInt64(stats.sampleCount),
            metadata: MetricStore.encodeBlockMeta(stats, resolution: resolution))
    }

    /// The aggregate runs of a downsampled block, by series (labels without `__strata_aggr__`).
    static func readRuns(_ reader: BlockReader, matching ids: [UInt32]? = nil) throws(FormatError) -> [(Labels, AggregateRun)] {
        var parts: [Labels: [MetricAggregate: (ts: [Int64], vs: [Double])]] = [:]
        for id in ids ?? Array(0..<UInt32(reader.seriesOffsets.count)) {
            let s = try reader.series(id)
            guard let name = s.labels[aggregateLabel], let a = MetricAggregate(rawValue: name) else { continue }
            var ts: [Int64] = [], vs: [Double] = []
            for c in s.chunks { try reader.decode(c, timestamps: &ts, values: &vs) }
            parts[s.labels.removing([aggregateLabel]), default: [:]][a] = (ts, vs)
        }
        return parts.map { ($0.key, AggregateRun.fromStored($0.value)) }.filter { !$0.1.isEmpty }
    }

    /// The aggregates a read of `aggregate` needs (`average` is sum / count).
    static func storedAggregates(for aggregate: MetricAggregate) -> Set<MetricAggregate> {
        aggregate == .average ? [.sum, .count] : [aggregate]
    }

    /// `readRuns` for a query: only the stored aggregates in `needed` are decoded, and each run
    /// holds `ts` and those arrays (the others stay empty; `marker` is set when `counter` is
    /// needed). A series whose needed parts disagree on their steps is left out.
    static func readRuns(
        _ reader: BlockReader, matching ids: [UInt32], only needed: Set<MetricAggregate>
    ) throws(FormatError) -> [(Labels, AggregateRun)] {
        var parts: [Labels: [MetricAggregate: (ts: [Int64], vs: [Double])]] = [:]
        var markers: [Labels: Double] = [:]
        for id in ids {
            let s = try reader.series(id)
            guard let name = s.labels[aggregateLabel], let a = MetricAggregate(rawValue: name), needed.contains(a) else { continue }
            var ts: [Int64] = [], vs: [Double] = []
            for c in s.chunks { try reader.decode(c, timestamps: &ts, values: &vs) }
            if a == .counter {
                // Stored as a chain: the last step 1 ms early, then the marker at the step's end.
                var marker = vs.last ?? 0
                if ts.count >= 2 {
                    let end = ts[ts.count - 1]
                    marker = vs[vs.count - 1]
                    ts.removeLast()
                    vs.removeLast()
                    ts[ts.count - 1] = end
                }
                parts[s.labels.removing([aggregateLabel]), default: [:]][a] = (ts, vs)
                markers[s.labels.removing([aggregateLabel])] = marker
            } else {
                parts[s.labels.removing([aggregateLabel]), default: [:]][a] = (ts, vs)
            }
        }
        var out: [(Labels, AggregateRun)] = []
        for (base, p) in parts {
            var run = AggregateRun()
            guard let first = needed.first, let ts = p[first]?.ts, !ts.isEmpty else { continue }
            guard needed.allSatisfy({ p[$0]?.ts == ts }) else { continue }
            run.ts = ts
            run.count = p[.count]?.vs ?? []
            run.sum = p[.sum]?.vs ?? []
            run.min = p[.min]?.vs ?? []
            run.max = p[.max]?.vs ?? []
            run.counter = p[.counter]?.vs ?? []
            run.marker = markers[base] ?? 0
            out.append((base, run))
        }
        return out
    }

    /// For each series (nil: every series), the last point (time, value) of its stored counter
    /// aggregate at or before `cut`: the end of its last downsampled step, and the marker the next
    /// downsampled piece continues from.
    func counterMarkers(for series: Set<Labels>?, before cut: Int64) throws(MetricStoreError) -> [Labels: (t: Int64, v: Double)] {
        var out: [Labels: (t: Int64, v: Double)] = [:]
        for e in segments.entries where e.kind == SegmentKind.metricBlock && MetricStore.blockResolution(e) > 0 && e.minTime <= cut {
            let reader = try self.reader(for: e.name)
            do throws(FormatError) {
                for id in try reader.postings(MetricStore.aggregateLabel, MetricAggregate.counter.rawValue) {
                    let s = try reader.series(id)
                    let base = s.labels.removing([MetricStore.aggregateLabel])
                    guard series?.contains(base) ?? true, let c = s.chunks.last else { continue }
                    var ts: [Int64] = [], vs: [Double] = []
                    try reader.decode(c, timestamps: &ts, values: &vs)
                    guard let t = ts.last, let v = vs.last, t <= cut else { continue }
                    if out[base].map({ $0.t < t }) ?? true { out[base] = (t, v) }
                }
            } catch {
                throw MetricStoreError.storage(StorageError(path: reader.path, error))
            }
        }
        return out
    }

    /// Stored counter chains of one series (one per block, time-ordered) joined into one chain in the
    /// first chain's counter space, for a compaction that merges downsampled blocks.
    static func mergeCounterChains(_ chains: [(t: [Int64], v: [Double])]) -> ([Int64], [Double]) {
        var runs: [AggregateRun] = []
        for c in chains.sorted(by: { ($0.t.first ?? 0) < ($1.t.first ?? 0) }) where !c.t.isEmpty {
            var r = AggregateRun()
            if c.t.count >= 2 {
                r.ts = Array(c.t.dropLast())
                r.ts[r.ts.count - 1] = c.t[c.t.count - 1]
                r.counter = Array(c.v.dropLast())
            } else {
                r.ts = c.t
                r.counter = c.v
            }
            r.marker = c.v[c.v.count - 1]
            if let last = runs.last?.ts.last, let first = r.ts.first, first <= last { continue }  // overlaps: keep the first
            runs.append(r)
        }
        var stitch = CounterStitcher()
        var joined = AggregateRun()
        for r in runs {
            joined.ts += r.ts
            joined.counter += stitch.run(r.counter, marker: r.marker)
            joined.marker = r.marker
        }
        return joined.storedCounter()
    }

    /// The next compaction merge among blocks of one resolution: raw blocks first, then each
    /// downsampled resolution (blocks of different resolutions never merge).
    static func nextMergeByResolution(_ blocks: [SegmentEntry], ranges: [Int64], maxSamples: Int) -> (
        MetricCompactionStep.Kind, [SegmentEntry]
    )? {
        var byRes: [Int64: [SegmentEntry]] = [:]
        for b in blocks { byRes[blockResolution(b), default: []].append(b) }
        for r in byRes.keys.sorted() {
            if let m = nextMerge(byRes[r]!, ranges: ranges, maxSamples: maxSamples) { return m }
        }
        return nil
    }
}

extension MetricStore {
    /// The stored `counter` series of a downsampled block (one chain: steps, the last one 1 ms early,
    /// then the marker) with only the steps whose end satisfies `keep`, for a rewrite that drops
    /// points (retention, deletion): the result is again a chain. When the last step stays, the
    /// marker does too; otherwise the marker is the last kept step's value (the chain then ends
    /// there, and whatever follows continues from it as across a split). Empty when no step stays.
    package static func filterCounterChain(_ ts: [Int64], _ vs: [Double], keep: (Int64) -> Bool) -> ([Int64], [Double]) {
        guard ts.count == vs.count, ts.count >= 2 else { return ts.count == vs.count && ts.count == 1 && keep(ts[0]) ? (ts, vs) : ([], []) }
        var run = AggregateRun()
        run.ts = Array(ts.dropLast())
        run.ts[run.ts.count - 1] = ts[ts.count - 1]
        run.counter = Array(vs.dropLast())
        run.marker = vs[vs.count - 1]
        let lastKept = keep(run.ts[run.ts.count - 1])
        var out = AggregateRun()
        for i in run.ts.indices where keep(run.ts[i]) {
            out.ts.append(run.ts[i])
            out.counter.append(run.counter[i])
        }
        if out.ts.isEmpty { return ([], []) }
        out.marker = lastKept ? run.marker : out.counter[out.counter.count - 1]
        return out.storedCounter()
    }
}
