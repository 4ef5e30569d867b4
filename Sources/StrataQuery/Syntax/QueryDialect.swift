/// Which language the shared lexer and parser read.
package enum QueryDialect: Sendable {
    /// Prometheus's PromQL.
    case promQL
    /// Grafana Loki's LogQL: PromQL's expression grammar plus log selectors with pipelines and log
    /// range aggregations (`Sources/StrataQuery/LogQL`).
    case logQL
    /// Trace statistics: PromQL's expression grammar whose leaves are `span_count`, `span_errors`
    /// and `span_duration_quantile` over trace selectors (`Sources/StrataQuery/TraceQuery`).
    case traces
}
