import Strata
import StrataLabels
import StrataMetrics
import StrataQuery

/// An alert changing state during `RuleHistory.evaluate`.
public struct AlertTransition: Sendable {
    public var time: Int64
    public var group: String
    public var rule: String
    public var labels: Labels
    /// `pending`, `firing`, or `inactive` (resolved).
    public var state: Alert.State
    /// The expression's value (at the transition; the last value for a resolution).
    public var value: Double
    /// The annotations expanded at the transition.
    public var annotations: Labels
}

/// What `RuleHistory.evaluate` did.
public struct RuleHistoryReport: Sendable {
    public var transitions: [AlertTransition] = []
    /// Evaluation steps of all groups, and rules evaluated.
    public var steps = 0
    public var rules = 0
    /// Series and samples of recording rules; samples of `ALERTS` and `ALERTS_FOR_STATE`.
    public var recordedSeries = 0
    public var recordedSamples = 0
    public var alertSamples = 0
    /// Whether they were written to the metric store.
    public var written = false
    /// Rules that failed: `group/rule`, the time of the failure (ms) and the error.
    public var failures: [(rule: String, time: Int64?, message: String)] = []
}

/// Evaluates rule groups over stored history as the rule manager would have run them at each
/// interval, but one range query per rule (not one query per rule and step): the recording rules'
/// series and the alert state machine over the steps, with the transitions of every alert.
/// With `write`, recorded series and `ALERTS`/`ALERTS_FOR_STATE` are stored (what `promtool tsdb
/// create-blocks-from rules` does), rule by rule, so later rules read what earlier ones recorded.
public enum RuleHistory {
    /// - Parameter sliceSteps: steps evaluated per range query (a day at 15 s by default): the
    ///   alert state and the recording rules' staleness carry from one slice to the next, so memory
    ///   follows the slice, not the whole range.
    public static func evaluate(
        _ groups: [RuleGroupDefinition], runner: RuleQueryRunner, start: Int64, end: Int64, interval defaultInterval: Int64, write: Bool,
        externalLabels: [String: String] = [:], externalURL: String = "", sliceSteps: Int = 5_760,
        progress: ((Int, Int) -> Void)? = nil
    ) -> RuleHistoryReport {
        var report = RuleHistoryReport()
        report.written = write
        let slice = max(1, sliceSteps)
        var total = 0
        for group in groups {
            let step = group.interval ?? defaultInterval
            guard step > 0, end >= start else { continue }
            total += group.rules.count * ((Int((end - start) / step) + slice) / slice)
        }
        var done = 0
        for group in groups {
            let step = group.interval ?? defaultInterval
            guard step > 0, end >= start else { continue }
            let steps = Int((end - start) / step) + 1
            report.steps += steps
            report.rules += group.rules.count
            var states = [RuleRunState](repeating: RuleRunState(), count: group.rules.count)
            var first = 0
            while first < steps {
                let n = min(slice, steps - first)
                let sliceStart = start + Int64(first) * step
                for (ri, rule) in group.rules.enumerated() {
                    defer {
                        done += 1
                        progress?(done, total)
                    }
                    let qStart = sliceStart - group.queryOffset
                    let qEnd = qStart + Int64(n - 1) * step
                    let matrix: [MatrixSeries]
                    do throws(QueryError) {
                        matrix = try runner.range(rule.query, text: rule.expr, start: qStart, end: qEnd, step: step)
                    } catch {
                        report.failures.append(("\(group.name)/\(rule.name)", sliceStart, error.message))
                        continue
                    }
                    var out: [Labels: (ts: [Int64], vs: [Double])] = [:]
                    switch rule.kind {
                    case .recording:
                        recordSeries(rule, matrix, group: group, qStart: qStart, step: step, steps: n, state: &states[ri], out: &out, report: &report)
                        report.recordedSamples += out.values.reduce(0) { $0 + $1.ts.count }
                    case .alerting:
                        alertSteps(
                            rule, matrix, group: group, start: sliceStart, qStart: qStart, step: step, steps: n, runner: runner,
                            externalLabels: externalLabels, externalURL: externalURL, state: &states[ri], out: &out, report: &report)
                        report.alertSamples += out.values.reduce(0) { $0 + $1.ts.count }
                    }
                    if write, !out.isEmpty {
                        do {
                            let keys = Array(out.keys)
                            let refs = try runner.database.metrics.seriesRefs(for: keys)
                            var batch = SampleBatch(capacity: 0)
                            for (k, ref) in zip(keys, refs) {
                                guard let ref, let s = out[k] else { continue }
                                for (t, v) in zip(s.ts, s.vs) { batch.append(ref, milliseconds: t, v) }
                            }
                            _ = try runner.database.metrics.append(batch)
                        } catch {
                            report.failures.append(("\(group.name)/\(rule.name)", sliceStart, "writing: \(error)"))
                        }
                    }
                }
                first += n
            }
            report.recordedSeries += states.reduce(0) { $0 + $1.recorded.count }
        }
        report.transitions.sort { ($0.time, $0.rule, $0.labels) < ($1.time, $1.rule, $1.labels) }
        return report
    }

