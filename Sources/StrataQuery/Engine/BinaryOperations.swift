import StrataLabels
import StrataMetrics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Float arithmetic and comparison as Go evaluates them (IEEE: `x/0` is ±Inf or NaN, `%` is `math.Mod`).
/// Returns the value and, for comparisons, whether the element is kept.
@inline(__always)
func binop(_ op: BinaryOp, _ l: Double, _ r: Double) -> (Double, Bool) {
    switch op {
    case .add: return (l + r, true)
    case .sub: return (l - r, true)
    case .mul: return (l * r, true)
    case .div: return (l / r, true)
    case .mod: return (goMod(l, r), true)
    case .pow: return (goPow(l, r), true)
    case .atan2: return (atan2(l, r), true)
    case .eql: return (l, l == r)
    case .neq: return (l, l != r)
    case .gtr: return (l, l > r)
    case .lss: return (l, l < r)
    case .gte: return (l, l >= r)
    case .lte: return (l, l <= r)
    case .and, .or, .unless, .trimUpper, .trimLower: return (.nan, false)
    }
}

/// The result of one element operation where either side may be a histogram (`vectorElemBinop`).
struct ElementResult {
    var value: Double
    var histogram: FloatHistogram?
    var keep: Bool
    /// The operand types do not go together: the element is dropped even with `bool`.
    var incompatible = false
}

extension Evaluator {
    /// Prometheus's `vectorElemBinop` for elements where at least one side is a histogram: histograms
    /// add and subtract, scale by floats (`*`, and `/` on the left), compare for (in)equality; every
    /// other pairing is dropped with an info annotation.
    func histogramBinop(_ op: BinaryOp, _ l: Double, _ r: Double, _ hl: FloatHistogram?, _ hr: FloatHistogram?, _ range: SourceRange)
        -> ElementResult
    {
        let a = ctx.annotations
        let opName = op.rawValue
        let isTrim = op.isTrim
        switch (hl, hr) {
        case (let h?, nil) where isTrim:
            return ElementResult(value: 0, histogram: h.trimmed(keepBelow: op == .trimUpper, cutoff: r), keep: true)
        case (nil, nil) where isTrim:
            a.incompatibleTypesBinaryOp("float", opName, "float", range)
        case (nil, let h?):
            if op == .mul { return ElementResult(value: 0, histogram: h.scaled(by: l).compacted(), keep: true) }
            a.incompatibleTypesBinaryOp("float", opName, "histogram", range)
        case (let h?, nil):
            if op == .mul { return ElementResult(value: 0, histogram: h.scaled(by: r).compacted(), keep: true) }
            if op == .div { return ElementResult(value: 0, histogram: h.divided(by: r).compacted(), keep: true) }
            a.incompatibleTypesBinaryOp("histogram", opName, "float", range)
        case (let x?, let y?):
            switch op {
            case .add, .sub:
                var notes = HistogramCombineNotes()
                do {
                    var h = op == .add ? try x.adding(y, notes: &notes) : try x.subtracting(y, notes: &notes)
                    // A difference of histograms is a gauge.
                    if op == .sub { h.counterResetHint = .gauge }
                    if notes.counterResetCollision { a.counterResetCollision(range, aggregation: false) }
                    if notes.customBoundsReconciled {
                        a.customBucketsReconciled(op == .add ? "addition" : "subtraction", range)
                    }
                    return ElementResult(value: 0, histogram: h.compacted(), keep: true)
                } catch {
                    a.incompatibleBucketLayout(opName, range)
                }
            case .eql: return ElementResult(value: 0, histogram: x, keep: x.compacted().exactlyEquals(y.compacted()))
            case .neq: return ElementResult(value: 0, histogram: x, keep: !x.compacted().exactlyEquals(y.compacted()))
            default:
                a.incompatibleTypesBinaryOp("histogram", opName, "histogram", range)
            }
        case (nil, nil):
            let (v, keep) = binop(op, l, r)
            return ElementResult(value: v, histogram: nil, keep: keep)
        }
        return ElementResult(value: 0, histogram: nil, keep: false, incompatible: true)
    }
}

