/// The LogQL front end.
///
/// ```swift
/// switch try LogQL.parse(#"{host="wally113"} |= "ERROR" | http_status >= 500"#) {
/// case .logs(let selector): store.search(selector.logQuery(start: .now - .seconds(3600), end: .now, limit: 100))
/// case .metric(let expr): ...  // LogQLEngine evaluates it
/// }
/// ```
public enum LogQL {
    /// Parses a log query or a metric query over logs.
    ///
    /// A query starting with `{` is a log query: a stream selector (`=`, `!=`, `=~`, `!~`), then line
    /// filters (`|=`, `!=`, `|~`, `!~`) and label filters (`| name op value` with `=`, `!=`, `=~`,
    /// `!~`, `>`, `>=`, `<`, `<=`; values are strings, numbers or durations; `and` or `,` chain them).
    /// Anything else is PromQL's grammar whose leaves are log range aggregations
    /// (`count_over_time`, `rate`, `bytes_over_time`, `bytes_rate` over `{...} pipeline [range]`).
    /// - Throws: `QueryError(.parse)` with the column of the offending token.
    public static func parse(_ query: String) throws(QueryError) -> LogQLExpr {
        var parser = Parser(query: query, enableExperimentalFunctions: false, dialect: .logQL)
        if parser.peekKind == .leftBrace {
            let selector = try parser.parseLogSelector()
            guard parser.peekKind == .eof else {
                if parser.peekKind == .leftBracket {
                    throw parser.error(
                        "a log range needs a function around it, e.g. count_over_time(\(query.trimmingCharacters()))",
                        parser.peek.range)
                }
                throw parser.unexpected("log query")
            }
            return .logs(selector)
        }
        let expr = try parser.parseQuery()
        guard containsLogRange(expr) else {
            throw QueryError(
                .parse, "a LogQL metric query needs a log range aggregation such as count_over_time({...}[1m])",
                query: query, range: expr.range)
        }
        return .metric(try TypeChecker(query: query).check(expr))
    }

    /// Whether a query is for the log store, when nothing else says so (the rule `strata query` uses):
    /// it is LogQL when it has a token only LogQL has outside strings: a pipe (`|`, `|=`, `|~`), a
    /// line filter right after the selector's `}` (`} != "x"`, `} !~ "x"`), or a LogQL-only
    /// function (`bytes_over_time`, `bytes_rate`). Everything else, including a bare `{...}`, is
    /// PromQL; callers offer an explicit choice (`--store logs`) for those.
    public static func looksLikeLogQL(_ query: String) -> Bool {
        let tokens = Lexer.tokenize(query, logQL: true)
        var previous: TokenKind?
        for (i, t) in tokens.enumerated() {
            // `} != "x"` is a line filter; `} != 0` or `} != on(...) ...` a PromQL comparison.
            let nextIsString = i + 1 < tokens.count && tokens[i + 1].kind == .string
            switch t.kind {
            case .pipe, .pipeExact, .pipeMatch: return true
            case .neq where previous == .rightBrace && nextIsString, .neqRegex where previous == .rightBrace && nextIsString: return true
            case .identifier where t.text == "bytes_over_time" || t.text == "bytes_rate": return true
            default: break
            }
            previous = t.kind
        }
        return false
    }

    static func containsLogRange(_ e: Expr) -> Bool {
        switch e {
        case .extension(let x): return x is LogRangeAggregation
        case .paren(let i, _), .unary(_, let i, _): return containsLogRange(i)
        case .binary(let b): return containsLogRange(b.lhs) || containsLogRange(b.rhs)
        case .aggregate(let a): return containsLogRange(a.expr)
        case .call(let c): return c.args.contains(where: containsLogRange)
        case .subquery(let s): return containsLogRange(s.expr)
        default: return false
        }
    }
}

extension String {
    fileprivate func trimmingCharacters() -> String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
