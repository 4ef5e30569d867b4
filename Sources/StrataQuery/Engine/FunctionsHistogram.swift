import StrataMetrics

/// One classic-histogram bucket: its upper bound (`le`) and cumulative count.
struct ClassicBucket {
    var upperBound: Double
    var count: Double
}

extension Evaluator {
    /// Groups the samples of one step by series-without-`le` into classic histograms.
    private func classicHistograms(
        _ input: [EvalSeries], _ idx: [Int], _ vals: [Double], argRange: SourceRange,
        cache: inout [Int: (Labels, Double?)]
    ) -> [(labels: Labels, buckets: [ClassicBucket])] {
        var groups: [Labels: Int] = [:]
        var out: [(labels: Labels, buckets: [ClassicBucket])] = []
        for (k, si) in idx.enumerated() {
            let (key, le): (Labels, Double?)
            if let cached = cache[si] {
                (key, le) = cached
            } else {
                let l = input[si].labels
                key = l.removing(["le"])
                le = l["le"].flatMap(parseGoFloat)
                cache[si] = (key, le)
            }
            guard let upper = le else {
                let l = input[si].labels
                ctx.annotations.badBucketLabel(l.metricName ?? "", l["le"] ?? "", argRange)
                continue
            }
            if let g = groups[key] {
                out[g].buckets.append(ClassicBucket(upperBound: upper, count: vals[k]))
            } else {
                groups[key] = out.count
                out.append((key, [ClassicBucket(upperBound: upper, count: vals[k])]))
            }
        }
        return out
    }

    /// `histogram_quantile(q, buckets)` over classic histograms (`le` buckets).
    func evalHistogramQuantile(_ c: FunctionCall) throws(QueryError) -> [EvalSeries] {
        let q = try evalScalar(c.args[0])
        let input = try evalSeries(c.args[1])
        var collector = SeriesCollector()
        var walker = StepWalker(input)
        var idx: [Int] = []
        var vals: [Double] = []
        var cache: [Int: (Labels, Double?)] = [:]
        for step in 0..<numSteps {
            try ctx.checkTimeout()
            let t = stepTime(step)
            walker.gather(t, &idx, &vals)
            if idx.isEmpty { continue }
            let qv = q[step]
            if qv.isNaN || qv < 0 || qv > 1 { ctx.annotations.invalidQuantile(qv, c.args[0].range) }
            for h in classicHistograms(input, idx, vals, argRange: c.args[1].range, cache: &cache) {
                let (v, forced) = bucketQuantile(qv, h.buckets)
                if forced { ctx.annotations.forcedMonotonicity(h.labels.metricName ?? "", c.args[1].range) }
                try collector.add(h.labels, t, v, dropName: true, ctx: ctx)
            }
        }
        return collector.series
    }

    /// `histogram_fraction(lower, upper, buckets)` over classic histograms.
    func evalHistogramFraction(_ c: FunctionCall) throws(QueryError) -> [EvalSeries] {
        let lower = try evalScalar(c.args[0])
        let upper = try evalScalar(c.args[1])
        let input = try evalSeries(c.args[2])
        var collector = SeriesCollector()
        var walker = StepWalker(input)
        var idx: [Int] = []
        var vals: [Double] = []
        var cache: [Int: (Labels, Double?)] = [:]
        for step in 0..<numSteps {
            try ctx.checkTimeout()
            let t = stepTime(step)
            walker.gather(t, &idx, &vals)
            if idx.isEmpty { continue }
            for h in classicHistograms(input, idx, vals, argRange: c.args[2].range, cache: &cache) {
                let v = bucketFraction(lower[step], upper[step], h.buckets)
                try collector.add(h.labels, t, v, dropName: true, ctx: ctx)
            }
        }
        return collector.series
    }
}

/// Go's `strconv.ParseFloat` for the spellings `le` labels use (decimal, exponent, `+Inf`, `NaN`).
func parseGoFloat(_ s: String) -> Double? {
    switch s.lowercased() {
    case "+inf", "inf", "+infinity", "infinity": return .infinity
    case "-inf", "-infinity": return -.infinity
    case "nan": return .nan
    default:
        if s.isEmpty || s.contains(where: { $0.isWhitespace }) { return nil }
        return Double(s)
    }
}

