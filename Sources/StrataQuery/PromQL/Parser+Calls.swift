/// Function calls, aggregations and label lists.
extension Parser {
    /// `name(args)`; the name must be a known function.
    mutating func parseFunctionCall() throws(QueryError) -> Expr {
        let nameToken = advance()
        let name = nameToken.kind == .identifier ? nameToken.text : nameToken.text.lowercased()
        let args = try parseCallArguments()
        guard let signature = PromQLFunctions.signatures[name] else {
            throw error("unknown function with name \(GoQuote.string(name))", nameToken.range)
        }
        if signature.experimental && !enableExperimentalFunctions {
            throw error("function \(GoQuote.string(name)) is not enabled", nameToken.range)
        }
        return .call(FunctionCall(name: name, args: args, range: SourceRange(nameToken.range.start, previousEnd)))
    }

    /// `( )` or `(expr, expr, ...)`; a trailing comma is an error.
    mutating func parseCallArguments() throws(QueryError) -> [Expr] {
        advance()  // "("
        var args: [Expr] = []
        if peekKind == .rightParen {
            advance()
            return args
        }
        while true {
            args.append(try parseExpr(minPrecedence: 0))
            switch peekKind {
            case .comma:
                let comma = advance()
                if peekKind == .rightParen {
                    throw error("trailing commas not allowed in function call args", comma.range)
                }
            case .rightParen:
                advance()
                return args
            default:
                throw unexpected()
            }
        }
    }

    /// `op [by|without (labels)] ([param,] expr) [by|without (labels)]`.
    mutating func parseAggregate(_ op: AggregateOp) throws(QueryError) -> Expr {
        let opToken = advance()
        var grouping: [String]?
        var without = false
        if peekKind == .keyword(.by) || peekKind == .keyword(.without) {
            without = advance().kind == .keyword(.without)
            grouping = try parseGroupingLabels()
        }
        guard peekKind == .leftParen else { throw unexpected("aggregation") }
        let args = try parseCallArguments()
        if grouping == nil, peekKind == .keyword(.by) || peekKind == .keyword(.without) {
            without = advance().kind == .keyword(.without)
            grouping = try parseGroupingLabels()
        }
        let range = SourceRange(opToken.range.start, previousEnd)
        if args.isEmpty { throw error("no arguments for aggregate expression provided", range) }
        var expected = 1
        if op.takesParameter {
            if (op == .limitk || op == .limit_ratio) && !enableExperimentalFunctions {
                throw error(
                    "\(op.rawValue)() is experimental and must be enabled with --enable-feature=promql-experimental-functions",
                    range)
            }
            expected = 2
        }
        guard args.count == expected else {
            throw error(
                "wrong number of arguments for aggregate expression provided, expected \(expected), got \(args.count)",
                range)
        }
        return .aggregate(
            AggregateExpr(
                op: op, expr: args[expected - 1], parameter: expected == 2 ? args[0] : nil, grouping: grouping ?? [],
                without: without, range: range))
    }

    /// `(a, b, ...)` after `by`, `without`, `on`, `ignoring`, `group_left`, `group_right`.
    /// Keywords are label names here; a trailing comma is allowed; quoted names are UTF-8 labels.
    mutating func parseGroupingLabels() throws(QueryError) -> [String] {
        guard peekKind == .leftParen else { throw unexpected("grouping opts", "\"(\"") }
        advance()
        var labels: [String] = []
        if peekKind == .rightParen {
            advance()
            return labels
        }
        while true {
            let token = peek
            switch token.kind {
            case .identifier: labels.append(token.text)
            case .string: labels.append(StringLiteral.unquote(token.text))
            case .keyword(let k) where k != .without: labels.append(token.text)
            default: throw unexpected("grouping opts", "label")
            }
            advance()
            switch peekKind {
            case .comma:
                advance()
                if peekKind == .rightParen {
                    advance()
                    return labels
                }
            case .rightParen:
                advance()
                return labels
            default:
                throw unexpected("grouping opts", "\",\" or \")\"")
            }
        }
    }
}
