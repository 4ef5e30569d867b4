import Strata
import StrataLabels
import StrataLogs
import StrataMetrics
import StrataQuery
import StrataStorage

#if canImport(Glibc)
    import Glibc
#endif

/// The verdict on one unit-test file and promtool's report of it.
public struct RuleTestReport: Sendable {
    public var file: String
    /// Every failure, each a block of text as promtool prints it.
    public var failures: [String]
    public var passed: Bool { failures.isEmpty }
    /// Test groups, alert checks and expression checks run.
    public var groups = 0
    public var checks = 0
}

/// `promtool test rules`: each test group loads its input into a scratch database, evaluates the
/// rule files' groups from time 0 to the last `eval_time` at the file's `evaluation_interval`, checks
/// the firing alerts at each `alert_rule_test`'s time and runs each `promql_expr_test` at the end.
/// `input_streams` add log lines, so that LogQL rules are tested the same way.
public enum RuleUnitTests {
    /// Runs one test file.
    public static func run(_ path: String) -> RuleTestReport {
        var report = RuleTestReport(file: path, failures: [])
        let text: String
        do { text = String(decoding: try SystemFileSystem().readFile(path), as: UTF8.self) } catch {
            report.failures = ["\(error)"]
            return report
        }
        var reader = RuleTestFileReader(file: path)
        guard let test = reader.read(text) else {
            report.failures = reader.errors.map(\.description)
            return report
        }
        // Rule files are relative to the test file; globs are expanded.
        let dir = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let groups: [RuleGroupDefinition]
        do { groups = try RuleFiles.load(try RuleFileGlob.expand(test.ruleFiles.map { $0.hasPrefix("/") ? $0 : dir + "/" + $0 })) } catch {
            report.failures = error.errors.map(\.description)
            return report
        }
        var order: [String: Int] = [:]
        for (i, name) in test.groupEvalOrder.enumerated() {
            if order[name] != nil {
                report.failures = ["group name repeated in evaluation order: \(name)"]
                return report
            }
            order[name] = i
        }
        for name in test.groupEvalOrder where !groups.contains(where: { $0.name == name }) {
            report.failures = ["group \"\(name)\" in group_eval_order is not a group of the rule files"]
            return report
        }
        // Groups named in group_eval_order run in that order; the others keep file order.
        let ordered = groups.enumerated().sorted { (order[$0.element.name] ?? 0, $0.offset) < (order[$1.element.name] ?? 0, $1.offset) }.map(\.element)
        for tg in test.tests {
            report.groups += 1
            report.checks += tg.alertTests.count + tg.exprTests.count
            report.failures += runGroup(tg, groups: ordered, evaluationInterval: test.evaluationInterval)
        }
        return report
    }

    /// promtool's output for a file: `Unit Testing:  FILE`, then `  SUCCESS` or `  FAILED:` and
    /// each failure followed by a blank line; a blank line closes the file.
    public static func format(_ r: RuleTestReport) -> String {
        var s = "Unit Testing:  \(r.file)\n"
        if r.passed { return s + "  SUCCESS\n\n" }
        s += "  FAILED:\n"
        for f in r.failures { s += f + "\n\n" }
        return s + "\n"
    }

