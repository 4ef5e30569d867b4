/// Time labels under a chart: the start at the left edge, the end at the right edge, and the middle
/// when it fits. The label form follows the span: `HH:MM:SS` under ten minutes, `HH:MM` under two days,
/// `MM-DD HH:MM` beyond (all UTC).
package enum TimeAxis {
    /// One line exactly `width` columns wide (or the start label alone when even that does not fit).
    package static func line(from start: Int64, to end: Int64, width: Int) -> String {
        let span = end - start
        let a = label(start, span: span), b = label(end, span: span)
        guard width >= a.count + b.count + 2 else { return a }
        var cells = [Character](repeating: " ", count: width)
        put(a, at: 0, into: &cells)
        put(b, at: width - b.count, into: &cells)
        let mid = label(start + span / 2, span: span)
        let midAt = (width - mid.count) / 2
        if span > 0 && midAt >= a.count + 2 && midAt + mid.count + 2 <= width - b.count {
            put(mid, at: midAt, into: &cells)
        }
        return String(cells)
    }

    /// A time in the form that suits a span of `span` milliseconds.
    package static func label(_ t: Int64, span: Int64) -> String {
        let rfc = TimeSpec.formatRFC3339(t)  // 2024-09-04T11:23:00Z or with .mmm
        let chars = Array(rfc)
        guard chars.count >= 19 else { return rfc }
        if span < 600_000 { return String(chars[11..<19]) }
        if span < 2 * 86_400_000 { return String(chars[11..<16]) }
        return String(chars[5..<10]) + " " + String(chars[11..<16])
    }

    private static func put(_ s: String, at i: Int, into cells: inout [Character]) {
        for (k, c) in s.enumerated() where i + k >= 0 && i + k < cells.count { cells[i + k] = c }
    }
}
