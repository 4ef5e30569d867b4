/// Count, errors and latency quantiles of spans, per (project, service, name), over a time
/// range and per time bucket.
public struct SpanStatistics: Sendable {
    /// The group a row is about.
    public struct Key: Hashable, Sendable, Comparable {
        public var project: String
        public var service: String
        public var name: String
        public init(project: String, service: String, name: String) {
            self.project = project
            self.service = service
            self.name = name
        }
        public static func < (a: Key, b: Key) -> Bool {
            (a.project, a.service, a.name) < (b.project, b.service, b.name)
        }
    }

    /// Statistics of one group in one bucket.
    public struct Row: Sendable, Equatable {
        public var count: Int
        public var errors: Int
        /// Latency quantiles in microseconds (nearest-rank on the sorted durations).
        public var p50: Int64
        public var p95: Int64
        public var p99: Int64
    }

    /// Bucket starts (µs), ascending; a single bucket covers the whole range when no step was given.
    public var buckets: [Int64]
    /// rows[key][bucket index] (nil where the group has no span in that bucket).
    public var rows: [Key: [Row?]]

    /// Computes the statistics of `spans` in `[start, end)`, per bucket of `step` µs (0: one bucket).
    public init<S: Sequence>(spans: S, start: Int64, end: Int64, step: Int64 = 0) where S.Element == Span {
        let width = step > 0 ? step : max(1, end &- start)
        let count = step > 0 ? Int(max(1, (end - start + step - 1) / step)) : 1
        buckets = (0..<count).map { start + Int64($0) * width }
        var durations: [Key: [[Int64]]] = [:]
        var errors: [Key: [Int]] = [:]
        for s in spans where s.start >= start && s.start < end {
            let k = Key(project: s.project, service: s.service, name: s.name)
            let b = min(count - 1, Int((s.start - start) / width))
            durations[k, default: Array(repeating: [], count: count)][b].append(s.duration)
            if s.isError { errors[k, default: Array(repeating: 0, count: count)][b] += 1 }
        }
        var rows: [Key: [Row?]] = [:]
        for (k, perBucket) in durations {
            rows[k] = perBucket.enumerated().map { (i, d) -> Row? in
                guard !d.isEmpty else { return nil }
                let sorted = d.sorted()
                return Row(
                    count: d.count, errors: errors[k]?[i] ?? 0, p50: SpanStatistics.quantile(sorted, 0.5),
                    p95: SpanStatistics.quantile(sorted, 0.95), p99: SpanStatistics.quantile(sorted, 0.99))
            }
        }
        self.rows = rows
    }

    /// Nearest-rank quantile of ascending values.
    public static func quantile(_ sorted: [Int64], _ q: Double) -> Int64 {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }
}
