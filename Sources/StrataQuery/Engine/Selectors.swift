import StrataMetrics

/// Samples of one series read for a range: timestamps and values, oldest first.
struct RawSeries {
    var labels: Labels
    var ts: [Int64]
    var vs: [Double]
    var dropName: Bool = false
}

/// The input of a range-vector function: the series, the window length, and where each step's
/// window ends (`ref = (at ?? t) - offset`; windows are left-open `(ref - range, ref]`).
struct RangeInput {
    var series: [RawSeries]
    var rangeMs: Int64
    var offset: Int64
    var at: Int64?
    /// The selector (or subquery) text range, for annotations.
    var exprRange: SourceRange
    /// The selector's matchers, for `absent_over_time`'s labels (empty for subqueries).
    var matchers: [LabelMatcher]

    @inline(__always) func ref(_ t: Int64) -> Int64 { (at ?? t) - offset }
}

extension Evaluator {
    /// Reads the series matching `matchers` in `[from, through]` into arrays, counting the samples.
    func load(_ matchers: [LabelMatcher], from: Int64, through: Int64, dropStale: Bool) throws(QueryError) -> [RawSeries] {
        let set: SeriesSet
        do {
            set = try ctx.store.select(matchers, from: from, through: through)
        } catch {
            throw QueryError(.storage, error.description)
        }
        var out: [RawSeries] = []
        out.reserveCapacity(set.series.count)
        for s in set.series {
            try ctx.checkTimeout()
            var ts: [Int64] = []
            var vs: [Double] = []
            var it = s.makeIterator()
            do {
                _ = try it.drain(timestamps: &ts, values: &vs)
            } catch {
                throw QueryError(.storage, error.description)
            }
            if dropStale {
                var w = 0
                for r in 0..<ts.count where vs[r].bitPattern != Sample.staleNaN.bitPattern {
                    ts[w] = ts[r]
                    vs[w] = vs[r]
                    w += 1
                }
                ts.removeLast(ts.count - w)
                vs.removeLast(vs.count - w)
            }
            if ts.isEmpty { continue }
            try ctx.account(ts.count)
            out.append(RawSeries(labels: s.labels, ts: ts, vs: vs))
        }
        return out
    }

    /// An instant vector selector over the step grid: at each step the newest sample in
    /// `(ref - lookback, ref]`, unless that sample is a stale marker.
    func evalVectorSelector(_ sel: VectorSelector, sampleTimes: Bool = false) throws(QueryError) -> [EvalSeries] {
        let at = atTime(sel.at)
        let lookback = ctx.options.lookbackDelta
        let minRef = (at ?? start) - sel.offset
        let maxRef = (at ?? end) - sel.offset
        let raw = try load(sel.matchers, from: minRef - lookback + 1, through: maxRef, dropStale: false)
        var out: [EvalSeries] = []
        out.reserveCapacity(raw.count)
        let n = numSteps
        let staleBits = Sample.staleNaN.bitPattern
        for r in raw {
            var s = EvalSeries(labels: r.labels)
            var j = 0
            r.ts.withUnsafeBufferPointer { ts in
                r.vs.withUnsafeBufferPointer { vs in
                    for i in 0..<n {
                        let t = start &+ Int64(i) &* interval
                        let ref = (at ?? t) &- sel.offset
                        while j < ts.count && ts[j] <= ref { j += 1 }
                        let last = j - 1
                        if last >= 0 && ts[last] > ref &- lookback && vs[last].bitPattern != staleBits {
                            s.ts.append(t)
                            s.vs.append(sampleTimes ? Double(ts[last]) / 1000 : vs[last])
                        }
                    }
                }
            }
            if !s.ts.isEmpty {
                try ctx.account(s.ts.count)
                out.append(s)
            }
        }
        return out
    }

    /// The series and windows a range-vector argument (a matrix selector or a subquery) stands for.
    func rangeInput(_ e: Expr) throws(QueryError) -> RangeInput {
        switch e {
        case .paren(let inner, _):
            return try rangeInput(inner)
        case .matrixSelector(let ms):
            let sel = ms.selector
            let at = atTime(sel.at)
            let minRef = (at ?? start) - sel.offset
            let maxRef = (at ?? end) - sel.offset
            let raw = try load(sel.matchers, from: minRef - ms.rangeMilliseconds + 1, through: maxRef, dropStale: true)
            return RangeInput(
                series: raw, rangeMs: ms.rangeMilliseconds, offset: sel.offset, at: at, exprRange: ms.range,
                matchers: sel.matchers)
        case .subquery(let sq):
            let at = atTime(sq.at)
            let minRef = (at ?? start) - sq.offset
            let maxRef = (at ?? end) - sq.offset
            let step = sq.stepMilliseconds ?? ctx.options.defaultSubqueryStep
            guard step > 0 else { throw ctx.error("subquery step must be positive", sq.range) }
            // Prometheus: the first step after (start - offset - range) that is a multiple of the step
            // (Go's truncating division).
            var innerStart = step * ((minRef - sq.rangeMilliseconds) / step)
            if innerStart <= minRef - sq.rangeMilliseconds { innerStart += step }
            var series: [RawSeries] = []
            if innerStart <= maxRef {
                let inner = with(start: innerStart, end: maxRef, interval: step)
                for s in try inner.evalSeries(sq.expr) {
                    series.append(RawSeries(labels: s.labels, ts: s.ts, vs: s.vs, dropName: s.dropName))
                }
            }
            return RangeInput(
                series: series, rangeMs: sq.rangeMilliseconds, offset: sq.offset, at: at, exprRange: sq.range,
                matchers: [])
        default:
            throw ctx.error("expected a range vector", e.range)
        }
    }

    /// A range vector at the top level of an instant query: the raw samples in each series' window.
    func rawRange(of e: Expr) throws(QueryError) -> [EvalSeries] {
        let input = try rangeInput(e)
        let ref = input.ref(start)
        var out: [EvalSeries] = []
        for s in input.series {
            let lo = upperBound(s.ts, ref - input.rangeMs)
            let hi = upperBound(s.ts, ref)
            if lo < hi {
                out.append(
                    EvalSeries(labels: s.labels, ts: Array(s.ts[lo..<hi]), vs: Array(s.vs[lo..<hi]), dropName: s.dropName))
            }
        }
        return out
    }
}

/// The index of the first element greater than `x` in an ascending array.
@inline(__always)
func upperBound(_ a: [Int64], _ x: Int64) -> Int {
    var lo = 0
    var hi = a.count
    while lo < hi {
        let mid = (lo + hi) >> 1
        if a[mid] <= x { lo = mid + 1 } else { hi = mid }
    }
    return lo
}