extension FloatHistogram {
    /// `h / divisor` as Prometheus's `Div`: division by zero leaves no buckets, only the zero bucket
    /// (with the count, sum and zero count divided: ±Inf, or NaN where they were 0).
    func divided(by divisor: Double) -> FloatHistogram {
        guard divisor == 0 else { return scaled(by: 1 / divisor) }
        var h = self
        h.count /= divisor
        h.sum /= divisor
        h.zeroCount /= divisor
        h.setBuckets(positive: true, [])
        h.setBuckets(positive: false, [])
        return h
    }
}

extension BinaryOp {
    /// `</` and `>/`.
    var isTrim: Bool { self == .trimUpper || self == .trimLower }

    /// Arithmetic changes what a series measures, so its name goes (`changesMetricSchema`).
    var changesMetricSchema: Bool { [.add, .sub, .mul, .div, .mod, .pow, .atan2].contains(self) }
}

extension Evaluator {
    func evalBinary(_ b: BinaryExpr) throws(QueryError) -> [EvalSeries] {
        let lt = staticType(b.lhs)
        let rt = staticType(b.rhs)
        switch (lt, rt) {
        case (.scalar, .scalar):
            let l = try evalScalar(b.lhs)
            let r = try evalScalar(b.rhs)
            var s = EvalSeries(labels: Labels())
            for i in 0..<numSteps {
                var (v, keep) = binop(b.op, l[i], r[i])
                if b.op.isComparison { v = keep ? 1 : 0 }
                s.ts.append(stepTime(i))
                s.vs.append(v)
            }
            return [s]
        case (.vector, .scalar):
            return try vectorScalar(b, try evalSeries(b.lhs), try evalScalar(b.rhs), swap: false)
        case (.scalar, .vector):
            let sc = try evalScalar(b.lhs)
            return try vectorScalar(b, try evalSeries(b.rhs), sc, swap: true)
        default:
            return try vectorVector(b)
        }
    }

    private func vectorScalar(_ b: BinaryExpr, _ vec: [EvalSeries], _ sc: [Double], swap: Bool) throws(QueryError)
        -> [EvalSeries]
    {
        var out: [EvalSeries] = []
        out.reserveCapacity(vec.count)
        let dropsName = b.op.changesMetricSchema || b.returnBool
        for s in vec {
            var o = EvalSeries(labels: s.labels, dropName: s.dropName || dropsName)
            o.ts.reserveCapacity(s.ts.count)
            o.vs.reserveCapacity(s.ts.count)
            for j in 0..<s.ts.count {
                let k = Int((s.ts[j] - start) / interval)
                if let h = s.histogram(j) {
                    var e = swap ? histogramBinop(b.op, sc[k], 0, nil, h, b.range) : histogramBinop(b.op, 0, sc[k], h, nil, b.range)
                    if e.incompatible { continue }
                    if b.op.isComparison && swap { e.histogram = h }
                    if b.returnBool {
                        o.append(s.ts[j], e.keep ? 1 : 0)
                    } else if e.keep {
                        if let rh = e.histogram { o.append(s.ts[j], histogram: rh) } else { o.append(s.ts[j], e.value) }
                    }
                    continue
                }
                if b.op.isTrim {
                    // Trimming needs a histogram on the left and a float on the right.
                    ctx.annotations.incompatibleTypesBinaryOp("float", b.op.rawValue, "float", b.range)
                    continue
                }
                var l = s.vs[j]
                var r = sc[k]
                if swap { (l, r) = (r, l) }
                var (v, keep) = binop(b.op, l, r)
                if b.op.isComparison && swap { v = r }
                if b.returnBool {
                    v = keep ? 1 : 0
                    keep = true
                }
                if keep { o.append(s.ts[j], v) }
            }
            if !o.ts.isEmpty { out.append(o) }
        }
        try ctx.account(out.reduce(0) { $0 + $1.ts.count })
        return out
    }

    /// The signature of a series for vector matching: the `on` labels, or all but `__name__` and the
    /// `ignoring` labels.
    private func signature(_ l: Labels, _ m: VectorMatching) -> Labels {
        if m.on {
            return Labels(sorted: l.labels.filter { m.matchingLabels.contains($0.name) })
        }
        return Labels(sorted: l.labels.filter { $0.name != "__name__" && !m.matchingLabels.contains($0.name) })
    }

