import Strata
import StrataCLIKit
import StrataLabels

/// How the shell shows a PromQL result. JSON and CSV are those of `strata query`. A table of an
/// instant result lists each series' value; a range result is summarised one row per series
/// (points, min, max, last and a sparkline) and drawn as braille line charts, at most `chartLimit`
/// of them.
struct MetricResultView {
    var result: QueryResult
    var style: ShellStyle
    var width: Int
    /// The range query's start, end and step (ms), for chart axes and gaps.
    var window: (start: Int64, end: Int64, step: Int64)?
    var chartLimit = 6

    func render(_ format: ShellFormat) -> String {
        switch format {
        case .json: return QueryOutput.prometheusJSON(result)
        case .csv: return QueryOutput.csv(result).trimmingTrailingNewline()
        case .table:
            if case .matrix(let series) = result.value, let window { return rangeTable(series, window) }
            return style.header(QueryOutput.table(result))
        }
    }

    private func rangeTable(_ series: [MatrixSeries], _ w: (start: Int64, end: Int64, step: Int64)) -> String {
        if series.isEmpty { return "(no series)" }
        let names = Self.labelColumns(series.map(\.labels))
        var rows: [[String]] = []
        for s in series {
            let summary = ChartSummary(s.values)
            rows.append(
                names.map { s.labels[$0] ?? "" } + [
                    String(s.values.count),
                    summary.map { ChartNumber.format($0.min) } ?? "",
                    summary.map { ChartNumber.format($0.max) } ?? "",
                    summary.map { ChartNumber.format($0.last) } ?? "",
                    Sparkline.render(Self.onGrid(s, w), width: 24),
                ])
        }
        var out = style.header(Table(header: names + ["points", "min", "max", "last", "trend"], rows: rows).render())
        let chartWidth = min(100, max(20, width - 14))
        var chart = BrailleChart(width: chartWidth, height: 4)
        let charted = series.prefix(chartLimit)
        chart.minimumLabelWidth = charted.compactMap { ChartSummary($0.values) }
            .map { max(ChartNumber.format($0.min).count, ChartNumber.format($0.max).count) }.max() ?? 0
        for (i, s) in charted.enumerated() {
            out += "\n\n" + style.series(i, "● ") + style.bold(s.labels.count == 0 ? "{}" : s.labels.description)
            if let summary = ChartSummary(s.values) { out += "  " + style.dim(summary.caption) }
            let lines = chart.render(
                timestamps: s.timestamps, values: s.values, start: w.start, end: w.end, maxGap: w.step * 3 / 2,
                paint: { style.series(i, $0) })
            out += "\n" + lines.joined(separator: "\n")
        }
        if series.count > chartLimit {
            out += "\n\n" + style.dim("(charted \(chartLimit) of \(series.count) series; narrow the query or use topk)")
        }
        return out
    }
}

extension MetricResultView {
    /// The series' values at every step of the window, NaN where it has none (so gaps show as blanks).
    static func onGrid(_ s: MatrixSeries, _ w: (start: Int64, end: Int64, step: Int64)) -> [Double] {
        guard w.step > 0, w.end >= w.start else { return s.values }
        let steps = Int((w.end - w.start) / w.step) + 1
        var grid = [Double](repeating: .nan, count: steps)
        for (t, v) in zip(s.timestamps, s.values) {
            let i = Int((t - w.start) / w.step)
            if i >= 0 && i < steps { grid[i] = v }
        }
        return grid
    }

    /// Label names used by any series, `__name__` first, the rest sorted.
    static func labelColumns(_ sets: [Labels]) -> [String] {
        var names = Set<String>()
        for l in sets { for x in l.labels { names.insert(x.name) } }
        return names.sorted { a, b in a == "__name__" ? b != "__name__" : b == "__name__" ? false : a < b }
    }
}

extension String {
    func trimmingTrailingNewline() -> String {
        var s = self
        while s.last == "\n" { s.removeLast() }
        return s
    }
}
