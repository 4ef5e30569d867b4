import StrataMetrics
import StrataQuery

/// What the runner needs to know about a parsed query.
enum ExprWalk {
    /// Calls every node of the tree (pre-order), including those under subqueries.
    static func visit(_ e: Expr, _ f: (Expr) -> Void) {
        f(e)
        switch e {
        case .number, .string, .vectorSelector, .matrixSelector, .extension: break
        case .subquery(let s): visit(s.expr, f)
        case .paren(let x, _), .unary(_, let x, _): visit(x, f)
        case .binary(let b):
            visit(b.lhs, f)
            visit(b.rhs, f)
        case .aggregate(let a):
            if let p = a.parameter { visit(p, f) }
            visit(a.expr, f)
        case .call(let c): for x in c.args { visit(x, f) }
        }
    }

    static func functionNames(_ e: Expr) -> [String] {
        var names: [String] = []
        visit(e) { if case .call(let c) = $0 { names.append(c.name) } }
        return names
    }

    static func aggregateOps(_ e: Expr) -> [AggregateOp] {
        var ops: [AggregateOp] = []
        visit(e) { if case .aggregate(let a) = $0 { ops.append(a.op) } }
        return ops
    }

    static func selectors(_ e: Expr) -> [VectorSelector] {
        var out: [VectorSelector] = []
        visit(e) {
            switch $0 {
            case .vectorSelector(let v): out.append(v)
            case .matrixSelector(let m): out.append(m.selector)
            default: break
            }
        }
        return out
    }

    /// Prometheus's `AtModifierUnsafeFunctions`: results depend on the evaluation time itself.
    static let atModifierUnsafeFunctions: Set<String> = [
        "days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year",
        "predict_linear", "time", "timestamp",
        // The query-context functions answer with the query's own start, end, range or step.
        "start", "end", "range", "step",
    ]

    /// Experimental in Prometheus 3 (behind `--enable-feature=promql-experimental-functions`).
    static let experimentalFunctions: Set<String> = [
        "double_exponential_smoothing", "first_over_time", "histogram_quantiles", "info", "integral",
        "mad_over_time", "sort_by_label", "sort_by_label_desc", "ts_of_first_over_time", "ts_of_last_over_time",
        "ts_of_max_over_time", "ts_of_min_over_time", "start", "end", "range", "step",
    ]

    static func isExperimental(function name: String) -> Bool {
        experimentalFunctions.contains(name) || PromQLFunctions.signatures[name]?.experimental == true
    }

    /// test.go's `atModifierTestCases` rewrite: every selector and subquery outside a subquery gets
    /// `@ ts` unless it has a numeric `@` already (`@ start()`/`@ end()` are replaced, as printing does).
    static func pinned(_ e: Expr, at ts: Int64) -> Expr {
        func pin(_ a: AtModifier?) -> AtModifier {
            if case .timestamp = a { return a! }
            return .timestamp(ts)
        }
        switch e {
        case .number, .string, .extension: return e
        case .vectorSelector(var v):
            v.at = pin(v.at)
            return .vectorSelector(v)
        case .matrixSelector(var m):
            m.selector.at = pin(m.selector.at)
            return .matrixSelector(m)
        case .subquery(var s):
            s.at = pin(s.at)
            return .subquery(s)
        case .paren(let x, let r): return .paren(pinned(x, at: ts), r)
        case .unary(let op, let x, let r): return .unary(op, pinned(x, at: ts), r)
        case .binary(var b):
            b.lhs = pinned(b.lhs, at: ts)
            b.rhs = pinned(b.rhs, at: ts)
            return .binary(b)
        case .aggregate(var a):
            a.expr = pinned(a.expr, at: ts)
            a.parameter = a.parameter.map { pinned($0, at: ts) }
            return .aggregate(a)
        case .call(var c):
            c.args = c.args.map { pinned($0, at: ts) }
            return .call(c)
        }
    }

    /// test.go's `reQueryContextFuncs`: queries using `start()`, `end()`, `range()` or `step()`
    /// resolve differently in range mode, so the range-mode check skips them.
    static func usesQueryContextFunctions(_ text: String) -> Bool {
        text.contains(queryContextPattern)
    }

    nonisolated(unsafe) static let queryContextPattern = try! Regex(#"(start|end|range|step)\(\)"#)
}
