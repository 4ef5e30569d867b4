extension PromQLEngine {
    /// Parses and evaluates `query` at one instant (ms since the epoch).
    ///
    /// ```swift
    /// let r = try engine.instantQuery("sum by (job) (up)", at: 1_700_000_000_000)
    /// ```
    /// - Throws: `QueryError`: `.parse` with a caret position for bad text (experimental functions are
    ///   parse errors unless `options.enableExperimentalFunctions`), else evaluation errors.
    public func instantQuery(_ query: String, at time: Int64) throws(QueryError) -> QueryResult {
        let expr = try PromQL.parse(query, enableExperimentalFunctions: options.enableExperimentalFunctions)
        return try instantQuery(expr, query: query, at: time)
    }

    /// Parses and evaluates `query` at every `step` ms from `start` through `end`.
    /// - Throws: `QueryError`, as `instantQuery(_:at:)`, and for a string or range-vector expression.
    public func rangeQuery(_ query: String, start: Int64, end: Int64, step: Int64) throws(QueryError) -> QueryResult {
        let expr = try PromQL.parse(query, enableExperimentalFunctions: options.enableExperimentalFunctions)
        return try rangeQuery(expr, query: query, start: start, end: end, step: step)
    }
}
