import StrataMetrics

/// One step's window of one series for a range-vector function: the samples in `(rangeStart, rangeEnd]`.
struct RangeWindow {
    let ts: UnsafeBufferPointer<Int64>
    let vs: UnsafeBufferPointer<Double>
    /// The evaluation time of the step.
    let t: Int64
    let rangeStart: Int64
    let rangeEnd: Int64
    let rangeMs: Int64
    /// The function's scalar arguments at this step, in argument order.
    let p0: Double
    let p1: Double
    /// The whole series has no value decrease (so no counter reset in this window either).
    var monotonic = false
    var count: Int { ts.count }
}

typealias RangeKernel = (RangeWindow) throws(QueryError) -> Double?

/// Range functions whose kernels `evalRangeFunction` calls without a closure.
enum DirectRangeKernel { case rate, increase, delta, count, none }

extension Evaluator {
    func evalRangeFunction(_ c: FunctionCall, matrixArg: Int) throws(QueryError) -> [EvalSeries] {
        let params = try scalarArgs(c, skipping: matrixArg)
        var input = try rangeInput(c.args[matrixArg], aggregate: Evaluator.downsampleAggregate(c.name))
        // count_over_time and avg_over_time combine aggregates over downsampled series (FunctionsDownsampled.swift).
        let downsampled = try evalDownsampledOverTime(c, matrixArg: matrixArg, input: &input)
        let kernel = try rangeKernel(c, params: params)
        let keepsName = c.name == "last_over_time" || c.name == "first_over_time"
        var out: [EvalSeries] = []
        let n = numSteps
        let p0 = params.count > 0 ? params[0] : []
        let p1 = params.count > 1 ? params[1] : []
        let countsResets = c.name == "rate" || c.name == "increase"
        // The hottest kernels are called directly (specialised and inlined) rather than through a closure.
        let direct: DirectRangeKernel =
            switch c.name {
            case "rate": .rate
            case "increase": .increase
            case "delta": .delta
            case "count_over_time": .count
            default: .none
            }
        try forEachSeries(input) { (labels, dropName, tsAll, vsAll, hist) throws(QueryError) in
            try ctx.checkTimeout()
            var o = EvalSeries(labels: labels, dropName: !keepsName || dropName)
            if !hist.isEmpty {
                // Series with histogram samples take the slower, type-aware walk.
                try rangeStepsWithHistograms(
                    c, matrixArg: matrixArg, input: input, kernel: kernel, p0: p0, p1: p1, tsAll: tsAll, vsAll: vsAll,
                    hist: hist, into: &o)
                if o.ts.isEmpty { return }
                try ctx.account(o.ts.count)
                out.append(o)
                return
            }
            // Counter functions look for resets in every window; a series without any skips that.
            var monotonic = true
            if countsResets {
                for i in 1..<max(1, vsAll.count) where vsAll[i] < vsAll[i &- 1] {
                    monotonic = false
                    break
                }
            }
            var lo = 0
            var hi = 0
            for i in 0..<n {
                let t = start &+ Int64(i) &* interval
                let ref = input.ref(t)
                let from = ref &- input.rangeMs
                if input.at != nil && i > 0 {
                    // Same window at every step.
                } else {
                    while lo < tsAll.count && tsAll[lo] <= from { lo &+= 1 }
                    if hi < lo { hi = lo }
                    while hi < tsAll.count && tsAll[hi] <= ref { hi &+= 1 }
                }
                if hi <= lo { continue }
                let w = RangeWindow(
                    ts: UnsafeBufferPointer(rebasing: tsAll[lo..<hi]),
                    vs: UnsafeBufferPointer(rebasing: vsAll[lo..<hi]),
                    t: t, rangeStart: from, rangeEnd: ref, rangeMs: input.rangeMs,
                    p0: p0.isEmpty ? .nan : p0[i], p1: p1.isEmpty ? .nan : p1[i], monotonic: monotonic)
                let value: Double?
                switch direct {
                case .rate: value = extrapolatedRate(w, isCounter: true, isRate: true)
                case .increase: value = extrapolatedRate(w, isCounter: true, isRate: false)
                case .delta: value = extrapolatedRate(w, isCounter: false, isRate: false)
                case .count: value = Double(w.count)
                case .none: value = try kernel(w)
                }
                if let v = value {
                    if o.ts.isEmpty {
                        o.ts.reserveCapacity(n &- i)
                        o.vs.reserveCapacity(n &- i)
                    }
                    o.ts.append(t)
                    o.vs.append(v)
                }
            }
            if o.ts.isEmpty { return }
            try ctx.account(o.ts.count)
            if countsResets, let name = labels.metricName, !name.isEmpty,
                !name.hasSuffix("_total"), !name.hasSuffix("_sum"), !name.hasSuffix("_count"), !name.hasSuffix("_bucket")
            {
                ctx.annotations.possibleNonCounter(name, c.args[matrixArg].range)
            }
            out.append(o)
        }
        if c.name == "absent_over_time" {
            var found = [Bool](repeating: false, count: n)
            for s in out { for t in s.ts { found[Int((t - start) / interval)] = true } }
            var res = EvalSeries(labels: absentLabels(c.args[matrixArg]), dropName: true)
            for k in 0..<n where !found[k] {
                res.ts.append(stepTime(k))
                res.vs.append(1)
            }
            return res.ts.isEmpty ? [] : [res]
        }
        return downsampled.isEmpty ? out : out + downsampled
    }

