/// A trace drawn as a waterfall: one row per span, indented by depth, with a bar placed on a
/// shared time axis from the trace's first start to its last end, then the span's start offset and
/// duration; failed spans are marked `✗`.
///
/// ```
/// nova-api wsgi          ████████████████████  +0us    1.20s
///   nova-conductor rpc     ██████              +120ms  340ms
///     mariadb db              █              ✗ +300ms  4ms
/// ```
package struct Waterfall {
    /// One span. Times are nanoseconds (any epoch, as long as all spans share it).
    package struct Span: Equatable {
        package var depth: Int
        package var label: String
        package var start: Int64
        package var duration: Int64
        package var isError: Bool

        package init(depth: Int, label: String, start: Int64, duration: Int64, isError: Bool = false) {
            self.depth = depth
            self.label = label
            self.start = start
            self.duration = duration
            self.isError = isError
        }
    }

    /// Cells of the bar area.
    package var width: Int
    /// Widest label column (longer labels are cut with `…`).
    package var maxLabelWidth: Int

    package init(width: Int = 40, maxLabelWidth: Int = 40) {
        self.width = max(4, width)
        self.maxLabelWidth = max(8, maxLabelWidth)
    }

    /// One line per span, in the order given (callers pass a depth-first walk of the tree).
    /// - Parameter paint: colours a bar; its second argument says whether the span failed.
    package func render(_ spans: [Span], paint: (String, Bool) -> String = { s, _ in s }) -> [String] {
        guard let t0 = spans.map(\.start).min() else { return [] }
        let t1 = spans.map { $0.start + max(0, $0.duration) }.max() ?? t0
        let total = max(1, t1 - t0)
        let labels = spans.map { cut(String(repeating: " ", count: 2 * max(0, $0.depth)) + $0.label) }
        let labelWidth = labels.map(\.count).max() ?? 0
        let offsets = spans.map { "+" + Self.duration($0.start - t0) }
        let offsetWidth = offsets.map(\.count).max() ?? 0
        return spans.indices.map { i in
            let s = spans[i]
            let x0 = min(width - 1, Int(Double(s.start - t0) / Double(total) * Double(width)))
            let x1 = max(
                x0 + 1,
                min(
                    width, Int((Double(s.start - t0 + max(0, s.duration)) / Double(total) * Double(width)).rounded(.up))
                ))
            let bar =
                String(repeating: " ", count: x0) + paint(String(repeating: "█", count: x1 - x0), s.isError)
                + String(repeating: " ", count: width - x1)
            let label = labels[i] + String(repeating: " ", count: labelWidth - labels[i].count)
            let offset = offsets[i] + String(repeating: " ", count: offsetWidth - offsets[i].count)
            let line =
                label + "  " + bar + " " + (s.isError ? "✗" : " ") + " " + offset + "  " + Self.duration(s.duration)
            return line.trimmingSpacesAtEnd()
        }
    }

    private func cut(_ s: String) -> String {
        s.count <= maxLabelWidth ? s : String(s.prefix(maxLabelWidth - 1)) + "…"
    }

    /// `850us`, `340ms`, `1.20s`, `2m05s` from nanoseconds.
    package static func duration(_ ns: Int64) -> String {
        let ns = max(0, ns)
        if ns < 1_000_000 { return "\(ns / 1000)us" }
        if ns < 1_000_000_000 { return "\(ns / 1_000_000)ms" }
        if ns < 60_000_000_000 {
            let cs = (ns + 5_000_000) / 10_000_000
            let frac = cs % 100
            return "\(cs / 100).\(frac < 10 ? "0" : "")\(frac)s"
        }
        let s = ns / 1_000_000_000
        return "\(s / 60)m\(s % 60 < 10 ? "0" : "")\(s % 60)s"
    }
}
