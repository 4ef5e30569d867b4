import StrataMetrics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FloatHistogram {
    /// The trim operators: `keepBelow` (`</`) keeps the observations at or below `cutoff`, otherwise
    /// (`>/`) those at or above it. A bucket the cutoff falls into keeps its share by exponential
    /// interpolation (linear in the zero bucket and for custom bounds; none of an infinite bucket's
    /// width counts). When anything is removed, the count is what remains and the sum is re-estimated
    /// from the remaining buckets (each at its geometric mean, or arithmetic mean for the zero bucket
    /// and custom bounds, an infinite edge replaced by the finite one).
    func trimmed(keepBelow: Bool, cutoff: Double) -> FloatHistogram {
        var h = self
        var removed = false
        var estimatedSum = 0.0
        var keptCount = 0.0

        /// The share of a bucket below `cutoff`, and the kept part's representative value.
        func keep(_ b: HistogramBucket, linear: Bool) -> Double {
            guard b.count != 0 else { return 0 }
            var lower = b.lower, upper = b.upper
            if cutoff <= lower || cutoff >= upper {
                let keepsAll = keepBelow ? cutoff >= upper : cutoff <= lower
                if !keepsAll {
                    removed = true
                    return 0
                }
            } else {
                // No interpolation across an infinite edge: the cutoff sits at the far end of the
                // infinite part, checked from the side being kept.
                let below: Double
                if keepBelow && upper == .infinity {
                    below = 0
                } else if lower == -.infinity {
                    below = 1
                } else if upper == .infinity {
                    below = 0
                } else if linear {
                    below = (cutoff - lower) / (upper - lower)
                } else if lower > 0 {
                    below = log2(cutoff / lower) / log2(upper / lower)
                } else {
                    below = 1 - log2(-cutoff / -upper) / log2(-lower / -upper)
                }
                let share = keepBelow ? below : 1 - below
                if share < 1 { removed = true }
                if keepBelow { upper = cutoff } else { lower = cutoff }
                let kept = b.count * share
                keptCount += kept
                estimatedSum += kept * representative(lower, upper, linear: linear)
                return kept
            }
            keptCount += b.count
            estimatedSum += b.count * representative(lower, upper, linear: linear)
            return b.count
        }

        if usesCustomBuckets {
            var out: [(index: Int32, count: Double)] = []
            for b in buckets(positive: true) {
                var lower = lowerBound(b.index)
                let upper = upperBound(b.index)
                // The first custom bucket starts at 0 when its bound is positive (as histogram_quantile
                // assumes), except for a negative lower cutoff, which stays inside its infinite part.
                if lower == -.infinity && upper > 0 && upper.isFinite && (keepBelow || cutoff >= 0) { lower = 0 }
                out.append((b.index, keep(HistogramBucket(lower: lower, upper: upper, count: b.count), linear: true)))
            }
            h.setBuckets(positive: true, out)
        } else {
            var negative: [(index: Int32, count: Double)] = []
            for b in buckets(positive: false) {
                let nb = HistogramBucket(lower: -upperBound(b.index), upper: -lowerBound(b.index), count: b.count)
                negative.append((b.index, keep(nb, linear: false)))
            }
            h.setBuckets(positive: false, negative)
            if zeroCount != 0 {
                // With buckets on one side only, the zero bucket covers only that side of zero.
                var zb = HistogramBucket(lower: -zeroThreshold, upper: zeroThreshold, count: zeroCount)
                if negativeBuckets.isEmpty && !positiveBuckets.isEmpty {
                    zb.lower = 0
                } else if positiveBuckets.isEmpty && !negativeBuckets.isEmpty {
                    zb.upper = 0
                }
                h.zeroCount = keep(zb, linear: true)
            }
            var positive: [(index: Int32, count: Double)] = []
            for b in buckets(positive: true) {
                let pb = HistogramBucket(lower: lowerBound(b.index), upper: upperBound(b.index), count: b.count)
                positive.append((b.index, keep(pb, linear: false)))
            }
            h.setBuckets(positive: true, positive)
        }
        guard removed else { return self }
        h.count = keptCount
        h.sum = estimatedSum
        return h.compacted()
    }

    private func representative(_ lower: Double, _ upper: Double, linear: Bool) -> Double {
        if lower == -.infinity { return upper }
        if upper == .infinity { return lower }
        if linear || (lower <= 0 && upper >= 0) { return (lower + upper) / 2 }
        let g = (lower * upper).squareRoot()
        return upper < 0 ? -g : g
    }
}
