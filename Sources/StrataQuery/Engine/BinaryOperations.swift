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
    case .and, .or, .unless: return (.nan, false)
    }
}

extension BinaryOp {
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
                var l = s.vs[j]
                var r = sc[k]
                if swap { (l, r) = (r, l) }
                var (v, keep) = binop(b.op, l, r)
                if b.op.isComparison && swap { v = r }
                if b.returnBool {
                    v = keep ? 1 : 0
                    keep = true
                }
                if keep {
                    o.ts.append(s.ts[j])
                    o.vs.append(v)
                }
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
        var ri: [Int] = []
        var rv: [Double] = []
        var present = [Bool](repeating: false, count: numSigs)
        var rightSig = [Int](repeating: -1, count: numSigs)
        var metricCache: [Int64: Labels] = [:]

        for step in 0..<numSteps {
            try ctx.checkTimeout()
            let t = stepTime(step)
            lw.gather(t, &li, &lv)
            rw.gather(t, &ri, &rv)
            switch b.op {
            case .and:
                if li.isEmpty || ri.isEmpty { continue }
                for i in ri { present[rOrd[i]] = true }
                for (k, i) in li.enumerated() where present[lOrd[i]] {
                    try collector.add(lhs[i].labels, t, lv[k], dropName: lhs[i].dropName, ctx: ctx)
                }
                for i in ri { present[rOrd[i]] = false }
            case .or:
                for (k, i) in li.enumerated() {
                    present[lOrd[i]] = true
                    try collector.add(lhs[i].labels, t, lv[k], dropName: lhs[i].dropName, ctx: ctx)
                }
                for (k, i) in ri.enumerated() where !present[rOrd[i]] {
                    try collector.add(rhs[i].labels, t, rv[k], dropName: rhs[i].dropName, ctx: ctx)
                }
                for i in li { present[lOrd[i]] = false }
            case .unless:
                for i in ri { present[rOrd[i]] = true }
                for (k, i) in li.enumerated() where !present[lOrd[i]] {
                    try collector.add(lhs[i].labels, t, lv[k], dropName: lhs[i].dropName, ctx: ctx)
                }
                for i in ri { present[rOrd[i]] = false }
            default:
                if li.isEmpty || ri.isEmpty { continue }
                // For one-to-many, the "one" side is the left: swap, and swap back for the values.
                let swapped = matching.cardinality == .oneToMany
                let (mi, mv, mOrd, mSeries) = swapped ? (ri, rv, rOrd, rhs) : (li, lv, lOrd, lhs)
                let (oi, ov, oOrd, oSeries) = swapped ? (li, lv, lOrd, lhs) : (ri, rv, rOrd, rhs)
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
                for (k, i) in mi.enumerated() {
                    let o = mOrd[i]
                    let rk = rightSig[o]
                    if rk < 0 { continue }
                    let j = oi[rk]
                    var l = mv[k]
                    var r = ov[rk]
                    if swapped { (l, r) = (r, l) }
                    var (v, keep) = binop(b.op, l, r)
                    if b.returnBool {
                        v = keep ? 1 : 0
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
                    try collector.add(metric, t, v, dropName: b.returnBool, ctx: ctx)
                }
                for i in oi { rightSig[oOrd[i]] = -1 }
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
