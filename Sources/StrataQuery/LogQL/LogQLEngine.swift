import StrataLogs
import StrataMetrics

/// Evaluates LogQL over a `LogStore`: log queries return records, metric queries over logs return
/// Prometheus vectors and matrices (PromQL's aggregations, functions and operators run on top of the
/// log range aggregations, through the shared evaluator).
///
/// ```swift
/// let engine = LogQLEngine(store: db.logs)
/// let hits = try engine.logs(#"{program="nova-api"} |= "ERROR""#, start: t0, end: t1, limit: 100)
/// let m = try engine.rangeQuery(#"sum by (host) (count_over_time({level="ERROR"}[1m]))"#, start: a, end: b, step: 60_000)
/// ```
public final class LogQLEngine: Sendable {
    let store: LogStore
    let options: PromQLEngineOptions

    public init(store: LogStore, options: PromQLEngineOptions = PromQLEngineOptions()) {
        self.store = store
        self.options = options
    }

    /// Runs a log query over `[start, end)` (ns).
    /// - Parameters:
    ///   - limit: records returned at most (0 = all).
    ///   - direction: `.backward` (newest first, LogQL's default) or `.forward`.
    /// - Throws: `QueryError(.parse)` for bad syntax or a metric query; `.execution` for a bad regex;
    ///   `.storage` naming the damaged file.
    public func logs(
        _ query: String, start: Int64, end: Int64, limit: Int, direction: LogDirection = .backward
    ) throws(QueryError) -> LogSearchResult {
        guard case .logs(let selector) = try LogQL.parse(query) else {
            throw QueryError(.parse, "a metric query over logs returns numbers: use instantQuery or rangeQuery")
        }
        return try search(selector.logQuery(start: start, end: end, limit: limit, direction: direction), query: query)
    }

    /// Counts the records of a log query per bucket `[start + i*step, start + (i+1)*step)` (ns), per stream.
    public func counts(_ query: String, start: Int64, end: Int64, step: Int64) throws(QueryError) -> [LogCountSeries] {
        guard step > 0, end > start else { throw QueryError(.execution, "counting needs end > start and a positive step") }
        guard case .logs(let selector) = try LogQL.parse(query) else {
            throw QueryError(.parse, "counts are taken of a log query ({...} with filters), not of a metric query")
        }
        let q = selector.logQuery(start: start, end: end, limit: 0, direction: .forward)
        do { return try store.countOverTime(q, start: start, end: end, step: step) } catch {
            throw LogRangeEvaluator.queryError(error, query: query)
        }
    }

    /// Evaluates a metric query over logs at one instant (ms): a vector.
    public func instantQuery(_ query: String, at time: Int64) throws(QueryError) -> QueryResult {
        let expr = try metricExpression(query)
        return try PromQLEngine.evaluateInstant(
            expr, query: query, at: time, context: context(query, start: time, end: time))
    }

    /// Evaluates a metric query over logs at each step of `[start, end]` (ms): a matrix.
    public func rangeQuery(_ query: String, start: Int64, end: Int64, step: Int64) throws(QueryError) -> QueryResult {
        let expr = try metricExpression(query)
        return try PromQLEngine.evaluateRange(
            expr, query: query, start: start, end: end, step: step, context: context(query, start: start, end: end))
    }

    private func metricExpression(_ query: String) throws(QueryError) -> Expr {
        guard case .metric(let expr) = try LogQL.parse(query) else {
            throw QueryError(.parse, "a log query returns lines, not numbers: wrap it in count_over_time({...}[1m])")
        }
        return expr
    }

    private func context(_ query: String, start: Int64, end: Int64) -> EvalContext {
        EvalContext(
            store: nil, options: options, query: query, start: start, end: end,
            extensionEvaluator: LogRangeEvaluator(store: store))
    }

    func search(_ q: LogQuery, query: String) throws(QueryError) -> LogSearchResult {
        do { return try store.search(q) } catch { throw LogRangeEvaluator.queryError(error, query: query) }
    }
}

/// Evaluates `LogRangeAggregation` nodes: one series per stream, a point at each step whose window
/// holds at least one record (LogQL leaves empty windows out).
struct LogRangeEvaluator: ExtensionEvaluator {
    let store: LogStore

