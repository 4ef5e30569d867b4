import StrataLabels
import StrataMetrics
import StrataQuery

/// One alert of an alerting rule: a label set the rule's expression produced, and its state.
public struct Alert: Sendable, Equatable {
    public enum State: String, Sendable, Comparable {
        /// Resolved: no longer produced (kept for 15 minutes to be reported as resolved).
        case inactive
        /// Produced, for less than the rule's `for`.
        case pending
        /// Produced for at least `for` (or kept by `keep_firing_for`).
        case firing

        public static func < (a: State, b: State) -> Bool { a.rank < b.rank }
        var rank: Int {
            switch self {
            case .inactive: 0
            case .pending: 1
            case .firing: 2
            }
        }
    }

    /// The sample's labels without `__name__`, the rule's labels (expanded) and `alertname`.
    public var labels: Labels
    /// The rule's annotations, expanded at the latest evaluation.
    public var annotations: Labels
    public var state: State
    /// The expression's value at the latest evaluation that produced the alert.
    public var value: Double
    /// When the alert was first produced (ms).
    public var activeAt: Int64
    /// When it went firing (ms), if it did.
    public var firedAt: Int64?
    /// When it was resolved (ms), if it was.
    public var resolvedAt: Int64?
    /// When the expression stopped producing it while `keep_firing_for` keeps it firing.
    public var keepFiringSince: Int64?
    /// When it was last sent to Alertmanager (ms), and until when that notification holds.
    public var lastSentAt: Int64?
    public var validUntil: Int64?
    /// The `ALERTS` series of the current state and the `ALERTS_FOR_STATE` series, built once.
    var alertsSeries: Labels? = nil
    var alertsSeriesState: State? = nil
    var forStateSeries: Labels? = nil
}

/// How long a resolved alert is still reported (Prometheus's `resolvedRetention`).
let resolvedRetention: Int64 = 15 * 60_000

/// The state of one alerting rule across evaluations: Prometheus's `AlertingRule.Eval`.
struct AlertingRuleState: Sendable {
    /// Alerts by their label set.
    var active: [Labels: Alert] = [:]

    /// One evaluation at `ts` (ms) of a rule whose expression produced `produced` (label set,
    /// value, annotations of each element, already expanded). Returns the `ALERTS` and
    /// `ALERTS_FOR_STATE` samples to write, or throws when more than `limit`
    /// alerts are active or pending.
    mutating func evaluate(
        at ts: Int64, produced: [(labels: Labels, value: Double, annotations: Labels)], rule: RuleDefinition, limit: Int
    ) throws(QueryError) -> [(Labels, Double)] {
        var current: Set<Labels> = []
        for p in produced {
            guard current.insert(p.labels).inserted else {
                throw QueryError(.execution, "vector contains metrics with the same labelset after applying alert labels")
            }
            if var a = active[p.labels], a.state != .inactive {
                a.value = p.value
                a.annotations = p.annotations
                active[p.labels] = a
                continue
            }
            active[p.labels] = Alert(labels: p.labels, annotations: p.annotations, state: .pending, value: p.value, activeAt: ts)
        }
        var out: [(Labels, Double)] = []
        var activePending = 0
        for (key, var a) in active {
            if !current.contains(key) {
                var keepFiring = false
                if a.state == .firing && rule.keepFiringFor > 0 {
                    if a.keepFiringSince == nil { a.keepFiringSince = ts }
                    if ts - a.keepFiringSince! < rule.keepFiringFor { keepFiring = true }
                }
                // A pending alert goes at once; a resolved one after the retention.
                if a.state == .pending || (a.resolvedAt.map { ts - $0 > resolvedRetention } ?? false) {
                    active[key] = nil
                    continue
                }
                if a.state != .inactive && !keepFiring {
                    a.state = .inactive
                    a.resolvedAt = ts
                }
                active[key] = a
                if !keepFiring { continue }
            } else {
                a.keepFiringSince = nil
            }
            activePending += 1
            if a.state == .pending && ts - a.activeAt >= rule.holdDuration {
                a.state = .firing
                a.firedAt = ts
            }
            if a.alertsSeriesState != a.state || a.alertsSeries == nil {
                a.alertsSeries = Self.alertsSeries(a, rule: rule)
                a.alertsSeriesState = a.state
            }
            if a.forStateSeries == nil { a.forStateSeries = Self.forStateSeries(a, rule: rule) }
            active[key] = a
            out.append((a.alertsSeries!, 1))
            out.append((a.forStateSeries!, Double(a.activeAt / 1000)))
        }
        if limit > 0 && activePending > limit {
            active = [:]
            throw QueryError(.execution, "exceeded limit of \(limit) with \(activePending) alerts")
        }
        return out
    }

    /// `ALERTS{alertname, alertstate, labels...}`.
    static func alertsSeries(_ a: Alert, rule: RuleDefinition) -> Labels {
        a.labels.setting("__name__", to: "ALERTS").setting("alertname", to: rule.name).setting("alertstate", to: a.state.rawValue)
    }

    /// `ALERTS_FOR_STATE{alertname, labels...}`: the time the alert became active, in seconds.
    static func forStateSeries(_ a: Alert, rule: RuleDefinition) -> Labels {
        a.labels.setting("__name__", to: "ALERTS_FOR_STATE").setting("alertname", to: rule.name)
    }

    /// The alerts sorted by labels (for reports and the API).
    var sortedAlerts: [Alert] { active.values.sorted { $0.labels < $1.labels } }
}
