/// Duration expressions in ranges, subquery steps and offsets (`DurationExpr`).
extension Parser {
    /// `a + b`, `a * b`, ... over numbers (seconds), durations, `( )`, unary signs, `step()`,
    /// `range()`, `min_of(a, b)`, `max_of(a, b)`, with PromQL's precedence (`^` binds tightest and
    /// to the right; a unary sign applies to what follows up to a `^` chain).
    mutating func parseDurationExpr(minPrecedence: Int = 0) throws(QueryError) -> DurationExpr {
        var lhs = try parseDurationUnary()
        while let op = binaryOperator(peekKind), [.add, .sub, .mul, .div, .mod, .pow].contains(op), op.precedence >= minPrecedence {
            advance()
            let rhs = try parseDurationExpr(minPrecedence: op.isRightAssociative ? op.precedence : op.precedence + 1)
            lhs = .binary(op, lhs, rhs)
        }
        return lhs
    }

    mutating func parseDurationUnary() throws(QueryError) -> DurationExpr {
        if peekKind == .sub || peekKind == .add {
            let negative = advance().kind == .sub
            let operand = try parseDurationExpr(minPrecedence: BinaryOp.pow.precedence)
            return negative ? .negate(operand) : operand
        }
        return try parseDurationPrimary()
    }

    /// A number, a duration, a parenthesised expression or one of the duration functions.
    mutating func parseDurationPrimary() throws(QueryError) -> DurationExpr {
        let token = peek
        switch token.kind {
        case .number:
            advance()
            return .seconds(try numberValue(token))
        case .duration:
            advance()
            return .seconds(Double(try durationMilliseconds(token)) / 1000)
        case .leftParen:
            advance()
            let inner = try parseDurationExpr()
            guard peekKind == .rightParen else { throw unexpected("duration expression", "\")\"") }
            advance()
            return inner
        case .identifier, .keyword:
            guard peekKind(at: 1) == .leftParen else { break }
            let name = token.text.lowercased()
            switch name {
            case "step", "range":
                advance()
                advance()
                guard peekKind == .rightParen else { throw unexpected("\(name)()", "\")\"") }
                advance()
                return name == "step" ? .step : .range
            case "min_of", "max_of":
                advance()
                advance()
                let a = try parseDurationExpr()
                guard peekKind == .comma else { throw unexpected("\(name)", "\",\"") }
                advance()
                let b = try parseDurationExpr()
                guard peekKind == .rightParen else { throw unexpected("\(name)", "\")\"") }
                advance()
                return name == "min_of" ? .minOf(a, b) : .maxOf(a, b)
            default:
                break
            }
        default:
            break
        }
        throw unexpected("duration expression", "number or duration")
    }

    /// The duration after `offset`: a sign and one primary (`offset 5m`, `offset -(1h/2)`,
    /// `offset step()`), so `x offset 100 + 2` is `(x offset 100) + 2` as in Prometheus.
    mutating func parseOffsetDuration() throws(QueryError) -> DurationExpr {
        if peekKind == .sub || peekKind == .add {
            let negative = advance().kind == .sub
            let operand = try parseDurationPrimary()
            return negative ? .negate(operand) : operand
        }
        return try parseDurationPrimary()
    }

    /// A span in ms when `e` is known now, else nil (it depends on the query: resolved before evaluation).
    func staticMilliseconds(_ e: DurationExpr, _ range: SourceRange) throws(QueryError) -> Int64? {
        guard !e.dependsOnQuery else { return nil }
        guard let ms = e.milliseconds(step: 0, range: 0) else { throw error("duration out of range", range) }
        return ms
    }
}

extension TokenKind {
    var isKeyword: Bool {
        if case .keyword = self { return true }
        return false
    }
}
