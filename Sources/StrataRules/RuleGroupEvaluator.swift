import Strata
import StrataLabels
import StrataMetrics
import StrataQuery

/// Runs rule expressions against a database, each in its language.
public struct RuleQueryRunner: Sendable {
    public let database: Database
    public var options: PromQLEngineOptions

    public init(database: Database, options: PromQLEngineOptions = PromQLEngineOptions()) {
        self.database = database
        self.options = options
    }

    /// The expression's instant vector at `time` (ms); a scalar is one element without labels.
    func instant(_ q: RuleQuery, text: String, at time: Int64) throws(QueryError) -> [VectorElement] {
        let r: QueryResult
        switch q {
        case .promQL(let e): r = try PromQLEngine(store: database.metrics, options: options).instantQuery(e, query: text, at: time)
        case .logQL: r = try LogQLEngine(store: database.logs, options: options).instantQuery(text, at: time)
        case .traceExpr(let e):
            var engine = TraceQueryEngine(store: database.traces)
            engine.options = options
            r = try engine.instant(e, query: text, at: time)
        case .traceStatistic(let s, let search, let w):
            var engine = TraceQueryEngine(store: database.traces)
            engine.options = options
            r = try engine.instant(s, search, window: w, at: time)
        }
        switch r.value {
        case .vector(let v): return v
        case .scalar(let t, let v): return [VectorElement(labels: Labels(), timestamp: t, value: v)]
        default: throw QueryError(.execution, "rule result is not a vector or scalar")
        }
    }

    /// The expression at every step of `[start, end]` (ms): series with their points.
    func range(_ q: RuleQuery, text: String, start: Int64, end: Int64, step: Int64) throws(QueryError) -> [MatrixSeries] {
        let r: QueryResult
        switch q {
        case .promQL(let e): r = try PromQLEngine(store: database.metrics, options: options).rangeQuery(e, query: text, start: start, end: end, step: step)
        case .logQL: r = try LogQLEngine(store: database.logs, options: options).rangeQuery(text, start: start, end: end, step: step)
        case .traceExpr(let e):
            var engine = TraceQueryEngine(store: database.traces)
            engine.options = options
            r = try engine.range(e, query: text, start: start, end: end, step: step)
        case .traceStatistic(let s, let search, let w):
            var engine = TraceQueryEngine(store: database.traces)
            engine.options = options
            r = try engine.range(s, search, window: w, start: start, end: end, step: step)
        }
        guard case .matrix(let m) = r.value else { throw QueryError(.execution, "rule result is not a vector or scalar") }
        return m
    }

    /// A PromQL instant query for templates' `query` function.
    func templateQuery(_ text: String, at time: Int64) throws(QueryError) -> [TemplateSample] {
        let e = try PromQL.parse(text)
        let r = try PromQLEngine(store: database.metrics, options: options).instantQuery(e, query: text, at: time)
        switch r.value {
        case .vector(let v): return v.map { TemplateSample(labels: Self.map($0.labels), value: $0.value) }
        case .scalar(_, let v): return [TemplateSample(labels: [:], value: v)]
        default: throw QueryError(.execution, "query \(text): the result is not a vector or scalar")
        }
    }

    static func map(_ l: Labels) -> [String: String] {
        var d: [String: String] = [:]
        for x in l.labels { d[x.name] = x.value }
        return d
    }
}

/// What a rule did at its latest evaluation.
public struct RuleHealth: Sendable {
    /// `ok`, `err` or `unknown` (not evaluated yet), as Prometheus's API says.
    public var health: String = "unknown"
    public var lastError: String?
    /// When it was last evaluated (ms) and how long that took (seconds).
    public var lastEvaluation: Int64?
    public var evaluationSeconds: Double = 0
}

/// A group's rules and their state across evaluations: Prometheus's rule manager for one group.
/// Rules run in order; each rule's output is written to the metric store before the next runs,
/// so later rules see it; series that a rule stops producing get a stale marker.
public struct RuleGroupEvaluator: Sendable {
    public let group: RuleGroupDefinition
    /// `$externalLabels` and `$externalURL` of the templates.
    public var externalLabels: [String: String]
    public var externalURL: String
    /// Whether outputs (`ALERTS`, `ALERTS_FOR_STATE`, recorded series, stale markers) are written.
    public var writes = true
    var alertStates: [AlertingRuleState]
    var previousSeries: [Set<Labels>]
    public private(set) var health: [RuleHealth]
    /// When the group last ran (ms) and for how long (seconds).
    public private(set) var lastEvaluation: Int64?
    public private(set) var evaluationSeconds: Double = 0

    public init(group: RuleGroupDefinition, externalLabels: [String: String] = [:], externalURL: String = "") {
        self.group = group
        self.externalLabels = externalLabels
        self.externalURL = externalURL
        alertStates = Array(repeating: AlertingRuleState(), count: group.rules.count)
        previousSeries = Array(repeating: [], count: group.rules.count)
        health = Array(repeating: RuleHealth(), count: group.rules.count)
    }

    /// The alerts of rule `index` (empty for a recording rule).
    public func alerts(ofRule index: Int) -> [Alert] { alertStates[index].sortedAlerts }

