/// A line chart drawn with braille characters: each character cell holds 2x4 dots, so a chart
/// `width` cells wide and `height` rows high has `2*width` x `4*height` points of resolution.
///
/// The y range runs from the series' finite minimum (bottom row, labelled) to its maximum (top row,
/// labelled); the x axis spans `start...end` and is labelled with times. Consecutive points closer
/// than `maxGap` are joined by a line; a longer gap (missing samples) stays empty.
///
/// ```
///  1.5 ┤      ⢀⠔⠊⠉⠑⠢⡀
///      │   ⢀⠔⠁       ⠈⠢⡀
///  0.5 ┤⣀⠔⠁             ⠈⠢
///      └─────────────────────
///       11:00    11:30   12:00
/// ```
package struct BrailleChart {
    package var width: Int
    package var height: Int
    /// The y labels are padded to at least this many columns, so charts stacked together align.
    package var minimumLabelWidth = 0

    package init(width: Int = 60, height: Int = 4) {
        self.width = max(4, width)
        self.height = max(1, height)
    }

    /// The chart's lines: `height` plot rows, the x axis, the time labels.
    /// - Parameters:
    ///   - timestamps: sample times (ms), ascending; `values` has the same count.
    ///   - start, end: the times at the left and right edges (ms).
    ///   - maxGap: points further apart than this (ms) are not joined; nil joins all.
    ///   - paint: applied to the plot part of each row (for colour); identity by default.
    package func render(
        timestamps: [Int64], values: [Double], start: Int64, end: Int64, maxGap: Int64? = nil,
        paint: (String) -> String = { $0 }
    ) -> [String] {
        let n = min(timestamps.count, values.count)
        let finite = (0..<n).compactMap { values[$0].isFinite ? values[$0] : nil }
        let lo = finite.min() ?? 0, hi = finite.max() ?? 0
        let dotsX = 2 * width, dotsY = 4 * height
        var grid = [UInt8](repeating: 0, count: width * height)

        func dot(_ x: Int, _ yFromBottom: Int) {
            guard x >= 0, x < dotsX, yFromBottom >= 0, yFromBottom < dotsY else { return }
            let y = dotsY - 1 - yFromBottom
            let bits: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]
            grid[(y / 4) * width + x / 2] |= bits[x % 2][y % 4]
        }
        func xOf(_ t: Int64) -> Int {
            guard end > start else { return 0 }
            return Int((Double(t - start) / Double(end - start) * Double(dotsX - 1)).rounded())
        }
        func yOf(_ v: Double) -> Int {
            guard hi > lo else { return (dotsY - 1) / 2 }
            return Int(((v - lo) / (hi - lo) * Double(dotsY - 1)).rounded())
        }

        var previous: (t: Int64, x: Int, y: Int)?
        for i in 0..<n {
            guard values[i].isFinite else { previous = nil; continue }
            let p = (t: timestamps[i], x: xOf(timestamps[i]), y: yOf(values[i]))
            if let q = previous, maxGap.map({ p.t - q.t <= $0 }) ?? true {
                line(from: (q.x, q.y), to: (p.x, p.y), dot)
            } else {
                dot(p.x, p.y)
            }
            previous = p
        }

        let top = ChartNumber.format(hi), bottom = ChartNumber.format(lo)
        let labelWidth = max(top.count, bottom.count, minimumLabelWidth)
        func pad(_ s: String) -> String { String(repeating: " ", count: labelWidth - s.count) + s }
        var lines: [String] = []
        for row in 0..<height {
            var cells = ""
            for col in 0..<width {
                cells.unicodeScalars.append(Unicode.Scalar(0x2800 + UInt32(grid[row * width + col]))!)
            }
            let label =
                row == 0 ? pad(top) : row == height - 1 ? pad(bottom) : String(repeating: " ", count: labelWidth)
            let tick = row == 0 || row == height - 1 ? "┤" : "│"
            lines.append(label + " " + tick + paint(cells))
        }
        let indent = String(repeating: " ", count: labelWidth + 1)
        lines.append(indent + "└" + String(repeating: "─", count: width))
        lines.append((indent + " " + TimeAxis.line(from: start, to: end, width: width)).trimmingSpacesAtEnd())
        return lines
    }

    /// Bresenham's line between two dots.
    private func line(from a: (Int, Int), to b: (Int, Int), _ dot: (Int, Int) -> Void) {
        var (x0, y0) = a
        let (x1, y1) = b
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            dot(x0, y0)
            if x0 == x1 && y0 == y1 { return }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x0 += sx }
            if e2 <= dx { err += dx; y0 += sy }
        }
    }
}

/// The minimum, maximum and last finite value of a series, as a chart's caption shows them.
package struct ChartSummary: Equatable {
    package var min: Double
    package var max: Double
    package var last: Double

    /// Nil when no value is finite.
    package init?(_ values: [Double]) {
        guard let l = values.last(where: \.isFinite) else { return nil }
        var lo = l, hi = l
        for v in values where v.isFinite {
            lo = Swift.min(lo, v)
            hi = Swift.max(hi, v)
        }
        (min, max, last) = (lo, hi, l)
    }

    /// `min 0.5  max 1.23k  last 0.9`
    package var caption: String {
        "min \(ChartNumber.format(min))  max \(ChartNumber.format(max))  last \(ChartNumber.format(last))"
    }
}

extension String {
    func trimmingSpacesAtEnd() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
