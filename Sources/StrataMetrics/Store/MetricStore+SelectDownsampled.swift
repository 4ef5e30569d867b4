import StrataEncoding
import StrataLabels
import StrataStorage

extension MetricStore {
    /// `select(_:from:through:)` over raw Unix milliseconds `[minTime, maxTime]`: the path inside
    /// the package (the PromQL evaluator works in ms). Downsampled ranges read one point per step,
    /// the step's average (`sum / count`).
    package func select(_ matchers: [LabelMatcher], from minTime: Int64, through maxTime: Int64) throws(MetricStoreError)
        -> SeriesSet
    {
        try select(matchers, from: minTime, through: maxTime, aggregate: .average)
    }

    /// Adds the downsampled blocks' points for `aggregate` to a selection's raw sources (keyed by the
    /// series' own labels, without `__strata_aggr__`). Points are one per step, stamped with the step's
    /// end, kept when that end is in `[minTime, maxTime]`. A raw sample at the same time wins.
    /// - `counter`: the series' raw samples and stored counter chains become one monotonic series
    ///   (`CounterStitcher`); series without downsampled data in the range keep their raw samples.
    /// - `count`: raw samples of a series with downsampled data read as 1 (stale markers stay).
    /// - Returns: the series that got downsampled points, with the end of their last step.
    func selectDownsampled(
        _ matchers: [LabelMatcher], from minTime: Int64, through maxTime: Int64, aggregate: MetricAggregate,
        blocks: [SegmentEntry], into bySeries: inout [Labels: [SampleSource]]
    ) throws(MetricStoreError) -> [Labels: Int64] {
        let downsampled = blocks.filter {
            $0.maxTime >= minTime && $0.minTime <= maxTime && MetricStore.blockResolution($0) > 0
        }.sorted { $0.minTime < $1.minTime }
        if downsampled.isEmpty { return [:] }
        var runs: [Labels: [AggregateRun]] = [:]
        for entry in downsampled {
            let reader = try self.reader(for: entry.name)
            do throws(FormatError) {
                let ids = try selectPostings(
                    matchers, allCount: reader.seriesOffsets.count, values: { reader.labelValues($0) },
                    postings: { (n: String, v: String) throws(FormatError) -> [UInt32] in try reader.postings(n, v) })
                let needed = MetricStore.storedAggregates(for: aggregate)
                for (base, run) in try MetricStore.readRuns(reader, matching: ids, only: needed) { runs[base, default: []].append(run) }
            } catch {
                throw MetricStoreError.storage(StorageError(path: reader.path, error))
            }
        }
        var out: [Labels: Int64] = [:]
        for (base, list) in runs {
            let pieces = list.sorted { ($0.ts.first ?? 0) < ($1.ts.first ?? 0) }
            var raw: [Int64] = [], rawValues: [Double] = []
            if let sources = bySeries[base], !sources.isEmpty, aggregate == .counter || aggregate == .count {
                var it = SeriesSampleIterator(sources: sources, minTime: minTime, maxTime: maxTime)
                _ = try it.drain(timestamps: &raw, values: &rawValues)
            }
            var ts: [Int64] = [], vs: [Double] = []
            switch aggregate {
            case .counter:
                // Time order: raw samples before a chain, the chain (raw samples inside its span are
                // left out), the raw samples after it.
                var stitch = CounterStitcher()
                var i = 0
                for p in pieces {
                    guard let first = p.ts.first else { continue }
                    while i < raw.count && raw[i] < first {
                        if !rawValues[i].isNaN {
                            ts.append(raw[i])
                            vs.append(stitch.raw(rawValues[i]))
                        }
                        i += 1
                    }
                    let values = stitch.run(p.counter, marker: p.marker)
                    ts += p.ts
                    vs += values
                    while i < raw.count && raw[i] <= p.ts[p.ts.count - 1] { i += 1 }
                }
                while i < raw.count {
                    if !rawValues[i].isNaN {
                        ts.append(raw[i])
                        vs.append(stitch.raw(rawValues[i]))
                    }
                    i += 1
                }
                let lo = lowerBound(ts, minTime)
                let hi = maxTime == .max ? ts.count : lowerBound(ts, maxTime + 1)
                bySeries[base] = [.memory(timestamps: Array(ts[lo..<hi]), values: Array(vs[lo..<hi]), order: Int.max)]
            default:
                for p in pieces {
                    let values = p.values(aggregate)
                    for k in p.ts.indices where p.ts[k] >= minTime && p.ts[k] <= maxTime {
                        ts.append(p.ts[k])
                        vs.append(values[k])
                    }
                }
                if ts.isEmpty { continue }
                if aggregate == .count && !raw.isEmpty {
                    let ones = rawValues.map { $0.bitPattern == Sample.staleNaN.bitPattern ? $0 : 1 }
                    bySeries[base] = [.memory(timestamps: raw, values: ones, order: Int.max)]
                }
                bySeries[base, default: []].append(.memory(timestamps: ts, values: vs, order: Int.min))
            }
            out[base] = pieces.compactMap { $0.ts.last }.max() ?? .min
        }
        return out
    }
}

extension SeriesSet {
    /// The series for which `isIncluded` holds (same snapshot).
    package func filter(_ isIncluded: (SelectedSeries) -> Bool) -> SeriesSet {
        SeriesSet(series: series.filter(isIncluded), snapshot: snapshot)
    }
}
