import Strata
import StrataCLIKit
import StrataRules

/// How `strata rules eval` shows its result: a table of transitions and one strip per alert.
enum RulesOutput {
    /// The transitions as a table, then each alert's state over the range as a strip
    /// (`░` pending, `█` firing, `·` not active).
    static func timeline(_ r: RuleHistoryReport, start: Int64, end: Int64, color: Bool) -> String {
        if r.transitions.isEmpty { return "no alert was pending or firing" }
        var rows: [[String]] = []
        for t in r.transitions {
            let labels = t.labels.labels.filter { $0.name != "alertname" }.map { "\($0.name)=\(Labels.escapeQuoted($0.value))" }.joined(separator: ", ")
            let summary = t.annotations["summary"] ?? t.annotations["description"] ?? t.annotations.labels.first?.value ?? ""
            rows.append([
                TimeSpec.formatRFC3339(t.time), t.rule, t.state == .inactive ? "resolved" : t.state.rawValue,
                t.value.isNaN ? "" : QueryOutput.formatValue(t.value), labels, String(summary.prefix(100)),
            ])
        }
        var out = Table(header: ["TIME", "ALERT", "STATE", "VALUE", "LABELS", "SUMMARY"], rows: rows, textColumns: [1, 4, 5]).render() + "\n\n"
        // One strip per alert over [start, end].
        let width = 60
        var byAlert: [String: [AlertTransition]] = [:]
        var order: [String] = []
        for t in r.transitions {
            let key = t.rule + " " + t.labels.labels.filter { $0.name != "alertname" }.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
            if byAlert[key] == nil { order.append(key) }
            byAlert[key, default: []].append(t)
        }
        let span = max(1, end - start)
        let nameWidth = min(50, order.map(\.count).max() ?? 0)
        out += String(repeating: " ", count: nameWidth) + "  " + TimeSpec.formatRFC3339(start)
        out += String(repeating: " ", count: max(1, width - 2 * TimeSpec.formatRFC3339(start).count)) + TimeSpec.formatRFC3339(end) + "\n"
        for key in order {
            let ts = byAlert[key]!
            var strip = ""
            for c in 0..<width {
                let t = start + span * Int64(c) / Int64(width)
                let state = ts.last(where: { $0.time <= t })?.state ?? .inactive
                switch state {
                case .firing: strip += color ? "\u{1B}[31m█\u{1B}[0m" : "█"
                case .pending: strip += color ? "\u{1B}[33m░\u{1B}[0m" : "░"
                case .inactive: strip += "·"
                }
            }
            let name = key.count > nameWidth ? String(key.prefix(nameWidth - 1)) + "…" : key + String(repeating: " ", count: nameWidth - key.count)
            out += name + "  " + strip + "\n"
        }
        return out + "(░ pending, █ firing)"
    }

    static func json(_ r: RuleHistoryReport) -> String {
        func object(_ l: Labels) -> String {
            "{" + l.labels.map { "\(QueryOutput.jsonString($0.name)):\(QueryOutput.jsonString($0.value))" }.joined(separator: ",") + "}"
        }
        let items = r.transitions.map { t in
            "{\"time\":\(QueryOutput.jsonString(TimeSpec.formatRFC3339(t.time))),\"group\":\(QueryOutput.jsonString(t.group)),"
                + "\"alert\":\(QueryOutput.jsonString(t.rule)),\"state\":\"\(t.state == .inactive ? "resolved" : t.state.rawValue)\","
                + "\"value\":\(t.value.isNaN ? "null" : QueryOutput.jsonString(QueryOutput.formatValue(t.value))),"
                + "\"labels\":\(object(t.labels)),\"annotations\":\(object(t.annotations))}"
        }
        let failures = r.failures.map {
            "{\"rule\":\(QueryOutput.jsonString($0.rule)),\"error\":\(QueryOutput.jsonString($0.message))}"
        }
        return "{\"transitions\":[" + items.joined(separator: ",") + "],\"rules\":\(r.rules),\"steps\":\(r.steps),"
            + "\"recordedSeries\":\(r.recordedSeries),\"recordedSamples\":\(r.recordedSamples),\"alertSamples\":\(r.alertSamples),"
            + "\"written\":\(r.written),\"failures\":[" + failures.joined(separator: ",") + "]}"
    }
}

extension Labels {
    /// `"value"` with Prometheus's escapes.
    static func escapeQuoted(_ v: String) -> String { "\"" + Labels.escape(v) + "\"" }
}
