import StrataStorage
import StrataLabels
import StrataLogs
import StrataMetrics

/// Evaluates `LogRangeAggregation` nodes: one series per stream, a point at each step whose window
/// holds at least one record (LogQL leaves empty windows out).
struct LogRangeEvaluator: ExtensionEvaluator {
    let store: LogStore

    func evaluate(_ node: any ExprExtension, _ ev: Evaluator) throws(QueryError) -> [EvalSeries] {
        guard let agg = node as? LogRangeAggregation else {
            throw ev.ctx.error("cannot evaluate \(node.description) over logs", node.range)
        }
        let range = agg.rangeMilliseconds
        let steps = ev.numSteps
        let ms: Int64 = 1_000_000
        // Windows (t - range - offset, t - offset] in ms become [a + 1 ns, b + 1 ns) in ns.
        let first = ev.stepTime(0) - agg.offsetMilliseconds
        let last = ev.stepTime(steps - 1) - agg.offsetMilliseconds
        let q = agg.selector.logQuery(start: (first - range) * ms + 1, end: last * ms + 1, limit: 0, direction: .forward)
        let counting = agg.function == .count_over_time || agg.function == .rate
        // Counting uses the store's bucket counter: buckets of g = gcd(range, step) starting at the
        // first window's start, so every window is a run of whole buckets.
        let g = steps == 1 ? range : Self.gcd(range, ev.interval)
        let bucketCount = (last - first + range) / g
        var perStream: [(Labels, [Double])] = []
        if counting && bucketCount <= 1_000_000 {
            let series: [LogCountSeries]
            do {
                series = try store.countOverTime(q, start: (first - range) * ms + 1, end: last * ms + 1, step: g * ms)
            } catch { throw Self.queryError(error, query: ev.ctx.query) }
            let perWindow = Int(range / g)
            let stride = steps == 1 ? 0 : Int(ev.interval / g)
            for s in series {
                // Prefix sums make each window one subtraction.
                var prefix = [Int](repeating: 0, count: s.counts.count + 1)
                for (i, c) in s.counts.enumerated() { prefix[i + 1] = prefix[i] + c }
                var values = [Double](repeating: 0, count: steps)
                for i in 0..<steps {
                    let a = min(i * stride, s.counts.count)
                    let b = min(a + perWindow, s.counts.count)
                    values[i] = Double(prefix[b] - prefix[a])
                }
                perStream.append((s.stream, values))
            }
        } else {
            let hits: [LogHit]
            do { hits = try store.search(q).hits } catch { throw Self.queryError(error, query: ev.ctx.query) }
            try ev.ctx.account(hits.count)
            var byStream: [Labels: [(Int64, Int)]] = [:]
            for h in hits { byStream[h.record.stream, default: []].append((h.record.timestamp, h.record.line.count)) }
            for (stream, var recs) in byStream {
                recs.sort { $0.0 < $1.0 }
                var values = [Double](repeating: 0, count: steps)
                var lo = 0, hi = 0
                var sum = 0
                for i in 0..<steps {
                    let end = (ev.stepTime(i) - agg.offsetMilliseconds) * ms + 1
                    let start = end - range * ms
                    while hi < recs.count && recs[hi].0 < end {
                        sum += counting ? 1 : recs[hi].1
                        hi += 1
                    }
                    while lo < hi && recs[lo].0 < start {
                        sum -= counting ? 1 : recs[lo].1
                        lo += 1
                    }
                    values[i] = Double(sum)
                }
                perStream.append((stream, values))
            }
        }
        let perSecond = agg.function == .rate || agg.function == .bytes_rate
        let seconds = Double(range) / 1000
        var out: [EvalSeries] = []
        for (stream, values) in perStream {
            var s = EvalSeries(labels: stream)
            for (i, v) in values.enumerated() where v > 0 {
                s.ts.append(ev.stepTime(i))
                s.vs.append(perSecond ? v / seconds : v)
            }
            if !s.ts.isEmpty {
                try ev.ctx.account(s.ts.count)
                out.append(s)
            }
        }
        out.sort { $0.labels < $1.labels }
        return out
    }

    static func gcd(_ a: Int64, _ b: Int64) -> Int64 {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return max(x, 1)
    }

    static func queryError(_ error: any Error, query: String) -> QueryError {
        if let e = error as? LogStoreError {
            switch e {
            case .invalidRegex, .invalidQuery: return QueryError(.execution, e.description)
            default: return QueryError(storage: e, file: e.storageError)
            }
        }
        return QueryError(storage: error, file: error as? StorageError)
    }
}
