import StrataLabels
import StrataMetrics

/// Range functions over downsampled data (see Docs/downsampling.md). A matrix selector reads, over
/// ranges the store keeps as per-step aggregates, the aggregate its function needs; series without
/// downsampled data in the range read their raw samples and answer exactly as before.
extension Evaluator {
    /// The aggregate a range function reads over downsampled ranges.
    /// - `min_over_time`/`max_over_time`: the step minima/maxima; `sum_over_time`: the step sums;
    /// - `count_over_time`: the step counts, summed; `avg_over_time`: the sums and the counts;
    /// - `rate`/`increase`: the counter with resets applied (monotonic, continuing into raw samples);
    /// - `resets`: the step minima (a reset shows as a lower minimum; several in one step count once);
    /// - everything else (`delta`, plain selectors, the other functions): the step average.
    static func downsampleAggregate(_ function: String) -> MetricAggregate {
        switch function {
        case "min_over_time", "resets": .min
        case "max_over_time": .max
        case "sum_over_time", "avg_over_time": .sum
        case "count_over_time": .count
        case "rate", "increase": .counter
        default: .average
        }
    }

    /// For `count_over_time`, `avg_over_time`, `rate` and `increase`: the answers for the selected
    /// series that have downsampled data (which are then taken out of `input`); empty for other functions.
    func evalDownsampledOverTime(_ c: FunctionCall, matrixArg: Int, input: inout RangeInput) throws(QueryError) -> [EvalSeries] {
        guard let set = input.selected, set.series.contains(where: \.isDownsampled) else { return [] }
        if c.name == "rate" || c.name == "increase" { return try evalDownsampledRate(c, matrixArg: matrixArg, input: &input) }
        guard c.name == "count_over_time" || c.name == "avg_over_time" else { return [] }
        input.selected = set.filter { !$0.isDownsampled }
        let chosen = set.filter(\.isDownsampled)
        // Per-step counts: for count_over_time the selection itself (hint `count`), for avg_over_time
        // a second selection next to the sums.
        var counts: [Labels: SelectedSeries] = [:]
        if c.name == "avg_over_time" {
            let other = try rangeInput(c.args[matrixArg], aggregate: .count)
            for s in other.selected?.series ?? [] where s.isDownsampled { counts[s.labels] = s }
        }
        var out: [EvalSeries] = []
        var ts: [Int64] = [], vs: [Double] = []
        var cts: [Int64] = [], cvs: [Double] = []
        for s in chosen.series {
            guard try read(s, into: &ts, &vs, dropStale: true) else { continue }
            if c.name == "avg_over_time" {
                guard let cs = counts[s.labels], try read(cs, into: &cts, &cvs, dropStale: true) else { continue }
            }
            var o = EvalSeries(labels: s.labels, dropName: true)
            var lo = 0, hi = 0, clo = 0, chi = 0
            for i in 0..<numSteps {
                let t = stepTime(i)
                let ref = input.ref(t)
                let from = ref - input.rangeMs
                while lo < ts.count && ts[lo] <= from { lo += 1 }
                if hi < lo { hi = lo }
                while hi < ts.count && ts[hi] <= ref { hi += 1 }
                if hi <= lo { continue }
                var sum = 0.0, comp = 0.0
                for k in lo..<hi { (sum, comp) = kahanSumInc(vs[k], sum, comp) }
                let total = sum.isInfinite ? sum : sum + comp
                if c.name == "count_over_time" {
                    o.append(t, total)
                    continue
                }
                while clo < cts.count && cts[clo] <= from { clo += 1 }
                if chi < clo { chi = clo }
                while chi < cts.count && cts[chi] <= ref { chi += 1 }
                var n = 0.0
                for k in clo..<max(clo, chi) { n += cvs[k] }
                if n > 0 { o.append(t, total / n) }
            }
            if o.ts.isEmpty { continue }
            try ctx.account(o.ts.count)
            out.append(o)
        }
        return out
    }

    /// `rate`/`increase` of series read as the counter aggregate (monotonic). A window that starts
    /// in the downsampled range also takes the step point at its start (the counter's value there),
    /// so the increase is measured over the whole window instead of extrapolated over its first step;
    /// windows after the downsampled range are left-open as always.
    private func evalDownsampledRate(_ c: FunctionCall, matrixArg: Int, input: inout RangeInput) throws(QueryError) -> [EvalSeries] {
        guard let set = input.selected else { return [] }
        input.selected = set.filter { !$0.isDownsampled }
        let isRate = c.name == "rate"
        var out: [EvalSeries] = []
        var ts: [Int64] = [], vs: [Double] = []
        for s in set.series where s.isDownsampled {
            guard try read(s, into: &ts, &vs, dropStale: true) else { continue }
            var o = EvalSeries(labels: s.labels, dropName: true)
            try ts.withUnsafeBufferPointer { (tsAll) throws(QueryError) in
                try vs.withUnsafeBufferPointer { (vsAll) throws(QueryError) in
                    var lo = 0, hi = 0
                    for i in 0..<numSteps {
                        let t = stepTime(i)
                        let ref = input.ref(t)
                        let from = ref - input.rangeMs
                        let closed = from <= s.downsampledThrough
                        while lo < tsAll.count && (tsAll[lo] < from || (!closed && tsAll[lo] == from)) { lo += 1 }
                        if hi < lo { hi = lo }
                        while hi < tsAll.count && tsAll[hi] <= ref { hi += 1 }
                        if hi <= lo { continue }
                        let w = RangeWindow(
                            ts: UnsafeBufferPointer(rebasing: tsAll[lo..<hi]), vs: UnsafeBufferPointer(rebasing: vsAll[lo..<hi]),
                            t: t, rangeStart: from, rangeEnd: ref, rangeMs: input.rangeMs, p0: .nan, p1: .nan, monotonic: true)
                        if let v = extrapolatedRate(w, isCounter: true, isRate: isRate) { o.append(t, v) }
                    }
                }
            }
            if o.ts.isEmpty { continue }
            try ctx.account(o.ts.count)
            out.append(o)
        }
        return out
    }
}
