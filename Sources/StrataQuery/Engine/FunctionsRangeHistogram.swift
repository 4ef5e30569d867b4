import StrataMetrics

/// A step's result: a float or a histogram.
enum StepValue {
    case float(Double)
    case histogram(FloatHistogram)
}

extension Evaluator {
    /// The step walk of a range function for a series that holds histogram samples: each window has
    /// its floats and its histograms, and each function treats them as Prometheus 3 does (histogram
    /// arithmetic, ignoring histograms with an info, or refusing a mix with a warning).
    func rangeStepsWithHistograms(
        _ c: FunctionCall, matrixArg: Int, input: RangeInput, kernel: RangeKernel, p0: [Double], p1: [Double],
        tsAll: UnsafeBufferPointer<Int64>, vsAll: UnsafeBufferPointer<Double>, hist: [HistogramSample],
        into o: inout EvalSeries
    ) throws(QueryError) {
        let name = o.labels.metricName ?? ""
        let argRange = c.args[matrixArg].range
        var lo = 0, hi = 0, hlo = 0, hhi = 0
        for i in 0..<numSteps {
            let t = start &+ Int64(i) &* interval
            let ref = input.ref(t)
            let from = ref &- input.rangeMs
            while lo < tsAll.count && tsAll[lo] <= from { lo &+= 1 }
            if hi < lo { hi = lo }
            while hi < tsAll.count && tsAll[hi] <= ref { hi &+= 1 }
            while hlo < hist.count && hist[hlo].timestamp <= from { hlo &+= 1 }
            if hhi < hlo { hhi = hlo }
            while hhi < hist.count && hist[hhi].timestamp <= ref { hhi &+= 1 }
            if hi <= lo && hhi <= hlo { continue }
            let w = RangeWindow(
                ts: UnsafeBufferPointer(rebasing: tsAll[lo..<max(lo, hi)]),
                vs: UnsafeBufferPointer(rebasing: vsAll[lo..<max(lo, hi)]),
                t: t, rangeStart: from, rangeEnd: ref, rangeMs: input.rangeMs,
                p0: p0.isEmpty ? .nan : p0[i], p1: p1.isEmpty ? .nan : p1[i], monotonic: false)
            let hw = hist[hlo..<max(hlo, hhi)]
            let v: StepValue?
            if hw.isEmpty {
                v = try kernel(w).map { .float($0) }
            } else {
                v = try histogramStep(c.name, w, hw, name: name, range: argRange, kernel: kernel)
            }
            switch v {
            case .float(let f)?: o.append(t, f)
            case .histogram(let h)?: o.append(t, histogram: h)
            case nil: break
            }
        }
        if c.name == "rate" || c.name == "increase", !tsAll.isEmpty, !name.isEmpty, !o.ts.isEmpty,
            !name.hasSuffix("_total"), !name.hasSuffix("_sum"), !name.hasSuffix("_count"), !name.hasSuffix("_bucket")
        {
            ctx.annotations.possibleNonCounter(name, argRange)
        }
    }

    /// One window that holds at least one histogram.
    private func histogramStep(
        _ fn: String, _ w: RangeWindow, _ hw: ArraySlice<HistogramSample>, name: String, range: SourceRange,
        kernel: RangeKernel
    ) throws(QueryError) -> StepValue? {
        let a = ctx.annotations
        switch fn {
        case "rate", "increase", "delta":
            if w.count > 0 {
                a.mixedFloatsHistograms(name, range)
                return nil
            }
            return histogramExtrapolatedRate(w, hw, isCounter: fn != "delta", isRate: fn == "rate", name: name, range: range)
                .map { .histogram($0) }
        case "irate", "idelta":
            return histogramInstantValue(w, hw, isRate: fn == "irate", name: name, range: range)
        case "sum_over_time", "avg_over_time":
            if w.count > 0 {
                a.mixedFloatsHistograms(name, range)
                return nil
            }
            return histogramSumOrMean(hw, mean: fn == "avg_over_time", name: name, range: range).map { .histogram($0) }
        case "count_over_time": return .float(Double(w.count + hw.count))
        case "present_over_time", "absent_over_time": return .float(1)
        case "last_over_time":
            if let lastF = w.ts.last, let lastH = hw.last, lastF > lastH.timestamp { return .float(w.vs[w.count - 1]) }
            return hw.last.map { .histogram($0.histogram) }
        case "first_over_time":
            if let firstF = w.ts.first, let firstH = hw.first, firstF < firstH.timestamp { return .float(w.vs[0]) }
            return hw.first.map { .histogram($0.histogram) }
        case "ts_of_last_over_time":
            return .float(Double(max(w.ts.last ?? .min, hw.last?.timestamp ?? .min)) / 1000)
        case "ts_of_first_over_time":
            return .float(Double(min(w.ts.first ?? .max, hw.first?.timestamp ?? .max)) / 1000)
        case "changes", "resets":
            return .float(Double(changesOrResets(w, hw, resets: fn == "resets")))
        default:
            // Float-only functions ignore the histograms (with an info when floats are present too).
            if w.count == 0 { return nil }
            a.histogramIgnoredInMixedRange(name, range)
            return try kernel(w).map { .float($0) }
        }
    }

