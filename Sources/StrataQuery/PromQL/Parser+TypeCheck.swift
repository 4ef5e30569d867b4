/// Prometheus's `checkAST`: operand and argument types, argument counts, vector matching rules and
/// selector sanity, checked after a successful parse in the same order Prometheus checks them.
///
/// Returns the tree with vector matching settled: dropped where an operand is a scalar.
struct TypeChecker {
    let query: String

    func error(_ message: String, _ range: SourceRange) -> QueryError {
        QueryError(.parse, message, query: query, range: range)
    }

    func check(_ expr: Expr, bypassEmptyMatcherCheck: Bool = false) throws(QueryError) -> Expr {
        switch expr {
        case .number, .string, .extension:
            return expr
        case .paren(let inner, let r):
            return .paren(try check(inner), r)
        case .unary(let op, let inner, let r):
            let checked = try check(inner)
            let t = PromQL.type(of: checked)
            guard t == .scalar || t == .vector else {
                throw error(
                    "unary expression only allowed on expressions of type scalar or instant vector, got \(GoQuote.string(t.documentedName))",
                    r)
            }
            return .unary(op, checked, r)
        case .vectorSelector(let vs):
            try checkSelector(vs, bypassEmptyMatcherCheck: bypassEmptyMatcherCheck)
            return expr
        case .matrixSelector(let m):
            try checkSelector(m.selector, bypassEmptyMatcherCheck: false)
            return expr
        case .subquery(var s):
            s.expr = try check(s.expr)
            let t = PromQL.type(of: s.expr)
            guard t == .vector else { throw error("subquery is only allowed on instant vector, got \(t.rawValue) instead", s.range) }
            return .subquery(s)
        case .aggregate(var a):
            a.expr = try expect(a.expr, .vector, "aggregation expression")
            if let p = a.parameter {
                switch a.op {
                case .topk, .bottomk, .quantile, .limitk, .limit_ratio:
                    a.parameter = try expect(p, .scalar, "aggregation parameter")
                case .count_values:
                    a.parameter = try expect(p, .string, "aggregation parameter")
                default:
                    a.parameter = try check(p)
                }
            }
            return .aggregate(a)
        case .call(let c):
            return .call(try checkCall(c))
        case .binary(let b):
            return .binary(try checkBinary(b))
        }
    }

    private func expect(_ expr: Expr, _ want: ValueType, _ context: String) throws(QueryError) -> Expr {
        let checked = try check(expr)
        let t = PromQL.type(of: checked)
        if t != want {
            throw error("expected type \(want.documentedName) in \(context), got \(t.documentedName)", expr.range)
        }
        return checked
    }

    private func checkSelector(_ vs: VectorSelector, bypassEmptyMatcherCheck: Bool) throws(QueryError) {
        if let name = vs.name {
            // The last matcher is the name written outside the braces.
            for m in vs.matchers.dropLast() where m.name == "__name__" {
                throw error(
                    "metric name must not be set twice: \(GoQuote.string(name)) or \(GoQuote.string(m.value))", vs.range)
            }
            return
        }
        if !bypassEmptyMatcherCheck && !vs.matchers.contains(where: { !$0.matches("") }) {
            throw error("vector selector must contain at least one non-empty matcher", vs.range)
        }
    }

