import Foundation
import Strata
import StrataTestSupport
import Testing

/// The whole database against a reference model: any sequence of ingests into the three stores,
/// YAML policies (defaults and a rule per store), maintenance passes (with and without `now`) and
/// reopens answers like the reference filtered by every pass's cuts.
@Suite struct MaintenancePropertyTests {
    static let hour: Int64 = 3_600_000
    static let t0: Int64 = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000

    struct Model {
        /// Metric samples by series name (one series per name), Unix ms.
        var metrics: [String: [(t: Int64, v: Double)]] = [:]
        /// Log records: time (ns), level, text.
        var logs: [(t: Int64, level: String, line: String)] = []
        /// Spans: trace, start (µs), error.
        var spans: [(trace: UInt64, span: UInt64, start: Int64, error: Bool)] = []

        /// What a pass with these keeps (ms; nil forever) does, ages counted back from each
        /// store's newest data or from `now` (ms).
        mutating func apply(metricKeep: Int64?, loadKeep: Int64?, logKeep: Int64?, debugKeep: Int64?, traceKeep: Int64?, errorKeep: Int64?, now: Int64?) {
            if let newest = now ?? metrics.values.flatMap({ $0.map(\.t) }).max() {
                for (name, samples) in metrics {
                    guard let keep = name == "load" ? loadKeep : metricKeep else { continue }
                    metrics[name] = samples.filter { $0.t >= newest - keep }
                }
            }
            if let newest = now.map({ $0 * 1_000_000 }) ?? logs.map(\.t).max() {
                logs = logs.filter { r in
                    guard let keep = r.level == "DEBUG" ? debugKeep : logKeep else { return true }
                    return r.t >= newest - keep * 1_000_000
                }
            }
            if let newest = now.map({ $0 * 1000 }) ?? spans.map(\.start).max() {
                let erroneous = Set(spans.filter(\.error).map(\.trace))
                spans = spans.filter { s in
                    guard let keep = erroneous.contains(s.trace) ? errorKeep : traceKeep else { return true }
                    return s.start >= newest - keep * 1000
                }
            }
        }
    }

    static func yaml(_ k: (Int64?, Int64?, Int64?, Int64?, Int64?, Int64?)) -> String {
        func d(_ v: Int64?) -> String { v.map { "\($0 / hour)h" } ?? "forever" }
        var y = "retention:\n"
        if let m = k.0 { y += "  metrics: \(d(m))\n" }
        if let l = k.2 { y += "  logs: \(d(l))\n" }
        if let t = k.4 { y += "  traces: \(d(t))\n" }
        y += "  rules:\n"
        y += "    - {store: metrics, selector: 'load', keep: \(d(k.1))}\n"
        y += "    - {store: logs, selector: '{level=\"DEBUG\"}', keep: \(d(k.3))}\n"
        y += "    - {store: traces, selector: '{error=true}', keep: \(d(k.5))}\n"
        return y
    }

