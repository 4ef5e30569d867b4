import StrataLabels

extension PromQLEngine {
    /// Parses and evaluates `query` at one instant (rounded down to the millisecond, PromQL's
    /// resolution; result timestamps are Unix ms).
    ///
    /// ```swift
    /// let r = try engine.instantQuery("sum by (job) (up)", at: .milliseconds(1_700_000_000_000))
    /// ```
    /// - Throws: `QueryError`: `.parse` with a caret position for bad text (experimental functions are
    ///   parse errors unless `options.enableExperimentalFunctions`), else evaluation errors.
    public func instantQuery(_ query: String, at time: Timestamp) throws(QueryError) -> QueryResult {
        try instantQuery(query, at: time.milliseconds)
    }

    /// Parses and evaluates `query` at every `step` from `start` through `end` (all rounded down to
    /// the millisecond).
    ///
    /// ```swift
    /// let r = try engine.rangeQuery("rate(node_cpu_seconds_total[5m])", start: .now - .seconds(3600), end: .now, step: .seconds(60))
    /// ```
    /// - Throws: `QueryError`, as `instantQuery(_:at:)`, and for a string or range-vector expression
    ///   or a step under a millisecond.
    public func rangeQuery(_ query: String, start: Timestamp, end: Timestamp, step: Duration) throws(QueryError)
        -> QueryResult
    {
        try rangeQuery(query, start: start.milliseconds, end: end.milliseconds, step: step.rawUnits(1_000_000))
    }

    /// `instantQuery(_:at:)` at raw Unix milliseconds: the path inside the package.
    package func instantQuery(_ query: String, at time: Int64) throws(QueryError) -> QueryResult {
        let expr = try PromQL.parse(query, enableExperimentalFunctions: options.enableExperimentalFunctions)
        return try instantQuery(expr, query: query, at: time)
    }

    /// `rangeQuery(_:start:end:step:)` over raw Unix milliseconds: the path inside the package.
    package func rangeQuery(_ query: String, start: Int64, end: Int64, step: Int64) throws(QueryError) -> QueryResult {
        let expr = try PromQL.parse(query, enableExperimentalFunctions: options.enableExperimentalFunctions)
        return try rangeQuery(expr, query: query, start: start, end: end, step: step)
    }
}
