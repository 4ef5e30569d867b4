import StrataLabels
/// A series' recent samples in memory, sorted by timestamp.

struct HeadSeries: Sendable {
    let labels: Labels
    var timestamps: [Int64] = []
    var values: [Double] = []
    /// Native histogram samples, ascending by timestamp (kept apart from the float columns).
    var histograms: [HistogramSample] = []
    /// The newest histogram sample ever appended (kept when `histograms` is cut into a block), for
    /// the counter reset hint of the next one.
    var lastHistogram: HistogramSample?

    init(labels: Labels) { self.labels = labels }

    /// Adds one sample, keeping timestamps strictly increasing.
    /// Returns how the sample was taken: `.appended`, `.duplicate` (same bits at the same
    /// time, ignored) or `.conflict` (another value at the same time, rejected).

    mutating func add(_ t: Int64, _ v: Double) -> AddResult {
        if let last = timestamps.last {
            if t > last {
                timestamps.append(t)
                values.append(v)
                return .appended
            }
            // Out of order (already checked against the window by the caller): insert in place.
            var lo = 0
            var hi = timestamps.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if timestamps[mid] < t { lo = mid + 1 } else { hi = mid }
            }
            if lo < timestamps.count && timestamps[lo] == t {
                return values[lo].bitPattern == v.bitPattern ? .duplicate : .conflict
            }
            timestamps.insert(t, at: lo)
            values.insert(v, at: lo)
            return .inserted
        }
        timestamps.append(t)
        values.append(v)
        return .appended
    }


    enum AddResult { case appended, inserted, duplicate, conflict }

    /// Removes and returns the samples with `t < cutoff`.
    mutating func removeSamples(before cutoff: Int64) -> (timestamps: [Int64], values: [Double]) {
        var n = 0
        while n < timestamps.count && timestamps[n] < cutoff { n += 1 }
        if n == 0 { return ([], []) }
        let ts = Array(timestamps[0..<n])
        let vs = Array(values[0..<n])
        timestamps.removeFirst(n)
        values.removeFirst(n)
        return (ts, vs)
    }

    /// Adds a histogram sample in timestamp order; same rules as floats (an equal histogram at the
    /// same timestamp is a duplicate, a different one a conflict).
    mutating func addHistogram(_ t: Int64, _ h: FloatHistogram) -> AddResult {
        if let last = histograms.last, t <= last.timestamp {
            var lo = 0
            var hi = histograms.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if histograms[mid].timestamp < t { lo = mid + 1 } else { hi = mid }
            }
            if lo < histograms.count && histograms[lo].timestamp == t {
                // The stored copy carries the hint storage gave it: compare everything else.
                var stored = histograms[lo].histogram
                stored.counterResetHint = h.counterResetHint
                return stored == h ? .duplicate : .conflict
            }
            histograms.insert(HistogramSample(t, h), at: lo)
            return .inserted
        }
        histograms.append(HistogramSample(t, h))
        if t > lastHistogram?.timestamp ?? .min { lastHistogram = HistogramSample(t, h) }
        return .appended
    }

    /// The histogram sample just before `t` when no float sample lies between them (a run of histograms).
    func previousHistogram(before t: Int64) -> FloatHistogram? {
        guard let last = histograms.last ?? lastHistogram, last.timestamp < t else { return nil }
        var lo = 0
        var hi = timestamps.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if timestamps[mid] <= last.timestamp { lo = mid + 1 } else { hi = mid }
        }
        if lo < timestamps.count && timestamps[lo] < t { return nil }
        return last.histogram
    }

    /// The counter reset hint Prometheus's TSDB gives an appended histogram when read back: gauges
    /// stay gauges; an explicit reset stays a reset; otherwise a histogram continuing a run without a
    /// detected reset is `not reset`, and the first of a run, or one after a detected reset, is
    /// unknown (a detected reset starts a new chunk whose hint reads back unknown; Prometheus issue 15346).
    static func withStorageHint(_ h: FloatHistogram, previous: FloatHistogram?) -> FloatHistogram {
        var h = h
        guard h.counterResetHint != .gauge, h.counterResetHint != .counterReset else { return h }
        if let previous, !h.detectsReset(after: previous) {
            h.counterResetHint = .notCounterReset
        } else {
            h.counterResetHint = .unknown
        }
        return h
    }

    /// Removes and returns the histogram samples older than `cutoff`.
    mutating func removeHistograms(before cutoff: Int64) -> [HistogramSample] {
        var n = 0
        while n < histograms.count && histograms[n].timestamp < cutoff { n += 1 }
        if n == 0 { return [] }
        let out = Array(histograms[0..<n])
        histograms.removeFirst(n)
        return out
    }
}
