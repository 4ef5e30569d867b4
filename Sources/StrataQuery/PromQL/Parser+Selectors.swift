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
        guard peekKind == .number || peekKind == .duration else {
            throw unexpected("subquery selector", "number or duration")
        }
        let rangeMs = try spanMilliseconds(advance())
        switch peekKind {
        case .rightBracket:
            let close = advance()
            let bracketRange = open.range.union(close.range)
            guard case .vectorSelector(let vs) = expr else {
                throw error("ranges only allowed for vector selectors", bracketRange)
            }
            if vs.offset != 0 { throw error("no offset modifiers allowed before range", bracketRange) }
            if case .timestamp = vs.at { throw error("no @ modifiers allowed before range", bracketRange) }
            return .matrixSelector(
                MatrixSelector(selector: vs, rangeMilliseconds: rangeMs, range: SourceRange(vs.range.start, previousEnd)))
        case .colon:
            advance()
            var stepMs: Int64?
            if peekKind == .number || peekKind == .duration {
                stepMs = try spanMilliseconds(advance())
                guard peekKind == .rightBracket else { throw unexpected("subquery selector", "\"]\"") }
            } else if peekKind != .rightBracket {
                throw unexpected("subquery selector", "number or duration or \"]\"")
            }
            advance()
            return .subquery(
                SubqueryExpr(
                    expr: expr, rangeMilliseconds: rangeMs, stepMilliseconds: stepMs == 0 ? nil : stepMs,
                    range: SourceRange(expr.range.start, previousEnd)))
        default:
            throw unexpected("subquery or range", "\":\" or \"]\"")
        }
    }

    mutating func parseOffset(_ expr: Expr) throws(QueryError) -> Expr {
        advance()
        let negative = peekKind == .sub
        if negative { advance() }
        guard peekKind == .number || peekKind == .duration else { throw unexpected("offset", "number or duration") }
        let ms = try spanMilliseconds(advance())
        let offset = negative ? -ms : ms
        let end = previousEnd
        let duplicate = error("offset may not be set multiple times", expr.range)
        switch expr {
        case .vectorSelector(var vs):
            if vs.offset != 0 { throw duplicate }
            vs.offset = offset
            vs.range.end = end
            return .vectorSelector(vs)
        case .matrixSelector(var m):
            if m.selector.offset != 0 { throw duplicate }
            m.selector.offset = offset
            m.range.end = end
            return .matrixSelector(m)
        case .subquery(var s):
            if s.offset != 0 { throw duplicate }
            s.offset = offset
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