    /// What one rule carries from one slice of the range to the next.
    struct RuleRunState {
        var alert = AlertingRuleState()
        var previousState: [Labels: Alert.State] = [:]
        var previousSeries: Set<Labels> = []
        /// The sample labels behind each alert (what `$labels` shows in annotations).
        var origin: [Labels: Labels] = [:]
        /// Recorded series with a sample at the previous slice's last step.
        var atEnd: Set<Labels> = []
        /// Every series the rule recorded.
        var recorded: Set<Labels> = []
    }

    /// A recording rule's output series, with a stale marker at the first step a series is missing.
    static func recordSeries(
        _ rule: RuleDefinition, _ matrix: [MatrixSeries], group: RuleGroupDefinition, qStart: Int64, step: Int64, steps: Int,
        state: inout RuleRunState, out: inout [Labels: (ts: [Int64], vs: [Double])], report: inout RuleHistoryReport
    ) {
        var seen: Set<Labels> = []
        var atEnd: Set<Labels> = []
        let qEnd = qStart + Int64(steps - 1) * step
        for s in matrix {
            var l = s.labels.setting("__name__", to: rule.name)
            for x in rule.labels { l = x.value.isEmpty ? l.removing([x.name]) : l.setting(x.name, to: x.value) }
            guard seen.insert(l).inserted else {
                report.failures.append(("\(group.name)/\(rule.name)", s.timestamps.first, "vector contains metrics with the same labelset after applying rule labels"))
                continue
            }
            var ts: [Int64] = []
            var vs: [Double] = []
            ts.reserveCapacity(s.timestamps.count + 4)
            vs.reserveCapacity(s.timestamps.count + 4)
            var previous: Int64?
            // A series the previous slice ended with that is missing at this slice's first step.
            if state.atEnd.contains(l), s.timestamps.first != qStart {
                ts.append(qStart)
                vs.append(Sample.staleNaN)
            }
            for (t, v) in zip(s.timestamps, s.values) {
                if let p = previous, t - p > step {
                    ts.append(p + step)
                    vs.append(Sample.staleNaN)
                }
                ts.append(t)
                vs.append(v)
                previous = t
            }
            if let p = previous, p + step <= qEnd {
                ts.append(p + step)
                vs.append(Sample.staleNaN)
            } else if previous == qEnd {
                atEnd.insert(l)
            }
            out[l] = (ts, vs)
            state.recorded.insert(l)
        }
        for l in state.atEnd where !seen.contains(l) { out[l] = ([qStart], [Sample.staleNaN]) }
        state.atEnd = atEnd
        if group.limit > 0 {
            // A step with more series than the limit fails the rule at that step.
            var counts = [Int](repeating: 0, count: steps)
            for s in matrix { for t in s.timestamps { counts[Int((t - qStart) / step)] += 1 } }
            if let k = counts.firstIndex(where: { $0 > group.limit }) {
                report.failures.append(("\(group.name)/\(rule.name)", qStart + Int64(k) * step, "exceeded limit of \(group.limit) with \(counts[k]) series"))
            }
        }
    }

