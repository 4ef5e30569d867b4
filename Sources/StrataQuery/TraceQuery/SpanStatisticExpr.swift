import StrataTraces

/// `span_count({...}[5m])`, `span_errors(...)`, `span_duration_quantile(q, ...)` as a leaf of
/// PromQL's expression grammar (the `.traces` dialect): one series per (project, service, name).
struct SpanStatisticExpr: ExprExtension {
    let statistic: TraceStatistic
    let search: TraceSearch
    /// The window before each step, µs; nil: 5 minutes in an instant query, the step in a range.
    let window: Int64?
    let range: SourceRange

    var description: String {
        var conditions: [String] = []
        if let v = search.service { conditions.append("service=\(GoQuote.string(v))") }
        if let v = search.project { conditions.append("project=\(GoQuote.string(v))") }
        if let v = search.name { conditions.append("name=\(GoQuote.string(v))") }
        if let v = search.host { conditions.append("host=\(GoQuote.string(v))") }
        for m in search.matchers { conditions.append("\(m.name)\(m.kind.rawValue)\(GoQuote.string(m.value))") }
        if let v = search.minDuration { conditions.append("duration >= \(Self.seconds(v))") }
        if let v = search.maxDuration { conditions.append("duration <= \(Self.seconds(v))") }
        if let v = search.error { conditions.append("error=\(v)") }
        let selector = "{" + conditions.joined(separator: ", ") + "}" + (window.map { "[\(Self.seconds($0))]" } ?? "")
        switch statistic {
        case .count: return "span_count(\(selector))"
        case .errors: return "span_errors(\(selector))"
        case .durationQuantile(let q): return "span_duration_quantile(\(q), \(selector))"
        }
    }

    /// µs as a duration literal in seconds (`2.5s`).
    static func seconds(_ us: Int64) -> String {
        us % 1_000_000 == 0 ? "\(us / 1_000_000)s" : "\(Double(us) / 1e6)s"
    }
}

extension Parser {
    /// A span statistic call at the current token, read by the trace query parser over the same
    /// tokens (so its errors point at the same columns).
    mutating func parseSpanStatistic() throws(QueryError) -> Expr {
        let first = peek
        var sub = TraceQueryParser(text: query, tokens: Array(tokens[index...]))
        let call = try sub.parseStatisticCall()
        for _ in 0..<sub.i { advance() }
        return .extension(
            SpanStatisticExpr(
                statistic: call.statistic, search: call.search, window: call.window,
                range: SourceRange(first.range.start, previousEnd)))
    }
}

/// Evaluates `SpanStatisticExpr` leaves over the trace store at every step of the evaluator's grid.
struct SpanStatisticEvaluator: ExtensionEvaluator {
    let engine: TraceQueryEngine

    func evaluate(_ node: any ExprExtension, _ ev: Evaluator) throws(QueryError) -> [EvalSeries] {
        guard let leaf = node as? SpanStatisticExpr else {
            throw ev.ctx.error("cannot evaluate \(node.description) over traces", node.range)
        }
        let steps = ev.numSteps
        let window = leaf.window ?? (steps == 1 ? engine.defaultWindow : ev.interval * 1000)
        let times = (0..<steps).map { ev.stepTime($0) }
        // Left-open windows (t - window, t] in ms become [t·1000 + 1 - window, t·1000 + 1) in µs.
        let buckets = times.map { ($0 * 1000 + 1 - window, $0 * 1000 + 1) }
        let rows = try engine.statistics(leaf.search, from: buckets[0].0, to: buckets[steps - 1].1, buckets: buckets)
        var out: [EvalSeries] = []
        for (key, values) in rows.sorted(by: { $0.key < $1.key }) {
            var series = EvalSeries(labels: engine.labels(key))
            for (i, row) in values.enumerated() {
                if let v = engine.value(leaf.statistic, row) {
                    series.ts.append(times[i])
                    series.vs.append(v)
                }
            }
            try ev.ctx.account(series.ts.count)
            if !series.ts.isEmpty { out.append(series) }
        }
        return out
    }
}
