import MetricWorkloads
import Strata
import StrataQuery

/// Issue 3's PromQL figures: range queries over the whole span of a database that `strata ingest`
/// filled with `strata-nodegen` output, at 60 s steps, plus the anchor shape (`rate(...[5m])` over
/// 640 series x 1,201 steps, Prometheus 2.42: 0.27 s) and the `count_over_time` scan rate
/// (Prometheus: 22 M samples/s).
///
/// Each query runs once to warm up (opening block readers, touching mapped pages), then `runs`
/// times; the table shows the median, the fastest run, the process's peak RSS during the measured
/// runs (VmHWM after a reset before each run: the open store's mapped pages, the allocator's
/// retained memory, and the query) and its largest growth over the RSS before a run.
enum QueryReport {
    struct Case {
        var name: String
        var query: String
        /// nil: a range query over the whole span at `step`; else an instant query at the span's end.
        var step: Int64?
        /// Samples/s are reported as the sum of the result's values (count_over_time) over the time.
        var countsSamples = false
    }

    static func run(database: String, shapeDatabase: String?, runs: Int) throws {
        let db = try Database(path: database)
        defer { try? db.close() }
        let span = try Self.span(db.metrics)
        let stats = try db.metrics.stats()
        let minutes = (span.end - span.start) / 60_000
        print(
            "== PromQL range queries over \(database): \(stats.series) series, \(stats.samples) samples, "
                + "\(fixed(Double(minutes) / 60, 1)) h; one thread; warm-up + median of \(runs)")
        let step: Int64 = 60_000
        let cases = [
            Case(name: "rate", query: "rate(node_cpu_seconds_total[5m])", step: step),
            Case(
                name: "sum by instance of rate",
                query: "sum by (instance) (rate(node_cpu_seconds_total{mode!=\"idle\"}[5m]))", step: step),
            Case(
                name: "histogram_quantile",
                query: "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
                step: step),
            Case(name: "avg_over_time 1h", query: "avg_over_time(node_load1[1h])", step: step),
            Case(name: "topk", query: "topk(5, node_memory_MemFree_bytes)", step: step),
            Case(
                name: "count_over_time, one window", query: "sum(count_over_time({job=\"node\"}[\(minutes + 1)m]))",
                step: nil, countsSamples: true),
            Case(
                name: "count_over_time 1h at 1h steps", query: "sum(count_over_time({job=\"node\"}[1h]))",
                step: 3_600_000, countsSamples: true),
        ]
        var table = Table(
            "query", "series", "steps", "points", "median s", "min s", "peak RSS", "peak RSS delta", "M samples/s")
        for c in cases { table.rows.append(try measure(c, engine: PromQLEngine(store: db.metrics), span: span, runs: runs)) }
        print(table.render())
        for c in cases { print("  \(c.name): \(c.query)") }
        print("(range queries: whole span at 60 s steps; count_over_time over every series: instant at the end with")
        print(" one window over the whole span, and 1 h windows at 1 h steps, so each sample is counted once;")
        print(" M samples/s = samples counted / median time)")
        print()

        guard let shapeDatabase else { return }
        let shapeDB = try Database(path: shapeDatabase)
        defer { try? shapeDB.close() }
        let shapeSpan = try Self.span(shapeDB.metrics)
        print("== anchor shape: rate(...[5m]) over 640 series x 1,201 steps (Prometheus 2.42: 0.27 s)")
        var shape = Table("query", "series", "steps", "points", "median s", "min s", "peak RSS", "peak RSS delta", "vs 0.27 s")
        var row = try measure(
            Case(name: "rate, 640 series", query: "rate(node_cpu_seconds_total[5m])", step: step),
            engine: PromQLEngine(store: shapeDB.metrics), span: shapeSpan, runs: runs)
        row[row.count - 1] = fixed(0.27 / (Double(row[4]) ?? .nan), 1) + "x"
        shape.rows.append(row)
        print(shape.render())
        print("(\(shapeDatabase): strata-nodegen --series 2000, 10 hosts x 64 node_cpu_seconds_total series)")
        print()
    }

    /// The first and last sample time of the data (node_load1 of the first host).
    static func span(_ store: MetricStore) throws -> (start: Int64, end: Int64) {
        let set = try store.select([.equal("__name__", "node_load1")], from: .distantPast, through: .distantFuture)
        guard let first = set.series.first else { throw ReportError(message: "no node_load1 series in the database") }
        var ts: [Int64] = []
        var vs: [Double] = []
        var it = first.makeIterator()
        _ = try it.drain(timestamps: &ts, values: &vs)
        guard let a = ts.first, let b = ts.last else { throw ReportError(message: "node_load1 has no samples") }
        return (a, b)
    }

    struct ReportError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    static func measure(_ c: Case, engine: PromQLEngine, span: (start: Int64, end: Int64), runs: Int) throws
        -> [String]
    {
        func once() throws -> QueryResult {
            if let step = c.step {
                // Whole steps from the first sample to the first step at or after the last one
                // (20 h at 60 s: 1,201 steps).
                let steps = (span.end - span.start + step - 1) / step
                return try engine.rangeQuery(
                    c.query, start: .milliseconds(span.start), end: .milliseconds(span.start + steps * step), step: .milliseconds(step))
            }
            return try engine.instantQuery(c.query, at: .milliseconds(span.end))
        }
        _ = try once()
        var times: [Double] = []
        var peak = 0
        var peakAbsolute = 0
        var result = QueryResult(value: .vector([]))
        for _ in 0..<max(1, runs) {
            let rss0 = ProcessMemory.residentBytes()
            ProcessMemory.resetPeak()
            let (s, r) = try MonotonicClock.seconds { try once() }
            let hwm = ProcessMemory.peakResidentBytes()
            peak = max(peak, hwm - rss0)
            peakAbsolute = max(peakAbsolute, hwm)
            times.append(s)
            result = r
        }
        var series = 0, points = 0
        var total = 0.0
        switch result.value {
        case .matrix(let m):
            series = m.count
            for s in m {
                points += s.values.count
                total += s.values.reduce(0, +)
            }
        case .vector(let v):
            series = v.count
            points = v.count
            total = v.reduce(0) { $0 + $1.value }
        case .scalar, .string:
            points = 1
        }
        let steps = c.step.map { Int((span.end - span.start + $0 - 1) / $0) + 1 } ?? 1
        let t = median(times)
        return [
            c.name, "\(series)", "\(steps)", "\(points)", fixed(t, 3), fixed(times.min() ?? t, 3), mib(peakAbsolute), mib(peak),
            c.countsSamples ? fixed(total / t / 1e6, 1) : "",
        ]
    }
}
