import StrataLabels
import StrataMetrics

/// Samples of one series read for a range: timestamps and values, oldest first.
struct RawSeries {
    var labels: Labels
    var ts: [Int64]
    var vs: [Double]
    var dropName: Bool = false
    /// Native histogram samples, oldest first (kept apart from the floats, as the store keeps them).
    var hist: [HistogramSample] = []
}

/// The input of a range-vector function: the series, the window length, and where each step's
/// window ends (`ref = (at ?? t) - offset`; windows are left-open `(ref - range, ref]`).
struct RangeInput {
    /// Series already in memory (subqueries).
    var series: [RawSeries]
    /// A matrix selector's series, decoded one at a time by `forEachSeries` (so a query over many
    /// series holds one series' samples at a time, in reused buffers).
    var selected: SeriesSet?
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
    /// Calls `body` with each series of `input` that has samples (stale markers removed), in order.
    /// The buffers are only valid during the call.
    /// `hist` holds the series' histogram samples (empty for float-only series).
    func forEachSeries(
        _ input: RangeInput,
        _ body: (
            _ labels: Labels, _ dropName: Bool, UnsafeBufferPointer<Int64>, UnsafeBufferPointer<Double>,
            _ hist: [HistogramSample]
        )
            throws(QueryError) -> Void
    ) throws(QueryError) {
        if let set = input.selected {
            var ts: [Int64] = []
            var vs: [Double] = []
            for s in set.series {
                let hasFloats = try read(s, into: &ts, &vs, dropStale: true)
                let hist = try readHistograms(s)
                guard hasFloats || !hist.isEmpty else { continue }
                try ts.withUnsafeBufferPointer { (t) throws(QueryError) in
                    try vs.withUnsafeBufferPointer { (v) throws(QueryError) in try body(s.labels, false, t, v, hist) }
                }
            }
        }
        for s in input.series {
            try ctx.checkTimeout()
            try s.ts.withUnsafeBufferPointer { (t) throws(QueryError) in
                try s.vs.withUnsafeBufferPointer { (v) throws(QueryError) in try body(s.labels, s.dropName, t, v, s.hist) }
            }
        }
    }

    /// The histogram samples of one selected series, counted against the sample budget.
    func readHistograms(_ s: SelectedSeries) throws(QueryError) -> [HistogramSample] {
        guard s.hasHistograms else { return [] }
        var out: [HistogramSample]
        do { out = try s.histograms() } catch { throw QueryError(storage: error, file: error.storageError) }
        try ctx.account(out.count)
        if statsDecoding {
            for i in out.indices.dropFirst() where out[i].histogram.counterResetHint == .unknown {
                let reset = out[i].histogram.detectsReset(after: out[i - 1].histogram)
                out[i].histogram.counterResetHint = reset ? .counterReset : .notCounterReset
            }
        }
        return out
    }
}

/// Moves the samples that are not stale markers to the front (in order); returns how many there are.
/// Series without stale markers (the common case) are only read.
@inline(__always)
func removeStaleMarkers(_ ts: UnsafeMutableBufferPointer<Int64>, _ vs: UnsafeMutableBufferPointer<Double>) -> Int {
    let stale = Sample.staleNaN.bitPattern
    var r = 0
    while r < vs.count && vs[r].bitPattern != stale { r += 1 }
    var w = r
    while r < vs.count {
        if vs[r].bitPattern != stale {
            ts[w] = ts[r]
            vs[w] = vs[r]
            w &+= 1
        }
        r &+= 1
    }
    return w
}

extension Evaluator {
    /// Selects the series matching `matchers` in `[from, through]` (their samples stay undecoded);
    /// downsampled ranges read `aggregate` (plain selectors: the average per step).
    func select(_ matchers: [LabelMatcher], from: Int64, through: Int64, aggregate: MetricAggregate = .average) throws(QueryError)
        -> SeriesSet
    {
        guard let store = ctx.store else { throw ctx.error("this query language has no metric selectors") }
        do {
            return try store.select(matchers, from: from, through: through, aggregate: aggregate)
        } catch {
            throw QueryError(storage: error, file: error.storageError)
        }
    }

