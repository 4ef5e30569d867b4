/// Which language the shared lexer and parser read.
package enum QueryDialect: Sendable {
    /// Prometheus's PromQL.
    case promQL
    /// Grafana Loki's LogQL: PromQL's expression grammar plus log selectors with pipelines and log
    /// range aggregations (`Sources/StrataQuery/LogQL`).
    case logQL
}
