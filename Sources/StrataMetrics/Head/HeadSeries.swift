/// A series' recent samples in memory, sorted by timestamp.

struct HeadSeries: Sendable {
    let labels: Labels
    var timestamps: [Int64] = []
    var values: [Double] = []

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
}