    /// Evaluates every rule at `ts` (ms). A rule that fails is reported in `health` and does not stop
    /// the others. Returns the errors of the rules that failed, by rule index.
    @discardableResult
    public mutating func evaluate(at ts: Int64, runner: RuleQueryRunner, clock: () -> Double = { 0 }) -> [(Int, QueryError)] {
        var failures: [(Int, QueryError)] = []
        let groupStart = clock()
        let queryTime = ts - group.queryOffset
        for (i, rule) in group.rules.enumerated() {
            let start = clock()
            do throws(QueryError) {
                let vector = try runner.instant(rule.query, text: rule.expr, at: queryTime)
                let out: [(Labels, Double)]
                switch rule.kind {
                case .recording:
                    out = try Self.record(rule, vector, limit: group.limit)
                case .alerting:
                    let produced = try expandAlerts(rule, vector, at: ts, runner: runner)
                    out = try alertStates[i].evaluate(at: ts, produced: produced, rule: rule, limit: group.limit)
                }
                if writes { try write(out, rule: i, at: queryTime, runner: runner) }
                health[i] = RuleHealth(health: "ok", lastError: nil, lastEvaluation: ts, evaluationSeconds: clock() - start)
            } catch {
                health[i] = RuleHealth(health: "err", lastError: error.message, lastEvaluation: ts, evaluationSeconds: clock() - start)
                failures.append((i, error))
                // Prometheus writes stale markers for what the failed rule produced before.
                if writes { try? write([], rule: i, at: queryTime, runner: runner) }
            }
        }
        lastEvaluation = ts
        evaluationSeconds = clock() - groupStart
        return failures
    }

    /// A recording rule's output: the name and the rule's labels set on every element.
    static func record(_ rule: RuleDefinition, _ vector: [VectorElement], limit: Int) throws(QueryError) -> [(Labels, Double)] {
        var seen: Set<Labels> = []
        var out: [(Labels, Double)] = []
        out.reserveCapacity(vector.count)
        for e in vector {
            var l = e.labels.setting("__name__", to: rule.name)
            for x in rule.labels { l = x.value.isEmpty ? l.removing([x.name]) : l.setting(x.name, to: x.value) }
            guard seen.insert(l).inserted else {
                throw QueryError(.execution, "vector contains metrics with the same labelset after applying rule labels")
            }
            out.append((l, e.value))
        }
        if limit > 0 && out.count > limit {
            throw QueryError(.execution, "exceeded limit of \(limit) with \(out.count) series")
        }
        return out
    }

    /// Each element's alert: its labels without `__name__`, the rule's labels expanded, `alertname`;
    /// its annotations expanded.
    func expandAlerts(_ rule: RuleDefinition, _ vector: [VectorElement], at ts: Int64, runner: RuleQueryRunner) throws(QueryError)
        -> [(labels: Labels, value: Double, annotations: Labels)]
    {
        var out: [(labels: Labels, value: Double, annotations: Labels)] = []
        out.reserveCapacity(vector.count)
        let query: @Sendable (String) throws -> [TemplateSample] = { q in try runner.templateQuery(q, at: ts) }
        let environment = TemplateEnvironment(query: query, externalURL: externalURL, evaluationTime: ts)
        for e in vector {
            let data = RuleTemplate.data(
                labels: RuleQueryRunner.map(e.labels), externalLabels: externalLabels, externalURL: externalURL, value: e.value)
            func expand(_ text: String, _ template: GoTemplate??) -> String {
                guard text.utf8.contains(UInt8(ascii: "{")) else { return text }
                do throws(TemplateError) {
                    let t: GoTemplate
                    if let parsed = template ?? nil { t = parsed } else { t = try RuleTemplate.parse(text) }
                    return try t.execute(data, environment: environment)
                } catch {
                    return "<error expanding template: \(error.message)>"
                }
            }
            var l = e.labels.removing(["__name__"])
            for (k, x) in rule.labels.enumerated() {
                let v = expand(x.value, k < rule.labelTemplates.count ? rule.labelTemplates[k] : nil)
                l = v.isEmpty ? l.removing([x.name]) : l.setting(x.name, to: v)
            }
            l = l.setting("alertname", to: rule.name)
            var ann: [Label] = []
            for (k, a) in rule.annotations.enumerated() {
                ann.append(Label(a.name, expand(a.value, k < rule.annotationTemplates.count ? rule.annotationTemplates[k] : nil)))
            }
            ann.sort()
            // Duplicate annotation names cannot occur: the YAML reader refuses duplicate keys.
            out.append((l, e.value, Labels(sorted: ann.filter { !$0.value.isEmpty })))
        }
        return out
    }

    /// Writes a rule's output at `time` and stale markers for the series it produced last time but
    /// not now.
    mutating func write(_ out: [(Labels, Double)], rule i: Int, at time: Int64, runner: RuleQueryRunner) throws(QueryError) {
        var now: Set<Labels> = []
        now.reserveCapacity(out.count)
        var series: [Labels] = []
        var values: [Double] = []
        for (l, v) in out where now.insert(l).inserted {
            series.append(l)
            values.append(v)
        }
        for l in previousSeries[i] where !now.contains(l) {
            series.append(l)
            values.append(Sample.staleNaN)
        }
        previousSeries[i] = now
        guard !series.isEmpty else { return }
        let store = runner.database.metrics
        do {
            let refs = try store.seriesRefs(for: series)
            var batch = SampleBatch(capacity: series.count)
            for (k, ref) in refs.enumerated() {
                guard let ref else { continue }
                batch.append(ref, milliseconds: time, values[k])
            }
            _ = try store.append(batch)
        } catch {
            throw QueryError(storage: error, file: nil)
        }
    }
}
