import StrataLabels
import StrataLogs
import StrataMetrics

/// Evaluates LogQL over a `LogStore`: log queries return records, metric queries over logs return
/// Prometheus vectors and matrices (PromQL's aggregations, functions and operators run on top of the
/// log range aggregations, through the shared evaluator).
///
/// ```swift
/// let engine = LogQLEngine(store: db.logs)
/// let hits = try engine.logs(#"{program="nova-api"} |= "ERROR""#, start: .now - .seconds(3600), end: .now, limit: 100)
/// let m = try engine.rangeQuery(#"sum by (host) (count_over_time({level="ERROR"}[1m]))"#, start: a, end: b, step: .seconds(60))
/// ```
public final class LogQLEngine: Sendable {
    let store: LogStore
    let options: PromQLEngineOptions

    public init(store: LogStore, options: PromQLEngineOptions = PromQLEngineOptions()) {
        self.store = store
        self.options = options
    }

    /// Runs a log query over `[start, end)` (`.distantPast` and `.distantFuture` leave a side open).
    /// - Parameters:
    ///   - limit: records returned at most (0 = all).
    ///   - direction: `.backward` (newest first, LogQL's default) or `.forward`.
    /// - Throws: `QueryError(.parse)` for bad syntax or a metric query; `.execution` for a bad regex;
    ///   `.storage` naming the damaged file.
    public func logs(
        _ query: String, start: Timestamp, end: Timestamp, limit: Int, direction: LogDirection = .backward
    ) throws(QueryError) -> LogSearchResult {
        try logs(query, start: start.nanoseconds, end: end.nanoseconds, limit: limit, direction: direction)
    }

    /// Runs a parsed log selector over `[start, end)`: one store query, or the union of one per `or`
    /// combination (merged by record, ordered by time in `direction`, cut to `limit`).
    public func search(
        _ selector: LogSelectorExpr, start: Timestamp, end: Timestamp, limit: Int, direction: LogDirection = .backward,
        query: String = ""
    ) throws(QueryError) -> LogSearchResult {
        try search(selector, start: start.nanoseconds, end: end.nanoseconds, limit: limit, direction: direction, query: query)
    }

    /// Counts the records of a log query per bucket `[start + i*step, start + (i+1)*step)`, per stream.
    /// - Throws: `QueryError` for bad syntax, a metric query, `or` between label filters, an empty
    ///   range or a step under a nanosecond.
    public func counts(_ query: String, start: Timestamp, end: Timestamp, step: Duration) throws(QueryError) -> [LogCountSeries] {
        try counts(query, start: start.nanoseconds, end: end.nanoseconds, step: step.rawUnits(1))
    }

    /// Evaluates a metric query over logs at one instant (rounded down to the millisecond): a vector.
    public func instantQuery(_ query: String, at time: Timestamp) throws(QueryError) -> QueryResult {
        try instantQuery(query, at: time.milliseconds)
    }

    /// Evaluates a metric query over logs at each `step` of `[start, end]` (rounded down to the
    /// millisecond): a matrix.
    public func rangeQuery(_ query: String, start: Timestamp, end: Timestamp, step: Duration) throws(QueryError) -> QueryResult {
        try rangeQuery(query, start: start.milliseconds, end: end.milliseconds, step: step.rawUnits(1_000_000))
    }

    /// `logs(_:start:end:limit:direction:)` over raw nanoseconds: the path inside the package.
    package func logs(
        _ query: String, start: Int64, end: Int64, limit: Int, direction: LogDirection = .backward
    ) throws(QueryError) -> LogSearchResult {
        guard case .logs(let selector) = try LogQL.parse(query) else {
            throw QueryError(.parse, "a metric query over logs returns numbers: use instantQuery or rangeQuery")
        }
        return try search(selector, start: start, end: end, limit: limit, direction: direction, query: query)
    }

