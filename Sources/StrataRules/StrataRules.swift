/// Rules and alerts over a Strata database.
///
/// - `RuleFile`: Prometheus rule files (groups of recording and alerting rules), validated with
///   file, line and column; the expression language is chosen per rule (PromQL, LogQL or PromQL
///   over trace statistics).
/// - `GoTemplate`: the Go text/template subset that rule annotations use, with Prometheus's
///   template functions; `RuleTemplate` adds the alert preamble (`$labels`, `$value`...).
/// - `RuleGroupEvaluator`: Prometheus's rule manager semantics (pending, firing, `keep_firing_for`,
///   resolved alerts, `ALERTS` and `ALERTS_FOR_STATE`).
/// - `RuleUnitTests`: `promtool test rules` files, plus log input for log alerts.
public enum StrataRules {}
