import StrataLabels
import StrataMetrics
import StrataTraces

/// Evaluates trace queries against a `TraceStore`.
///
/// Searches return trace summaries; statistics return metric-shaped results (Prometheus
/// vector or matrix, one series per project/service/name), so they print, export and chart
/// like any PromQL result. Statistics are evaluated at whole milliseconds (as PromQL is; result
/// timestamps are Unix ms); the store keeps µs.
///
/// ```swift
/// let engine = TraceQueryEngine(store: db.traces)
/// if case .search(let slow) = try TraceQuery.parse(#"{service="glance", duration > 2s}"#) {
///     let found = try engine.search(slow, start: .now - .seconds(3600), end: .now)
/// }
/// ```
public struct TraceQueryEngine: Sendable {
    public let store: TraceStore
    /// The window of a statistic without `[window]` in an instant query, raw µs. Default 5 minutes.
    public var defaultWindow: Int64 = 5 * 60 * 1_000_000
    /// Limits and cancellation for expressions over statistics.
    public var options = PromQLEngineOptions()

    public init(store: TraceStore) { self.store = store }

    /// An expression over statistics (`TraceQuery.expression`) at `time` (rounded down to the
    /// millisecond): PromQL's evaluator with span statistics as its leaves.
    public func instant(_ expr: Expr, query: String, at time: Timestamp) throws(QueryError) -> QueryResult {
        try instant(expr, query: query, at: time.milliseconds)
    }

    /// An expression over statistics at each `step` from `start` to `end` (rounded down to the
    /// millisecond): a matrix.
    public func range(_ expr: Expr, query: String, start: Timestamp, end: Timestamp, step: Duration) throws(QueryError)
        -> QueryResult
    {
        try range(expr, query: query, start: start.milliseconds, end: end.milliseconds, step: step.rawUnits(1_000_000))
    }

    /// A statistic at `time` (rounded down to the millisecond) over the `window` before it
    /// (`defaultWindow` when nil): a vector.
    public func instant(_ stat: TraceStatistic, _ query: TraceSearch, window: Duration?, at time: Timestamp) throws(QueryError)
        -> QueryResult
    {
        try instant(stat, query, window: window.map { $0.rawUnits(1_000) }, at: time.milliseconds)
    }

    /// A statistic at each `step` from `start` to `end` (rounded down to the millisecond), each
    /// over the `window` before it (default: the step): a matrix.
    public func range(
        _ stat: TraceStatistic, _ query: TraceSearch, window: Duration?, start: Timestamp, end: Timestamp, step: Duration
    ) throws(QueryError) -> QueryResult {
        try range(
            stat, query, window: window.map { $0.rawUnits(1_000) }, start: start.milliseconds, end: end.milliseconds,
            step: step.rawUnits(1_000_000))
    }

    /// `instant(_:query:at:)` at raw Unix milliseconds: the path inside the package.
    package func instant(_ expr: Expr, query: String, at time: Int64) throws(QueryError) -> QueryResult {
        let ctx = EvalContext(
            store: nil, options: options, query: query, start: time, end: time,
            extensionEvaluator: SpanStatisticEvaluator(engine: self))
        return try PromQLEngine.evaluateInstant(expr, query: query, at: time, context: ctx)
    }

    /// `range(_:query:start:end:step:)` over raw Unix milliseconds: the path inside the package.
    package func range(_ expr: Expr, query: String, start: Int64, end: Int64, step: Int64) throws(QueryError) -> QueryResult {
        let ctx = EvalContext(
            store: nil, options: options, query: query, start: start, end: end, step: step,
            extensionEvaluator: SpanStatisticEvaluator(engine: self))
        return try PromQLEngine.evaluateRange(expr, query: query, start: start, end: end, step: step, context: ctx)
    }

    /// Runs a search; `start` (inclusive) and `end` (exclusive) narrow the span start times when given.
    public func search(_ query: TraceSearch, start: Timestamp? = nil, end: Timestamp? = nil, limit: Int? = nil) throws(QueryError)
        -> [TraceSummary]
    {
        var q = query
        if let start { q.start = max(q.start, start.rawBound(unit: 1_000, roundingUp: true)) }
        if let end { q.end = min(q.end, end.rawBound(unit: 1_000, roundingUp: true)) }
        if let limit { q.limit = limit }
        do { return try store.search(q) } catch { throw QueryError(storage: error, file: error.storageError) }
    }

