import StrataLabels
import StrataMetrics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The functions this evaluator implements. Their argument types, result types and experimental
/// flags are the parser's (`PromQLFunctions.signatures`); a function the parser knows but the
/// engine does not implement (native-histogram functions, `info`, ...) fails at evaluation.
enum EngineFunctions {
    static let implemented: Set<String> = [
        "abs", "ceil", "floor", "exp", "sqrt", "ln", "log2", "log10", "sin", "cos", "tan", "asin", "acos", "atan",
        "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "deg", "rad", "sgn", "absent", "sort", "sort_desc",
        "timestamp", "days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year",
        "rate", "increase", "delta", "irate", "idelta", "deriv", "changes", "resets", "absent_over_time",
        "present_over_time", "avg_over_time", "count_over_time", "last_over_time", "max_over_time", "min_over_time",
        "stddev_over_time", "stdvar_over_time", "sum_over_time", "first_over_time", "mad_over_time",
        "ts_of_first_over_time", "ts_of_last_over_time", "ts_of_max_over_time", "ts_of_min_over_time",
        "quantile_over_time", "predict_linear", "double_exponential_smoothing", "clamp", "clamp_max", "clamp_min",
        "round", "histogram_quantile", "histogram_fraction", "label_replace", "label_join", "sort_by_label",
        "sort_by_label_desc", "vector", "scalar", "time", "pi", "histogram_count", "histogram_sum", "histogram_avg",
        "histogram_stddev", "histogram_stdvar", "histogram_quantiles", "start", "end", "range", "step", "min_of",
        "max_of",
    ]
}

/// The static type of an expression (the parser's rule).
@inline(__always)
func staticType(_ e: Expr) -> ValueType { PromQL.type(of: e) }

extension Evaluator {
    func evalCall(_ c: FunctionCall) throws(QueryError) -> [EvalSeries] {
        guard let fn = PromQLFunctions.signatures[c.name] else {
            throw QueryError(.parse, "unknown function with name \(goQuote(c.name))", query: ctx.query, range: c.range)
        }
        guard EngineFunctions.implemented.contains(c.name) else {
            throw QueryError(
                .execution, "function \(goQuote(c.name)) is not implemented by Strata's engine", query: ctx.query,
                range: c.range)
        }
        if fn.experimental && !ctx.options.enableExperimentalFunctions {
            throw QueryError(
                .parse, "function \(goQuote(c.name)) is not enabled (experimental functions are disabled)",
                query: ctx.query, range: c.range)
        }
        if let m = fn.argTypes.firstIndex(of: .matrix), m < c.args.count {
            return try evalRangeFunction(c, matrixArg: m)
        }
        switch c.name {
        case "time": return [scalarSeries { Double($0) / 1000 }]
        case "pi": return [scalarSeries { _ in Double.pi }]
        // The experimental query-context functions: the query's start, end, range and step in seconds.
        case "start": return [scalarSeries { [ctx] _ in Double(ctx.queryStart) / 1000 }]
        case "end": return [scalarSeries { [ctx] _ in Double(ctx.queryEnd) / 1000 }]
        case "range": return [scalarSeries { [ctx] _ in Double(ctx.queryEnd - ctx.queryStart) / 1000 }]
        case "step": return [scalarSeries { [ctx] _ in Double(ctx.queryStep) / 1000 }]
        case "min_of", "max_of":
            let a = try evalScalar(c.args[0])
            let b = try evalScalar(c.args[1])
            let isMin = c.name == "min_of"
            return [scalarSeries { t in
                let k = Int((t - start) / interval)
                return isMin ? goMin(a[k], b[k]) : goMax(a[k], b[k])
            }]
        case "vector":
            var s = try evalSeries(c.args[0])
            if !s.isEmpty { s[0].labels = Labels(); s[0].dropName = false }
            return s
        case "scalar": return try evalScalarFunction(c)
        case "absent": return try evalAbsent(c)
        case "timestamp": return try evalTimestamp(c)
        case "label_replace": return try evalLabelReplace(c)
        case "label_join": return try evalLabelJoin(c)
        case "sort", "sort_desc", "sort_by_label", "sort_by_label_desc": return try evalSort(c)
        case "histogram_quantile": return try evalHistogramQuantile(c)
        case "histogram_quantiles": return try evalHistogramQuantiles(c)
        case "histogram_fraction": return try evalHistogramFraction(c)
        case "histogram_count", "histogram_sum", "histogram_avg", "histogram_stddev", "histogram_stdvar":
            return try evalHistogramProperty(c)
        case "days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year":
            return try evalDateFunction(c)
        default:
            return try evalElementwise(c)
        }
    }

    /// Evaluates the scalar arguments of a call (those listed in `indices`) into per-step values.
    func scalarArgs(_ c: FunctionCall, skipping: Int?) throws(QueryError) -> [[Double]] {
        var out: [[Double]] = []
        for (i, a) in c.args.enumerated() where i != skipping {
            if staticType(a) == .string { continue }
            out.append(try evalScalar(a))
        }
        return out
    }

    /// `scalar(v)`: the value of a one-element vector, NaN otherwise.
    private func evalScalarFunction(_ c: FunctionCall) throws(QueryError) -> [EvalSeries] {
        let input = try evalSeries(c.args[0]).map(\.floatsOnly)  // scalar() reads floats only
        var counts = [Int](repeating: 0, count: numSteps)
        var values = [Double](repeating: .nan, count: numSteps)
        for s in input {
            for (t, v) in zip(s.ts, s.vs) {
                let k = Int((t - start) / interval)
                counts[k] += 1
                values[k] = v
            }
        }
        return [scalarSeries { t in
            let k = Int((t - start) / interval)
            return counts[k] == 1 ? values[k] : .nan
        }]
    }

