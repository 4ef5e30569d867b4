import StrataLabels

/// One alert as Alertmanager's v2 API receives it (`POST /api/v2/alerts`): what Prometheus's
/// `SendAlerts` builds from a rule's alert.
public struct AlertNotification: Sendable, Equatable {
    /// The alert's labels (`alertname` included; external labels are added by the sender).
    public var labels: Labels
    public var annotations: Labels
    /// When the alert went firing (ms).
    public var startsAt: Int64
    /// When it was resolved (ms), else until when this notification holds (`validUntil`).
    public var endsAt: Int64
    /// A link back to the expression: `<external URL>/graph?g0.expr=...&g0.tab=1`.
    public var generatorURL: String

    public init(labels: Labels, annotations: Labels, startsAt: Int64, endsAt: Int64, generatorURL: String) {
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.generatorURL = generatorURL
    }
}

extension RuleGroupEvaluator {
    /// The alerts to send after the evaluation at `ts` (ms), Prometheus's `sendAlerts`: firing and
    /// resolved alerts whose last notification is older than `resendDelay`, and alerts resolved
    /// since their last notification; pending alerts never. Each one sent is stamped with
    /// `lastSentAt = ts` and `validUntil = ts + 4 × max(interval, resendDelay)` (a firing alert's
    /// `endsAt`, so that Alertmanager resolves it by itself after two missed evaluations or sends).
    /// Rules whose latest evaluation failed send nothing, as in Prometheus.
    /// - Parameters:
    ///   - interval: the group's evaluation interval (ms).
    ///   - resendDelay: Prometheus's `--rules.alert.resend-delay` (ms; 1 minute by default).
    public mutating func alertsToSend(at ts: Int64, interval: Int64, resendDelay: Int64) -> [AlertNotification] {
        var out: [AlertNotification] = []
        for (i, rule) in group.rules.enumerated() where rule.kind == .alerting {
            guard health[i].health == "ok", health[i].lastEvaluation == ts else { continue }
            let url = externalURL + Self.tableLink(rule.expr)
            for (key, var a) in alertStates[i].active where Self.needsSending(a, at: ts, resendDelay: resendDelay) {
                a.lastSentAt = ts
                a.validUntil = ts + 4 * max(interval, resendDelay)
                alertStates[i].active[key] = a
                out.append(
                    AlertNotification(
                        labels: a.labels, annotations: a.annotations, startsAt: a.firedAt ?? a.activeAt,
                        endsAt: a.resolvedAt ?? a.validUntil!, generatorURL: url))
            }
        }
        out.sort { $0.labels < $1.labels }
        return out
    }

    /// Prometheus's `Alert.needsSending`.
    static func needsSending(_ a: Alert, at ts: Int64, resendDelay: Int64) -> Bool {
        if a.state == .pending { return false }
        // Resolved since the last notification: send it now.
        if let resolved = a.resolvedAt, resolved > (a.lastSentAt ?? .min) { return true }
        guard let sent = a.lastSentAt else { return true }
        return sent + resendDelay < ts
    }

    /// `/graph?g0.expr=<expr>&g0.tab=1` (Prometheus's `strutil.TableLinkForExpression`).
    public static func tableLink(_ expr: String) -> String {
        "/graph?g0.expr=" + GoText.queryEscape(expr) + "&g0.tab=1"
    }
}
