import HTTPTypes
import Hummingbird
import StrataCLIKit
import StrataLabels
import StrataRules

/// Prometheus's rules and alerts API (`/api/v1/rules`, `/api/v1/alerts`) and `/-/reload`, in the
/// JSON shapes of Prometheus 2.42 (what Grafana reads).
extension StrataServer {
    func registerRules(_ router: Router<BasicRequestContext>) {
        route(router, .get, "/api/v1/rules", "/api/v1/rules", .read) { _, _, p in try self.rulesReply(p) }
        route(router, .get, "/api/v1/alerts", "/api/v1/alerts", .read) { _, _, _ in self.alertsReply() }
        for method in [HTTPRequest.Method.post, .put] {
            route(router, method, "/-/reload", "/-/reload", .write) { _, _, _ in
                if let errors = await self.rules.reload() {
                    ServerLog.write("strata serve: reloading rules failed, the previous rules stay:\n\(errors.description)")
                    return Reply.text("failed to reload rules (the previous rules stay):\n\(errors.description)\n", status: .internalServerError)
                }
                return Reply.text("")
            }
        }
    }

    /// `GET /api/v1/rules`: every group with its rules, their health and alerts. Filters:
    /// `type=alert|record`, `rule_name[]`, `rule_group[]`, `file[]`, `exclude_alerts=true`; a
    /// group left without rules by the filters is left out.
    func rulesReply(_ p: Params) throws(APIError) -> Response {
        let type = p["type"]?.lowercased() ?? ""
        guard ["", "alert", "record"].contains(type) else {
            throw APIError.badData("invalid parameter \"type\": not supported value \"\(p["type"] ?? "")\"")
        }
        let names = Set(p.all("rule_name[]")), groups = Set(p.all("rule_group[]")), files = Set(p.all("file[]"))
        let excludeAlerts: Bool
        switch p["exclude_alerts"]?.lowercased() {
        case nil, "", "false": excludeAlerts = false
        case "true": excludeAlerts = true
        case let v?: throw APIError.badData("invalid parameter \"exclude_alerts\": not a boolean: \"\(v)\"")
        }
        var out: [String] = []
        for runner in rules.runners {
            let ev = runner.latest.withLock { $0 }
            let g = ev.group
            if !groups.isEmpty && !groups.contains(g.name) { continue }
            if !files.isEmpty && !files.contains(g.file) { continue }
            var items: [String] = []
            for (i, rule) in g.rules.enumerated() {
                if !names.isEmpty && !names.contains(rule.name) { continue }
                let h = ev.health[i]
                var s = ""
                switch rule.kind {
                case .alerting:
                    guard type != "record" else { continue }
                    let active = ev.alerts(ofRule: i).filter { $0.state != .inactive }
                    let state = active.map(\.state).max() ?? .inactive
                    s += "{\"state\":\"\(state.rawValue)\",\"name\":" + QueryOutput.jsonString(rule.name)
                    s += ",\"query\":" + QueryOutput.jsonString(runner.queries[i])
                    s += ",\"duration\":" + GoFormat.seconds(rule.holdDuration) + ",\"keepFiringFor\":" + GoFormat.seconds(rule.keepFiringFor)
                    s += ",\"labels\":" + Self.jsonPairs(rule.labels) + ",\"annotations\":" + Self.jsonPairs(rule.annotations)
                    if !excludeAlerts { s += ",\"alerts\":[" + active.map(Self.alertJSON).joined(separator: ",") + "]" }
                    s += Self.healthJSON(h) + ",\"type\":\"alerting\"}"
                case .recording:
                    guard type != "alert" else { continue }
                    s += "{\"name\":" + QueryOutput.jsonString(rule.name) + ",\"query\":" + QueryOutput.jsonString(runner.queries[i])
                    if !rule.labels.isEmpty { s += ",\"labels\":" + Self.jsonPairs(rule.labels) }
                    s += Self.healthJSON(h) + ",\"type\":\"recording\"}"
                }
                items.append(s)
            }
            if items.isEmpty { continue }
            var group = "{\"name\":" + QueryOutput.jsonString(g.name) + ",\"file\":" + QueryOutput.jsonString(g.file)
            group += ",\"rules\":[" + items.joined(separator: ",") + "]"
            group += ",\"interval\":" + GoFormat.seconds(runner.interval) + ",\"limit\":\(g.limit)"
            group += ",\"evaluationTime\":" + GoFormat.number(ev.evaluationSeconds) + ",\"lastEvaluation\":\"" + GoFormat.time(ev.lastEvaluation) + "\"}"
            out.append(group)
        }
        return Reply.success("{\"groups\":[" + out.joined(separator: ",") + "]}")
    }