    /// Prometheus's `histogramRate` plus the extrapolation of `extrapolatedRate`.
    private func histogramExtrapolatedRate(
        _ w: RangeWindow, _ hw: ArraySlice<HistogramSample>, isCounter: Bool, isRate: Bool, name: String,
        range: SourceRange
    ) -> FloatHistogram? {
        let n = hw.count
        if n < 2 { return nil }
        guard var result = histogramRate(hw, isCounter: isCounter, name: name, range: range) else { return nil }
        let firstT = hw[hw.startIndex].timestamp
        let lastT = hw[hw.endIndex - 1].timestamp
        var durationToStart = Double(firstT - w.rangeStart) / 1000
        var durationToEnd = Double(w.rangeEnd - lastT) / 1000
        let sampledInterval = Double(lastT - firstT) / 1000
        let averageDurationBetweenSamples = sampledInterval / Double(n - 1)
        let extrapolationThreshold = averageDurationBetweenSamples * 1.1
        if durationToStart >= extrapolationThreshold { durationToStart = averageDurationBetweenSamples / 2 }
        if isCounter {
            var durationToZero = durationToStart
            let firstCount = hw[hw.startIndex].histogram.count
            if result.count > 0 && firstCount >= 0 { durationToZero = sampledInterval * (firstCount / result.count) }
            if durationToZero < durationToStart { durationToStart = durationToZero }
        }
        if durationToEnd >= extrapolationThreshold { durationToEnd = averageDurationBetweenSamples / 2 }
        var factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval
        if isRate { factor /= Double(w.rangeMs) / 1000 }
        result = result.scaled(by: factor)
        return result
    }

    /// `last - first` over a window of histograms, adding back what counter resets took away.
    func histogramRate(_ hw: ArraySlice<HistogramSample>, isCounter: Bool, name: String, range: SourceRange)
        -> FloatHistogram?
    {
        let a = ctx.annotations
        let points = Array(hw)
        var prev = points[0].histogram
        let last = points[points.count - 1].histogram
        var usingCustom = prev.usesCustomBuckets
        if isCounter && (prev.counterResetHint == .gauge || last.counterResetHint == .gauge) { a.notCounter(name, range) }
        if isCounter && points.count > 1 {
            let second = points[1].histogram
            if second.detectsReset(after: prev) {
                var empty = FloatHistogram()
                empty.schema = second.schema
                empty.customValues = second.customValues
                prev = empty
                usingCustom = second.usesCustomBuckets
            }
        }
        if last.usesCustomBuckets != usingCustom {
            a.mixedExponentialCustom(name, range)
            return nil
        }
        var minSchema = min(last.schema, prev.schema)
        for p in points.dropFirst().dropLast() {
            let cur = p.histogram
            if !isCounter { continue }
            if cur.counterResetHint == .gauge { a.notCounter(name, range) }
            if cur.schema < minSchema { minSchema = cur.schema }
            if cur.usesCustomBuckets != usingCustom {
                a.mixedExponentialCustom(name, range)
                return nil
            }
        }
        var notes = HistogramCombineNotes()
        var h: FloatHistogram
        do {
            h = try last.reduced(toSchema: minSchema).subtracting(prev, notes: &notes)
            if isCounter {
                var p = prev
                for cur in points.dropFirst() {
                    if cur.histogram.detectsReset(after: p) { h = try h.adding(p, notes: &notes) }
                    p = cur.histogram
                }
            } else if points[0].histogram.counterResetHint != .gauge || last.counterResetHint != .gauge {
                a.notGauge(name, range)
            }
        } catch {
            a.mixedExponentialCustom(name, range)
            return nil
        }
        if notes.customBoundsReconciled { a.customBucketsReconciled("subtraction", range) }
        h.counterResetHint = .gauge
        return h.compacted()
    }