    /// Decodes one selected series into `ts`/`vs` (replacing their contents, keeping their capacity),
    /// without stale markers when `dropStale`, and counts the samples. Returns false for no samples.
    func read(_ s: SelectedSeries, into ts: inout [Int64], _ vs: inout [Double], dropStale: Bool) throws(QueryError)
        -> Bool
    {
        try ctx.checkTimeout()
        ts.removeAll(keepingCapacity: true)
        vs.removeAll(keepingCapacity: true)
        var it = s.makeIterator()
        do {
            _ = try it.drain(timestamps: &ts, values: &vs)
        } catch {
            throw QueryError(storage: error, file: error.storageError)
        }
        if dropStale {
            let kept = vs.withUnsafeMutableBufferPointer { v in
                ts.withUnsafeMutableBufferPointer { t in removeStaleMarkers(t, v) }
            }
            if kept < ts.count {
                ts.removeLast(ts.count - kept)
                vs.removeLast(vs.count - kept)
            }
        }
        ctx.samplesRead += ts.count
        if ts.isEmpty { return false }
        try ctx.account(ts.count)
        return true
    }

    /// Reads the series matching `matchers` in `[from, through]` into arrays, counting the samples.
    func load(_ matchers: [LabelMatcher], from: Int64, through: Int64, dropStale: Bool) throws(QueryError) -> [RawSeries] {
        let set = try select(matchers, from: from, through: through)
        var out: [RawSeries] = []
        out.reserveCapacity(set.series.count)
        for s in set.series {
            var ts: [Int64] = []
            var vs: [Double] = []
            let hasFloats = try read(s, into: &ts, &vs, dropStale: dropStale)
            let hist = try readHistograms(s)
            if hasFloats || !hist.isEmpty {
                out.append(RawSeries(labels: s.labels, ts: ts, vs: vs, hist: hist))
            }
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
            if !r.hist.isEmpty {
                selectWithHistograms(r, sel, at: at, lookback: lookback, sampleTimes: sampleTimes, into: &s)
                if !s.ts.isEmpty {
                    try ctx.account(s.ts.count)
                    out.append(s)
                }
                continue
            }
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

    /// The vector-selector walk for a series with histogram samples: at each step the newer of the
    /// newest float and the newest histogram in the lookback window.
    private func selectWithHistograms(
        _ r: RawSeries, _ sel: VectorSelector, at: Int64?, lookback: Int64, sampleTimes: Bool, into s: inout EvalSeries
    ) {
        let staleBits = Sample.staleNaN.bitPattern
        var j = 0
        var k = 0
        var previous = -1
        for i in 0..<numSteps {
            let t = start &+ Int64(i) &* interval
            let ref = (at ?? t) &- sel.offset
            while j < r.ts.count && r.ts[j] <= ref { j += 1 }
            while k < r.hist.count && r.hist[k].timestamp <= ref { k += 1 }
            let fT = j > 0 ? r.ts[j - 1] : Int64.min
            let hT = k > 0 ? r.hist[k - 1].timestamp : Int64.min
            if hT > fT {
                guard hT > ref &- lookback else { continue }
                if sampleTimes {
                    s.append(t, Double(hT) / 1000)
                } else {
                    var h = r.hist[k - 1].histogram
                    if inSubquery {
                        // The stored hint speaks about the sample just before: a sample repeated at later
                        // steps must not count its reset again, and one whose predecessor was skipped
                        // cannot vouch for "no reset" against the one before it.
                        if previous == k - 1 {
                            if h.counterResetHint == .counterReset { h.counterResetHint = .notCounterReset }
                        } else if previous != k - 2 && h.counterResetHint == .notCounterReset {
                            h.counterResetHint = .unknown
                        }
                    }
                    s.append(t, histogram: h)
                }
                previous = k - 1
            } else if j > 0 && fT > ref &- lookback && r.vs[j - 1].bitPattern != staleBits {
                s.append(t, sampleTimes ? Double(fT) / 1000 : r.vs[j - 1])
            }
        }
    }

    /// The series and windows a range-vector argument (a matrix selector or a subquery) stands for.
    /// A matrix selector reads `aggregate` over downsampled ranges (see `downsampleAggregate`).
    func rangeInput(_ e: Expr, aggregate: MetricAggregate = .average) throws(QueryError) -> RangeInput {
        switch e {
        case .paren(let inner, _):
            return try rangeInput(inner, aggregate: aggregate)
        case .matrixSelector(let ms):
            let sel = ms.selector
            let at = atTime(sel.at)
            let minRef = (at ?? start) - sel.offset
            let maxRef = (at ?? end) - sel.offset
            // The counter aggregate also reads the step that ends where the first window starts (see
            // `evalDownsampledOverTime`).
            let from = minRef - ms.rangeMilliseconds + (aggregate == .counter ? 0 : 1)
            let set = try select(sel.matchers, from: from, through: maxRef, aggregate: aggregate)
            return RangeInput(
                series: [], selected: set, rangeMs: ms.rangeMilliseconds, offset: sel.offset, at: at, exprRange: ms.range,
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
                // Every step of the inner grid is at least one point held in memory: a subquery
                // such as `vector(1)[3000d:1s]` is refused by the sample limit before it allocates.
                try ctx.account(Int((maxRef - innerStart) / step) + 1)
                let inner = with(start: innerStart, end: maxRef, interval: step)
                for s in try inner.evalSeries(sq.expr) {
                    if s.hs.isEmpty {
                        series.append(RawSeries(labels: s.labels, ts: s.ts, vs: s.vs, dropName: s.dropName))
                        continue
                    }
                    var r = RawSeries(labels: s.labels, ts: [], vs: [], dropName: s.dropName)
                    for i in s.ts.indices {
                        if let h = s.hs[i] {
                            r.hist.append(HistogramSample(s.ts[i], h))
                        } else {
                            r.ts.append(s.ts[i])
                            r.vs.append(s.vs[i])
                        }
                    }
                    series.append(r)
                }
            }
            return RangeInput(
                series: series, selected: nil, rangeMs: sq.rangeMilliseconds, offset: sq.offset, at: at, exprRange: sq.range,
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
        try forEachSeries(input) { labels, dropName, ts, vs, hist in
            let lo = upperBound(ts, ref - input.rangeMs)
            let hi = upperBound(ts, ref)
            if hist.isEmpty {
                if lo < hi {
                    out.append(EvalSeries(labels: labels, ts: Array(ts[lo..<hi]), vs: Array(vs[lo..<hi]), dropName: dropName))
                }
                return
            }
            // Floats and histograms merged by time.
            var s = EvalSeries(labels: labels, dropName: dropName)
            var i = lo
            for h in hist where h.timestamp > ref - input.rangeMs && h.timestamp <= ref {
                while i < hi && ts[i] < h.timestamp {
                    s.append(ts[i], vs[i])
                    i += 1
                }
                s.append(h.timestamp, histogram: h.histogram)
            }
            while i < hi {
                s.append(ts[i], vs[i])
                i += 1
            }
            if !s.ts.isEmpty { out.append(s) }
        }
        return out
    }
}

/// The index of the first element greater than `x` in an ascending array.
@inline(__always)
func upperBound(_ a: UnsafeBufferPointer<Int64>, _ x: Int64) -> Int {
    var lo = 0
    var hi = a.count
    while lo < hi {
        let mid = (lo + hi) >> 1
        if a[mid] <= x { lo = mid + 1 } else { hi = mid }
    }
    return lo
}
