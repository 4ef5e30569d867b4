import StrataLabels
import StrataMetrics

/// Writes series as OpenMetrics text that `strata ingest` reads back bit-exactly.
///
/// Timestamps are seconds with exactly three decimals (from integer milliseconds, so no
/// rounding). Values use the shortest text that round-trips. `NaN` stands for Prometheus's
/// NormalNaN (bits 0x7ff8000000000001), which is what parsing `NaN` gives; any other NaN
/// (the stale marker among them) is written as `NaN(0x7ff0000000000002)`, an extension
/// Strata's parser accepts and other tools reject.
public enum OpenMetricsExport {
    /// Formats one value.
    public static func formatValue(_ v: Double) -> String {
        if v.isNaN {
            return v.bitPattern == normalNaNBits ? "NaN" : "NaN(0x" + hex64(v.bitPattern) + ")"
        }
        if v == .infinity { return "+Inf" }
        if v == -.infinity { return "-Inf" }
        // Whole numbers print as integers (as Prometheus does); -0.0 keeps its sign.
        if v == v.rounded(), abs(v) < 9.007_199_254_740_992e15, !(v == 0 && v.sign == .minus) {
            return String(Int64(v))
        }
        return v.description
    }

    /// Formats a millisecond timestamp as seconds with three decimals.
    public static func formatTimestamp(_ ms: Int64) -> String {
        let neg = ms < 0
        let a = ms.magnitude
        let frac = a % 1000
        let f = frac < 10 ? "00\(frac)" : frac < 100 ? "0\(frac)" : "\(frac)"
        return (neg ? "-" : "") + "\(a / 1000).\(f)"
    }

    /// The series part of a sample line: `name{a="b",c="d"}`.
    public static func formatSeries(_ labels: Labels) -> String {
        let rest = labels.labels.filter { $0.name != "__name__" }
        var s = labels.metricName ?? ""
        if !rest.isEmpty || s.isEmpty {
            s += "{" + rest.map { "\($0.name)=\"\(Labels.escape($0.value))\"" }.joined(separator: ",") + "}"
        }
        return s
    }

    /// Prometheus's `value.NormalNaN`.
    public static let normalNaNBits: UInt64 = 0x7ff8_0000_0000_0001

    static func hex64(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
