import StrataTraces

/// A parsed trace query (Docs/trace-queries.md has the grammar).
///
/// - `{service="glance", duration > 2s, error=true}` searches traces: those with a span
///   matching every condition, newest first.
/// - `span_count({...})`, `span_errors({...})` and `span_duration_quantile(0.99, {...})`, with an
///   optional `[window]` after the selector, compute per (project, service, name) statistics
///   as metric results (a vector for an instant query, a matrix over a range) to be charted.
public enum TraceQuery: Sendable, Equatable {
    /// Trace search.
    case search(TraceSearch)
    /// Statistics of matching spans per (project, service, name); `window` in µs or nil (default).
    case statistic(TraceStatistic, TraceSearch, window: Int64?)
    /// PromQL's expression grammar over statistics, e.g.
    /// `sum by (project) (span_errors({}[5m])) / sum by (project) (span_count({}[5m]))`.
    case expression(Expr)

    /// Parses `text` as a trace query.
    /// - Throws: `QueryError` (`.parse`) pointing at the offending column.
    public static func parse(_ text: String) throws(QueryError) -> TraceQuery {
        var p = TraceQueryParser(text)
        if let simple = try p.parseQuery() { return simple }
        var parser = Parser(query: text, enableExperimentalFunctions: false, dialect: .traces)
        let expr = try parser.parseQuery()
        guard containsStatistic(expr) else {
            throw QueryError(
                .parse, "a trace query is a selector such as {service=\"glance\", duration > 2s}, or numbers from span_count, span_errors or span_duration_quantile",
                query: text, range: expr.range)
        }
        return .expression(try TypeChecker(query: text).check(expr))
    }

    /// Searches and statistics compare by value; expressions by their printed form.
    public static func == (a: TraceQuery, b: TraceQuery) -> Bool {
        switch (a, b) {
        case (.search(let x), .search(let y)): x == y
        case (.statistic(let s, let x, let w), .statistic(let t, let y, let v)): s == t && x == y && w == v
        case (.expression(let x), .expression(let y)): x.description == y.description
        default: false
        }
    }

    static func containsStatistic(_ e: Expr) -> Bool {
        switch e {
        case .extension(let x): return x is SpanStatisticExpr
        case .paren(let i, _), .unary(_, let i, _): return containsStatistic(i)
        case .binary(let b): return containsStatistic(b.lhs) || containsStatistic(b.rhs)
        case .aggregate(let a): return containsStatistic(a.expr)
        case .call(let c): return c.args.contains(where: containsStatistic)
        case .subquery(let s): return containsStatistic(s.expr)
        default: return false
        }
    }

    /// The dispatch rule of `strata query`: true when `text` is a trace query rather than PromQL.
    ///
    /// A query is a trace query when it calls one of the span statistics functions anywhere, or when
    /// its first `{...}` has a condition PromQL cannot have: one on `duration` or `error`,
    /// or a `<`/`>` comparison. `{service="glance"}` alone is PromQL (pass `--store traces`).
    public static func looksLikeTraceQuery(_ text: String) -> Bool {
        let tokens = Lexer.tokenize(text, keywords: [:], comparisonsInBraces: true)
        for (i, t) in tokens.enumerated() where t.kind == .identifier && TraceStatistic(functionName: t.text) != nil {
            if i + 1 < tokens.count && tokens[i + 1].kind == .leftParen { return true }
        }
        var inBraces = false
        for t in tokens {
            switch t.kind {
            case .leftBrace: inBraces = true
            case .rightBrace: return false
            case .lss, .lte, .gtr, .gte: if inBraces { return true }
            case .identifier where inBraces && (t.text == "duration" || t.text == "error"): return true
            case .error, .eof: return false
            default: break
            }
        }
        return false
    }
}

/// What a statistics query computes for each (project, service, name).
public enum TraceStatistic: Sendable, Equatable {
    /// `span_count`: spans that started in the window.
    case count
    /// `span_errors`: of those, spans with an error.
    case errors
    /// `span_duration_quantile(q, ...)`: the q-quantile of their durations, in seconds.
    case durationQuantile(Double)

    init?(functionName: String) {
        switch functionName {
        case "span_count": self = .count
        case "span_errors": self = .errors
        case "span_duration_quantile": self = .durationQuantile(0)
        default: return nil
        }
    }
}