    /// `GET /api/v1/alerts`: the pending and firing alerts of every alerting rule.
    func alertsReply() -> Response {
        var out: [String] = []
        for runner in rules.runners {
            let ev = runner.latest.withLock { $0 }
            for (i, rule) in ev.group.rules.enumerated() where rule.kind == .alerting {
                for a in ev.alerts(ofRule: i) where a.state != .inactive { out.append(Self.alertJSON(a)) }
            }
        }
        return Reply.success("{\"alerts\":[" + out.joined(separator: ",") + "]}")
    }

    /// An alert as Prometheus's API shows it; `value` is a string (Go's `%e` form).
    static func alertJSON(_ a: Alert) -> String {
        var s = "{\"labels\":" + QueryOutput.jsonLabels(a.labels) + ",\"annotations\":" + QueryOutput.jsonLabels(a.annotations)
        s += ",\"state\":\"\(a.state.rawValue)\",\"activeAt\":\"" + GoFormat.time(a.activeAt) + "\""
        if let k = a.keepFiringSince { s += ",\"keepFiringSince\":\"" + GoFormat.time(k) + "\"" }
        return s + ",\"value\":\"" + GoFormat.exponent(a.value) + "\"}"
    }

    /// `"health"`, `"lastError"` (only when there is one), `"evaluationTime"`, `"lastEvaluation"`.
    static func healthJSON(_ h: RuleHealth) -> String {
        var s = ",\"health\":\"\(h.health)\""
        if let e = h.lastError, !e.isEmpty { s += ",\"lastError\":" + QueryOutput.jsonString(e) }
        return s + ",\"evaluationTime\":" + GoFormat.number(h.evaluationSeconds) + ",\"lastEvaluation\":\"" + GoFormat.time(h.lastEvaluation) + "\""
    }

    /// Label pairs as a JSON object, keys sorted (as Go writes a map).
    static func jsonPairs(_ pairs: [(name: String, value: String)]) -> String {
        "{" + pairs.sorted { $0.name < $1.name }.map { QueryOutput.jsonString($0.name) + ":" + QueryOutput.jsonString($0.value) }.joined(separator: ",") + "}"
    }

    /// The rule manager's and the notifier's gauges for `/metrics`.
    func renderRuleMetrics() -> String {
        let runners = rules.runners
        var s = "# HELP strata_rule_group_last_duration_seconds Duration of the latest evaluation of each rule group.\n"
        s += "# TYPE strata_rule_group_last_duration_seconds gauge\n"
        for r in runners {
            let seconds = r.latest.withLock { $0.evaluationSeconds }
            s += "strata_rule_group_last_duration_seconds{rule_group=\"\(ServerMetrics.escape(r.key))\"} \(seconds)\n"
        }
        s += "# HELP strata_rule_group_interval_seconds The interval of each rule group.\n# TYPE strata_rule_group_interval_seconds gauge\n"
        for r in runners {
            s += "strata_rule_group_interval_seconds{rule_group=\"\(ServerMetrics.escape(r.key))\"} \(GoFormat.seconds(r.interval))\n"
        }
        s += "# HELP strata_rule_group_rules Rules in each rule group.\n# TYPE strata_rule_group_rules gauge\n"
        for r in runners {
            let n = r.latest.withLock { $0.group.rules.count }
            s += "strata_rule_group_rules{rule_group=\"\(ServerMetrics.escape(r.key))\"} \(n)\n"
        }
        let reload = rules.lastReload.withLock { $0 }
        s += "# HELP strata_rules_last_reload_successful Whether the latest reading of the rule files succeeded.\n"
        s += "# TYPE strata_rules_last_reload_successful gauge\nstrata_rules_last_reload_successful \(reload.ok ? 1 : 0)\n"
        s += "# HELP strata_notifications_queue_length Alerts waiting to be sent to Alertmanager.\n"
        s += "# TYPE strata_notifications_queue_length gauge\nstrata_notifications_queue_length \(notifier.queueLength)\n"
        return s
    }
}
