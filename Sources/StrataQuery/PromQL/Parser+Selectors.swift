import StrataLabels
import StrataMetrics

/// Selectors and their postfix modifiers: `name{matchers}`, `[range]`, `[range:step]`, `offset`, `@`.
extension Parser {
    /// `name`, `name{...}` or `{...}`; the name (if any) was consumed and becomes the last matcher.
    mutating func parseVectorSelector(nameToken: Token?) throws(QueryError) -> Expr {
        var matchers: [LabelMatcher] = []
        var range = nameToken?.range ?? peek.range
        if peekKind == .leftBrace {
            let brace = advance()
            if nameToken == nil { range = brace.range }
            if peekKind == .rightBrace {
                advance()
            } else {
                while true {
                    matchers.append(try parseLabelMatcher())
                    if peekKind == .comma {
                        advance()
                        if peekKind == .rightBrace {
                            advance()
                            break
                        }
                    } else if peekKind == .rightBrace {
                        advance()
                        break
                    } else {
                        throw unexpected("label matching", "\",\" or \"}\"")
                    }
                }
            }
            range.end = previousEnd
        }
        if let nameToken { matchers.append(.equal("__name__", nameToken.text)) }
        return .vectorSelector(VectorSelector(name: nameToken?.text, matchers: matchers, range: range))
    }

    /// `label op "value"`, `"label" op "value"` or `"metric.name"` (a quoted name alone).
    mutating func parseLabelMatcher() throws(QueryError) -> LabelMatcher {
        let label = peek
        guard label.kind == .identifier || label.kind == .string else {
            throw unexpected("label matching", "identifier or \"}\"")
        }
        advance()
        let name = label.kind == .string ? StringLiteral.unquote(label.text) : label.text
        let kind: LabelMatcher.Kind
        switch peekKind {
        case .assign: kind = .equal
        case .neq: kind = .notEqual
        case .eqlRegex: kind = .regex
        case .neqRegex: kind = .notRegex
        default:
            if label.kind == .string { return .equal("__name__", name) }
            throw unexpected("label matching", "label matching operator")
        }
        advance()
        let value = peek
        guard value.kind == .string else { throw unexpected("label matching", "string") }
        advance()
        do {
            return try LabelMatcher(kind, name, StringLiteral.unquote(value.text))
        } catch {
            throw self.error(error.description, label.range.union(value.range))
        }
    }

    /// `[`, `offset` and `@` after an expression, in any order and number (checked as Prometheus does).
    mutating func parsePostfix(_ base: Expr) throws(QueryError) -> Expr {
        var expr = base
        while true {
            switch peekKind {
            case .leftBracket: expr = try parseRangeOrSubquery(expr)
            case .keyword(.offset): expr = try parseOffset(expr)
            case .at: expr = try parseAt(expr)
            default: return expr
            }
        }
    }

    mutating func parseRangeOrSubquery(_ expr: Expr) throws(QueryError) -> Expr {
        let open = advance()
        guard [.number, .duration, .leftParen, .add, .sub, .identifier].contains(peekKind) || peekKind.isKeyword else {
            throw unexpected("subquery selector", "number or duration")
        }
        let rangeStart = peek.range.start
        let rangeExpr = try parseDurationExpr()
        let staticRange = try staticMilliseconds(rangeExpr, SourceRange(rangeStart, previousEnd))
        let rangeMs = staticRange ?? 0
        switch peekKind {
        case .rightBracket:
            let close = advance()
            let bracketRange = open.range.union(close.range)
            guard case .vectorSelector(let vs) = expr else {
                throw error("ranges only allowed for vector selectors", bracketRange)
            }
            if vs.offset != 0 || vs.offsetExpression != nil { throw error("no offset modifiers allowed before range", bracketRange) }
            if case .timestamp = vs.at { throw error("no @ modifiers allowed before range", bracketRange) }
            var m = MatrixSelector(selector: vs, rangeMilliseconds: rangeMs, range: SourceRange(vs.range.start, previousEnd))
            if staticRange == nil { m.rangeExpression = rangeExpr }
            return .matrixSelector(m)
        case .colon:
            advance()
            var stepMs: Int64?
            var stepExpr: DurationExpr?
            if peekKind != .rightBracket {
                guard [.number, .duration, .leftParen, .add, .sub, .identifier].contains(peekKind) || peekKind.isKeyword else {
                    throw unexpected("subquery selector", "number or duration or \"]\"")
                }
                let stepStart = peek.range.start
                let e = try parseDurationExpr()
                if let ms = try staticMilliseconds(e, SourceRange(stepStart, previousEnd)) { stepMs = ms } else { stepExpr = e }
                guard peekKind == .rightBracket else { throw unexpected("subquery selector", "\"]\"") }
            }
            advance()
            var sq = SubqueryExpr(
                expr: expr, rangeMilliseconds: rangeMs, stepMilliseconds: stepMs == 0 ? nil : stepMs,
                range: SourceRange(expr.range.start, previousEnd))
            if staticRange == nil { sq.rangeExpression = rangeExpr }
            sq.stepExpression = stepExpr
            return .subquery(sq)
        default:
            throw unexpected("subquery or range", "\":\" or \"]\"")
        }
    }

