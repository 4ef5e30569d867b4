import StrataLabels
import StrataMetrics
import StrataQuery

/// What a long-running rule manager needs beyond one evaluation: carrying state across a reload,
/// stale markers for a group that goes away, and the `for` state restored after a restart.
extension RuleGroupEvaluator {
    /// Takes over the state of the group this one replaces (Prometheus's `Group.CopyState`), rule
    /// by rule matched on kind, name and labels (the first unused match each): the series it wrote last (so they get stale markers when no longer written) and
    /// the alerts of an alerting rule (so a changed expression resolves what was firing).
    public mutating func copyState(from old: RuleGroupEvaluator) {
        var unused: [String: [Int]] = [:]
        for (k, r) in old.group.rules.enumerated() { unused[Self.identity(r), default: []].append(k) }
        for (i, rule) in group.rules.enumerated() {
            let id = Self.identity(rule)
            guard let k = unused[id]?.first else { continue }
            unused[id]!.removeFirst()
            previousSeries[i] = old.previousSeries[k]
            if rule.kind == .alerting { alertStates[i] = old.alertStates[k] }
        }
    }

    /// Kind, name and labels: what makes two rules "the same" across a reload.
    static func identity(_ r: RuleDefinition) -> String {
        var s = (r.kind == .alerting ? "alert\u{0}" : "record\u{0}") + r.name
        for l in r.labels.sorted(by: { $0.name < $1.name }) { s += "\u{0}" + l.name + "=" + l.value }
        return s
    }

    /// The series the rules wrote at their latest evaluation, which `markStale` would end.
    public var seriesWritten: Int { previousSeries.reduce(0) { $0 + $1.count } }

    /// Writes a stale marker at `ts` (ms) for every series the group wrote at its latest
    /// evaluation: what Prometheus does for a group removed by a reload.
    public mutating func markStale(at ts: Int64, runner: RuleQueryRunner) throws(QueryError) {
        for i in group.rules.indices where !previousSeries[i].isEmpty { try write([], rule: i, at: ts, runner: runner) }
    }

    /// Restores the `for` state of alerting rules after a restart from the `ALERTS_FOR_STATE`
    /// series in the store (Prometheus's `Group.RestoreForState`), before the first evaluation.
    ///
    /// For each rule whose `for` is at least `forGracePeriod`, the last sample of each of its
    /// `ALERTS_FOR_STATE` series in `[ts - outageTolerance, ts]` (not a stale marker) gives when
    /// the alert became active (its value, seconds) and when the server went down (its time). The
    /// alert is seeded as pending with that `activeAt`, moved forward by the downtime, and never
    /// so far back that it would fire sooner than `forGracePeriod` from now unless it was already
    /// firing. An alert the first evaluation does not produce is dropped again, as a pending one is.
    /// - Returns: the alerts seeded.
    @discardableResult
    public mutating func restoreForState(
        at ts: Int64, runner: RuleQueryRunner, outageTolerance: Int64 = 3_600_000, forGracePeriod: Int64 = 600_000
    ) throws(QueryError) -> Int {
        var restored = 0
        for (i, rule) in group.rules.enumerated() where rule.kind == .alerting && rule.holdDuration >= forGracePeriod {
            let set: SeriesSet
            do {
                let matchers = [try LabelMatcher(.equal, "__name__", "ALERTS_FOR_STATE"), try LabelMatcher(.equal, "alertname", rule.name)]
                set = try runner.database.metrics.select(matchers, from: .milliseconds(ts - outageTolerance), through: .milliseconds(ts))
            } catch {
                throw QueryError(.execution, "restoring the 'for' state of \(rule.name): \(error)")
            }
            for series in set.series {
                let last: Sample?
                do { last = try series.samples().last } catch { throw QueryError(storage: error, file: nil) }
                guard let last, !last.isStale, last.value.isFinite else { continue }
                let downAt = (last.timestamp / 1000) * 1000
                var activeAt = Int64(last.value) * 1000
                let remaining = rule.holdDuration - (downAt - activeAt)
                if remaining <= 0 {
                    // It was firing: it fires again at the next evaluation that produces it.
                } else if remaining < forGracePeriod {
                    activeAt = ts + forGracePeriod - rule.holdDuration
                } else {
                    activeAt += ts - downAt
                }
                let labels = series.labels.removing(["__name__"])
                alertStates[i].active[labels] = Alert(labels: labels, annotations: Labels(), state: .pending, value: 0, activeAt: activeAt)
                restored += 1
            }
        }
        return restored
    }
}

extension RuleFileErrors {
    /// Problems found outside the rule files' text (a pattern that cannot be expanded, a reload
    /// that could not run), reported the same way.
    public init(_ errors: [RuleFileError]) { self.errors = errors }
}
