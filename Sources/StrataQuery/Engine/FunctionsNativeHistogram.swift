import StrataLabels
import StrataMetrics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FloatHistogram {
    /// Prometheus's `HistogramQuantile` for native histograms. Below the median it walks the buckets
    /// upwards, from the median on downwards (so a quantile in a run of empty buckets lands on the
    /// populated bucket's near edge); with NaN observations (a NaN sum) always upwards, and a rank
    /// beyond the populated buckets is NaN.
    func quantile(_ q: Double) -> Double {
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        if count == 0 || q.isNaN { return .nan }
        let forward = sum.isNaN || q < 0.5
        let all = forward ? allBuckets() : allBuckets().reversed()
        let rank = forward ? q * count : (1 - q) * count
        var acc = 0.0
        var bucket = HistogramBucket(lower: 0, upper: 0, count: 0)
        for b in all where b.count != 0 {
            bucket = b
            acc += b.count
            if acc >= rank { break }
        }
        if !usesCustomBuckets && bucket.lower < 0 && bucket.upper > 0 {
            if negativeBuckets.isEmpty && !positiveBuckets.isEmpty {
                bucket.lower = 0
            } else if positiveBuckets.isEmpty && !negativeBuckets.isEmpty {
                bucket.upper = 0
            }
        } else if usesCustomBuckets {
            if bucket.lower == -.infinity {
                if bucket.upper <= 0 { return bucket.upper }
                bucket.lower = 0
            } else if bucket.upper == .infinity {
                return bucket.lower
            }
        }
        if acc > count { acc = count }
        if acc < rank {
            if sum.isNaN { return .nan }  // the rank lies among the NaN observations
            return forward ? bucket.upper : bucket.lower
        }
        var fraction = (rank - (acc - bucket.count)) / bucket.count
        if !forward { fraction = 1 - fraction }
        if usesCustomBuckets || (bucket.lower <= 0 && bucket.upper >= 0) {
            return bucket.lower + (bucket.upper - bucket.lower) * fraction
        }
        let logLower = log2(abs(bucket.lower))
        let logUpper = log2(abs(bucket.upper))
        if bucket.lower > 0 { return exp2(logLower + (logUpper - logLower) * fraction) }
        return -exp2(logUpper + (logLower - logUpper) * (1 - fraction))
    }

    /// Prometheus's `HistogramFraction`: the estimated share of observations in `[lower, upper]`.
    func fraction(_ lower: Double, _ upper: Double) -> Double {
        if count == 0 || lower.isNaN || upper.isNaN { return .nan }
        if lower >= upper { return 0 }
        var rank = 0.0, lowerRank = 0.0, upperRank = 0.0
        var lowerSet = false, upperSet = false
        for var b in allBuckets() {
            var zeroBucket = false
            if usesCustomBuckets {
                if b.lower == -.infinity && b.upper > 0 { b.lower = 0 }
            } else if b.lower <= 0 && b.upper >= 0 {
                zeroBucket = true
                if negativeBuckets.isEmpty && !positiveBuckets.isEmpty {
                    b.lower = 0
                } else if positiveBuckets.isEmpty && !negativeBuckets.isEmpty {
                    b.upper = 0
                }
            }
            func linear(_ v: Double) -> Double {
                // No interpolation inside a bucket of infinite width: all of a -Inf-based bucket, none of +Inf's.
                if b.lower == -.infinity { return rank + b.count }
                if b.upper == .infinity { return rank }
                return rank + b.count * (v - b.lower) / (b.upper - b.lower)
            }
            func exponential(_ v: Double) -> Double {
                let logLower = log2(abs(b.lower)), logUpper = log2(abs(b.upper)), logV = log2(abs(v))
                let f = v > 0 ? (logV - logLower) / (logUpper - logLower) : 1 - (logV - logUpper) / (logLower - logUpper)
                return rank + b.count * f
            }
            let isLinear = usesCustomBuckets || zeroBucket
            if !lowerSet && b.lower >= lower {
                lowerRank = rank
                lowerSet = true
            }
            if !upperSet && b.lower >= upper {
                upperRank = rank
                upperSet = true
            }
            if lowerSet && upperSet { break }
            if !lowerSet && b.lower < lower && b.upper > lower {
                lowerRank = isLinear ? linear(lower) : exponential(lower)
                lowerSet = true
            }
            if !upperSet && b.lower < upper && b.upper > upper {
                upperRank = isLinear ? linear(upper) : exponential(upper)
                upperSet = true
            }
            if lowerSet && upperSet { break }
            rank += b.count
        }
        // NaN observations (a NaN sum) sit in no bucket: a bound past the buckets reaches only their total.
        let reach = sum.isNaN ? allBuckets().reduce(0) { $0 + $1.count } : count
        if !lowerSet || lowerRank > reach { lowerRank = reach }
        if !upperSet || upperRank > reach { upperRank = reach }
        return (upperRank - lowerRank) / count
    }

    /// The estimated variance of the observations (`histogram_stdvar`).
    func variance() -> Double {
        let mean = sum / count
        var v = 0.0, c = 0.0
        for b in allBuckets() where b.count != 0 {
            let val: Double
            if usesCustomBuckets {
                val = (b.upper + b.lower) / 2
            } else if b.lower <= 0 && b.upper >= 0 {
                val = 0
            } else {
                let g = (b.upper * b.lower).squareRoot()
                val = b.upper < 0 ? -g : g
            }
            let d = val - mean
            (v, c) = kahanSumInc(b.count * d * d, v, c)
        }
        return (v + c) / count
    }
}

extension Evaluator {
    /// histogram_count, histogram_sum, histogram_avg, histogram_stddev, histogram_stdvar: one float per
    /// histogram sample; float samples are dropped.
    func evalHistogramProperty(_ c: FunctionCall) throws(QueryError) -> [EvalSeries] {
        let input = try evalSeries(c.args[0])
        let f: (FloatHistogram) -> Double
        switch c.name {
        case "histogram_count": f = { $0.count }
        case "histogram_sum": f = { $0.sum }
        case "histogram_avg": f = { $0.sum / $0.count }
        case "histogram_stddev": f = { $0.variance().squareRoot() }
        default: f = { $0.variance() }
        }
        var out: [EvalSeries] = []
        for s in input where !s.hs.isEmpty {
            var o = EvalSeries(labels: s.labels, dropName: true)
            for i in s.ts.indices { if let h = s.hs[i] { o.append(s.ts[i], f(h)) } }
            if !o.ts.isEmpty { out.append(o) }
        }
        return out
    }

    /// The native histograms of one step for histogram_quantile / histogram_fraction, after removing
    /// those that clash with classic buckets of the same series (a warning each).
    func nativeHistogramsAtStep(
        _ input: [EvalSeries], _ idx: [Int], _ hists: [FloatHistogram?],
        classic: inout [(labels: Labels, buckets: [ClassicBucket])], argRange: SourceRange
    ) -> [(labels: Labels, histogram: FloatHistogram)] {
        var out: [(labels: Labels, histogram: FloatHistogram)] = []
        if hists.isEmpty { return out }
        for (k, si) in idx.enumerated() {
            guard let h = hists.at(k) else { continue }
            let labels = input[si].labels
            if let g = classic.firstIndex(where: { $0.labels == labels }), !classic[g].buckets.isEmpty {
                ctx.annotations.mixedClassicNative(labels.metricName ?? "", argRange)
                classic.remove(at: g)
                continue
            }
            out.append((labels, h))
        }
        return out
    }
}
