import StrataLabels
/// The metric store's in-memory head: series registry, postings and recent samples.
///
/// The head is a value type guarded by the store's mutex; it does no I/O. The store
/// logs every change to the WAL before applying it here, and cuts old samples into
/// blocks.
struct Head: Sendable {
    private(set) var series: [HeadSeries] = []
    private var refs: [Labels: UInt32] = [:]
    /// name → value → refs in ascending order.
    private(set) var postings: [String: [String: [UInt32]]] = [:]
    /// Smallest and largest timestamp currently held (Int64.max / Int64.min when empty).
    private(set) var minTime: Int64 = .max
    private(set) var maxTime: Int64 = .min
    /// Largest timestamp ever appended (survives cuts); the out-of-order window is measured from it.
    private(set) var highWatermark: Int64 = .min
    private(set) var sampleCount: Int = 0

    var seriesCount: Int { series.count }

    /// The ref of `labels`, or nil when the head has never seen them.
    func ref(of labels: Labels) -> UInt32? { refs[labels] }

    /// Registers a series under a ref chosen by the caller (WAL replay) or the next free one.
    mutating func register(_ labels: Labels, ref: UInt32? = nil) -> UInt32 {
        if let r = refs[labels] { return r }
        let r = ref ?? UInt32(series.count)
        precondition(Int(r) == series.count, "series refs are dense")
        series.append(HeadSeries(labels: labels))
        refs[labels] = r
        for l in labels.labels {
            postings[l.name, default: [:]][l.value, default: []].append(r)
        }
        return r
    }

    /// Whether `ref` names a registered series.
    func isValid(_ ref: UInt32) -> Bool { Int(ref) < series.count }

    /// Adds one sample whose acceptance the caller has decided.
    @inline(__always)
    mutating func add(ref: UInt32, _ t: Int64, _ v: Double) -> HeadSeries.AddResult {
        let r = series[Int(ref)].add(t, v)
        if r == .appended || r == .inserted {
            sampleCount += 1
            if t < minTime { minTime = t }
            if t > maxTime { maxTime = t }
            if t > highWatermark { highWatermark = t }
        }
        return r
    }

    /// Removes the samples older than `cutoff` from every series and returns them by ref.
    /// `h` with the counter reset hint storage gives it when appended now to series `ref`
    /// (`HeadSeries.withStorageHint`): only in-order appends continue a run.
    func withStorageHint(ref: UInt32, _ t: Int64, _ h: FloatHistogram) -> FloatHistogram {
        let s = series[Int(ref)]
        if let last = s.histograms.last, t <= last.timestamp { return h }
        return HeadSeries.withStorageHint(h, previous: s.previousHistogram(before: t))
    }

    /// Adds a histogram sample to series `ref` (counted in `sampleCount` like a float sample).
    mutating func addHistogram(ref: UInt32, _ t: Int64, _ h: FloatHistogram) -> HeadSeries.AddResult {
        let r = series[Int(ref)].addHistogram(t, h)
        if r == .appended || r == .inserted {
            sampleCount += 1
            if t < minTime { minTime = t }
            if t > maxTime { maxTime = t }
            if t > highWatermark { highWatermark = t }
        }
        return r
    }

    /// Removes every histogram sample older than `cutoff`, by series. Call before `cut`, which
    /// recomputes the head's time range and count from what is left.
    mutating func cutHistograms(before cutoff: Int64) -> [(ref: UInt32, samples: [HistogramSample])] {
        var out: [(UInt32, [HistogramSample])] = []
        for i in series.indices where !series[i].histograms.isEmpty {
            let hs = series[i].removeHistograms(before: cutoff)
            if !hs.isEmpty { out.append((UInt32(i), hs)) }
        }
        return out
    }

    mutating func cut(before cutoff: Int64) -> [(ref: UInt32, timestamps: [Int64], values: [Double])] {
        var out: [(UInt32, [Int64], [Double])] = []
        var newMin = Int64.max
        var newMax = Int64.min
        var count = 0
        for i in series.indices {
            let (ts, vs) = series[i].removeSamples(before: cutoff)
            if !ts.isEmpty { out.append((UInt32(i), ts, vs)) }
            if let f = series[i].timestamps.first { newMin = min(newMin, f) }
            if let l = series[i].timestamps.last { newMax = max(newMax, l) }
            count += series[i].timestamps.count
            if let f = series[i].histograms.first { newMin = min(newMin, f.timestamp) }
            if let l = series[i].histograms.last { newMax = max(newMax, l.timestamp) }
            count += series[i].histograms.count
        }
        minTime = newMin
        maxTime = newMax
        sampleCount = count
        return out
    }

    /// Raises the high watermark without adding samples (used after replaying blocks' max time).
    mutating func observe(maxTime t: Int64) { if t > highWatermark { highWatermark = t } }

    /// The refs of series that satisfy every matcher, ascending.
    func select(_ matchers: [LabelMatcher]) -> [UInt32] {
        selectPostings(
            matchers, allCount: series.count, values: { postings[$0].map { Array($0.keys) } ?? [] },
            postings: { (n: String, v: String) throws(Never) -> [UInt32] in postings[n]?[v] ?? [] })
    }
}

/// Shared postings logic for the head and blocks: intersect the matchers' postings.
/// `values(name)` lists the stored values of a label; `postings(name, value)` gives the
/// ascending ids of the series that have it.
func selectPostings<E: Error>(
    _ matchers: [LabelMatcher], allCount: Int, values: (String) -> [String],
    postings: (String, String) throws(E) -> [UInt32]
) throws(E) -> [UInt32] {
    var result: [UInt32]? = nil
    var negatives: [LabelMatcher] = []
    // Most selective first: equality matchers, then regexes; empty-matching ones filter last.
    let ordered = matchers.sorted { ($0.kind == .equal ? 0 : 1) < ($1.kind == .equal ? 0 : 1) }
    for m in ordered {
        if m.matchesEmpty {
            negatives.append(m)
            continue
        }
        var lists: [[UInt32]] = []
        if m.kind == .equal {
            lists.append(try postings(m.name, m.value))
        } else {
            for v in values(m.name) where m.matches(v) { lists.append(try postings(m.name, v)) }
        }
        let merged = Postings.union(lists)
        result = result.map { Postings.intersect($0, merged) } ?? merged
        if result!.isEmpty { return [] }
    }
    var ids = result ?? (0..<UInt32(allCount)).map { $0 }
    for m in negatives {
        // Matches the empty value: drop the series whose value for m.name does not match.
        var excluded: [[UInt32]] = []
        for v in values(m.name) where !m.matches(v) { excluded.append(try postings(m.name, v)) }
        ids = Postings.subtract(ids, Postings.union(excluded))
    }
    return ids
}