    @Test(arguments: 0..<12)
    func anySequenceAnswersLikeTheFilteredReference(seed: UInt64) throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let path = dir.path + "/db"
        var options = DatabaseOptions()
        options.metrics.outOfOrderWindow = 400 * Self.hour
        var db = try Database(path: path, options: options)
        var rng = SeededRandom(state: seed &* 7919 &+ 11)
        var model = Model()
        var metricTime = Self.t0
        var nextTrace: UInt64 = 1
        var policy: (Int64?, Int64?, Int64?, Int64?, Int64?, Int64?) = (nil, nil, nil, nil, nil, nil)
        var cut = 0
        let stream = { (level: String) in try Labels(validating: ["host": "h1", "level": level]) }
        for step in 0..<28 {
            switch rng.int(10) {
            case 0...3:
                // Ingest: metrics onward in time, logs and spans anywhere in three days.
                for _ in 0..<rng.int(40) + 1 {
                    metricTime += Int64(rng.int(30) + 1) * 60_000
                    for name in ["load", "cpu"] {
                        let v = Double(rng.int(1000)) / 10
                        _ = try db.metrics.append(try Labels(validating: ["__name__": name]), [Sample(.milliseconds(metricTime), v)])
                        model.metrics[name, default: []].append((metricTime, v))
                    }
                }
                var records: [LogRecord] = []
                for _ in 0..<rng.int(30) {
                    let t = (Self.t0 + rng.int64(0...(72 * Self.hour))) * 1_000_000 + Int64(model.logs.count)
                    let level = rng.chance(30) ? "DEBUG" : "INFO"
                    let line = "\(level) step \(step) record \(model.logs.count)"
                    records.append(LogRecord(time: .nanoseconds(t), stream: try stream(level), line: Array(line.utf8)))
                    model.logs.append((t, level, line))
                }
                try db.logs.append(records)
                var spans: [Span] = []
                for _ in 0..<rng.int(4) {
                    let trace = nextTrace
                    nextTrace += 1
                    let base = TraceID(high: trace, low: 0)
                    let start = (Self.t0 + rng.int64(0...(72 * Self.hour))) * 1000
                    let failing = rng.chance(30)
                    for s in 0..<UInt64(rng.int(3) + 1) {
                        let spanStart = start + Int64(s) * 7 * 3_600_000_000  // spans hours apart: a trace can straddle a cut
                        let error = failing && s == 0
                        spans.append(
                            Span(
                                baseID: base, traceID: TraceID(high: trace, low: s + 1), parentID: base, name: "wsgi", service: "api",
                                project: "nova", startTime: .microseconds(spanStart), elapsed: .milliseconds(5), status: error ? .error : []))
                        model.spans.append((trace, s + 1, spanStart, error))
                    }
                }
                try db.traces.append(spans: spans)
            case 4:
                _ = try db.metrics.flush()
                try db.logs.flush()
                _ = try db.traces.flush(closingOpenSpans: true)
            case 5, 6:
                func keep() -> Int64? { rng.chance(20) ? nil : Int64(rng.int(60) + 1) * Self.hour }
                policy = (keep(), keep(), keep(), keep(), keep(), keep())
                try db.setPolicy(Self.yaml(policy))
            case 7, 8:
                let now: Int64? = rng.chance(30) ? Self.t0 + rng.int64(24...96) * Self.hour : nil
                _ = try db.maintain(now: now.map { .milliseconds($0) })
                let before = model.metrics.values.reduce(0) { $0 + $1.count } + model.logs.count + model.spans.count
                defer { cut += before - (model.metrics.values.reduce(0) { $0 + $1.count } + model.logs.count + model.spans.count) }
                model.apply(
                    metricKeep: policy.0, loadKeep: policy.1, logKeep: policy.2, debugKeep: policy.3, traceKeep: policy.4,
                    errorKeep: policy.5, now: now)
            default:
                try db.close()
                db = try Database(path: path, options: options)
            }
            try check(db, model, "seed \(seed) step \(step)")
        }
        // A last pass with short keeps, so every run cuts something whatever its draws were.
        policy = (6 * Self.hour, 12 * Self.hour, 6 * Self.hour, 3 * Self.hour, 6 * Self.hour, 12 * Self.hour)
        try db.setPolicy(Self.yaml(policy))
        _ = try db.maintain()
        let before = model.metrics.values.reduce(0) { $0 + $1.count } + model.logs.count + model.spans.count
        model.apply(
            metricKeep: policy.0, loadKeep: policy.1, logKeep: policy.2, debugKeep: policy.3, traceKeep: policy.4, errorKeep: policy.5, now: nil)
        cut += before - (model.metrics.values.reduce(0) { $0 + $1.count } + model.logs.count + model.spans.count)
        try check(db, model, "seed \(seed) last pass")
        #expect(cut > 0, "seed \(seed): the passes cut nothing, so the run checked little")
        try db.close()
    }

    func check(_ db: Database, _ model: Model, _ at: String) throws {
        for (name, samples) in model.metrics {
            let set = try db.metrics.select([.equal("__name__", name)], from: .distantPast, through: .distantFuture)
            let got = try set.series.flatMap { try $0.samples().map { ($0.timestamp, $0.value) } }
            #expect(got.map(\.0) == samples.map(\.t) && got.map(\.1) == samples.map(\.v), "\(at): metric \(name)")
        }
        var q = LogQuery()
        q.limit = 0
        q.direction = .forward
        let lines = try db.logs.search(q).hits.map { String(decoding: $0.record.line, as: UTF8.self) }
        #expect(lines.sorted() == model.logs.map(\.line).sorted(), "\(at): logs")
        var search = TraceSearch()
        search.limit = 0
        let spans = try db.traces.search(search).reduce(0) { $0 + $1.spanCount }
        #expect(spans == model.spans.count, "\(at): spans")
        for trace in Set(model.spans.map(\.trace)).sorted().prefix(20) {
            let got = try db.traces.trace(TraceID(high: trace, low: 0)).map(\.start).sorted()
            #expect(got == model.spans.filter { $0.trace == trace }.map(\.start).sorted(), "\(at): trace \(trace)")
        }
    }
}
