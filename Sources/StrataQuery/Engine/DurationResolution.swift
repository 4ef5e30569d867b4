extension Expr {
    /// True when a range, step or offset depends on the query (`step()`, `range()`).
    var hasQueryDurations: Bool {
        switch self {
        case .number, .string, .extension: false
        case .vectorSelector(let v): v.offsetExpression != nil
        case .matrixSelector(let m): m.rangeExpression != nil || m.selector.offsetExpression != nil
        case .subquery(let s):
            s.rangeExpression != nil || s.stepExpression != nil || s.offsetExpression != nil || s.expr.hasQueryDurations
        case .paren(let e, _), .unary(_, let e, _): e.hasQueryDurations
        case .binary(let b): b.lhs.hasQueryDurations || b.rhs.hasQueryDurations
        case .aggregate(let a): a.expr.hasQueryDurations || (a.parameter?.hasQueryDurations ?? false)
        case .call(let c): c.args.contains { $0.hasQueryDurations }
        }
    }

    /// The expression with every `step()`/`range()` duration replaced by its value for a query of
    /// `step` and `range` ms (an instant query has both 0).
    /// - Throws: `QueryError` when a range comes out not positive or a value is not a time span.
    func resolvingQueryDurations(step: Int64, range: Int64, query: String) throws(QueryError) -> Expr {
        func ms(_ e: DurationExpr, _ at: SourceRange) throws(QueryError) -> Int64 {
            guard let v = e.milliseconds(step: step, range: range) else {
                throw QueryError(.execution, "duration expression \(e) is out of range", query: query, range: at)
            }
            return v
        }
        func positive(_ e: DurationExpr, _ at: SourceRange) throws(QueryError) -> Int64 {
            let v = try ms(e, at)
            guard v > 0 else { throw QueryError(.execution, "duration expression \(e) must be positive, got \(v) ms", query: query, range: at) }
            return v
        }
        func selector(_ v: VectorSelector) throws(QueryError) -> VectorSelector {
            var v = v
            if let e = v.offsetExpression {
                v.offset = try ms(e, v.range)
                v.offsetExpression = nil
            }
            return v
        }
        switch self {
        case .number, .string, .extension: return self
        case .vectorSelector(let v): return .vectorSelector(try selector(v))
        case .matrixSelector(var m):
            m.selector = try selector(m.selector)
            if let e = m.rangeExpression {
                m.rangeMilliseconds = try positive(e, m.range)
                m.rangeExpression = nil
            }
            return .matrixSelector(m)
        case .subquery(var s):
            s.expr = try s.expr.resolvingQueryDurations(step: step, range: range, query: query)
            if let e = s.rangeExpression {
                s.rangeMilliseconds = try positive(e, s.range)
                s.rangeExpression = nil
            }
            if let e = s.stepExpression {
                let v = try ms(e, s.range)
                s.stepMilliseconds = v == 0 ? nil : v
                s.stepExpression = nil
            }
            if let e = s.offsetExpression {
                s.offset = try ms(e, s.range)
                s.offsetExpression = nil
            }
            return .subquery(s)
        case .paren(let e, let r): return .paren(try e.resolvingQueryDurations(step: step, range: range, query: query), r)
        case .unary(let op, let e, let r): return .unary(op, try e.resolvingQueryDurations(step: step, range: range, query: query), r)
        case .binary(var b):
            b.lhs = try b.lhs.resolvingQueryDurations(step: step, range: range, query: query)
            b.rhs = try b.rhs.resolvingQueryDurations(step: step, range: range, query: query)
            return .binary(b)
        case .aggregate(var a):
            a.expr = try a.expr.resolvingQueryDurations(step: step, range: range, query: query)
            a.parameter = try a.parameter?.resolvingQueryDurations(step: step, range: range, query: query)
            return .aggregate(a)
        case .call(var c):
            var args: [Expr] = []
            for arg in c.args { args.append(try arg.resolvingQueryDurations(step: step, range: range, query: query)) }
            c.args = args
            return .call(c)
        }
    }
}
