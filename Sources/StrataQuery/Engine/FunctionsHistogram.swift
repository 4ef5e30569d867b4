import StrataLabels
import StrataMetrics

/// One classic-histogram bucket: its upper bound (`le`) and cumulative count.
struct ClassicBucket {
    var upperBound: Double
    var count: Double
}

extension Evaluator {
    /// Groups the samples of one step by series-without-`le` into classic histograms.
    private func classicHistograms(
        _ input: [EvalSeries], _ idx: [Int], _ vals: [Double], _ hists: [FloatHistogram?], argRange: SourceRange,
        cache: inout [Int: (Labels, Double?)]
    ) -> [(labels: Labels, buckets: [ClassicBucket])] {
        var groups: [Labels: Int] = [:]
        var out: [(labels: Labels, buckets: [ClassicBucket])] = []
        for (k, si) in idx.enumerated() where hists.isEmpty || hists[k] == nil {
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
        return try quantiles(q, qRange: c.args[0].range, input, inputRange: c.args[1].range)
    }

    /// `histogram_quantiles(v, "label", q1, q2, ...)` (experimental): histogram_quantile for each
    /// quantile, told apart by `label` (its value the quantile, e.g. "0.5", "0.0").
    func evalHistogramQuantiles(_ c: FunctionCall) throws(QueryError) -> [EvalSeries] {
        let input = try evalSeries(c.args[0])
        let name = try stringArg(c.args[1])
        if let clash = input.first(where: { $0.labels[name] != nil }) {
            throw ctx.error("label \(goQuote(name)) already exists on \(clash.labels.promString)", c.args[1].range)
        }
        var out: [EvalSeries] = []
        for a in c.args.dropFirst(2) {
            let q = try evalScalar(a)
            for var s in try quantiles(q, qRange: a.range, input, inputRange: c.args[0].range) {
                let k = q.first { !$0.isNaN } ?? q[0]
                var text = formatFloatF(k)
                if !text.contains(".") && !text.contains("e") && k.isFinite { text += ".0" }
                s.labels = s.labels.setting(name, to: text)
                out.append(s)
            }
        }
        return out
    }

    /// histogram_quantile over `input` with quantile `q` per step (classic and native histograms).
    private func quantiles(_ q: [Double], qRange: SourceRange, _ input: [EvalSeries], inputRange: SourceRange)
        throws(QueryError) -> [EvalSeries]
    {
        var collector = SeriesCollector()
        var walker = StepWalker(input)
        var idx: [Int] = []
        var vals: [Double] = []
        var hists: [FloatHistogram?] = []
        var cache: [Int: (Labels, Double?)] = [:]
        for step in 0..<numSteps {
            try ctx.checkTimeout()
            let t = stepTime(step)
            // Prometheus validates the quantile at every step, before looking at the
            // input: `histogram_quantile(NaN, non_existent)` still warns.
            let qv = q[step]
            if qv.isNaN || qv < 0 || qv > 1 { ctx.annotations.invalidQuantile(qv, qRange) }
            walker.gather(t, &idx, &vals, &hists)
            if idx.isEmpty { continue }
            var classic = classicHistograms(input, idx, vals, hists, argRange: inputRange, cache: &cache)
            for n in nativeHistogramsAtStep(input, idx, hists, classic: &classic, argRange: inputRange) {
                let v = n.histogram.quantile(qv)
                if n.histogram.sum.isNaN {
                    ctx.annotations.nanObservations("histogram_quantile", n.labels.metricName ?? "", inputRange, skewed: !v.isNaN)
                }
                try collector.add(n.labels, t, v, dropName: true, ctx: ctx)
            }
            for h in classic {
                let (v, forced) = bucketQuantile(qv, h.buckets)
                // Without delayed name removal Prometheus names no metric in this info.
                if forced { ctx.annotations.forcedMonotonicity("", inputRange) }
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
        var hists: [FloatHistogram?] = []
        var cache: [Int: (Labels, Double?)] = [:]
        for step in 0..<numSteps {
            try ctx.checkTimeout()
            let t = stepTime(step)
            walker.gather(t, &idx, &vals, &hists)
            if idx.isEmpty { continue }
            var classic = classicHistograms(input, idx, vals, hists, argRange: c.args[2].range, cache: &cache)
            for n in nativeHistogramsAtStep(input, idx, hists, classic: &classic, argRange: c.args[2].range) {
                if n.histogram.sum.isNaN { ctx.annotations.fractionNaNObservations(n.labels.metricName ?? "", c.args[2].range) }
                try collector.add(n.labels, t, n.histogram.fraction(lower[step], upper[step]), dropName: true, ctx: ctx)
            }
            for h in classic {
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

/// Prometheus's `BucketQuantile`: linear interpolation inside the bucket holding the rank (the
/// lowest bucket starts at 0 when its upper bound is positive; a rank in the `+Inf` bucket yields
/// the second-highest bound). The buckets are first coalesced, then cleaned of tiny float errors and
/// forced monotonic; `forcedMonotonic` reports the latter (an info annotation).
func bucketQuantile(_ q: Double, _ input: [ClassicBucket]) -> (Double, forcedMonotonic: Bool) {
    if q.isNaN { return (.nan, false) }
    if q < 0 { return (-.infinity, false) }
    if q > 1 { return (.infinity, false) }
    var buckets = sortedCoalesced(input)
    guard let last = buckets.last, last.upperBound == .infinity else { return (.nan, false) }
    let forced = ensureMonotonicIgnoringSmallDeltas(&buckets)
    if buckets.count < 2 { return (.nan, false) }
    let observations = buckets[buckets.count - 1].count
    if observations == 0 { return (.nan, false) }
    var rank = q * observations
    // sort.Search over all but the last bucket: the first whose count reaches the rank.
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

/// Prometheus's `smallDeltaTolerance`: relative differences between neighbouring cumulative
/// counts below this are float noise (query sharding), not real decreases.
private let smallDeltaTolerance = 1e-12

/// Prometheus's `ensureMonotonicAndIgnoreSmallDeltas`, in one pass: a count numerically equal to
/// the last accepted one (either direction) is set to it silently; a real decrease is raised to the
/// last accepted count and reported. Neither correction moves the last accepted count.
private func ensureMonotonicIgnoringSmallDeltas(_ buckets: inout [ClassicBucket]) -> Bool {
    var forced = false
    var prev = buckets[0].count
    for i in 1..<buckets.count {
        let curr = buckets[i].count
        if curr == prev { continue }
        if almostEqual(prev, curr, smallDeltaTolerance) {
            buckets[i].count = prev
            continue
        }
        if curr < prev {
            buckets[i].count = prev
            forced = true
            continue
        }
        prev = curr
    }
    return forced
}

/// Prometheus's `util/almost.Equal`: true when `a` and `b` differ by less than `epsilon` times
/// their magnitude sum (near zero: times the smallest normal double); two NaNs are equal.
func almostEqual(_ a: Double, _ b: Double, _ epsilon: Double) -> Bool {
    if a.isNaN && b.isNaN { return true }
    if a == b { return true }
    let minNormal = Double.leastNormalMagnitude
    let absSum = abs(a) + abs(b)
    let diff = abs(a - b)
    if a == 0 || b == 0 || absSum < minNormal { return diff < epsilon * minNormal }
    return diff / min(absSum, .greatestFiniteMagnitude) < epsilon
}

/// Prometheus's `BucketFraction`: the share of observations between `lower` and `upper`, interpolating
/// linearly inside buckets. The lowest bucket starts at 0 when its upper bound is positive, else at
/// -Inf; a bound inside a bucket with an infinite edge interpolates to nothing: inside the `+Inf`
/// bucket it counts none of that bucket, inside a `-Inf`-based first bucket all of it.
func bucketFraction(_ lower: Double, _ upper: Double, _ input: [ClassicBucket]) -> Double {
    let buckets = sortedCoalesced(input)
    guard let last = buckets.last, last.upperBound == .infinity else { return .nan }
    let count = last.count
    if count == 0 || lower.isNaN || upper.isNaN { return .nan }
    if lower >= upper { return 0 }
    var rank = 0.0
    var lowerRank = 0.0
    var upperRank = 0.0
    var lowerSet = false
    var upperSet = false
    var lowerBound = buckets[0].upperBound <= 0 ? -Double.infinity : 0
    for (i, b) in buckets.enumerated() {
        if i > 0 { lowerBound = buckets[i - 1].upperBound }
        let upperBound = b.upperBound
        // Counts are cumulative: this bucket holds `b.count - rank` observations.
        func interpolate(_ v: Double) -> Double {
            if lowerBound == -.infinity { return b.count }
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
