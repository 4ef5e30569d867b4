import Foundation
import Strata
import StrataCLIKit
import StrataQuery

/// The verdict on one eval case.
struct CaseResult {
    enum Status: String { case pass, fail, unsupported }
    var file: String
    var line: Int
    var expr: String
    var status: Status
    var message: String

    var id: String { "\(file):\(line)" }

    var json: String {
        "{\"file\":\(QueryOutput.jsonString(file)),\"line\":\(line),\"expr\":\(QueryOutput.jsonString(expr)),"
            + "\"status\":\"\(status.rawValue)\",\"message\":\(QueryOutput.jsonString(message))}"
    }
}

struct RunOptions {
    /// Cases outside the core set (non-core files, experimental functions) are `unsupported`.
    var coreOnly = false
}

/// Files outside the core set (DESIGN.md): features Strata does not target yet.
let nonCoreFiles: Set<String> = [
    "native_histograms.test", "info.test", "type_and_unit.test", "start_timestamps.test", "extended_vectors.test",
    "fill-modifier.test", "duration_expression.test", "limit.test",
]

/// Runs one test file as promqltest does: each `load` goes into a real on-disk `MetricStore`
/// (no WAL, unbounded out-of-order window, flushed to blocks), each `clear` starts a new one,
/// and each `eval` is answered by `PromQLEngine`.
final class FileRunner {
    let file: String
    let options: RunOptions
    private var store: MetricStore?
    private var directory: String?
    private var engine: PromQLEngine?
    private var storeCount = 0
    private var loadProblem: String?

    init(file: String, options: RunOptions) {
        self.file = file
        self.options = options
    }

    deinit { dropStore() }

    func run(_ script: TestScript, report: (CaseResult) -> Void) {
        for cmd in script.commands {
            switch cmd {
            case .clear:
                dropStore()
            case .load(let l):
                load(l)
            case .broken(let line, let expr, let message):
                if let expr {
                    report(CaseResult(file: file, line: line, expr: expr, status: .fail, message: "test file: \(message)"))
                } else {
                    loadProblem = "test file line \(line): \(message)"
                }
            case .eval(let c):
                report(evaluate(c))
            }
        }
        dropStore()
    }

    // MARK: - Storage

    private func openStore() -> MetricStore? {
        if let store { return store }
        storeCount += 1
        let dir = NSTemporaryDirectory() + "strata-promql-conformance-\(getpid())-\(storeCount)"
        try? FileManager.default.removeItem(atPath: dir)
        var o = MetricStoreOptions()
        o.durability = .none
        o.outOfOrderWindow = Int64.max / 4
        do {
            let s = try MetricStore(directory: dir, options: o)
            var eo = PromQLEngineOptions()
            eo.enableExperimentalFunctions = true
            eo.timeoutMilliseconds = 30_000
            store = s
            directory = dir
            engine = PromQLEngine(store: s, options: eo)
            return s
        } catch {
            loadProblem = "cannot create the store in \(dir): \(error)"
            return nil
        }
    }

    private func dropStore() {
        if let store { try? store.close() }
        store = nil
        engine = nil
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
        directory = nil
        loadProblem = nil
    }

    private func load(_ l: LoadCommand) {
        guard let store = openStore() else { return }
        do {
            for (labels, values) in l.series {
                var samples: [Sample] = []
                var histograms: [HistogramSample] = []
                samples.reserveCapacity(values.count)
                for (i, v) in values.enumerated() {
                    let t = Int64(i) * l.interval
                    switch v {
                    case .float(let f): samples.append(Sample(t, f))
                    case .histogram(let h): histograms.append(HistogramSample(t, h.histogram))
                    case .omitted: break
                    }
                }
                if !samples.isEmpty {
                    let summary = try store.append(labels, samples)
                    if summary.rejected > 0 {
                        loadProblem = "load at line \(l.line): \(summary.rejected) samples of \(labels) rejected"
                    }
                }
                if !histograms.isEmpty {
                    let summary = try store.appendHistograms(labels, histograms)
                    if summary.rejected > 0 {
                        loadProblem = "load at line \(l.line): \(summary.rejected) histogram samples of \(labels) rejected"
                    }
                }
            }
            if l.withNHCB {
                for (labels, samples) in ClassicToNHCB.convert(l) {
                    let summary = try store.appendHistograms(labels, samples)
                    if summary.rejected > 0 {
                        loadProblem = "load at line \(l.line): \(summary.rejected) NHCB samples of \(labels) rejected"
                    }
                }
            }
            try store.flush()
        } catch {
            loadProblem = "load at line \(l.line): \(error)"
        }
    }

    // MARK: - Evaluation

    private func result(_ c: EvalCase, _ s: CaseResult.Status, _ m: String) -> CaseResult {
        CaseResult(file: file, line: c.line, expr: c.expr, status: s, message: m)
    }

