import StrataLabels
import StrataMetrics
import StrataQuery

/// Renders query results for people and programs: the Prometheus HTTP API's JSON, an aligned
/// table for terminals, and CSV.
///
/// ```swift
/// let r = try engine.instantQuery("up", at: t)
/// print(QueryOutput.prometheusJSON(r))
/// // {"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up"},"value":[1700000000,"1"]}]}}
/// ```
package enum QueryOutput {
    /// The body Prometheus's `/api/v1/query` and `/api/v1/query_range` return, byte for byte:
    /// `{"status":"success","data":{"resultType":...,"result":[...]}}`, then `"warnings"` and
    /// `"infos"` when there are any. Labels are in name order, values are strings (`"NaN"`,
    /// `"+Inf"`), timestamps are seconds with up to three decimals.
    /// - Parameter limit: at most this many series (Prometheus's `limit` parameter); a cut adds
    ///   the warning Prometheus adds.
    package static func prometheusJSON(_ result: QueryResult, limit: Int? = nil) -> String {
        let (value, warnings) = truncated(result, limit: limit)
        var out = "{\"status\":\"success\",\"data\":{\"resultType\":\""
        out += value.type.rawValue
        out += "\",\"result\":"
        switch value {
        case .scalar(let t, let v):
            out += "[" + formatTimestamp(t) + ",\"" + formatValue(v) + "\"]"
        case .string(let t, let s):
            out += "[" + formatTimestamp(t) + "," + jsonString(s) + "]"
        case .vector(let elements):
            out += "["
            for (i, e) in elements.enumerated() {
                if i > 0 { out += "," }
                out += vectorElementJSON(e)
            }
            out += "]"
        case .matrix(let series):
            out += "["
            for (i, s) in series.enumerated() {
                if i > 0 { out += "," }
                out += matrixSeriesJSON(s)
            }
            out += "]"
        }
        out += "}"
        if !warnings.isEmpty { out += ",\"warnings\":[" + warnings.map(jsonString).joined(separator: ",") + "]" }
        if !result.infos.isEmpty { out += ",\"infos\":[" + result.infos.map(jsonString).joined(separator: ",") + "]" }
        out += "}"
        return out
    }

    /// An aligned plain-text table: one column per label name (`__name__` first), then the time
    /// (for range results, RFC 3339) and the value, right-aligned. A scalar or string is one line.
    package static func table(_ result: QueryResult, limit: Int? = nil) -> String {
        let (value, _) = truncated(result, limit: limit)
        switch value {
        case .scalar(let t, let v):
            return render([["time", "value"], [TimeSpec.formatRFC3339(t), formatValue(v)]], rightAligned: [1])
        case .string(_, let s):
            return s
        case .vector(let elements):
            if elements.isEmpty { return "(no series)" }
            let names = labelColumns(elements.map(\.labels))
            var rows = [names + ["value"]]
            for e in elements { rows.append(names.map { e.labels[$0] ?? "" } + [valueText(e)]) }
            return render(rows, rightAligned: [names.count])
        case .matrix(let series):
            if series.isEmpty { return "(no series)" }
            let names = labelColumns(series.map(\.labels))
            var rows = [names + ["time", "value"]]
            for s in series {
                let cells = names.map { s.labels[$0] ?? "" }
                for (t, v) in pointTexts(s) { rows.append(cells + [TimeSpec.formatRFC3339(t), v]) }
            }
            return render(rows, rightAligned: [names.count + 1])
        }
    }

    /// RFC 4180 CSV with a header: one column per label name, `timestamp` (Unix seconds as in the
    /// JSON) and `value`; one row per sample.
    package static func csv(_ result: QueryResult, limit: Int? = nil) -> String {
        let (value, _) = truncated(result, limit: limit)
        var rows: [[String]]
        switch value {
        case .scalar(let t, let v):
            rows = [["timestamp", "value"], [formatTimestamp(t), formatValue(v)]]
        case .string(let t, let s):
            rows = [["timestamp", "value"], [formatTimestamp(t), s]]
        case .vector(let elements):
            let names = labelColumns(elements.map(\.labels))
            rows = [names + ["timestamp", "value"]]
            for e in elements {
                rows.append(names.map { e.labels[$0] ?? "" } + [formatTimestamp(e.timestamp), valueText(e)])
            }
        case .matrix(let series):
            let names = labelColumns(series.map(\.labels))
            rows = [names + ["timestamp", "value"]]
            for s in series {
                let cells = names.map { s.labels[$0] ?? "" }
                for (t, v) in pointTexts(s) { rows.append(cells + [formatTimestamp(t), v]) }
            }
        }
        return rows.map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    /// A JSON string literal escaped as Go's `encoding/json` does (HTML-safe: `<`, `>`, `&`,
    /// U+2028 and U+2029 as `\u` escapes).
    package static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                out += "\\u" + hex4(u.value)
            default:
                if u.value < 0x20 {
                    out += "\\u" + hex4(u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    // MARK: - Helpers

    static func truncated(_ r: QueryResult, limit: Int?) -> (QueryValue, [String]) {
        guard let limit, limit > 0 else { return (r.value, r.warnings) }
        switch r.value {
        case .vector(let e) where e.count > limit:
            return (.vector(Array(e.prefix(limit))), r.warnings + ["results truncated due to limit"])
        case .matrix(let m) where m.count > limit:
            return (.matrix(Array(m.prefix(limit))), r.warnings + ["results truncated due to limit"])
        default:
            return (r.value, r.warnings)
        }
    }

    package static func jsonLabels(_ labels: Labels) -> String {
        "{" + labels.labels.map { jsonString($0.name) + ":" + jsonString($0.value) }.joined(separator: ",") + "}"
    }

    static func hex4(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 4 - h.count)) + h
    }

    /// Label names used by any series, `__name__` first, the rest sorted.
    static func labelColumns(_ sets: [Labels]) -> [String] {
        var names = Set<String>()
        for l in sets { for x in l.labels { names.insert(x.name) } }
        var sorted = names.sorted()
        if let i = sorted.firstIndex(of: "__name__") {
            sorted.remove(at: i)
            sorted.insert("__name__", at: 0)
        }
        return sorted
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Columns padded to their widest cell; the columns in `rightAligned` are right-aligned.
    static func render(_ rows: [[String]], rightAligned: Set<Int>) -> String {
        guard let header = rows.first else { return "" }
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        return rows.map { r in
            var line = ""
            for (i, c) in r.enumerated() {
                if i > 0 { line += "  " }
                let pad = String(repeating: " ", count: widths[i] - c.count)
                line += rightAligned.contains(i) ? pad + c : c + pad
            }
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
