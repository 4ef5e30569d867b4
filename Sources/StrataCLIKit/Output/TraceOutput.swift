import StrataIngest
import StrataTraces

/// How `strata trace` and trace searches print: the waterfall tree, the nested JSON tree,
/// and the table and JSON of search results.
package enum TraceOutput {
    /// The trace as an indented tree with a timing bar per span (a waterfall).
    ///
    /// One line per span: start offset, duration, `project/service`, the indented point name
    /// with its request, db statement or function, the host, and a bar placed on the trace's
    /// time axis; errors and flags follow the bar. `color` adds ANSI colours (terminals only).
    package static func tree(_ tree: TraceTree, barWidth: Int = 40, color: Bool = false) -> String {
        let total = max(1, tree.end - tree.start)
        let nodes = tree.flattened()
        let errors = nodes.filter { $0.node.span.isError }.count
        let hosts = Set(nodes.map { $0.node.span.host }.filter { !$0.isEmpty }).sorted()
        var out = "trace \(tree.baseID): \(tree.spanCount) spans, \(duration(tree.end - tree.start)), "
        out += "\(errors) error\(errors == 1 ? "" : "s"), hosts \(hosts.joined(separator: ","))\n"
        out += "started \(OsprofilerTimestamp.format(tree.start))Z\n"
        var rows: [[String]] = [["offset", "duration", "service", "span", "host", "timeline"]]
        var bars: [String] = []
        for (depth, node) in nodes {
            let s = node.span
            let from = Int(Double(max(0, node.offset)) / Double(total) * Double(barWidth))
            let width = max(1, Int((Double(max(0, s.duration)) / Double(total) * Double(barWidth)).rounded()))
            let lead = min(from, barWidth - 1)
            let fill = min(width, barWidth - lead)
            var bar = String(repeating: " ", count: lead) + String(repeating: "█", count: fill)
            bar += String(repeating: " ", count: max(0, barWidth - lead - fill))
            var notes: [String] = []
            if s.isError { notes.append("ERROR \(s.info.errorType): \(s.info.errorMessage)") }
            if node.isOrphan { notes.append("[orphan: parent \(s.parentID) not in trace]") }
            if s.status.contains(.incomplete) { notes.append("[incomplete: no stop]") }
            if s.status.contains(.missingStart) { notes.append("[no start]") }
            if s.status.contains(.stopBeforeStart) { notes.append("[stop before start]") }
            if s.status.contains(.duplicate) { notes.append("[duplicate trace_id]") }
            if color && s.isError { bar = "\u{1B}[31m" + bar + "\u{1B}[0m" } else if color { bar = "\u{1B}[36m" + bar + "\u{1B}[0m" }
            bars.append("|" + bar + "| " + notes.joined(separator: " "))
            rows.append([
                "+" + duration(node.offset), duration(s.duration), serviceName(s),
                String(repeating: "  ", count: depth) + s.name + detail(s), s.host,
            ])
        }
        // Columns padded by hand: the bar holds multi-byte characters and escapes.
        var widths = [Int](repeating: 0, count: 5)
        for r in rows { for c in 0..<5 { widths[c] = max(widths[c], r[c].count) } }
        for (i, r) in rows.enumerated() {
            var line = ""
            for c in 0..<5 {
                let cell = r[c]
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                line += (c < 2 ? pad + cell : cell + pad) + "  "
            }
            line += i == 0 ? r[5] : bars[i - 1]
            while line.last == " " { line.removeLast() }
            out += line + "\n"
        }
        return out
    }

    /// The critical path as lines: offset, time on the path, service and span.
    package static func criticalPath(_ tree: TraceTree) -> String {
        let rows = tree.criticalPath().map { step in
            ("+" + duration(step.start - tree.start), duration(step.end - step.start), "\(serviceName(step.span)) \(step.span.name)\(detail(step.span))")
        }
        let w0 = rows.map(\.0.count).max() ?? 0, w1 = rows.map(\.1.count).max() ?? 0
        var out = "critical path:\n"
        for (offset, length, span) in rows {
            out += "  " + String(repeating: " ", count: w0 - offset.count) + offset + "  "
                + String(repeating: " ", count: w1 - length.count) + length + "  " + span + "\n"
        }
        return out
    }

    /// The tree as JSON: every span with its trace_id and parent_id, children nested under it.
    package static func json(_ tree: TraceTree) -> String {
        var out = "{\"base_id\":\"\(tree.baseID)\",\"start\":\"\(OsprofilerTimestamp.format(tree.start))Z\","
        out += "\"duration_us\":\(tree.end - tree.start),\"span_count\":\(tree.spanCount),\"spans\":["
        out += tree.roots.map(nodeJSON).joined(separator: ",")
        return out + "]}"
    }

    static func nodeJSON(_ n: TraceTree.Node) -> String {
        let s = n.span
        var o = "{\"trace_id\":\"\(s.traceID)\",\"parent_id\":\"\(s.parentID)\",\"name\":\(q(s.name)),"
        o += "\"project\":\(q(s.project)),\"service\":\(q(s.service)),\"host\":\(q(s.host)),"
        o += "\"start\":\"\(OsprofilerTimestamp.format(s.start))Z\",\"offset_us\":\(n.offset),\"duration_us\":\(s.duration),"
        o += "\"error\":\(s.isError),\"flags\":[\(flags(s.status).map(q).joined(separator: ","))],\"orphan\":\(n.isOrphan)"
        let i = s.info
        var info: [String] = []
        if !(i.requestMethod + i.requestPath + i.requestQuery + i.requestScheme).isEmpty {
            info.append("\"request\":{\"method\":\(q(i.requestMethod)),\"path\":\(q(i.requestPath)),\"query\":\(q(i.requestQuery)),\"scheme\":\(q(i.requestScheme))}")
        }
        if !(i.dbStatement + i.dbParams).isEmpty {
            info.append("\"db\":{\"statement\":\(q(i.dbStatement)),\"params\":\(raw(i.dbParams))}")
        }
        if !(i.functionName + i.functionArgs + i.functionKwargs).isEmpty {
            info.append("\"function\":{\"name\":\(q(i.functionName)),\"args\":\(raw(i.functionArgs)),\"kwargs\":\(raw(i.functionKwargs))}")
        }
        if !i.errorType.isEmpty || !i.errorMessage.isEmpty {
            info.append("\"etype\":\(q(i.errorType)),\"message\":\(q(i.errorMessage))")
        }
        if !i.extra.isEmpty { info.append("\"extra\":\(i.extra)") }
        o += ",\"info\":{\(info.joined(separator: ","))}"
        o += ",\"children\":[\(n.children.map(nodeJSON).joined(separator: ","))]}"
        return o
    }

    /// Search results as a table.
    package static func searchTable(_ found: [TraceSummary]) -> String {
        var rows: [[String]] = [["base_id", "start", "duration", "spans", "errors", "root", "services"]]
        for t in found {
            rows.append([
                "\(t.baseID)", OsprofilerTimestamp.format(t.start) + "Z", duration(t.duration), "\(t.spanCount)",
                "\(t.errorCount)", t.rootName, t.services.joined(separator: ","),
            ])
        }
        var widths = [Int](repeating: 0, count: 7)
        for r in rows { for c in 0..<7 { widths[c] = max(widths[c], r[c].count) } }
        return rows.map { r in
            var line = ""
            for c in 0..<7 { line += r[c] + String(repeating: " ", count: widths[c] - r[c].count) + "  " }
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n") + "\n"
    }

    /// Search results as CSV: a header row, then one row per trace (start in RFC 3339, duration in
    /// µs, services joined by `;`); fields with a comma, quote or newline are quoted.
    package static func searchCSV(_ found: [TraceSummary]) -> String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingAll("\"", "\"\"") + "\"" : s
        }
        var out = "base_id,start,duration_us,spans,errors,root,services\n"
        for t in found {
            out += [
                "\(t.baseID)", OsprofilerTimestamp.format(t.start) + "Z", "\(t.duration)", "\(t.spanCount)",
                "\(t.errorCount)", field(t.rootName), field(t.services.joined(separator: ";")),
            ].joined(separator: ",") + "\n"
        }
        return out
    }

    /// Search results in the `data`-wrapped shape of the other query results, `resultType` "traces".
    package static func searchJSON(_ found: [TraceSummary]) -> String {
        let items = found.map { t in
            "{\"base_id\":\"\(t.baseID)\",\"root\":\(q(t.rootName)),\"services\":[\(t.services.map(q).joined(separator: ","))],"
                + "\"span_count\":\(t.spanCount),\"start\":\"\(OsprofilerTimestamp.format(t.start))Z\",\"duration_us\":\(t.duration),"
                + "\"error_count\":\(t.errorCount),\"flagged_count\":\(t.flaggedCount)}"
        }
        return "{\"status\":\"success\",\"data\":{\"resultType\":\"traces\",\"result\":[\(items.joined(separator: ","))]}}"
    }

    static func q(_ s: String) -> String { QueryOutput.jsonString(s) }

    /// A JSON text kept as is when it looks like JSON, quoted otherwise.
    static func raw(_ s: String) -> String {
        guard let c = s.first, "{[\"0123456789-tfn".contains(c) else { return s.isEmpty ? "null" : q(s) }
        return s
    }

    static func flags(_ st: SpanStatus) -> [String] {
        var out: [String] = []
        if st.contains(.incomplete) { out.append("incomplete") }
        if st.contains(.missingStart) { out.append("missing_start") }
        if st.contains(.stopBeforeStart) { out.append("stop_before_start") }
        if st.contains(.duplicate) { out.append("duplicate") }
        return out
    }

    static func serviceName(_ s: Span) -> String { s.project.isEmpty ? s.service : s.project + "/" + s.service }

    static func detail(_ s: Span) -> String {
        let i = s.info
        if !i.requestPath.isEmpty { return " \(i.requestMethod) \(i.requestPath)" }
        if !i.dbStatement.isEmpty { return " \(i.dbStatement.prefix(60))" }
        if !i.functionName.isEmpty { return " \(i.functionName)" }
        return ""
    }

    /// Microseconds as `850us`, `12.3ms`, `2.041s`.
    package static func duration(_ us: Int64) -> String {
        let a = abs(us)
        let sign = us < 0 ? "-" : ""
        if a < 1000 { return "\(sign)\(a)us" }
        if a < 1_000_000 { return sign + fixed(Double(a) / 1000, 1) + "ms" }
        return sign + fixed(Double(a) / 1e6, 3) + "s"
    }

    static func fixed(_ v: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let n = Int64((v * scale).rounded())
        let whole = n / Int64(scale), frac = n % Int64(scale)
        let f = String(frac)
        return "\(whole)." + String(repeating: "0", count: digits - f.count) + f
    }
}

extension String {
    /// Every occurrence of `target` replaced (without Foundation).
    fileprivate func replacingAll(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
