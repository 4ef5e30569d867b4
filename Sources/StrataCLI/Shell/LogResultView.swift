import Strata
import StrataCLIKit

/// How the logs mode shows results. Log lines: numbered (for `\context`), newest first, matches of
/// `|=` filters highlighted and levels coloured on a terminal, under a bar chart of the matching
/// records per bucket. Metric queries over logs: a table, and over a range one bar chart per series.
/// JSON is Loki's body for lines and Prometheus's for numbers; CSV as `strata query` writes it.
struct LogResultView {
    var style: ShellStyle
    var width: Int
    /// The time window and bucket width (ms).
    var window: (start: Int64, end: Int64, step: Int64)?
    var chartLimit = 6

    // MARK: Lines

    func renderLines(
        _ result: LogSearchResult, selector: LogSelectorExpr, histogram: LogHistogram?, format: ShellFormat, limit: Int, seconds: Double
    ) -> String {
        switch format {
        case .json: return LogQueryOutput.lokiStreamsJSON(result, execSeconds: seconds)
        case .csv:
            var out = "timestamp,stream,line"
            for h in result.hits {
                out += "\n" + LogQueryOutput.formatTimestamp(h.record.timestamp) + "," + QueryCommand.csvField(h.record.stream.description)
                out += "," + QueryCommand.csvField(String(decoding: h.record.line, as: UTF8.self))
            }
            return out
        case .table:
            var out = ""
            if let histogram, let w = window {
                let total = histogram.totals.reduce(0, +)
                out += style.dim("\(MetricsMode.grouped(total)) matching records, per \(DurationText.format(w.step)):") + "\n"
                let chart = BarChart(height: 3, maxWidth: min(100, max(20, width - 12)))
                let lastBucket = w.start + Int64(max(0, histogram.totals.count - 1)) * w.step
                out += chart.render(counts: histogram.totals.map(Double.init), start: w.start, end: lastBucket, paint: { style.cyan($0) })
                    .joined(separator: "\n") + "\n\n"
            }
            if result.hits.isEmpty { return out + "(no matching lines)" }
            let literals = selector.lineFilters.filter { $0.op == .contains && !$0.pattern.isEmpty }
            let folded = literals.contains { $0.caseInsensitive }
            let numberWidth = String(result.hits.count).count
            for (i, h) in result.hits.enumerated() {
                let n = String(i + 1)
                out += style.dim("[" + String(repeating: " ", count: numberWidth - n.count) + n + "]") + " "
                out += line(h.record, literals: literals.map(\.pattern), caseInsensitive: folded) + "\n"
            }
            if result.hits.count == limit {
                out += style.dim("(the newest \(limit) lines; narrow the query or \\time to see others; \\context N shows a hit's neighbours)")
            }
            return out.trimmingTrailingNewline()
        }
    }

    /// `22:31:02.000 wally113 ovs-vswitchd CRITICAL <line>` with the level coloured and `literals` highlighted.
    func line(_ record: LogRecord, literals: [String], caseInsensitive: Bool = false) -> String {
        let time = LogQueryOutput.formatTimestamp(record.timestamp)
        var head = style.dim(time)
        for name in ["host", "program"] { if let v = record.stream[name] { head += " " + style.cyan(v) } }
        if let level = record.stream["level"] { head += " " + style.level(level) }
        let text = String(decoding: record.line, as: UTF8.self)
        return head + " " + style.highlighted(text, literals: literals, caseInsensitive: caseInsensitive)
    }

    // MARK: Numbers

    func renderMetric(_ result: QueryResult, _ format: ShellFormat) -> String {
        switch format {
        case .json: return QueryOutput.prometheusJSON(result)
        case .csv: return QueryOutput.csv(result).trimmingTrailingNewline()
        case .table:
            guard case .matrix(let series) = result.value, let w = window else { return style.header(QueryOutput.table(result)) }
            if series.isEmpty { return "(no series)" }
            let names = MetricResultView.labelColumns(series.map(\.labels))
            let rows = series.map { s in
                names.map { s.labels[$0] ?? "" } + [
                    String(s.values.count), ChartNumber.format(s.values.max() ?? 0), ChartNumber.format(s.values.last ?? 0),
                ]
            }
            var out = style.header(Table(header: names + ["points", "max", "last"], rows: rows).render())
            let chart = BarChart(height: 4, maxWidth: min(100, max(20, width - 12)))
            for (i, s) in series.prefix(chartLimit).enumerated() {
                let grid = MetricResultView.onGrid(s, w).map { $0.isNaN ? 0 : $0 }
                out += "\n\n" + style.series(i, "● ") + style.bold(s.labels.count == 0 ? "{}" : s.labels.description) + "\n"
                out += chart.render(counts: grid, start: w.start, end: w.end, paint: { style.series(i, $0) }).joined(separator: "\n")
            }
            if series.count > chartLimit {
                out += "\n\n" + style.dim("(charted \(chartLimit) of \(series.count) series; narrow the query or use topk)")
            }
            return out
        }
    }
}