    private func checkCall(_ call: FunctionCall) throws(QueryError) -> FunctionCall {
        guard let sig = PromQLFunctions.signatures[call.name] else { return call }
        var c = call
        let nargs = sig.argTypes.count
        let name = GoQuote.string(sig.name)
        if sig.variadic == 0 {
            if nargs != c.args.count {
                throw error("expected \(nargs) argument(s) in call to \(name), got \(c.args.count)", c.range)
            }
        } else {
            let minimum = nargs - 1
            if minimum > c.args.count {
                throw error("expected at least \(minimum) argument(s) in call to \(name), got \(c.args.count)", c.range)
            }
            if sig.variadic > 0, minimum + sig.variadic < c.args.count {
                throw error(
                    "expected at most \(minimum + sig.variadic) argument(s) in call to \(name), got \(c.args.count)", c.range)
            }
        }
        var bypassSecond = false
        if sig.name == "info", c.args.count > 1 {
            let second = c.args[1]
            let t = PromQL.type(of: second)
            if t != .vector {
                throw error("expected type instant vector in call to function \(name), got \(t.documentedName)", c.range)
            }
            guard case .vectorSelector(let vs) = second else {
                throw error("expected label selectors only", second.range)
            }
            if vs.name != nil { throw error("expected label selectors only, got vector selector instead", second.range) }
            bypassSecond = true
        }
        for i in c.args.indices {
            var typeIndex = i
            if i >= nargs {
                if sig.variadic == 0 { break }
                typeIndex = nargs - 1
            }
            let checked = try check(c.args[i], bypassEmptyMatcherCheck: bypassSecond && i == 1)
            let t = PromQL.type(of: checked)
            if t != sig.argTypes[typeIndex] {
                throw error(
                    "expected type \(sig.argTypes[typeIndex].documentedName) in call to function \(name), got \(t.documentedName)",
                    c.args[i].range)
            }
            c.args[i] = checked
        }
        return c
    }

    private func checkBinary(_ binary: BinaryExpr) throws(QueryError) -> BinaryExpr {
        var b = binary
        b.lhs = try check(b.lhs)
        b.rhs = try check(b.rhs)
        let lt = PromQL.type(of: b.lhs)
        let rt = PromQL.type(of: b.rhs)
        let opName = GoQuote.string(b.op.rawValue)
        if b.returnBool && !b.op.isComparison {
            throw error("bool modifier can only be used on comparison operators", operatorRange(b))
        }
        if b.op.isComparison && !b.returnBool && lt == .scalar && rt == .scalar {
            throw error("comparisons between scalars must use BOOL modifier", operatorRange(b))
        }
        var matching = b.matching ?? VectorMatching()
        if b.op.isSetOperator && matching.cardinality == .oneToOne { matching.cardinality = .manyToMany }
        if matching.on, let label = matching.matchingLabels.first(where: { matching.include.contains($0) }) {
            throw error("label \(GoQuote.string(label)) must not occur in ON and GROUP clause at once", operatorRange(b))
        }
        if lt != .scalar && lt != .vector {
            throw error("binary expression must contain only scalar and instant vector types", b.lhs.range)
        }
        if rt != .scalar && rt != .vector {
            throw error("binary expression must contain only scalar and instant vector types", b.rhs.range)
        }
        if matching.fillLeft != nil || matching.fillRight != nil {
            if b.op.isSetOperator { throw error("fill modifiers are not allowed with set operator \(opName)", operatorRange(b)) }
            if lt != .vector || rt != .vector {
                throw error("fill modifiers are only allowed between instant vectors", operatorRange(b))
            }
        }
        if lt != .vector || rt != .vector {
            if !matching.matchingLabels.isEmpty {
                throw error("vector matching only allowed between instant vectors", b.range)
            }
            b.matching = nil
        } else {
            if b.op.isSetOperator {
                if matching.cardinality == .oneToMany || matching.cardinality == .manyToOne {
                    throw error("no grouping allowed for \(opName) operation", b.range)
                }
                if matching.cardinality != .manyToMany {
                    throw error("set operations must always be many-to-many", b.range)
                }
            }
            b.matching = matching
        }
        if (lt == .scalar || rt == .scalar) && b.op.isSetOperator {
            throw error("set operator \(opName) not allowed in binary scalar expression", b.range)
        }
        return b
    }

    /// The operator and its modifiers: from after the left operand to before the right one, trimmed.
    private func operatorRange(_ b: BinaryExpr) -> SourceRange {
        let bytes = Array(query.utf8)
        var start = b.lhs.range.end
        while start < bytes.count, ASCII.isSpace(bytes[start]) { start += 1 }
        var end = b.rhs.range.start
        while end > start, ASCII.isSpace(bytes[end - 1]) { end -= 1 }
        return SourceRange(start, max(start, end))
    }
}

extension ValueType {
    /// Prometheus's `DocumentedType`: "instant vector", "range vector", "scalar", "string".
    var documentedName: String {
        switch self {
        case .vector: "instant vector"
        case .matrix: "range vector"
        case .scalar: "scalar"
        case .string: "string"
        }
    }
}
