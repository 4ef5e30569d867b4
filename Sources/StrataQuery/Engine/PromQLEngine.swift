import StrataLabels
import StrataMetrics

/// Evaluates PromQL over a `MetricStore` with Prometheus 3.x semantics.
///
/// Instant queries are range queries of one step. Each selector reads the store once, for the span
/// the whole query needs, and steps are evaluated by walking the samples in arrays. The 5-minute
/// lookback, stale markers, left-open range windows, `offset`/`@`, subqueries aligned to their step,
/// `rate` extrapolation and delayed `__name__` removal follow Prometheus's engine.
///
/// ```swift
/// let engine = PromQLEngine(store: store)
/// let r = try engine.rangeQuery("rate(http_requests_total[5m])", start: t0, end: t1, step: .seconds(60))
/// ```
public final class PromQLEngine: Sendable {
    let store: MetricStore
    let options: PromQLEngineOptions

    public init(store: MetricStore, options: PromQLEngineOptions = PromQLEngineOptions()) {
        self.store = store
        self.options = options
    }

    /// Evaluates a parsed expression at one instant.
    /// - Parameters:
    ///   - expr: the parsed expression.
    ///   - query: its text, used for annotation positions and error carets.
    ///   - time: evaluation time, rounded down to the millisecond.
    /// - Returns: a vector, scalar, string or (for a range-vector expression) matrix, with annotations.
    /// - Throws: `QueryError` (execution errors, too many samples, timeout, storage).
    public func instantQuery(_ expr: Expr, query: String, at time: Timestamp) throws(QueryError) -> QueryResult {
        try instantQuery(expr, query: query, at: time.milliseconds)
    }

    /// Evaluates a parsed expression at every step of `[start, end]` (rounded down to the
    /// millisecond); the result is a matrix sorted by labels.
    /// - Throws: `QueryError`; also when the expression is a string or a range vector, or the step
    ///   is under a millisecond.
    public func rangeQuery(_ expr: Expr, query: String, start: Timestamp, end: Timestamp, step: Duration) throws(QueryError)
        -> QueryResult
    {
        try rangeQuery(expr, query: query, start: start.milliseconds, end: end.milliseconds, step: step.rawUnits(1_000_000))
    }

    /// `instantQuery(_:query:at:)` at raw Unix milliseconds: the path inside the package.
    package func instantQuery(_ expr: Expr, query: String, at time: Int64) throws(QueryError) -> QueryResult {
        let ctx = EvalContext(store: store, options: options, query: query, start: time, end: time)
        return try Self.evaluateInstant(expr, query: query, at: time, context: ctx)
    }

    /// `rangeQuery(_:query:start:end:step:)` over raw Unix milliseconds: the path inside the package.
    package func rangeQuery(_ expr: Expr, query: String, start: Int64, end: Int64, step: Int64) throws(QueryError)
        -> QueryResult
    {
        let ctx = EvalContext(store: store, options: options, query: query, start: start, end: end, step: step)
        return try Self.evaluateRange(expr, query: query, start: start, end: end, step: step, context: ctx)
    }

    /// An instant evaluation with a prepared context (shared by the PromQL and LogQL engines).
    static func evaluateInstant(_ expr: Expr, query: String, at time: Int64, context ctx: EvalContext) throws(QueryError)
        -> QueryResult
    {
        let expr = expr.hasQueryDurations ? try expr.resolvingQueryDurations(step: 0, range: 0, query: query) : expr
        let ev = Evaluator(ctx: ctx, start: time, end: time, interval: 1)
        let value: QueryValue
        do throws(QueryError) {
            switch try ev.eval(expr) {
            case .string(let s):
                value = .string(timestamp: time, value: s)
            case .series(let series):
                let cleaned = try cleanup(series, ctx: ctx, isVector: staticType(expr) == .vector)
                switch staticType(expr) {
                case .scalar:
                    value = .scalar(timestamp: time, value: cleaned.first?.vs.first ?? .nan)
                case .matrix:
                    value = .matrix(cleaned.sorted { $0.labels < $1.labels }.map(PromQLEngine.matrixSeries))
                default:
                    value = .vector(
                        cleaned.map {
                            VectorElement(labels: $0.labels, timestamp: time, value: $0.vs[0], histogram: $0.histogram(0))
                        })
                }
            }
        } catch {
            throw located(error, query)
        }
        return QueryResult(
            value: value, warnings: ctx.annotations.warnings, infos: ctx.annotations.infos, samplesRead: ctx.samplesRead)
    }

    /// A range evaluation with a prepared context (shared by the PromQL and LogQL engines).
    static func evaluateRange(
        _ expr: Expr, query: String, start: Int64, end: Int64, step: Int64, context ctx: EvalContext
    ) throws(QueryError) -> QueryResult {
        guard step > 0 else { throw QueryError(.execution, "zero or negative query resolution step widths are not accepted") }
        guard end >= start else { throw QueryError(.execution, "end timestamp must not be before start time") }
        let type = staticType(expr)
        guard type == .scalar || type == .vector else {
            let name = type == .matrix ? "range vector" : type.rawValue
            throw QueryError(
                .execution, "invalid expression type \"\(name)\" for range query, must be Scalar or instant Vector",
                query: query, range: expr.range)
        }
        let expr = expr.hasQueryDurations ? try expr.resolvingQueryDurations(step: step, range: end - start, query: query) : expr
        let ev = Evaluator(ctx: ctx, start: start, end: end, interval: step)
        var series: [EvalSeries]
        do throws(QueryError) {
            series = try ev.evalSeries(expr)
            series = try cleanup(series, ctx: ctx, isVector: false)
        } catch {
            throw located(error, query)
        }
        series.sort { $0.labels < $1.labels }
        let m = series.map(PromQLEngine.matrixSeries)
        return QueryResult(
            value: .matrix(m), warnings: ctx.annotations.warnings, infos: ctx.annotations.infos,
            samplesRead: ctx.samplesRead)
    }

    /// A result series with its float and histogram points apart.
    static func matrixSeries(_ s: EvalSeries) -> MatrixSeries {
        guard !s.hs.isEmpty else { return MatrixSeries(labels: s.labels, timestamps: s.ts, values: s.vs) }
        var m = MatrixSeries(labels: s.labels)
        for i in s.ts.indices {
            if let h = s.hs[i] {
                m.histogramTimestamps.append(s.ts[i])
                m.histograms.append(h)
            } else {
                m.timestamps.append(s.ts[i])
                m.values.append(s.vs[i])
            }
        }
        return m
    }

    /// Prometheus's `cleanupMetricLabels`: drops `__name__` where an operator asked for it, then
    /// rejects (vectors) or merges (matrices) series that became equal.
    private static func cleanup(_ s: [EvalSeries], ctx: EvalContext, isVector: Bool) throws(QueryError) -> [EvalSeries] {
        var s = s
        for i in s.indices where s[i].dropName {
            s[i].labels = s[i].labels.removing(["__name__", "__type__", "__unit__"])
            s[i].dropName = false
        }
        if isVector {
            var seen = Set<Labels>()
            for x in s where !seen.insert(x.labels).inserted {
                throw ctx.error("vector cannot contain metrics with the same labelset")
            }
            return s
        }
        return try Evaluator(ctx: ctx, start: 0, end: 0, interval: 1).mergeSameLabels(s)
    }

    private static func located(_ e: QueryError, _ query: String) -> QueryError {
        var e = e
        if e.query == nil && e.range != nil { e.query = query }
        return e
    }
}
