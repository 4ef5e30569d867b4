/// One bucket of a native histogram with its absolute bounds (Prometheus's `histogram.Bucket`).
public struct HistogramBucket: Sendable, Equatable {
    public var lower: Double
    public var upper: Double
    public var count: Double
    public var lowerInclusive = false
    public var upperInclusive = true

    public init(lower: Double, upper: Double, count: Double, lowerInclusive: Bool = false, upperInclusive: Bool = true) {
        self.lower = lower
        self.upper = upper
        self.count = count
        self.lowerInclusive = lowerInclusive
        self.upperInclusive = upperInclusive
    }
}

extension FloatHistogram: CustomStringConvertible {
    /// Every bucket from the lowest to the highest (`AllBucketIterator`): negative buckets (lower
    /// bound inclusive), the zero bucket when populated (both inclusive), positive buckets (upper
    /// inclusive). Buckets overlapping the zero bucket are clipped to it. Empty buckets are included.
    public func allBuckets() -> [HistogramBucket] {
        var out: [HistogramBucket] = []
        if usesCustomBuckets {
            for b in buckets(positive: true) {
                out.append(HistogramBucket(lower: lowerBound(b.index), upper: upperBound(b.index), count: b.count))
            }
            return out
        }
        for b in buckets(positive: false).reversed() {
            let upper = min(-lowerBound(b.index), -zeroThreshold)
            out.append(
                HistogramBucket(
                    lower: -upperBound(b.index), upper: upper, count: b.count, lowerInclusive: true, upperInclusive: false))
        }
        if zeroCount > 0 {
            out.append(
                HistogramBucket(
                    lower: -zeroThreshold, upper: zeroThreshold, count: zeroCount, lowerInclusive: true, upperInclusive: true))
        }
        for b in buckets(positive: true) {
            out.append(HistogramBucket(lower: max(lowerBound(b.index), zeroThreshold), upper: upperBound(b.index), count: b.count))
        }
        return out
    }

    /// Go's `FloatHistogram.String()`: `{count:20, sum:10, [-2,-1):2, [-0.001,0.001]:2, (0.5,1]:1}`
    /// (populated buckets only, unclipped bounds).
    public var description: String {
        var s = "{count:\(goG(count)), sum:\(goG(sum))"
        if !usesCustomBuckets {
            for b in buckets(positive: false).reversed() where b.count != 0 {
                s += ", [\(goG(-upperBound(b.index))),\(goG(-lowerBound(b.index)))):\(goG(b.count))"
            }
            if zeroCount != 0 { s += ", [\(goG(-zeroThreshold)),\(goG(zeroThreshold))]:\(goG(zeroCount))" }
        }
        for b in buckets(positive: true) where b.count != 0 {
            s += ", (\(goG(lowerBound(b.index))),\(goG(upperBound(b.index)))]:\(goG(b.count))"
        }
        return s + "}"
    }
}

/// Go's `%g` for the values histogram texts print.
private func goG(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    if v == v.rounded(), abs(v) < 1e21 { return String(Int64(v)) }
    return "\(v)"
}