    /// `search(_:start:end:limit:direction:query:)` over raw nanoseconds: the path inside the package.
    package func search(
        _ selector: LogSelectorExpr, start: Int64, end: Int64, limit: Int, direction: LogDirection = .backward,
        query: String = ""
    ) throws(QueryError) -> LogSearchResult {
        let queries = selector.logQueries(start: start, end: end, limit: limit, direction: direction)
        if queries.count == 1 { return try search(queries[0], query: query) }
        var seen = Set<LogRecordID>()
        var hits: [LogHit] = []
        var stats = LogSearchStats()
        for q in queries {
            let r = try search(q, query: query)
            for h in r.hits where seen.insert(h.id).inserted { hits.append(h) }
            stats.segmentsConsidered += r.stats.segmentsConsidered
            stats.segmentsSkipped += r.stats.segmentsSkipped
            stats.blocksConsidered += r.stats.blocksConsidered
            stats.blocksSkipped += r.stats.blocksSkipped
            stats.rowsVerified += r.stats.rowsVerified
            stats.rowsDecidedByIndex += r.stats.rowsDecidedByIndex
            stats.bytesDecoded += r.stats.bytesDecoded
            stats.headRecordsScanned += r.stats.headRecordsScanned
        }
        hits.sort {
            if $0.record.timestamp != $1.record.timestamp {
                return direction == .forward ? $0.record.timestamp < $1.record.timestamp : $0.record.timestamp > $1.record.timestamp
            }
            return direction == .forward ? $0.id < $1.id : $0.id > $1.id
        }
        if limit > 0 && hits.count > limit { hits.removeLast(hits.count - limit) }
        return LogSearchResult(hits: hits, stats: stats)
    }

    /// `counts(_:start:end:step:)` over raw nanoseconds: the path inside the package.
    package func counts(_ query: String, start: Int64, end: Int64, step: Int64) throws(QueryError) -> [LogCountSeries] {
        guard step > 0, end > start else { throw QueryError(.execution, "counting needs end > start and a positive step") }
        guard case .logs(let selector) = try LogQL.parse(query) else {
            throw QueryError(.parse, "counts are taken of a log query ({...} with filters), not of a metric query")
        }
        guard selector.alternatives.isEmpty else {
            throw QueryError(.parse, "counts do not support 'or' between label filters; use a regex (=~\"a|b\")")
        }
        let q = selector.logQuery(start: start, end: end, limit: 0, direction: .forward)
        do { return try store.countOverTime(q, start: start, end: end, step: step) } catch {
            throw LogRangeEvaluator.queryError(error, query: query)
        }
    }

    /// `instantQuery(_:at:)` at raw Unix milliseconds: the path inside the package.
    package func instantQuery(_ query: String, at time: Int64) throws(QueryError) -> QueryResult {
        let expr = try metricExpression(query)
        return try PromQLEngine.evaluateInstant(
            expr, query: query, at: time, context: context(query, start: time, end: time))
    }

    /// `rangeQuery(_:start:end:step:)` over raw Unix milliseconds: the path inside the package.
    package func rangeQuery(_ query: String, start: Int64, end: Int64, step: Int64) throws(QueryError) -> QueryResult {
        let expr = try metricExpression(query)
        return try PromQLEngine.evaluateRange(
            expr, query: query, start: start, end: end, step: step, context: context(query, start: start, end: end, step: step))
    }

    private func metricExpression(_ query: String) throws(QueryError) -> Expr {
        guard case .metric(let expr) = try LogQL.parse(query) else {
            throw QueryError(.parse, "a log query returns lines, not numbers: wrap it in count_over_time({...}[1m])")
        }
        return expr
    }

    private func context(_ query: String, start: Int64, end: Int64, step: Int64 = 0) -> EvalContext {
        EvalContext(
            store: nil, options: options, query: query, start: start, end: end, step: step,
            extensionEvaluator: LogRangeEvaluator(store: store))
    }

    func search(_ q: LogQuery, query: String) throws(QueryError) -> LogSearchResult {
        do { return try store.search(q) } catch { throw LogRangeEvaluator.queryError(error, query: query) }
    }
}
