import StrataQuery
import StrataLabels
import StrataMetrics

/// `load_with_nhcb`: promqltest also stores every classic histogram (`x_bucket{le=..}`, `x_count`,
/// `x_sum`) as a native histogram with custom bounds named `x` (Prometheus's `convertnhcb`).
enum ClassicToNHCB {
    private struct Pending {
        var buckets: [(le: Double, count: Double)] = []
        var count: Double?
        var sum = 0.0
    }

    static func convert(_ l: LoadCommand) -> [(Labels, [HistogramSample])] {
        var byBase: [Labels: [Int64: Pending]] = [:]
        for (labels, values) in l.series {
            guard let name = labels.metricName else { continue }
            var kind = ""
            var baseName = ""
            for suffix in ["_bucket", "_count", "_sum"] where name.hasSuffix(suffix) {
                kind = suffix
                baseName = String(name.dropLast(suffix.count))
                break
            }
            if kind.isEmpty { continue }
            var le = 0.0
            if kind == "_bucket" {
                guard let text = labels["le"], let v = parseLe(text), !v.isNaN else { continue }
                le = v
            }
            let base = labels.removing(["le"]).setting("__name__", to: baseName)
            for (i, v) in values.enumerated() {
                guard case .float(let f) = v else { continue }
                let t = Int64(i) * l.interval
                var p = byBase[base, default: [:]][t] ?? Pending()
                switch kind {
                case "_bucket":
                    if let k = p.buckets.firstIndex(where: { $0.le == le }) {
                        p.buckets[k].count = f
                    } else {
                        p.buckets.append((le, f))
                    }
                case "_count": p.count = f
                default: p.sum = f
                }
                byBase[base, default: [:]][t] = p
            }
        }
        var out: [(Labels, [HistogramSample])] = []
        for (base, byTime) in byBase {
            var samples: [HistogramSample] = []
            for t in byTime.keys.sorted() {
                if let h = histogram(byTime[t]!) { samples.append(HistogramSample(t, h)) }
            }
            if !samples.isEmpty { out.append((base, samples)) }
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// `TempHistogram.Convert`: cumulative buckets to per-bucket counts; a missing +Inf bucket takes
    /// the count (or the last bucket's count).
    private static func histogram(_ p: Pending) -> FloatHistogram? {
        var buckets = p.buckets.sorted { $0.le < $1.le }
        var count = p.count
        if buckets.last?.le != .infinity {
            if count == nil, let last = buckets.last { count = last.count }
            buckets.append((.infinity, count ?? 0))
        }
        if count == nil { count = buckets.last?.count }
        var h = FloatHistogram()
        h.schema = FloatHistogram.customBucketsSchema
        h.count = count ?? 0
        h.sum = p.sum
        h.customValues = buckets.dropLast().map(\.le)
        var prev = 0.0
        var counts: [Double] = []
        for b in buckets {
            counts.append(b.count - prev)
            prev = b.count
        }
        h.positiveSpans = [HistogramSpan(offset: 0, length: UInt32(counts.count))]
        h.positiveBuckets = counts
        return h.compacted()
    }

    private static func parseLe(_ s: String) -> Double? {
        switch s.lowercased() {
        case "+inf", "inf": return .infinity
        case "-inf": return -.infinity
        case "nan": return .nan
        default: return Double(s)
        }
    }
}