    /// `absent(v)`: 1 at the steps where `v` is empty, with the labels its equality matchers fix.
    private func evalAbsent(_ c: FunctionCall) throws(QueryError) -> [EvalSeries] {
        let input = try evalSeries(c.args[0])
        var present = [Bool](repeating: false, count: numSteps)
        for s in input { for t in s.ts { present[Int((t - start) / interval)] = true } }
        var out = EvalSeries(labels: absentLabels(c.args[0]))
        for k in 0..<numSteps where !present[k] {
            out.ts.append(stepTime(k))
            out.vs.append(1)
        }
        return out.ts.isEmpty ? [] : [out]
    }

    /// Prometheus's `createLabelsForAbsentFunction`.
    func absentLabels(_ e: Expr) -> Labels {
        let matchers: [LabelMatcher]
        switch strippingParens(e) {
        case .vectorSelector(let v): matchers = v.matchers
        case .matrixSelector(let m): matchers = m.selector.matchers
        default: return Labels()
        }
        var result = Labels()
        var has: Set<String> = []
        for m in matchers where m.name != "__name__" {
            if m.kind == .equal && !has.contains(m.name) {
                result = result.setting(m.name, to: m.value)
                has.insert(m.name)
            } else {
                result = result.removing([m.name])
            }
        }
        return result
    }

    /// `timestamp(v)`: the time of each sample in seconds (of the stored sample for a plain selector).
    private func evalTimestamp(_ c: FunctionCall) throws(QueryError) -> [EvalSeries] {
        var s: [EvalSeries]
        if case .vectorSelector(let sel) = strippingParens(c.args[0]) {
            s = try evalVectorSelector(sel, sampleTimes: true)
        } else {
            s = try evalSeries(c.args[0])
            for i in s.indices {
                for j in s[i].ts.indices { s[i].vs[j] = Double(s[i].ts[j]) / 1000 }
                s[i].hs = []  // a histogram's timestamp is a float
            }
        }
        for i in s.indices { s[i].dropName = true }
        return s
    }

    /// Functions applied to each sample on its own (math, trigonometry, clamp, round).
    private func evalElementwise(_ c: FunctionCall) throws(QueryError) -> [EvalSeries] {
        let params = try scalarArgs(c, skipping: 0)
        // Math functions take floats only: histogram samples are dropped, as Prometheus does.
        var s = try evalSeries(c.args[0]).map(\.floatsOnly).filter { !$0.ts.isEmpty }
        let f: (Double) -> Double
        switch c.name {
        case "abs": f = { abs($0) }
        case "ceil": f = { ceil($0) }
        case "floor": f = { floor($0) }
        case "exp": f = { exp($0) }
        case "sqrt": f = { sqrt($0) }
        case "ln": f = { log($0) }
        case "log2": f = { log2($0) }
        case "log10": f = { log10($0) }
        case "sin": f = { sin($0) }
        case "cos": f = { cos($0) }
        case "tan": f = { tan($0) }
        case "asin": f = { asin($0) }
        case "acos": f = { acos($0) }
        case "atan": f = { atan($0) }
        case "sinh": f = { sinh($0) }
        case "cosh": f = { cosh($0) }
        case "tanh": f = { tanh($0) }
        case "asinh": f = { asinh($0) }
        case "acosh": f = { acosh($0) }
        case "atanh": f = { atanh($0) }
        case "deg": f = { $0 * 180 / Double.pi }
        case "rad": f = { $0 * Double.pi / 180 }
        case "sgn": f = { $0 < 0 ? -1 : ($0 > 0 ? 1 : $0) }
        case "clamp", "clamp_min", "clamp_max", "round":
            return clampOrRound(c.name, s, params)
        default:
            throw QueryError(.parse, "unknown function with name \(goQuote(c.name))", query: ctx.query, range: c.range)
        }
        for i in s.indices {
            s[i].dropName = true
            for j in s[i].vs.indices { s[i].vs[j] = f(s[i].vs[j]) }
        }
        return s
    }

    private func clampOrRound(_ name: String, _ input: [EvalSeries], _ params: [[Double]]) -> [EvalSeries] {
        var out: [EvalSeries] = []
        for s in input {
            var o = EvalSeries(labels: s.labels, dropName: true)
            for (t, v) in zip(s.ts, s.vs) {
                let k = Int((t - start) / interval)
                switch name {
                case "round":
                    let toNearest = params.isEmpty ? 1 : params[0][k]
                    let inv = 1.0 / toNearest
                    o.ts.append(t)
                    o.vs.append(floor(v * inv + 0.5) / inv)
                default:
                    var lo = -Double.infinity
                    var hi = Double.infinity
                    if name == "clamp" { lo = params[0][k]; hi = params[1][k] }
                    if name == "clamp_min" { lo = params[0][k] }
                    if name == "clamp_max" { hi = params[0][k] }
                    if hi < lo { continue }
                    o.ts.append(t)
                    o.vs.append(goMax(lo, goMin(hi, v)))
                }
            }
            if !o.ts.isEmpty { out.append(o) }
        }
        return out
    }
}

/// Go's `math.Max`/`math.Min`: NaN wins.
@inline(__always) func goMax(_ a: Double, _ b: Double) -> Double {
    if a.isNaN || b.isNaN { return .nan }
    return a > b ? a : b
}
@inline(__always) func goMin(_ a: Double, _ b: Double) -> Double {
    if a.isNaN || b.isNaN { return .nan }
    return a < b ? a : b
}