    private func rangeKernel(_ c: FunctionCall, params: [[Double]]) throws(QueryError) -> RangeKernel {
        switch c.name {
        case "rate": return { w in extrapolatedRate(w, isCounter: true, isRate: true) }
        case "increase": return { w in extrapolatedRate(w, isCounter: true, isRate: false) }
        case "delta": return { w in extrapolatedRate(w, isCounter: false, isRate: false) }
        case "irate": return { w in instantValue(w, isRate: true) }
        case "idelta": return { w in instantValue(w, isRate: false) }
        case "deriv":
            return { w in w.count < 2 ? nil : linearRegression(w, interceptTime: w.ts[0]).slope }
        case "predict_linear":
            return { w in
                if w.count < 2 { return nil }
                let (slope, intercept) = linearRegression(w, interceptTime: w.t)
                return slope * w.p0 + intercept
            }
        case "avg_over_time": return avgOverTime
        case "sum_over_time":
            return { w in
                var sum = 0.0
                var comp = 0.0
                for v in w.vs { (sum, comp) = kahanSumInc(v, sum, comp) }
                return sum.isInfinite ? sum : sum + comp
            }
        case "count_over_time": return { w in Double(w.count) }
        case "present_over_time", "absent_over_time": return { _ in 1 }
        case "last_over_time": return { w in w.vs[w.count - 1] }
        case "first_over_time": return { w in w.vs[0] }
        case "ts_of_first_over_time": return { w in Double(w.ts[0]) / 1000 }
        case "ts_of_last_over_time": return { w in Double(w.ts[w.count - 1]) / 1000 }
        case "max_over_time": return { w in compareOverTime(w) { $0 > $1 || $1.isNaN }.0 }
        case "min_over_time": return { w in compareOverTime(w) { $0 < $1 || $1.isNaN }.0 }
        case "ts_of_max_over_time": return { w in Double(compareOverTime(w) { $0 >= $1 || $1.isNaN }.1) / 1000 }
        case "ts_of_min_over_time": return { w in Double(compareOverTime(w) { $0 <= $1 || $1.isNaN }.1) / 1000 }
        case "stddev_over_time": return { w in varianceOverTime(w).squareRoot() }
        case "stdvar_over_time": return { w in varianceOverTime(w) }
        case "quantile_over_time":
            let annotations = ctx.annotations
            let qRange = c.args[0].range
            return { w in
                let q = w.p0
                if q.isNaN || q < 0 || q > 1 { annotations.invalidQuantile(q, qRange) }
                return promQuantile(q, Array(w.vs))
            }
        case "mad_over_time":
            return { w in
                let values = Array(w.vs)
                // A NaN sample makes the result NaN rather than being silently dropped.
                if values.contains(where: \.isNaN) { return .nan }
                let median = promQuantile(0.5, values)
                return promQuantile(0.5, values.map { abs($0 - median) })
            }
        case "changes":
            return { w in
                var changes = 0
                for i in 1..<max(1, w.count) {
                    let a = w.vs[i - 1]
                    let b = w.vs[i]
                    if a != b && !(a.isNaN && b.isNaN) { changes += 1 }
                }
                return Double(changes)
            }
        case "resets":
            return { w in
                var resets = 0
                for i in 1..<max(1, w.count) where w.vs[i] < w.vs[i - 1] { resets += 1 }
                return Double(resets)
            }
        case "double_exponential_smoothing":
            let ctx = self.ctx
            return { (w) throws(QueryError) -> Double? in
                let sf = w.p0
                let tf = w.p1
                if sf <= 0 || sf >= 1 || sf.isNaN {
                    throw ctx.error("invalid smoothing factor. Expected: 0 < sf < 1, got: \(goFixed6(sf))")
                }
                if tf <= 0 || tf >= 1 || tf.isNaN {
                    throw ctx.error("invalid trend factor. Expected: 0 < tf < 1, got: \(goFixed6(tf))")
                }
                if w.count < 2 { return nil }
                var s0 = 0.0
                var s1 = w.vs[0]
                var b = w.vs[1] - w.vs[0]
                for i in 1..<w.count {
                    let x = sf * w.vs[i]
                    if i - 1 != 0 { b = tf * (s1 - s0) + (1 - tf) * b }
                    let y = (1 - sf) * (s1 + b)
                    s0 = s1
                    s1 = x + y
                }
                return s1
            }
        default:
            throw QueryError(.parse, "unknown function with name \(goQuote(c.name))", query: ctx.query, range: c.range)
        }
    }
}