    static func runGroup(_ tg: RuleTestFile.TestGroup, groups: [RuleGroupDefinition], evaluationInterval: Int64) -> [String] {
        let scratch: ScratchDirectory
        do { scratch = try ScratchDirectory() } catch { return ["cannot create a scratch database: \(error)"] }
        defer { scratch.remove() }
        var options = DatabaseOptions()
        options.metrics.durability = .none
        options.logs.durability = .none
        options.traces.durability = .none
        let db: Database
        do { db = try Database(path: scratch.path, options: options) } catch { return ["cannot open a scratch database: \(error)"] }
        defer { try? db.close() }
        // Prometheus 3: a test group without `interval` takes the evaluation interval.
        let interval = tg.interval ?? evaluationInterval
        if let problem = load(tg, into: db, interval: interval) { return [problem] }

        let runner = RuleQueryRunner(database: db)
        var evaluators = groups.map { RuleGroupEvaluator(group: $0, externalLabels: tg.externalLabels, externalURL: tg.externalURL) }
        let maxEval = max(tg.alertTests.map(\.evalTime).max() ?? 0, tg.exprTests.map(\.evalTime).max() ?? 0)
        let alertTimes = Array(Set(tg.alertTests.map(\.evalTime))).sorted()
        var errors: [String] = []
        var current = 0
        var ts: Int64 = 0
        let namePrefix = tg.name.isEmpty ? "" : "    name: \(tg.name),\n"
        while ts <= maxEval {
            var evalErrors: [String] = []
            for i in evaluators.indices {
                for (r, e) in evaluators[i].evaluate(at: ts, runner: runner) {
                    evalErrors.append("    rule: \(evaluators[i].group.rules[r].name), time: \(GoTime.durationString(ts * 1_000_000)), err: \(e.message)")
                }
            }
            if !evalErrors.isEmpty { return errors + evalErrors }
            while current < alertTimes.count, ts <= alertTimes[current], alertTimes[current] < ts + evaluationInterval {
                let t = alertTimes[current]
                for test in tg.alertTests where test.evalTime == t {
                    var got: [(Labels, Labels)] = []
                    for ev in evaluators {
                        for (i, rule) in ev.group.rules.enumerated() where rule.kind == .alerting && rule.name == test.alertname {
                            for a in ev.alerts(ofRule: i) where a.state == .firing { got.append((a.labels, a.annotations)) }
                        }
                    }
                    var exp: [(Labels, Labels)] = []
                    for a in test.expected {
                        var l = a.labels
                        l["alertname"] = test.alertname
                        exp.append((labels(l), labels(a.annotations)))
                    }
                    let byLabels: ((Labels, Labels), (Labels, Labels)) -> Bool = { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
                    got.sort(by: byLabels)
                    exp.sort(by: byLabels)
                    if got.count != exp.count || zip(got, exp).contains(where: { $0.0 != $1.0 || $0.1 != $1.1 }) {
                        let pad = "            "
                        errors.append(
                            "\(namePrefix)    alertname: \(test.alertname), time: \(DurationLiteral.format(milliseconds: t)), \n        exp:\(indent(alertList(exp), pad)), \n        got:\(indent(alertList(got), pad))"
                        )
                    }
                }
                current += 1
            }
            ts += evaluationInterval
        }
        for test in tg.exprTests {
            let time = DurationLiteral.format(milliseconds: test.evalTime)
            let got: [VectorElement]
            do throws(QueryError) {
                got = try evaluate(test.expr, at: test.evalTime, runner: runner)
            } catch {
                errors.append("    expr: \(GoQuote.string(test.expr)), time: \(time), err: \(positioned(error))")
                continue
            }
            var exp: [(Labels, Double)] = []
            var bad: String?
            for s in test.samples {
                let trimmed = s.labels.trimmingSpaces
                if trimmed.isEmpty || trimmed == "{}" {
                    exp.append((Labels(), s.value))
                    continue
                }
                do throws(TestFormatError) {
                    exp.append((try SeriesDescription.parse(s.labels, line: 1).labels, s.value))
                } catch {
                    bad = "labels \(GoQuote.string(s.labels)): \(error.message)"
                    break
                }
            }
            if let bad {
                errors.append("    expr: \(GoQuote.string(test.expr)), time: \(time), err: \(bad)")
                continue
            }
            var gotPairs = got.map { ($0.labels, $0.value) }
            gotPairs.sort { $0.0 < $1.0 }
            exp.sort { $0.0 < $1.0 }
            // Exact equality, as promtool compares (NaN equals nothing).
            if gotPairs.count != exp.count || zip(gotPairs, exp).contains(where: { $0.0 != $1.0 || !($0.1 == $1.1) }) {
                errors.append("    expr: \(GoQuote.string(test.expr)), time: \(time),\n        exp: \(sampleList(exp))\n        got: \(sampleList(gotPairs))")
            }
        }
        return errors
    }

    /// Loads input series and streams; returns a problem, if any.
    static func load(_ tg: RuleTestFile.TestGroup, into db: Database, interval: Int64) -> String? {
        // All samples go in in time order: the store refuses samples far older than its newest.
        var floats: [(t: Int64, series: Int, v: Double)] = []
        var histograms: [(t: Int64, series: Int, h: FloatHistogram)] = []
        var labelSets: [Labels] = []
        for s in tg.series {
            let parsed: (labels: Labels, values: [SequenceValue])
            do throws(TestFormatError) {
                parsed = try SeriesDescription.parse(s.series + " " + s.values, line: s.line)
            } catch {
                return "input series at line \(s.line): \(error.message)"
            }
            let k = labelSets.count
            labelSets.append(parsed.labels)
            for (i, v) in parsed.values.enumerated() {
                let t = Int64(i) * interval
                switch v {
                case .omitted: continue
                case .float(let f): floats.append((t, k, f))
                case .histogram(let h): histograms.append((t, k, h.histogram))
                }
            }
        }
        do {
            let refs = try db.metrics.seriesRefs(for: labelSets)
            floats.sort { ($0.t, $0.series) < ($1.t, $1.series) }
            var batch = SampleBatch(capacity: floats.count)
            for f in floats {
                guard let ref = refs[f.series] else { return "input series: too many series" }
                batch.append(ref, milliseconds: f.t, f.v)
            }
            var summary = try db.metrics.append(batch)
            histograms.sort { ($0.t, $0.series) < ($1.t, $1.series) }
            for h in histograms {
                let r = try db.metrics.appendHistograms(labelSets[h.series], [HistogramSample(.milliseconds(h.t), h.h)])
                summary.accepted += r.accepted
                summary.conflicts += r.conflicts
                summary.tooOld += r.tooOld
                summary.rejections += r.rejections
            }
            if let r = summary.rejections.first {
                return "input series \(r.labels): sample at \(r.timestamp) ms refused: \(r.reason)"
            }
        } catch {
            return "input series: \(error)"
        }
        var records: [LogRecord] = []
        for s in tg.streams {
            let matchers: [LabelMatcher]
            do throws(QueryError) {
                guard case .logs(let sel) = try LogQL.parse(s.stream) else { return "input stream at line \(s.line): \(s.stream) is not a stream selector" }
                matchers = sel.streams
            } catch {
                return "input stream at line \(s.line): \(error.message)"
            }
            var pairs: [Label] = []
            for m in matchers {
                guard m.kind == .equal else { return "input stream at line \(s.line): a stream is given by `name=\"value\"` labels only" }
                pairs.append(Label(m.name, m.value))
            }
            let stream: Labels
            do { stream = try Labels(validating: pairs) } catch { return "input stream at line \(s.line): \(error)" }
            for e in s.entries {
                records.append(
                    LogRecord(time: .milliseconds(e.at), stream: stream, line: Array(e.line.utf8), fields: e.fields.map { LogField($0.0, $0.1) }))
            }
        }
        records.sort { $0.timestamp < $1.timestamp }
        if !records.isEmpty {
            do { try db.logs.append(records) } catch { return "input streams: \(error)" }
        }
        return nil
    }

    /// A test expression in its language (PromQL, LogQL or a trace statistic).
    static func evaluate(_ expr: String, at time: Int64, runner: RuleQueryRunner) throws(QueryError) -> [VectorElement] {
        let q: RuleQuery
        if TraceQuery.looksLikeTraceQuery(expr) || LogQL.looksLikeLogQL(expr) {
            q = try RuleExpression.compile(expr)
        } else {
            q = .promQL(try PromQL.parse(expr))
        }
        return try runner.instant(q, text: expr, at: time)
    }

    static func positioned(_ e: QueryError) -> String {
        guard let c = e.column else { return e.message }
        return "1:\(c): \(e.kind.rawValue): \(e.message)"
    }

    static func labels(_ d: [String: String]) -> Labels {
        Labels(sorted: d.filter { !$0.value.isEmpty }.map { Label($0.key, $0.value) }.sorted())
    }

    /// Go's `labels.Labels.String()`: `{a="1", b="2"}` with every label, `__name__` included.
    static func goLabels(_ l: Labels) -> String {
        "{" + l.labels.map { "\($0.name)=\(GoQuote.string($0.value))" }.joined(separator: ", ") + "}"
    }

    static func alertList(_ list: [(Labels, Labels)]) -> String {
        if list.isEmpty { return "[]" }
        var s = "["
        for (i, a) in list.enumerated() {
            s += (i == 0 ? "\n" : ",\n") + "\(i):" + indent("\nLabels:\(goLabels(a.0))\nAnnotations:\(goLabels(a.1))", "  ")
        }
        return s + "\n]"
    }

    static func sampleList(_ list: [(Labels, Double)]) -> String {
        if list.isEmpty { return "nil" }
        return list.map { "\(goLabels($0.0)) \(GoFloat.format($0.1, UInt8(ascii: "E"), -1))" }.joined(separator: ", ")
    }

    /// promtool's `indentLines`: `indent` after every line break.
    static func indent(_ s: String, _ indent: String) -> String {
        s.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { ($0.offset > 0 ? indent : "") + $0.element }.joined(separator: "\n")
    }
}

/// A private directory under `$TMPDIR` (or /tmp), removed with everything in it.
package struct ScratchDirectory {
    let path: String

    init() throws(StorageError) {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array((base + "/strata-rules-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw StorageError.io(operation: "mkdtemp", path: base, offset: nil, errno: errno) }
        path = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    }

    func remove() { Self.removeTree(path) }

    /// Deletes `path` and everything under it (nothing when it does not exist).
    package static func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR, let dir = opendir(path) {
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(dir)
            for name in names { removeTree(path + "/" + name) }
        }
        _ = Glibc.remove(path)
    }
}
