/// Limits and switches of a `PromQLEngine`.
///
/// The defaults follow Prometheus 3.x: a 5-minute lookback, 50 million samples per query,
/// a two-minute timeout, experimental functions off.
public struct PromQLEngineOptions: Sendable {
    /// How far back (ms) an instant selector looks for the latest sample (left-open: a sample exactly
    /// `lookbackDelta` before the evaluation time is not seen).
    public var lookbackDelta: Int64 = 300_000
    /// The most samples one query may hold in memory (loaded from the store plus intermediate results).
    public var maxSamples = 50_000_000
    /// Wall-clock budget of one query in milliseconds.
    public var timeoutMilliseconds: Int64 = 120_000
    /// Allows Prometheus's experimental functions (`mad_over_time`, `first_over_time`, `ts_of_*_over_time`,
    /// `sort_by_label`, `sort_by_label_desc`, `double_exponential_smoothing`, `limitk`, `limit_ratio`).
    public var enableExperimentalFunctions = false
    /// The step (ms) of a subquery written without one (`x[1h:]`); Prometheus uses the global
    /// evaluation interval, 1 minute by default.
    public var defaultSubqueryStep: Int64 = 60_000
    /// When set, the query stops with a `.cancelled` error soon after `cancel()` is called on it.
    public var cancellation: QueryCancellation?

    public init() {}
}