    /// Runs the alert state machine over the steps of an alerting rule's range result.
    static func alertSteps(
        _ rule: RuleDefinition, _ matrix: [MatrixSeries], group: RuleGroupDefinition, start: Int64, qStart: Int64, step: Int64, steps: Int,
        runner: RuleQueryRunner, externalLabels: [String: String], externalURL: String, state run: inout RuleRunState,
        out: inout [Labels: (ts: [Int64], vs: [Double])], report: inout RuleHistoryReport
    ) {
        // Per step, the elements the expression produced.
        let templatedLabels = rule.labels.contains { $0.value.utf8.contains(UInt8(ascii: "{")) }
        // Per step, the series (index into `matrix`) and value; each series' alert labels built once
        // when they do not depend on the value.
        var perStep = [[(series: Int, value: Double)]](repeating: [], count: steps)
        var alertLabels: [Labels] = []
        alertLabels.reserveCapacity(matrix.count)
        for (i, s) in matrix.enumerated() {
            for (t, v) in zip(s.timestamps, s.values) {
                let k = Int((t - qStart) / step)
                if k >= 0 && k < steps { perStep[k].append((i, v)) }
            }
            if !templatedLabels {
                var l = s.labels.removing(["__name__"])
                for x in rule.labels { l = x.value.isEmpty ? l.removing([x.name]) : l.setting(x.name, to: x.value) }
                alertLabels.append(l.setting("alertname", to: rule.name))
            }
        }
        let evaluator = RuleGroupEvaluator(group: RuleGroupDefinition(name: group.name, file: group.file, rules: [rule]), externalLabels: externalLabels, externalURL: externalURL)
        var state = run.alert
        var previousState = run.previousState
        var previousSeries = run.previousSeries
        var origin = run.origin
        var originFilled = false
        defer {
            run.alert = state
            run.previousState = previousState
            run.previousSeries = previousSeries
            run.origin = origin
        }
        // The output series by index: one hash per sample.
        var outIndex: [Labels: Int] = [:]
        var outLabels: [Labels] = []
        var outTs: [[Int64]] = []
        var outVs: [[Double]] = []
        func append(_ l: Labels, _ t: Int64, _ v: Double) {
            let i: Int
            if let k = outIndex[l] {
                i = k
            } else {
                i = outLabels.count
                outIndex[l] = i
                outLabels.append(l)
                outTs.append([])
                outVs.append([])
            }
            outTs[i].append(t)
            outVs[i].append(v)
        }
        defer { for (i, l) in outLabels.enumerated() { out[l] = (outTs[i], outVs[i]) } }
        for k in 0..<steps {
            let ts = start + Int64(k) * step
            let sampleTime = qStart + Int64(k) * step
            var produced: [(labels: Labels, value: Double, annotations: Labels)] = []
            produced.reserveCapacity(perStep[k].count)
            if templatedLabels {
                let elements = perStep[k].map { VectorElement(labels: matrix[$0.series].labels, timestamp: sampleTime, value: $0.value) }
                do throws(QueryError) {
                    produced = try evaluator.expandAlerts(rule, elements, at: ts, runner: runner).map { ($0.labels, $0.value, Labels()) }
                    for (p, e) in zip(produced, elements) { origin[p.labels] = e.labels }
                } catch {
                    report.failures.append(("\(group.name)/\(rule.name)", ts, error.message))
                    continue
                }
            } else {
                for e in perStep[k] {
                    produced.append((alertLabels[e.series], e.value, Labels()))
                }
            }
            let samples: [(Labels, Double)]
            do throws(QueryError) {
                samples = try state.evaluate(at: ts, produced: produced, rule: rule, limit: group.limit)
            } catch {
                report.failures.append(("\(group.name)/\(rule.name)", ts, error.message))
                continue
            }
            // Transitions, with annotations expanded at that moment.
            var now: [Labels: Alert.State] = [:]
            for a in state.active.values {
                now[a.labels] = a.state
                guard previousState[a.labels] != a.state else { continue }
                var annotations = Labels()
                if !rule.annotations.isEmpty {
                    if !templatedLabels && !originFilled {
                        for (i, l) in alertLabels.enumerated() { origin[l] = matrix[i].labels }
                        originFilled = true
                    }
                    let element = VectorElement(labels: origin[a.labels] ?? a.labels, timestamp: sampleTime, value: a.value)
                    annotations = annotate(rule, element, at: ts, runner: runner, evaluator: evaluator)
                }
                report.transitions.append(
                    AlertTransition(time: ts, group: group.name, rule: rule.name, labels: a.labels, state: a.state, value: a.value, annotations: annotations))
            }
            // A pending alert that is no longer produced ends without firing.
            for (l, s) in previousState where now[l] == nil && s == .pending {
                report.transitions.append(AlertTransition(time: ts, group: group.name, rule: rule.name, labels: l, state: .inactive, value: .nan, annotations: Labels()))
            }
            previousState = now
            // ALERTS series and their stale markers.
            var current: Set<Labels> = []
            current.reserveCapacity(samples.count)
            for (l, v) in samples {
                current.insert(l)
                append(l, sampleTime, v)
            }
            for l in previousSeries where !current.contains(l) { append(l, sampleTime, Sample.staleNaN) }
            previousSeries = current
        }
    }

    /// The rule's annotations for one alert.
    static func annotate(_ rule: RuleDefinition, _ element: VectorElement, at ts: Int64, runner: RuleQueryRunner, evaluator: RuleGroupEvaluator) -> Labels {
        var r = rule
        r.labels = []
        let expanded = try? evaluator.expandAlerts(r, [element], at: ts, runner: runner)
        return expanded?.first?.annotations ?? Labels()
    }
}