    /// `instant(_:_:window:at:)` with a raw µs window at raw Unix milliseconds: the path inside the package.
    package func instant(_ stat: TraceStatistic, _ query: TraceSearch, window: Int64?, at time: Int64) throws(QueryError) -> QueryResult {
        let w = window ?? defaultWindow
        let end = time * 1000 + 1
        let rows = try statistics(query, from: end - w, to: end, buckets: [(end - w, end)])
        var out: [VectorElement] = []
        for (key, values) in rows.sorted(by: { $0.key < $1.key }) {
            if let v = value(stat, values[0]) { out.append(VectorElement(labels: labels(key), timestamp: time, value: v)) }
        }
        return QueryResult(value: .vector(out))
    }

    /// `range(_:_:window:start:end:step:)` with a raw µs window over raw Unix milliseconds: the path
    /// inside the package.
    package func range(_ stat: TraceStatistic, _ query: TraceSearch, window: Int64?, start: Int64, end: Int64, step: Int64) throws(QueryError) -> QueryResult {
        let w = window ?? step * 1000
        var times: [Int64] = []
        var t = start
        while t <= end {
            times.append(t)
            t += step
        }
        let buckets = times.map { ($0 * 1000 + 1 - w, $0 * 1000 + 1) }
        let rows = try statistics(query, from: start * 1000 + 1 - w, to: end * 1000 + 1, buckets: buckets)
        var out: [MatrixSeries] = []
        for (key, values) in rows.sorted(by: { $0.key < $1.key }) {
            var series = MatrixSeries(labels: labels(key))
            for (i, row) in values.enumerated() {
                if let v = value(stat, row) {
                    series.timestamps.append(times[i])
                    series.values.append(v)
                }
            }
            if !series.values.isEmpty { out.append(series) }
        }
        return QueryResult(value: .matrix(out))
    }

    func labels(_ k: SpanStatistics.Key) -> Labels {
        Labels(sorted: [Label("name", k.name), Label("project", k.project), Label("service", k.service)])
    }

    func value(_ stat: TraceStatistic, _ d: [Int64]) -> Double? {
        guard !d.isEmpty else { return nil }
        switch stat {
        case .count: return Double(d.count)
        case .errors: return Double(d.filter { $0 < 0 }.count)
        case .durationQuantile(let q):
            let sorted = d.map { $0 < 0 ? -$0 - 1 : $0 }.sorted()
            return Double(SpanStatistics.quantile(sorted, q)) / 1e6
        }
    }

    /// Durations of matching spans per key and bucket (empty: no span); an error span's duration
    /// is stored as `-duration - 1` so one array carries both.
    func statistics(_ query: TraceSearch, from: Int64, to: Int64, buckets: [(Int64, Int64)]) throws(QueryError) -> [SpanStatistics.Key: [[Int64]]] {
        var q = query
        q.start = max(q.start, from)
        q.end = min(q.end, to)
        var spans: [(SpanStatistics.Key, Int64, Int64)] = []
        do {
            try store.forEachMatchingSpan(q) { s in
                spans.append((SpanStatistics.Key(project: s.project, service: s.service, name: s.name), s.start, s.isError ? -max(0, s.duration) - 1 : max(0, s.duration)))
            }
        } catch { throw QueryError(storage: error, file: (error as? TraceStoreError)?.storageError) }
        spans.sort { $0.1 < $1.1 }
        var out: [SpanStatistics.Key: [[Int64]]] = [:]
        for (b, (lo, hi)) in buckets.enumerated() {
            var i = lowerBound(spans, lo)
            while i < spans.count && spans[i].1 < hi {
                let (key, _, d) = spans[i]
                out[key, default: Array(repeating: [], count: buckets.count)][b].append(d)
                i += 1
            }
        }
        return out
    }

    func lowerBound(_ a: [(SpanStatistics.Key, Int64, Int64)], _ t: Int64) -> Int {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid].1 < t { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