/// Go's `%f`.
func goFixed6(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    let scaled = (abs(v) * 1_000_000).rounded()
    let ip = Int64(scaled / 1_000_000)
    let fp = Int64(scaled.truncatingRemainder(dividingBy: 1_000_000))
    let frac = String(fp)
    return (v < 0 ? "-" : "") + "\(ip)." + String(repeating: "0", count: 6 - frac.count) + frac
}

/// rate, increase and delta: Prometheus's `extrapolatedRate`.
@inline(__always)
func extrapolatedRate(_ w: RangeWindow, isCounter: Bool, isRate: Bool) -> Double? {
    let n = w.count
    if n < 2 { return nil }
    let firstT = w.ts[0]
    let lastT = w.ts[n - 1]
    var result = w.vs[n - 1] - w.vs[0]
    if isCounter && !w.monotonic {
        var prev = w.vs[0]
        for i in 1..<n {
            let cur = w.vs[i]
            if cur < prev { result += prev }
            prev = cur
        }
    }
    var durationToStart = Double(firstT - w.rangeStart) / 1000
    var durationToEnd = Double(w.rangeEnd - lastT) / 1000
    let sampledInterval = Double(lastT - firstT) / 1000
    let averageDurationBetweenSamples = sampledInterval / Double(n - 1)
    let extrapolationThreshold = averageDurationBetweenSamples * 1.1
    if durationToStart >= extrapolationThreshold { durationToStart = averageDurationBetweenSamples / 2 }
    if isCounter {
        var durationToZero = durationToStart
        if result > 0 && w.vs[0] >= 0 { durationToZero = sampledInterval * (w.vs[0] / result) }
        if durationToZero < durationToStart { durationToStart = durationToZero }
    }
    if durationToEnd >= extrapolationThreshold { durationToEnd = averageDurationBetweenSamples / 2 }
    var factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval
    if isRate { factor /= Double(w.rangeMs) / 1000 }
    return result * factor
}