    mutating func parseOffset(_ expr: Expr) throws(QueryError) -> Expr {
        advance()
        guard [.number, .duration, .leftParen, .add, .sub, .identifier].contains(peekKind) || peekKind.isKeyword else {
            throw unexpected("offset", "number or duration")
        }
        let start = peek.range.start
        let offsetExpr = try parseOffsetDuration()
        let staticOffset = try staticMilliseconds(offsetExpr, SourceRange(start, previousEnd))
        let offset = staticOffset ?? 0
        let dynamic = staticOffset == nil ? offsetExpr : nil
        let end = previousEnd
        let duplicate = error("offset may not be set multiple times", expr.range)
        switch expr {
        case .vectorSelector(var vs):
            if vs.offset != 0 || vs.offsetExpression != nil { throw duplicate }
            vs.offset = offset
            vs.offsetExpression = dynamic
            vs.range.end = end
            return .vectorSelector(vs)
        case .matrixSelector(var m):
            if m.selector.offset != 0 || m.selector.offsetExpression != nil { throw duplicate }
            m.selector.offset = offset
            m.selector.offsetExpression = dynamic
            m.range.end = end
            return .matrixSelector(m)
        case .subquery(var s):
            if s.offset != 0 || s.offsetExpression != nil { throw duplicate }
            s.offset = offset
            s.offsetExpression = dynamic
            s.range.end = end
            return .subquery(s)
        default:
            throw error(
                "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                expr.range)
        }
    }

    /// `@ <timestamp>` (seconds, signed, a duration counts as seconds too), `@ start()`, `@ end()`.
    mutating func parseAt(_ expr: Expr) throws(QueryError) -> Expr {
        advance()
        let at: AtModifier
        switch peekKind {
        case .keyword(.start), .keyword(.end):
            let which = advance()
            guard peekKind == .leftParen, peekKind(at: 1) == .rightParen else { throw unexpected("@", "timestamp") }
            advance()
            advance()
            at = which.kind == .keyword(.start) ? .start : .end
        case .add, .sub, .number, .duration:
            var sign = 1.0
            if peekKind == .add || peekKind == .sub {
                sign = advance().kind == .sub ? -1 : 1
                guard peekKind == .number || peekKind == .duration else { throw unexpected("@", "timestamp") }
            }
            let token = advance()
            let seconds =
                sign
                * (token.kind == .number ? try numberValue(token) : Double(try durationMilliseconds(token)) / 1000)
            guard seconds.isFinite, seconds < 9.223372036854775807e18, seconds > -9.223372036854775807e18 else {
                throw error("timestamp out of bounds for @ modifier: \(Parser.goFixed(seconds))", expr.range)
            }
            let ms = (seconds * 1000).rounded()
            guard ms < 9.223372036854775807e18, ms > -9.223372036854775807e18 else {
                throw error("timestamp out of bounds for @ modifier: \(Parser.goFixed(seconds))", expr.range)
            }
            at = .timestamp(Int64(ms))
        default:
            throw unexpected("@", "timestamp")
        }
        let end = previousEnd
        let duplicate = error("@ <timestamp> may not be set multiple times", expr.range)
        switch expr {
        case .vectorSelector(var vs):
            if vs.at != nil { throw duplicate }
            vs.at = at
            vs.range.end = end
            return .vectorSelector(vs)
        case .matrixSelector(var m):
            if m.selector.at != nil { throw duplicate }
            m.selector.at = at
            m.range.end = end
            return .matrixSelector(m)
        case .subquery(var s):
            if s.at != nil { throw duplicate }
            s.at = at
            s.range.end = end
            return .subquery(s)
        default:
            throw error(
                "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                expr.range)
        }
    }

    /// Go's `%f` for the out-of-bounds message (`+Inf`, `NaN`, or six decimals).
    static func goFixed(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
        let text = NumberLiteral.format(v)
        guard let dot = text.firstIndex(of: ".") else { return text + ".000000" }
        let decimals = text[text.index(after: dot)...].count
        return decimals >= 6 ? String(text.prefix(text.distance(from: text.startIndex, to: dot) + 7))
            : text + String(repeating: "0", count: 6 - decimals)
    }
}