    private func evaluate(_ c: EvalCase) -> CaseResult {
        if options.coreOnly && nonCoreFiles.contains(file) { return result(c, .unsupported, "outside the core set") }
        let expr: Expr
        do { expr = try PromQL.parse(c.expr) } catch {
            return result(c, .fail, "\(error)")
        }
        if let reason = outsideTarget(expr) { return result(c, .unsupported, reason) }
        guard let engine = openStore().flatMap({ _ in self.engine }) else {
            return result(c, .fail, loadProblem ?? "no store")
        }
        let failure = c.isRange ? runRange(c, expr, engine) : runInstant(c, expr, engine)
        guard let failure else { return result(c, .pass, "") }
        let extra = loadProblem.map { " [\($0)]" } ?? ""
        return result(c, .fail, failure + extra)
    }

    /// Experimental features, when only the core set counts.
    private func outsideTarget(_ expr: Expr) -> String? {
        guard options.coreOnly else { return nil }
        if let f = ExprWalk.functionNames(expr).first(where: ExprWalk.isExperimental) { return "experimental function \(f)" }
        if let op = ExprWalk.aggregateOps(expr).first(where: { $0 == .limitk || $0 == .limit_ratio }) {
            return "experimental aggregation \(op.rawValue)"
        }
        return nil
    }

    private func runRange(_ c: EvalCase, _ expr: Expr, _ engine: PromQLEngine) -> String? {
        let r: QueryResult
        do { r = try engine.rangeQuery(expr, query: c.expr, start: c.start, end: c.end, step: c.step) } catch {
            if c.isFail { return ResultComparison.checkExpectedFailure(error, c) }
            return "error evaluating query: \(error)"
        }
        if c.isFail { return "expected error evaluating query but got none" }
        if let e = ResultComparison.checkAnnotations(r, c) { return e }
        return ResultComparison.compare(r.value, c)
    }

    /// test.go's `execInstantEval`: the query at its time, then (unless it depends on the evaluation
    /// time) with every selector pinned by `@` and evaluated at shifted times; each one also as a
    /// range query whose middle step must give the same answer.
    private func runInstant(_ c: EvalCase, _ expr: Expr, _ engine: PromQLEngine) -> String? {
        var queries: [(Expr, Int64, String)] = [(expr, c.eval, c.expr)]
        if !ExprWalk.functionNames(expr).contains(where: ExprWalk.atModifierUnsafeFunctions.contains) {
            let ts = c.eval
            let times: [Int64] = ts == 0 ? [-1000, 0, 1000] : [-10 * ts, 0, ts / 5, ts, 10 * ts]
            let pinned = ExprWalk.pinned(expr, at: ts)
            let text = pinned.description
            for t in times { queries.append((pinned, t, text)) }
        }
        for (q, t, text) in queries {
            if let e = runInstantQuery(c, q, at: t, text: text, engine) {
                return t == c.eval && text == c.expr ? e : "\(e) (query \(text) at \(t) ms)"
            }
        }
        return nil
    }

    private func runInstantQuery(_ c: EvalCase, _ expr: Expr, at t: Int64, text: String, _ engine: PromQLEngine) -> String? {
        let r: QueryResult
        do { r = try engine.instantQuery(expr, query: c.expr, at: t) } catch {
            if c.isFail { return ResultComparison.checkExpectedFailure(error, c) }
            return "error evaluating query: \(error)"
        }
        if c.isFail { return "expected error evaluating query but got none" }
        if let e = ResultComparison.checkAnnotations(r, c) { return e }
        if let e = ResultComparison.compare(r.value, c) { return e }
        if c.excludeFromRangeQuery || ExprWalk.usesQueryContextFunctions(text) { return nil }

        let rr: QueryResult
        do { rr = try engine.rangeQuery(expr, query: c.expr, start: t - 60_000, end: t + 60_000, step: 60_000) } catch {
            return "error evaluating query in range mode: \(error)"
        }
        if c.isOrdered { return nil }
        guard case .matrix(let m) = rr.value else { return "range mode returned a \(rr.value.type.rawValue)" }
        for k in m.indices.dropLast() where m[k + 1].labels < m[k].labels {
            return "range mode: matrix results should always be sorted by labels"
        }
        var vec: [VectorElement] = []
        for s in m {
            if let i = s.timestamps.firstIndex(of: t) { vec.append(VectorElement(labels: s.labels, timestamp: t, value: s.values[i])) }
            if let i = s.histogramTimestamps.firstIndex(of: t) {
                vec.append(VectorElement(labels: s.labels, timestamp: t, value: 0, histogram: s.histograms[i]))
            }
        }
        let e: String?
        if case .scalar = r.value {
            guard let first = vec.first else { return "range mode: no point at the evaluation time for a scalar" }
            e = ResultComparison.compare(.scalar(timestamp: t, value: first.value), c)
        } else {
            e = ResultComparison.compare(.vector(vec), c)
        }
        return e.map { "range mode: \($0)" }
    }
}