    func evaluate(_ node: any ExprExtension, _ ev: Evaluator) throws(QueryError) -> [EvalSeries] {
        guard let agg = node as? LogRangeAggregation else {
            throw ev.ctx.error("cannot evaluate \(node.description) over logs", node.range)
        }
        let range = agg.rangeMilliseconds
        let steps = ev.numSteps
        let ms: Int64 = 1_000_000
        // Windows (t - range - offset, t - offset] in ms become [a + 1 ns, b + 1 ns) in ns.
        let first = ev.stepTime(0) - agg.offsetMilliseconds
        let last = ev.stepTime(steps - 1) - agg.offsetMilliseconds
        let q = agg.selector.logQuery(start: (first - range) * ms + 1, end: last * ms + 1, limit: 0, direction: .forward)
        let counting = agg.function == .count_over_time || agg.function == .rate
        // Counting uses the store's bucket counter: buckets of g = gcd(range, step) starting at the
        // first window's start, so every window is a run of whole buckets.
        let g = steps == 1 ? range : Self.gcd(range, ev.interval)
        let bucketCount = (last - first + range) / g
        var perStream: [(Labels, [Double])] = []
        if counting && bucketCount <= 1_000_000 {
            let series: [LogCountSeries]
            do {
                series = try store.countOverTime(q, start: (first - range) * ms + 1, end: last * ms + 1, step: g * ms)
            } catch { throw Self.queryError(error, query: ev.ctx.query) }
            let perWindow = Int(range / g)
            let stride = steps == 1 ? 0 : Int(ev.interval / g)
            for s in series {
                // Prefix sums make each window one subtraction.
                var prefix = [Int](repeating: 0, count: s.counts.count + 1)
                for (i, c) in s.counts.enumerated() { prefix[i + 1] = prefix[i] + c }
                var values = [Double](repeating: 0, count: steps)
                for i in 0..<steps {
                    let a = min(i * stride, s.counts.count)
                    let b = min(a + perWindow, s.counts.count)
                    values[i] = Double(prefix[b] - prefix[a])
                }
                perStream.append((s.stream, values))
            }
        } else {
            let hits: [LogHit]
            do { hits = try store.search(q).hits } catch { throw Self.queryError(error, query: ev.ctx.query) }
            try ev.ctx.account(hits.count)
            var byStream: [Labels: [(Int64, Int)]] = [:]
            for h in hits { byStream[h.record.stream, default: []].append((h.record.timestamp, h.record.line.count)) }
            for (stream, var recs) in byStream {
                recs.sort { $0.0 < $1.0 }
                var values = [Double](repeating: 0, count: steps)
                var lo = 0, hi = 0
                var sum = 0
                for i in 0..<steps {
                    let end = (ev.stepTime(i) - agg.offsetMilliseconds) * ms + 1
                    let start = end - range * ms
                    while hi < recs.count && recs[hi].0 < end {
                        sum += counting ? 1 : recs[hi].1
                        hi += 1
                    }
                    while lo < hi && recs[lo].0 < start {
                        sum -= counting ? 1 : recs[lo].1
                        lo += 1
                    }
                    values[i] = Double(sum)
                }
                perStream.append((stream, values))
            }
        }
        let perSecond = agg.function == .rate || agg.function == .bytes_rate
        let seconds = Double(range) / 1000
        var out: [EvalSeries] = []
        for (stream, values) in perStream {
            var s = EvalSeries(labels: stream)
            for (i, v) in values.enumerated() where v > 0 {
                s.ts.append(ev.stepTime(i))
                s.vs.append(perSecond ? v / seconds : v)
            }
            if !s.ts.isEmpty {
                try ev.ctx.account(s.ts.count)
                out.append(s)
            }
        }
        out.sort { $0.labels < $1.labels }
        return out
    }

    static func gcd(_ a: Int64, _ b: Int64) -> Int64 {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return max(x, 1)
    }

    static func queryError(_ error: any Error, query: String) -> QueryError {
        if let e = error as? LogStoreError {
            switch e {
            case .invalidRegex, .invalidQuery: return QueryError(.execution, e.description)
            default: return QueryError(.storage, e.description)
            }
        }
        return QueryError(.storage, "\(error)")
    }
}
