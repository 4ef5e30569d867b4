import StrataLabels
import StrataMetrics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Running state of one aggregation group at one step (Prometheus's `groupedAggregation`).
private struct Group {
    var seen = false
    var value = 0.0
    var mean = 0.0
    var kahanC = 0.0
    var count = 0.0
    var incrementalMean = false
    var dropName = false
    var values: [Double] = []
    /// Native histogram state of sum and avg.
    var histogram: FloatHistogram?
    var hasFloat = false
    var hasHistogram = false
    var incompatibleHistograms = false
    var scalars = HistogramScalarSums()
}

extension Evaluator {
    func evalAggregate(_ a: AggregateExpr) throws(QueryError) -> [EvalSeries] {
        if a.op == .count_values { return try countValues(a) }
        if a.op == .limitk || a.op == .limit_ratio {
            guard ctx.options.enableExperimentalFunctions else {
                throw ctx.error("\(a.op.rawValue) is an experimental aggregation; enable experimental functions", a.range)
            }
        }
        var params: [Double] = []
        if let p = a.parameter, a.op.takesParameter { params = try evalScalar(p) }
        let input = try evalSeries(a.expr)
        let grouping = Set(a.grouping)

        // Map input series to groups, in order of first appearance.
        var groupIndex: [Labels: Int] = [:]
        var groupLabels: [Labels] = []
        var seriesGroup = [Int](repeating: 0, count: input.count)
        for (si, s) in input.enumerated() {
            let key: Labels
            if a.without {
                key = Labels(sorted: s.labels.labels.filter { $0.name != "__name__" && !grouping.contains($0.name) })
            } else if grouping.isEmpty {
                key = Labels()
            } else {
                key = Labels(sorted: s.labels.labels.filter { grouping.contains($0.name) })
            }
            if let g = groupIndex[key] {
                seriesGroup[si] = g
            } else {
                groupIndex[key] = groupLabels.count
                seriesGroup[si] = groupLabels.count
                groupLabels.append(key)
            }
        }

        switch a.op {
        case .topk, .bottomk, .limitk, .limit_ratio:
            return try aggregateK(a, input, seriesGroup, groupLabels.count, params)
        case .quantile:
            let paramRange = a.parameter?.range ?? a.range
            if params.contains(where: { $0.isNaN }) { ctx.annotations.invalidQuantile(.nan, paramRange) }
            if let mx = params.max(), mx > 1 { ctx.annotations.invalidQuantile(mx, paramRange) }
            if let mn = params.min(), mn < 0 { ctx.annotations.invalidQuantile(mn, paramRange) }
        default:
            break
        }

        var outputs = groupLabels.map { EvalSeries(labels: $0) }
        var groups = [Group](repeating: Group(), count: groupLabels.count)
        var walker = StepWalker(input)
        var idx: [Int] = []
        var vals: [Double] = []
        var hists: [FloatHistogram?] = []
        let floatOnlyOps: Set<AggregateOp> = [.max, .min, .stddev, .stdvar, .quantile]
        for step in 0..<numSteps {
            try ctx.checkTimeout()
            let t = stepTime(step)
            walker.gather(t, &idx, &vals, &hists)
            for g in groups.indices where groups[g].seen { groups[g].seen = false; groups[g].values.removeAll(keepingCapacity: true) }
            for (k, si) in idx.enumerated() {
                let f = vals[k]
                let gi = seriesGroup[si]
                if let h = hists.at(k) {
                    if floatOnlyOps.contains(a.op) {
                        ctx.annotations.histogramIgnoredInAggregation(a.op.rawValue, a.range)
                        continue
                    }
                    if a.op == .sum || a.op == .avg {
                        try addHistogram(h, a, input[si], to: &groups[gi])
                        continue
                    }
                }
                if !groups[gi].seen {
                    var g = Group()
                    g.seen = true
                    g.value = f
                    g.mean = f
                    g.count = 1
                    g.dropName = input[si].dropName
                    g.values = groups[gi].values
                    g.hasFloat = true
                    switch a.op {
                    case .stddev, .stdvar: g.value = (f.isNaN || f.isInfinite) ? .nan : 0
                    case .quantile: g.values.append(f)
                    case .group: g.value = 1
                    default: break
                    }
                    groups[gi] = g
                    continue
                }
                if input[si].dropName { groups[gi].dropName = true }
                groups[gi].hasFloat = true
                switch a.op {
                case .sum:
                    (groups[gi].value, groups[gi].kahanC) = kahanSumInc(f, groups[gi].value, groups[gi].kahanC)
                case .avg:
                    groups[gi].count += 1
                    let n = groups[gi].count
                    if !groups[gi].incrementalMean {
                        let (nv, nc) = kahanSumInc(f, groups[gi].value, groups[gi].kahanC)
                        if !nv.isInfinite {
                            groups[gi].value = nv
                            groups[gi].kahanC = nc
                            break
                        }
                        groups[gi].incrementalMean = true
                        groups[gi].mean = groups[gi].value / (n - 1)
                        groups[gi].kahanC /= n - 1
                    }
                    let q = (n - 1) / n
                    (groups[gi].mean, groups[gi].kahanC) = kahanSumInc(f / n, q * groups[gi].mean, q * groups[gi].kahanC)
                case .group:
                    break
                case .max:
                    if groups[gi].value < f || groups[gi].value.isNaN { groups[gi].value = f }
                case .min:
                    if groups[gi].value > f || groups[gi].value.isNaN { groups[gi].value = f }
                case .count:
                    groups[gi].count += 1
                case .stddev, .stdvar:
                    groups[gi].count += 1
                    let delta = f - groups[gi].mean
                    groups[gi].mean += delta / groups[gi].count
                    groups[gi].value += delta * (f - groups[gi].mean)
                case .quantile:
                    groups[gi].values.append(f)
                default:
                    break
                }
            }
            for gi in groups.indices where groups[gi].seen {
                let g = groups[gi]
                if g.hasHistogram && (a.op == .sum || a.op == .avg) {
                    if g.hasFloat {
                        ctx.annotations.mixedFloatsHistogramsAggregation(a.expr.range)
                        continue
                    }
                    if g.incompatibleHistograms { continue }
                    if var h = g.histogram {
                        g.scalars.apply(to: &h, mean: a.op == .avg)
                        outputs[gi].append(t, histogram: h.compacted())
                    }
                    if g.dropName { outputs[gi].dropName = true }
                    continue
                }
                var v = g.value
                switch a.op {
                case .avg: v = g.incrementalMean ? g.mean + g.kahanC : g.value / g.count + g.kahanC / g.count
                case .count: v = g.count
                case .stdvar: v = g.value / g.count
                case .stddev: v = (g.value / g.count).squareRoot()
                case .quantile: v = promQuantile(params[step], g.values)
                case .sum: v = g.value + g.kahanC
                default: break
                }
                outputs[gi].append(t, v)
                if g.dropName { outputs[gi].dropName = true }
            }
        }
        let result = outputs.filter { !$0.ts.isEmpty }
        try ctx.account(result.reduce(0) { $0 + $1.ts.count })
        return result
    }

    /// Adds one histogram sample to a sum or avg group (starting the group when it is the first sample).
    private func addHistogram(_ h: FloatHistogram, _ a: AggregateExpr, _ s: EvalSeries, to g: inout Group) throws(QueryError) {
        if !g.seen {
            var n = Group()
            n.seen = true
            n.count = 1
            n.dropName = s.dropName
            n.values = g.values
            n.histogram = h
            n.hasHistogram = true
            n.scalars.add(h)
            g = n
            return
        }
        if s.dropName { g.dropName = true }
        g.hasHistogram = true
        g.count += 1
        guard let acc = g.histogram, !g.incompatibleHistograms else { return }
        g.scalars.add(h)
        var notes = HistogramCombineNotes()
        do {
            if a.op == .sum {
                g.histogram = try acc.adding(h, notes: &notes)
            } else {
                let n = g.count
                let toAdd = try h.scaled(by: 1 / n).subtracting(acc.scaled(by: 1 / n), notes: &notes)
                g.histogram = try acc.adding(toAdd, notes: &notes)
            }
        } catch {
            g.incompatibleHistograms = true
            ctx.annotations.mixedExponentialCustom(s.labels.metricName ?? "", a.expr.range)
        }
        if notes.customBoundsReconciled { ctx.annotations.customBucketsReconciled("aggregation", a.expr.range) }
        if notes.counterResetCollision { ctx.annotations.counterResetCollision(a.expr.range, aggregation: true) }
    }

    /// topk, bottomk (and the experimental limitk, limit_ratio): per group, some of the input samples.
    private func aggregateK(
        _ a: AggregateExpr, _ input: [EvalSeries], _ seriesGroup: [Int], _ groupCount: Int, _ params: [Double]
    ) throws(QueryError) -> [EvalSeries] {
        if a.op == .limit_ratio {
            if (params.max() ?? 0) == 0 && (params.min() ?? 0) == 0 { return [] }
            if params.contains(where: { $0.isNaN }) { throw ctx.error("Ratio value is NaN") }
            let r = a.parameter?.range ?? a.range
            if let mx = params.max(), mx > 1 { ctx.annotations.invalidRatio(mx, 1, r) }
            if let mn = params.min(), mn < -1 { ctx.annotations.invalidRatio(mn, -1, r) }
        } else {
            if params.contains(where: { $0.isNaN }) { throw ctx.error("Parameter value is NaN") }
            if (params.filter { !$0.isNaN }.max() ?? 0) < 1 { return [] }
            if let mn = params.min(), mn <= -9.223372036854775808e18 {
                throw ctx.error("Scalar value \(formatG(mn)) underflows int64")
            }
            if let mx = params.max(), mx >= 9.223372036854775807e18 {
                throw ctx.error("Scalar value \(formatG(mx)) overflows int64")
            }
        }
        var collector = SeriesCollector()
        var instant: [EvalSeries] = []
        var walker = StepWalker(input)
        var idx: [Int] = []
        var vals: [Double] = []
        var hists: [FloatHistogram?] = []
        var members = [[(Int, Double)]](repeating: [], count: groupCount)
        var order: [Int] = []
        for step in 0..<numSteps {
            try ctx.checkTimeout()
            let t = stepTime(step)
            walker.gather(t, &idx, &vals, &hists)
            if a.op == .topk || a.op == .bottomk, hists.contains(where: { $0 != nil }) {
                // topk and bottomk rank floats only.
                ctx.annotations.histogramIgnoredInAggregation(a.op.rawValue, a.range)
                var keep: [Int] = []
                var keepVals: [Double] = []
                for (n, si) in idx.enumerated() where hists[n] == nil {
                    keep.append(si)
                    keepVals.append(vals[n])
                }
                idx = keep
                vals = keepVals
                hists = []
            }
            if idx.isEmpty { continue }
            var histogramOf: [Int: FloatHistogram] = [:]
            for (n, si) in idx.enumerated() where !hists.isEmpty { if let h = hists[n] { histogramOf[si] = h } }
            let p = params[step]
            let k: Int
            var ratio = 0.0
            if a.op == .limit_ratio {
                if p == 0 { continue }
                ratio = max(-1, min(1, p))
                k = Int.max
            } else {
                k = Int(min(Double(input.count), p.rounded(.towardZero)))
                if k < 1 { continue }
            }
            for g in order { members[g].removeAll(keepingCapacity: true) }
            order.removeAll(keepingCapacity: true)
            for (n, si) in idx.enumerated() {
                let g = seriesGroup[si]
                if members[g].isEmpty { order.append(g) }
                members[g].append((si, vals[n]))
            }
            order.sort()
            for g in order {
                var chosen = members[g]
                switch a.op {
                case .topk:
                    chosen.sort { x, y in
                        if x.1.isNaN { return false }
                        if y.1.isNaN { return true }
                        return x.1 > y.1
                    }
                    chosen = Array(chosen.prefix(k))
                case .bottomk:
                    chosen.sort { x, y in
                        if x.1.isNaN { return false }
                        if y.1.isNaN { return true }
                        return x.1 < y.1
                    }
                    chosen = Array(chosen.prefix(k))
                case .limitk:
                    chosen = Array(chosen.prefix(k))
                default:
                    chosen = chosen.filter { ratioSampleOffsetAccepts(input[$0.0].labels, ratio) }
                }
                for (si, v) in chosen {
                    if let h = histogramOf[si] {
                        if isInstant {
                            var e = EvalSeries(labels: input[si].labels, dropName: input[si].dropName)
                            e.append(t, histogram: h)
                            instant.append(e)
                        } else {
                            try collector.add(input[si].labels, t, histogram: h, dropName: input[si].dropName, ctx: ctx)
                        }
                    } else if isInstant {
                        instant.append(EvalSeries(labels: input[si].labels, ts: [t], vs: [v], dropName: input[si].dropName))
                    } else {
                        try collector.add(input[si].labels, t, v, dropName: input[si].dropName, ctx: ctx)
                    }
                }
            }
        }
        let result = isInstant ? instant : collector.series
        try ctx.account(result.reduce(0) { $0 + $1.ts.count })
        return result
    }

    /// `count_values("label", v)`: how many samples per group have each value.
    private func countValues(_ a: AggregateExpr) throws(QueryError) -> [EvalSeries] {
        guard case .string(let valueLabel, _)? = a.parameter.map(strippingParens) else {
            throw ctx.error("count_values needs a string parameter", a.range)
        }
        guard isValidUTF8LabelName(valueLabel) else {
            let r = a.parameter?.range ?? a.range
            let bytes = Array(ctx.query.utf8)
            let text = r.start >= 0 && r.end <= bytes.count && r.start < r.end
                ? String(decoding: bytes[r.start..<r.end], as: UTF8.self) : goQuote(valueLabel)
            throw ctx.error("invalid label name \(text)")
        }
        var grouping = Set(a.grouping)
        if !a.without { grouping.insert(valueLabel) }
        let input = try evalSeries(a.expr)
        var collector = SeriesCollector()
        var walker = StepWalker(input)
        var idx: [Int] = []
        var vals: [Double] = []
        var hists: [FloatHistogram?] = []
        for step in 0..<numSteps {
            try ctx.checkTimeout()
            let t = stepTime(step)
            walker.gather(t, &idx, &vals, &hists)
            var counts: [Labels: Int] = [:]
            var order: [Labels] = []
            for (k, si) in idx.enumerated() {
                let text = hists.at(k).map(\.description) ?? formatFloatF(vals[k])
                let metric = input[si].labels.setting(valueLabel, to: text)
                let key: Labels
                if a.without {
                    key = Labels(sorted: metric.labels.filter { $0.name != "__name__" && !grouping.contains($0.name) })
                } else {
                    key = Labels(sorted: metric.labels.filter { grouping.contains($0.name) })
                }
                if counts[key] == nil { order.append(key) }
                counts[key, default: 0] += 1
            }
            for key in order { try collector.add(key, t, Double(counts[key]!), dropName: false, ctx: ctx) }
        }
        return collector.series
    }
}

/// Prometheus's UTF-8 label-name rule (any non-empty valid UTF-8 string).
func isValidUTF8LabelName(_ s: String) -> Bool {
    !s.isEmpty && !s.unicodeScalars.contains { $0 == "\u{FFFD}" }
}

/// Strips parentheses around an expression.
func strippingParens(_ e: Expr) -> Expr {
    if case .paren(let inner, _) = e { return strippingParens(inner) }
    return e
}

/// `quantile` of Prometheus: linear interpolation between the closest ranks; NaN for no values.
func promQuantile(_ q: Double, _ values: [Double]) -> Double {
    if values.isEmpty || q.isNaN { return .nan }
    if q < 0 { return -.infinity }
    if q > 1 { return .infinity }
    // Go's vectorByValueHeap order: NaN first, then ascending.
    let sorted = values.sorted { a, b in a.isNaN ? !b.isNaN : (b.isNaN ? false : a < b) }
    let n = Double(sorted.count)
    let rank = q * (n - 1)
    let lower = max(0, rank.rounded(.down))
    let upper = min(n - 1, lower + 1)
    let weight = rank - rank.rounded(.down)
    return sorted[Int(lower)] * (1 - weight) + sorted[Int(upper)] * weight
}

/// limit_ratio's deterministic sampling: a label set's hash, scaled to [0, 1), against the ratio.
func ratioSampleOffsetAccepts(_ labels: Labels, _ ratio: Double) -> Bool {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in labels.promString.utf8 {
        h ^= UInt64(b)
        h = h &* 0x100_0000_01b3
    }
    let offset = Double(h) / Double(UInt64.max)
    return (ratio >= 0 && offset < ratio) || (ratio < 0 && offset >= 1 + ratio)
}
