/// A one-line chart of block characters (`▁▂▃▄▅▆▇█`), one per value; NaN and missing values are blanks.
///
/// ```swift
/// Sparkline.render([1, 2, 3, 2, 1])   // "▁▅█▅▁"
/// ```
package enum Sparkline {
    static let levels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// One character per value, scaled between the finite minimum and maximum; a flat series is
    /// drawn at the lowest level. With `width`, longer inputs are reduced to `width` buckets (each
    /// drawn at its mean).
    package static func render(_ values: [Double], width: Int? = nil) -> String {
        let points = width.map { bucketMeans(values, count: $0) } ?? values
        let finite = points.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else {
            return String(repeating: " ", count: points.count)
        }
        var out = ""
        for v in points {
            guard v.isFinite else { out.append(" "); continue }
            let level = hi > lo ? Int(((v - lo) / (hi - lo) * 7).rounded()) : 0
            out.append(levels[min(7, max(0, level))])
        }
        return out
    }

    /// `values` cut into at most `count` consecutive buckets, each replaced by the mean of its finite
    /// values (NaN when it has none). Shorter inputs are returned unchanged.
    package static func bucketMeans(_ values: [Double], count: Int) -> [Double] {
        guard count > 0, values.count > count else { return values }
        var out: [Double] = []
        out.reserveCapacity(count)
        for b in 0..<count {
            let lo = b * values.count / count, hi = (b + 1) * values.count / count
            var sum = 0.0, n = 0
            for v in values[lo..<hi] where v.isFinite { sum += v; n += 1 }
            out.append(n > 0 ? sum / Double(n) : .nan)
        }
        return out
    }
}
