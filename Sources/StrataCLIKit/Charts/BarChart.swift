/// Vertical bars for counts over time (log lines per minute, errors per step): one column per
/// bucket, `height` rows of eighth-block characters, the largest count labelled at the top, zero at
/// the bottom, and a time axis.
///
/// ```
///  120 ┤      █
///      │   ▃  █▆
///    0 ┤▁▂▅█▇▄██▃▁
///      └──────────
///       11:00 11:30
/// ```
package struct BarChart {
    package var height: Int
    package var maxWidth: Int

    package init(height: Int = 4, maxWidth: Int = 60) {
        self.height = max(1, height)
        self.maxWidth = max(4, maxWidth)
    }

    /// The chart's lines. Buckets beyond `maxWidth` are merged (summed) so the chart fits.
    /// - Parameters:
    ///   - counts: one count per bucket, oldest first (negative counts are drawn as zero).
    ///   - start, end: times of the first and last bucket (ms), for the axis.
    package func render(counts: [Double], start: Int64, end: Int64, paint: (String) -> String = { $0 }) -> [String] {
        let bars = merged(counts)
        let top = bars.max() ?? 0
        let levels: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let eighths = bars.map { v -> Int in
            guard top > 0, v > 0 else { return 0 }
            return max(1, Int((v / top * Double(height * 8)).rounded()))
        }
        let topLabel = ChartNumber.format(top)
        let labelWidth = max(topLabel.count, 1)
        func pad(_ s: String) -> String { String(repeating: " ", count: labelWidth - s.count) + s }
        var lines: [String] = []
        for row in 0..<height {
            let floor = (height - 1 - row) * 8
            var cells = ""
            for e in eighths { cells.append(levels[min(8, max(0, e - floor))]) }
            let label =
                row == 0 ? pad(topLabel) : row == height - 1 ? pad("0") : String(repeating: " ", count: labelWidth)
            lines.append(label + " " + (row == 0 || row == height - 1 ? "┤" : "│") + paint(cells))
        }
        let indent = String(repeating: " ", count: labelWidth + 1)
        lines.append(indent + "└" + String(repeating: "─", count: bars.count))
        lines.append(
            (indent + " " + TimeAxis.line(from: start, to: end, width: max(bars.count, 1))).trimmingSpacesAtEnd())
        return lines
    }

    /// `counts` summed into at most `maxWidth` consecutive groups.
    package func merged(_ counts: [Double]) -> [Double] {
        let clean = counts.map { $0.isFinite && $0 > 0 ? $0 : 0 }
        guard clean.count > maxWidth else { return clean }
        return (0..<maxWidth).map { b in
            clean[(b * clean.count / maxWidth)..<((b + 1) * clean.count / maxWidth)].reduce(0, +)
        }
    }
}
