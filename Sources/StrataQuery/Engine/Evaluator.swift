import StrataLabels
import StrataMetrics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One series of an intermediate result: values at some of the evaluation steps (`ts` are step times,
/// ascending). `dropName` is Prometheus 3's delayed `__name__` removal: the name stays while later
/// operators may still match on it and is removed when the query's value is assembled.
///
/// Histogram points: `hs` is empty for a float-only series (the common case, which pays nothing);
/// otherwise it runs parallel to `ts` and a non-nil entry makes that point a histogram (its `vs` entry is 0).
struct EvalSeries {
    var labels: Labels
    var ts: [Int64]
    var vs: [Double]
    var hs: [FloatHistogram?]
    var dropName: Bool

    init(labels: Labels, ts: [Int64] = [], vs: [Double] = [], hs: [FloatHistogram?] = [], dropName: Bool = false) {
        self.labels = labels
        self.ts = ts
        self.vs = vs
        self.hs = hs
        self.dropName = dropName
    }

    /// The histogram at point `i`, if that point is one.
    @inline(__always) func histogram(_ i: Int) -> FloatHistogram? { hs.isEmpty ? nil : hs[i] }

    /// True when some point is a histogram.
    var hasHistograms: Bool { hs.contains { $0 != nil } }

    /// Appends a float point.
    mutating func append(_ t: Int64, _ v: Double) {
        ts.append(t)
        vs.append(v)
        if !hs.isEmpty { hs.append(nil) }
    }

    /// Appends a histogram point.
    mutating func append(_ t: Int64, histogram h: FloatHistogram) {
        if hs.isEmpty { hs = [FloatHistogram?](repeating: nil, count: ts.count) }
        ts.append(t)
        vs.append(0)
        hs.append(h)
    }

    /// Appends point `i` of `other`, float or histogram.
    mutating func append(pointOf other: EvalSeries, _ i: Int, at t: Int64) {
        if let h = other.histogram(i) { append(t, histogram: h) } else { append(t, other.vs[i]) }
    }

    /// The same series without its histogram points.
    var floatsOnly: EvalSeries {
        guard !hs.isEmpty else { return self }
        var out = EvalSeries(labels: labels, dropName: dropName)
        for i in ts.indices where hs[i] == nil { out.append(ts[i], vs[i]) }
        return out
    }
}

/// What evaluating a node yields: series over the step grid (vectors and scalars; a scalar is one
/// series with empty labels and a point at every step), raw samples (a range vector at the top level
/// of an instant query), or a string.
enum EvalValue {
    case series([EvalSeries])
    case string(String)
}

/// State shared by every evaluator of one query (the top level and its subqueries).
final class EvalContext {
    /// The metric store selectors read (nil when a dialect evaluates over another store only).
    let store: MetricStore?
    /// Evaluates another dialect's nodes (`Expr.extension`), e.g. LogQL's log range aggregations.
    let extensionEvaluator: (any ExtensionEvaluator)?
    let options: PromQLEngineOptions
    let query: String
    /// The query's own start and end, for `@ start()` and `@ end()`.
    let queryStart: Int64
    let queryEnd: Int64
    /// The range query's step (0 for an instant query), for `step()`.
    let queryStep: Int64
    let annotations: AnnotationSet
    private let deadline: ContinuousClock.Instant
    /// Samples currently held (loaded from the store or produced by nodes).
    var samples = 0
    /// Samples decoded from the store (what `QueryResult.samplesRead` reports).
    var samplesRead = 0
    private var checks = 0

    init(
        store: MetricStore?, options: PromQLEngineOptions, query: String, start: Int64, end: Int64, step: Int64 = 0,
        extensionEvaluator: (any ExtensionEvaluator)? = nil
    ) {
        self.store = store
        self.extensionEvaluator = extensionEvaluator
        self.options = options
        self.query = query
        self.queryStart = start
        self.queryEnd = end
        self.queryStep = step
        self.annotations = AnnotationSet(query: query)
        self.deadline = ContinuousClock.now.advanced(by: .milliseconds(max(0, options.timeoutMilliseconds)))
    }

    /// Adds `n` samples to the query's budget and fails when it is exceeded.
    func account(_ n: Int) throws(QueryError) {
        samples += n
        if samples > options.maxSamples {
            throw QueryError(.tooManySamples, "query processing would load too many samples into memory in query execution")
        }
    }

    /// Fails once the query's time budget is spent (checked cheaply: the clock is read every 64 calls)
    /// or the caller cancelled it.
    func checkTimeout(force: Bool = false) throws(QueryError) {
        if let c = options.cancellation, c.isCancelled { throw QueryError(.cancelled, "stopped on request") }
        checks &+= 1
        guard force || checks & 63 == 0 else { return }
        if ContinuousClock.now > deadline {
            throw QueryError(.timeout, "query timed out in expression evaluation")
        }
    }

    func error(_ message: String, _ range: SourceRange? = nil) -> QueryError {
        QueryError(.execution, message, query: range == nil ? nil : query, range: range)
    }
}

/// Evaluates the nodes another dialect adds to the AST (`Expr.extension`) over an evaluator's step
/// grid, so that PromQL's aggregations, functions and operators work on top of them.
protocol ExtensionEvaluator: Sendable {
    /// The node's series at the steps of `ev` (`ev.stepTime(i)`, ms), each point at a step time.
    func evaluate(_ node: any ExprExtension, _ ev: Evaluator) throws(QueryError) -> [EvalSeries]
}

/// Evaluates an expression over a grid of steps `start, start+interval, ..., end` (an instant query is
/// a grid of one step), node by node as Prometheus's engine does: every node yields all its steps at once.
struct Evaluator {
    let ctx: EvalContext
    let start: Int64
    let end: Int64
    let interval: Int64
    /// True inside a subquery, whose vector selectors may skip or repeat histogram samples.
    var inSubquery = false
    /// True below histogram_count/histogram_sum/histogram_avg (with no histogram_quantile,
    /// histogram_fraction, binary operator or subquery between): Prometheus then reads histograms
    /// through its `HistogramStatsIterator`, which re-detects counter resets as it reads, so an
    /// unknown hint becomes `reset` or `not reset` against the sample read before it.
    var statsDecoding = false

    var numSteps: Int { Int((end - start) / interval) + 1 }
    var isInstant: Bool { start == end }

    @inline(__always) func stepTime(_ i: Int) -> Int64 { start + Int64(i) * interval }

    // MARK: Dispatch

    func eval(_ e: Expr) throws(QueryError) -> EvalValue {
        try ctx.checkTimeout(force: true)
        switch e {
        case .number(let v, _):
            return .series([scalarSeries { _ in v }])
        case .string(let s, _):
            return .string(s)
        case .paren(let inner, _):
            return try eval(inner)
        case .unary(let op, let inner, _):
            var s = try evalSeries(inner)
            if op == .minus {
                for i in s.indices {
                    s[i].dropName = true
                    for j in s[i].vs.indices { s[i].vs[j] = -s[i].vs[j] }
                    for j in s[i].hs.indices {
                        // A negated histogram is a gauge.
                        if var h = s[i].hs[j]?.scaled(by: -1) {
                            h.counterResetHint = .gauge
                            s[i].hs[j] = h
                        }
                    }
                }
            }
            return .series(s)
        case .vectorSelector(let vs):
            return .series(try evalVectorSelector(vs))
        case .matrixSelector(let ms):
            guard isInstant else {
                throw ctx.error("cannot do range evaluation of matrix selector", ms.range)
            }
            return .series(try rawRange(of: .matrixSelector(ms)))
        case .subquery(let sq):
            guard isInstant else {
                throw ctx.error("cannot do range evaluation of subquery", sq.range)
            }
            return .series(try rawRange(of: .subquery(sq)))
        case .binary(let b):
            var operands = self
            operands.statsDecoding = false
            return .series(try operands.evalBinary(b))
        case .aggregate(let a):
            return .series(try evalAggregate(a))
        case .call(let c):
            var ev = self
            switch c.name {
            case "histogram_count", "histogram_sum", "histogram_avg": ev.statsDecoding = true
            case "histogram_quantile", "histogram_fraction": ev.statsDecoding = false
            default: break
            }
            return .series(try ev.evalCall(c))
        case .extension(let x):
            if let dialect = ctx.extensionEvaluator { return .series(try dialect.evaluate(x, self)) }
            throw ctx.error("the PromQL evaluator cannot evaluate \(x.description)", x.range)
        }
    }

    /// Evaluates a node that must yield series (vector or scalar).
    func evalSeries(_ e: Expr) throws(QueryError) -> [EvalSeries] {
        switch try eval(e) {
        case .series(let s): return s
        case .string: throw ctx.error("expected a vector or scalar, got a string", e.range)
        }
    }

    /// Evaluates a scalar node into one value per step.
    func evalScalar(_ e: Expr) throws(QueryError) -> [Double] {
        let s = try evalSeries(e)
        var out = [Double](repeating: .nan, count: numSteps)
        if let first = s.first {
            for (t, v) in zip(first.ts, first.vs) { out[Int((t - start) / interval)] = v }
        }
        return out
    }

    /// A scalar: one label-less series with a value at every step.
    func scalarSeries(_ value: (Int64) -> Double) -> EvalSeries {
        var s = EvalSeries(labels: Labels())
        s.ts.reserveCapacity(numSteps)
        s.vs.reserveCapacity(numSteps)
        for i in 0..<numSteps {
            let t = stepTime(i)
            s.ts.append(t)
            s.vs.append(value(t))
        }
        return s
    }

    /// A sub-evaluator over another grid (subqueries), sharing the query's context.
    func with(start: Int64, end: Int64, interval: Int64) -> Evaluator {
        Evaluator(ctx: ctx, start: start, end: end, interval: interval, inSubquery: true)
    }

    /// Resolves an `@` modifier to a timestamp (ms).
    func atTime(_ at: AtModifier?) -> Int64? {
        switch at {
        case .none: nil
        case .timestamp(let t): t
        case .start: ctx.queryStart
        case .end: ctx.queryEnd
        }
    }

    // MARK: Step-wise gathering

    /// Walks the steps of several series lists at once, giving, at each step, the indices of the series
    /// that have a point there and their values.
    struct StepWalker {
        private var pos: [Int]
        let series: [EvalSeries]
        /// Some series has histogram points (else the four-argument `gather` leaves `hists` empty).
        let hasHistograms: Bool
        init(_ series: [EvalSeries]) {
            self.series = series
            pos = [Int](repeating: 0, count: series.count)
            hasHistograms = series.contains { !$0.hs.isEmpty }
        }
        /// Fills `idx`/`vals` with the series having a point at `t` (ascending series order).
        mutating func gather(_ t: Int64, _ idx: inout [Int], _ vals: inout [Double]) {
            idx.removeAll(keepingCapacity: true)
            vals.removeAll(keepingCapacity: true)
            for i in 0..<series.count {
                let p = pos[i]
                let ts = series[i].ts
                if p < ts.count && ts[p] == t {
                    idx.append(i)
                    vals.append(series[i].vs[p])
                    pos[i] = p + 1
                }
            }
        }

        /// Like `gather`, also filling `hists` with each gathered point's histogram (nil for floats) when
        /// some series has histograms; otherwise `hists` stays empty (read it with `at(_:)`).
        mutating func gather(_ t: Int64, _ idx: inout [Int], _ vals: inout [Double], _ hists: inout [FloatHistogram?]) {
            hists.removeAll(keepingCapacity: true)
            guard hasHistograms else {
                gather(t, &idx, &vals)
                return
            }
            idx.removeAll(keepingCapacity: true)
            vals.removeAll(keepingCapacity: true)
            for i in 0..<series.count {
                let p = pos[i]
                let ts = series[i].ts
                if p < ts.count && ts[p] == t {
                    idx.append(i)
                    vals.append(series[i].vs[p])
                    hists.append(series[i].histogram(p))
                    pos[i] = p + 1
                }
            }
        }
    }

    /// Collects per-step output samples into series keyed by labels (Prometheus's `rangeEval` output),
    /// failing when one step yields two samples with the same labels.
    struct SeriesCollector {
        var series: [EvalSeries] = []
        private var index: [Labels: Int] = [:]
        private var lastStep: [Int64] = []

        mutating func add(_ labels: Labels, _ t: Int64, _ v: Double, dropName: Bool, ctx: EvalContext) throws(QueryError) {
            if let i = index[labels] {
                if lastStep[i] == t { throw ctx.error("vector cannot contain metrics with the same labelset") }
                lastStep[i] = t
                series[i].append(t, v)
            } else {
                index[labels] = series.count
                lastStep.append(t)
                series.append(EvalSeries(labels: labels, ts: [t], vs: [v], dropName: dropName))
            }
        }

        /// Adds a histogram sample; same rules as `add(_:_:_:dropName:ctx:)`.
        mutating func add(_ labels: Labels, _ t: Int64, histogram h: FloatHistogram, dropName: Bool, ctx: EvalContext)
            throws(QueryError)
        {
            if let i = index[labels] {
                if lastStep[i] == t { throw ctx.error("vector cannot contain metrics with the same labelset") }
                lastStep[i] = t
                series[i].append(t, histogram: h)
            } else {
                index[labels] = series.count
                lastStep.append(t)
                var s = EvalSeries(labels: labels, dropName: dropName)
                s.append(t, histogram: h)
                series.append(s)
            }
        }
    }
}

extension Array where Element == FloatHistogram? {
    /// The histogram gathered at position `k`, nil for a float or when nothing was gathered.
    @inline(__always) func at(_ k: Int) -> FloatHistogram? { isEmpty ? nil : self[k] }
}

/// Prometheus's `kahanSumInc` (Neumaier's variant).
@inline(__always)
func kahanSumInc(_ inc: Double, _ sum: Double, _ c: Double) -> (Double, Double) {
    let t = sum + inc
    var c = c
    if t.isInfinite {
        c = 0
    } else if abs(sum) >= abs(inc) {
        c += (sum - t) + inc
    } else {
        c += (inc - t) + sum
    }
    return (t, c)
}

/// Go's `math.Mod`: the remainder with the sign of `x` (`fmod`).
@inline(__always)
func goMod(_ x: Double, _ y: Double) -> Double { fmod(x, y) }

/// Go's `math.Pow` special cases match C's `pow` except `pow(1, NaN)` and `pow(NaN, 0)`... both are 1 in Go too.
@inline(__always)
func goPow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