/// irate and idelta: the last two samples.
func instantValue(_ w: RangeWindow, isRate: Bool) -> Double? {
    let n = w.count
    if n < 2 { return nil }
    let t0 = w.ts[n - 2]
    let t1 = w.ts[n - 1]
    let v0 = w.vs[n - 2]
    let v1 = w.vs[n - 1]
    let sampledInterval = t1 - t0
    if sampledInterval == 0 { return nil }
    var result = v1
    if !isRate || !(v1 < v0) { result = v1 - v0 }
    if isRate { result /= Double(sampledInterval) / 1000 }
    return result
}

/// Least-squares regression with Kahan sums, x in seconds relative to `interceptTime` (Prometheus's
/// `linearRegression`, including its constant-y shortcut).
func linearRegression(_ w: RangeWindow, interceptTime: Int64) -> (slope: Double, intercept: Double) {
    var n = 0.0
    var sumX = 0.0, cX = 0.0
    var sumY = 0.0, cY = 0.0
    var sumXY = 0.0, cXY = 0.0
    var sumX2 = 0.0, cX2 = 0.0
    let initY = w.vs[0]
    var constY = true
    for i in 0..<w.count {
        let y = w.vs[i]
        if constY && i > 0 && y != initY { constY = false }
        n += 1
        let x = Double(w.ts[i] - interceptTime) / 1e3
        (sumX, cX) = kahanSumInc(x, sumX, cX)
        (sumY, cY) = kahanSumInc(y, sumY, cY)
        (sumXY, cXY) = kahanSumInc(x * y, sumXY, cXY)
        (sumX2, cX2) = kahanSumInc(x * x, sumX2, cX2)
    }
    if constY {
        if initY.isInfinite { return (.nan, .nan) }
        return (0, initY)
    }
    sumX += cX
    sumY += cY
    sumXY += cXY
    sumX2 += cX2
    let covXY = sumXY - sumX * sumY / n
    let varX = sumX2 - sumX * sumX / n
    let slope = covXY / varX
    let intercept = sumY / n - slope * sumX / n
    return (slope, intercept)
}

/// avg_over_time: direct mean with Kahan summation, switching to an incremental mean on overflow.
func avgOverTime(_ w: RangeWindow) -> Double? {
    var sum = w.vs[0]
    var count = 1.0
    var mean = 0.0
    var kahanC = 0.0
    var incremental = false
    for i in 1..<max(1, w.count) {
        let f = w.vs[i]
        count = Double(i + 1)
        if !incremental {
            let (newSum, newC) = kahanSumInc(f, sum, kahanC)
            if !newSum.isInfinite {
                sum = newSum
                kahanC = newC
                continue
            }
            incremental = true
            mean = sum / (count - 1)
            kahanC /= count - 1
        }
        let q = (count - 1) / count
        (mean, kahanC) = kahanSumInc(f / count, q * mean, q * kahanC)
    }
    return incremental ? mean + kahanC : sum / count + kahanC / count
}

/// The extreme value of a window and its timestamp under `better(current, best)`.
@inline(__always)
func compareOverTime(_ w: RangeWindow, _ better: (Double, Double) -> Bool) -> (Double, Int64) {
    var best = w.vs[0]
    var bestT = w.ts[0]
    for i in 0..<w.count where better(w.vs[i], best) {
        best = w.vs[i]
        bestT = w.ts[i]
    }
    return (best, bestT)
}

/// Population variance with Kahan-compensated Welford updates (Prometheus's `varianceOverTime`).
func varianceOverTime(_ w: RangeWindow) -> Double {
    var count = 0.0
    var mean = 0.0, cMean = 0.0
    var aux = 0.0, cAux = 0.0
    for v in w.vs {
        count += 1
        let delta = v - (mean + cMean)
        (mean, cMean) = kahanSumInc(delta / count, mean, cMean)
        (aux, cAux) = kahanSumInc(delta * (v - (mean + cMean)), aux, cAux)
    }
    return (aux + cAux) / count
}
