import StrataLabels
import StrataLogs
import StrataQuery

/// Counts of a log query per time bucket (for histograms).
public struct LogHistogram: Sendable, Equatable {
    /// Bucket `i` covers `[start + i*step, start + (i+1)*step)`.
    public var start: Timestamp
    public var step: Duration
    /// Records per bucket, all streams together.
    public var totals: [Int]
    /// Records per bucket for each stream with any.
    public var streams: [LogCountSeries]
}

extension Database {
    /// The LogQL engine over this database's log store.
    public var logQL: LogQLEngine { LogQLEngine(store: logs) }

    /// Runs a LogQL log query over `[start, end)` (open by default): matching records, newest first by default.
    ///
    /// ```swift
    /// let r = try db.searchLogs(#"{host="wally113"} |= "ERROR" | request_id="req-1""#, start: .now - .seconds(3600))
    /// for hit in r.hits { print(hit.record.time, String(decoding: hit.record.line, as: UTF8.self)) }
    /// ```
    /// - Throws: `QueryError` (`.parse` with the column for bad syntax, `.storage` naming a damaged file).
    public func searchLogs(
        _ logql: String, start: Timestamp = .distantPast, end: Timestamp = .distantFuture, limit: Int = 100,
        direction: LogDirection = .backward
    ) throws(QueryError) -> LogSearchResult {
        try logQL.logs(logql, start: start, end: end, limit: limit, direction: direction)
    }

    /// The `before` records before and `after` records after a hit in its stream, oldest first, the hit included.
    public func logContext(of id: LogRecordID, before: Int, after: Int) throws(LogStoreError) -> [LogHit] {
        try logs.context(of: id, before: before, after: after)
    }

    /// Counts per `step` bucket of `[start, end)` of any LogQL log query.
    public func logHistogram(_ logql: String, start: Timestamp, end: Timestamp, step: Duration) throws(QueryError)
        -> LogHistogram
    {
        let series = try logQL.counts(logql, start: start, end: end, step: step)
        let (start, end, step) = (start.nanoseconds, end.nanoseconds, step.rawUnits(1))
        let buckets = Int((end - start + step - 1) / step)
        var totals = [Int](repeating: 0, count: buckets)
        for s in series {
            for (i, c) in s.counts.enumerated() where i < buckets { totals[i] += c }
        }
        return LogHistogram(
            start: .nanoseconds(start), step: .nanoseconds(step), totals: totals, streams: series.filter { $0.counts.contains { $0 > 0 } })
    }
}