private func sortedCoalesced(_ b: [ClassicBucket]) -> [ClassicBucket] {
    let sorted = b.sorted { $0.upperBound < $1.upperBound }
    var out: [ClassicBucket] = []
    for x in sorted {
        if let last = out.last, last.upperBound == x.upperBound {
            out[out.count - 1].count += x.count
        } else {
            out.append(x)
        }
    }
    return out
}

/// Prometheus's `BucketQuantile`: linear interpolation inside the bucket holding the rank; the
/// buckets are first coalesced, cleaned of tiny float errors and forced monotonic (reported).
func bucketQuantile(_ q: Double, _ input: [ClassicBucket]) -> (Double, forcedMonotonic: Bool) {
    if q.isNaN { return (.nan, false) }
    if q < 0 { return (-.infinity, false) }
    if q > 1 { return (.infinity, false) }
    guard let lastUpper = input.map(\.upperBound).max(), lastUpper == .infinity else { return (.nan, false) }
    var buckets = sortedCoalesced(input)
    // correctPrecisionErrors
    var prev = buckets[0].count
    for i in 1..<buckets.count {
        let curr = buckets[i].count
        let delta = abs(curr - prev)
        if delta == 0 { continue }
        if delta / curr <= 1e-12 {
            buckets[i].count = prev
        } else {
            prev = curr
        }
    }
    // ensureMonotonic
    var forced = false
    var mx = buckets[0].count
    for i in 1..<buckets.count {
        if buckets[i].count > mx {
            mx = buckets[i].count
        } else if buckets[i].count < mx {
            buckets[i].count = mx
            forced = true
        }
    }
    if buckets.count < 2 { return (.nan, false) }
    let observations = buckets[buckets.count - 1].count
    if observations == 0 { return (.nan, false) }
    var rank = q * observations
    var b = buckets.count - 1
    for i in 0..<(buckets.count - 1) where buckets[i].count >= rank {
        b = i
        break
    }
    if b == buckets.count - 1 { return (buckets[buckets.count - 2].upperBound, forced) }
    if b == 0 && buckets[0].upperBound <= 0 { return (buckets[0].upperBound, forced) }
    var bucketStart = 0.0
    let bucketEnd = buckets[b].upperBound
    var count = buckets[b].count
    if b > 0 {
        bucketStart = buckets[b - 1].upperBound
        count -= buckets[b - 1].count
        rank -= buckets[b - 1].count
    }
    return (bucketStart + (bucketEnd - bucketStart) * (rank / count), forced)
}

/// Prometheus's `BucketFraction`: the share of observations between `lower` and `upper`, interpolating
/// linearly inside buckets (the lowest bucket starts at 0 when its upper bound is positive).
func bucketFraction(_ lower: Double, _ upper: Double, _ input: [ClassicBucket]) -> Double {
    guard let lastUpper = input.map(\.upperBound).max(), lastUpper == .infinity else { return .nan }
    let buckets = sortedCoalesced(input)
    let count = buckets[buckets.count - 1].count
    if count == 0 || lower.isNaN || upper.isNaN { return .nan }
    if lower >= upper { return 0 }
    var rank = 0.0
    var lowerRank = 0.0
    var upperRank = 0.0
    var lowerSet = false
    var upperSet = false
    for (i, b) in buckets.enumerated() {
        var lowerBound = -Double.infinity
        if i > 0 {
            lowerBound = buckets[i - 1].upperBound
        } else if b.upperBound > 0 {
            lowerBound = 0
        }
        let upperBound = b.upperBound
        func interpolate(_ v: Double) -> Double {
            if lowerBound.isInfinite || upperBound.isInfinite { return v <= lowerBound ? rank : b.count }
            return rank + (b.count - rank) * (v - lowerBound) / (upperBound - lowerBound)
        }
        if !lowerSet && lowerBound >= lower {
            lowerRank = rank
            lowerSet = true
        }
        if !upperSet && lowerBound >= upper {
            upperRank = rank
            upperSet = true
        }
        if lowerSet && upperSet { break }
        if !lowerSet && lowerBound < lower && upperBound > lower {
            lowerRank = interpolate(lower)
            lowerSet = true
        }
        if !upperSet && lowerBound < upper && upperBound > upper {
            upperRank = interpolate(upper)
            upperSet = true
        }
        if lowerSet && upperSet { break }
        rank = b.count
    }
    if !lowerSet || lowerRank > count { lowerRank = count }
    if !upperSet || upperRank > count { upperRank = count }
    return (upperRank - lowerRank) / count
}