    private func vectorVector(_ b: BinaryExpr) throws(QueryError) -> [EvalSeries] {
        var matching = b.matching ?? VectorMatching()
        if b.op.isSetOperator { matching.cardinality = .manyToMany }
        let lhs = try evalSeries(b.lhs)
        let rhs = try evalSeries(b.rhs)

        // Signature ordinals shared by both sides.
        var ordinals: [Labels: Int] = [:]
        func ordinal(_ l: Labels) -> Int {
            let sig = signature(l, matching)
            if let o = ordinals[sig] { return o }
            ordinals[sig] = ordinals.count
            return ordinals.count - 1
        }
        let lOrd = lhs.map { ordinal($0.labels) }
        let rOrd = rhs.map { ordinal($0.labels) }
        let numSigs = ordinals.count

        var collector = SeriesCollector()
        var lw = StepWalker(lhs)
        var rw = StepWalker(rhs)
        var li: [Int] = []
        var lv: [Double] = []
        var lh: [FloatHistogram?] = []
        var ri: [Int] = []
        var rv: [Double] = []
        var rh: [FloatHistogram?] = []
        var present = [Bool](repeating: false, count: numSigs)
        var rightSig = [Int](repeating: -1, count: numSigs)
        var oneMatched = [Bool](repeating: false, count: numSigs)
        var metricCache: [Int64: Labels] = [:]

        for step in 0..<numSteps {
            try ctx.checkTimeout()
            let t = stepTime(step)
            lw.gather(t, &li, &lv, &lh)
            rw.gather(t, &ri, &rv, &rh)
            /// Adds a passed-through element (set operators), float or histogram.
            func pass(_ s: EvalSeries, _ v: Double, _ h: FloatHistogram?) throws(QueryError) {
                if let h {
                    try collector.add(s.labels, t, histogram: h, dropName: s.dropName, ctx: ctx)
                } else {
                    try collector.add(s.labels, t, v, dropName: s.dropName, ctx: ctx)
                }
            }
            switch b.op {
            case .and:
                if li.isEmpty || ri.isEmpty { continue }
                for i in ri { present[rOrd[i]] = true }
                for (k, i) in li.enumerated() where present[lOrd[i]] { try pass(lhs[i], lv[k], lh.at(k)) }
                for i in ri { present[rOrd[i]] = false }
            case .or:
                for (k, i) in li.enumerated() {
                    present[lOrd[i]] = true
                    try pass(lhs[i], lv[k], lh.at(k))
                }
                for (k, i) in ri.enumerated() where !present[rOrd[i]] { try pass(rhs[i], rv[k], rh.at(k)) }
                for i in li { present[lOrd[i]] = false }
            case .unless:
                for i in ri { present[rOrd[i]] = true }
                for (k, i) in li.enumerated() where !present[lOrd[i]] { try pass(lhs[i], lv[k], lh.at(k)) }
                for i in ri { present[rOrd[i]] = false }
            default:
                // fill_right fills a missing "one"-side element, fill_left a missing "many"-side one
                // (for group_right, after the swap below, as Prometheus does).
                let fillOne = matching.fillRight, fillMany = matching.fillLeft
                if li.isEmpty && ri.isEmpty { continue }
                if (li.isEmpty || ri.isEmpty) && fillOne == nil && fillMany == nil { continue }
                // For one-to-many, the "one" side is the left: swap, and swap back for the values.
                let swapped = matching.cardinality == .oneToMany
                let (mi, mv, mOrd, mSeries, mh) = swapped ? (ri, rv, rOrd, rhs, rh) : (li, lv, lOrd, lhs, lh)
                let (oi, ov, oOrd, oSeries, oh) = swapped ? (li, lv, lOrd, lhs, lh) : (ri, rv, rOrd, rhs, rh)
                for (k, i) in oi.enumerated() {
                    let o = oOrd[i]
                    if rightSig[o] >= 0 {
                        let a = oSeries[oi[rightSig[o]]].labels
                        let c = oSeries[i].labels
                        let pair = a < c ? [a, c] : [c, a]
                        let group = matchLabels(c, matching)
                        throw ctx.error(
                            "found duplicate series for the match group \(group.promString) on the "
                                + "\(swapped ? "left" : "right") hand-side of the operation: "
                                + "[\(pair[0].promString), \(pair[1].promString)];many-to-many matching not allowed: "
                                + "matching labels must be unique on one side")
                    }
                    rightSig[o] = k
                }
                var matchedOne = Set<Int>()
                var matchedMany: [Int: Set<Labels>] = [:]
                /// A result of a filled-in element: `l op r` (comparisons keep `l`), labels `metric`.
                func filled(_ l: Double, _ r: Double, _ metric: Labels) throws(QueryError) {
                    var (v, keep) = binop(b.op, l, r)
                    if b.returnBool { v = keep ? 1 : 0 } else if !keep { return }
                    try collector.add(metric, t, v, dropName: b.returnBool, ctx: ctx)
                }
                for (k, i) in mi.enumerated() {
                    let o = mOrd[i]
                    let rk = rightSig[o]
                    if rk < 0 {
                        if let f = fillOne, mh.at(k) == nil {
                            let synthetic = signature(mSeries[i].labels, matching)
                            let metric = resultMetric(mSeries[i].labels, synthetic, b.op, matching)
                            try swapped ? filled(f, mv[k], metric) : filled(mv[k], f, metric)
                        }
                        continue
                    }
                    oneMatched[o] = true
                    let j = oi[rk]
                    var l = mv[k]
                    var r = ov[rk]
                    var hl = mh.at(k)
                    var hr = oh.at(rk)
                    if swapped {
                        (l, r) = (r, l)
                        (hl, hr) = (hr, hl)
                    }
                    var v: Double
                    var keep: Bool
                    var resultHistogram: FloatHistogram? = nil
                    if hl == nil && hr == nil && !b.op.isTrim {
                        (v, keep) = binop(b.op, l, r)
                    } else {
                        let e = histogramBinop(b.op, l, r, hl, hr, b.range)
                        if e.incompatible { continue }
                        (v, keep, resultHistogram) = (e.value, e.keep, e.histogram)
                    }
                    if b.returnBool {
                        v = keep ? 1 : 0
                        resultHistogram = nil
                    }
                    let key = Int64(i) << 32 | Int64(j)
                    let metric: Labels
                    if let m = metricCache[key] {
                        metric = m
                    } else {
                        metric = resultMetric(mSeries[i].labels, oSeries[j].labels, b.op, matching)
                        metricCache[key] = metric
                    }
                    if matching.cardinality == .oneToOne {
                        if !matchedOne.insert(o).inserted {
                            throw ctx.error(
                                "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
                        }
                    } else if !matchedMany[o, default: []].insert(metric).inserted {
                        throw ctx.error("multiple matches for labels: grouping labels must ensure unique matches")
                    }
                    if !keep && !b.returnBool { continue }
                    if let h = resultHistogram {
                        try collector.add(metric, t, histogram: h, dropName: b.returnBool, ctx: ctx)
                    } else {
                        try collector.add(metric, t, v, dropName: b.returnBool, ctx: ctx)
                    }
                }
                if let f = fillMany {
                    for (k, i) in oi.enumerated() where !oneMatched[oOrd[i]] && oh.at(k) == nil {
                        let synthetic = signature(oSeries[i].labels, matching)
                        let metric = resultMetric(synthetic, oSeries[i].labels, b.op, matching)
                        try swapped ? filled(ov[k], f, metric) : filled(f, ov[k], metric)
                    }
                }
                for i in oi {
                    rightSig[oOrd[i]] = -1
                    oneMatched[oOrd[i]] = false
                }
            }
        }
        try ctx.account(collector.series.reduce(0) { $0 + $1.ts.count })
        return collector.series
    }

    /// Prometheus's `Labels.MatchLabels`: the `on` labels, or all but `__name__` and the `ignoring` ones.
    private func matchLabels(_ l: Labels, _ m: VectorMatching) -> Labels {
        signature(l, m)
    }

    /// The labels of a vector/vector result element (Prometheus's `resultMetric`).
    private func resultMetric(_ lhs: Labels, _ rhs: Labels, _ op: BinaryOp, _ m: VectorMatching) -> Labels {
        var ls = lhs.labels
        if op.changesMetricSchema {
            ls.removeAll { $0.name == "__name__" || $0.name == "__type__" || $0.name == "__unit__" }
        }
        if m.cardinality == .oneToOne {
            if m.on {
                ls.removeAll { !m.matchingLabels.contains($0.name) }
            } else {
                ls.removeAll { m.matchingLabels.contains($0.name) }
            }
        }
        var result = Labels(sorted: ls)
        for name in m.include {
            result = result.setting(name, to: rhs[name] ?? "")
        }
        return result
    }
}