    /// irate and idelta over the last two samples, floats or histograms (`instantValue`).
    private func histogramInstantValue(
        _ w: RangeWindow, _ hw: ArraySlice<HistogramSample>, isRate: Bool, name: String, range: SourceRange
    ) -> StepValue? {
        // The last two samples of either kind.
        var ss: [(t: Int64, f: Double, h: FloatHistogram?)] = []
        for i in max(0, w.count - 2)..<w.count { ss.append((w.ts[i], w.vs[i], nil)) }
        for s in hw.suffix(2) {
            let e = (t: s.timestamp, f: 0.0, h: Optional(s.histogram))
            if ss.count < 2 {
                if ss.count == 1 && e.t < ss[0].t { ss.insert(e, at: 0) } else { ss.append(e) }
            } else if e.t < ss[0].t {
                continue
            } else if e.t > ss[1].t {
                ss[0] = ss[1]
                ss[1] = e
            } else {
                ss[1] = e
            }
        }
        if ss.count < 2 { return nil }
        let prev = ss[0], last = ss[1]
        let a = ctx.annotations
        var result: StepValue
        switch (prev.h, last.h) {
        case (nil, nil):
            result = .float(isRate && last.f < prev.f ? last.f : last.f - prev.f)
        case (let ph?, let lh?):
            if isRate && (ph.counterResetHint == .gauge || lh.counterResetHint == .gauge) { a.notCounter(name, range) }
            if !isRate && (ph.counterResetHint != .gauge || lh.counterResetHint != .gauge) { a.notGauge(name, range) }
            var h = lh
            if !isRate || !lh.detectsReset(after: ph) {
                var notes = HistogramCombineNotes()
                do { h = try lh.subtracting(ph, notes: &notes) } catch {
                    a.mixedExponentialCustom(name, range)
                    return nil
                }
                if notes.customBoundsReconciled { a.customBucketsReconciled("subtraction", range) }
            }
            h.counterResetHint = .gauge
            result = .histogram(h.compacted())
        default:
            a.mixedFloatsHistograms(name, range)
            return nil
        }
        if isRate {
            let interval = last.t - prev.t
            if interval == 0 { return nil }
            let secs = Double(interval) / 1000
            switch result {
            case .float(let f): result = .float(f / secs)
            case .histogram(let h): result = .histogram(h.scaled(by: 1 / secs))
            }
        }
        return result
    }

    /// sum_over_time / avg_over_time of histograms.
    private func histogramSumOrMean(_ hw: ArraySlice<HistogramSample>, mean: Bool, name: String, range: SourceRange)
        -> FloatHistogram?
    {
        let a = ctx.annotations
        var notes = HistogramCombineNotes()
        var acc = hw[hw.startIndex].histogram
        var scalars = HistogramScalarSums()
        for s in hw { scalars.add(s.histogram) }
        var sawReset = acc.counterResetHint == .counterReset
        var sawNotReset = acc.counterResetHint == .notCounterReset
        do {
            for (k, s) in hw.dropFirst().enumerated() {
                if s.histogram.counterResetHint == .counterReset { sawReset = true }
                if s.histogram.counterResetHint == .notCounterReset { sawNotReset = true }
                if mean {
                    let count = Double(k + 2)
                    let toAdd = try s.histogram.scaled(by: 1 / count).subtracting(acc.scaled(by: 1 / count), notes: &notes)
                    acc = try acc.adding(toAdd, notes: &notes)
                } else {
                    acc = try acc.adding(s.histogram, notes: &notes)
                }
            }
        } catch {
            a.mixedExponentialCustom(name, range)
            return nil
        }
        if sawReset && sawNotReset { a.counterResetCollision(range, aggregation: true) }
        if notes.customBoundsReconciled { a.customBucketsReconciled("aggregation", range) }
        scalars.apply(to: &acc, mean: mean)
        return acc.compacted()
    }

    /// changes() and resets() over floats and histograms merged by time.
    private func changesOrResets(_ w: RangeWindow, _ hw: ArraySlice<HistogramSample>, resets: Bool) -> Int {
        var n = 0
        var i = 0
        var j = hw.startIndex
        var prev: (f: Double, h: FloatHistogram?)? = nil
        while i < w.count || j < hw.endIndex {
            let cur: (f: Double, h: FloatHistogram?)
            if j >= hw.endIndex || (i < w.count && w.ts[i] < hw[j].timestamp) {
                cur = (w.vs[i], nil)
                i += 1
            } else {
                cur = (0, hw[j].histogram)
                j += 1
            }
            if let p = prev {
                switch (p.h, cur.h) {
                case (nil, nil):
                    if resets {
                        if cur.f < p.f { n += 1 }
                    } else if cur.f != p.f && !(cur.f.isNaN && p.f.isNaN) {
                        n += 1
                    }
                case (let ph?, let ch?):
                    if resets {
                        if ch.detectsReset(after: ph) { n += 1 }
                    } else if !ch.exactlyEquals(ph) {
                        n += 1
                    }
                default:
                    n += 1
                }
            }
            prev = cur
        }
        return n
    }
}

extension FloatHistogram {
    /// Prometheus's `Equals`: same schema, threshold, counts, sum, bounds and buckets (empty spans aside).
    func exactlyEquals(_ o: FloatHistogram) -> Bool {
        guard schema == o.schema, zeroThreshold.bitPattern == o.zeroThreshold.bitPattern, zeroCount == o.zeroCount,
            count == o.count, sum.bitPattern == o.sum.bitPattern || sum == o.sum, customValues == o.customValues
        else { return false }
        for positive in [true, false] {
            let a = buckets(positive: positive), b = o.buckets(positive: positive)
            guard a.count == b.count else { return false }
            for k in a.indices where a[k].index != b[k].index || a[k].count != b[k].count { return false }
        }
        return true
    }
}
