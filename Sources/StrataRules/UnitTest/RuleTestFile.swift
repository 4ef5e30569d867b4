import Strata
import StrataLabels
import StrataQuery

/// A `promtool test rules` file, plus `input_streams` for log rules.
struct RuleTestFile {
    var ruleFiles: [String] = []
    var evaluationInterval: Int64 = 60_000
    var groupEvalOrder: [String] = []
    var tests: [TestGroup] = []

    struct InputSeries {
        var series: String
        var values: String
        var line: Int
    }

    /// `input_streams`: log lines of one stream at times from the start of the test.
    struct InputStream {
        var stream: String
        var line: Int
        var entries: [(at: Int64, line: String, fields: [(String, String)])] = []
    }

    struct AlertTest {
        var evalTime: Int64
        var alertname: String
        var expected: [(labels: [String: String], annotations: [String: String])] = []
    }

    struct ExprTest {
        var expr: String
        var evalTime: Int64
        var samples: [(labels: String, value: Double)] = []
    }

    struct TestGroup {
        var name: String = ""
        var interval: Int64?
        var series: [InputSeries] = []
        var streams: [InputStream] = []
        var alertTests: [AlertTest] = []
        var exprTests: [ExprTest] = []
        var externalLabels: [String: String] = [:]
        var externalURL: String = ""
    }
}

/// Reads a test file's YAML, reporting unknown fields and bad values with their positions.
struct RuleTestFileReader {
    let file: String
    var errors: [RuleFileError] = []

    mutating func fail(_ at: PolicyYAML.Position, _ message: String) {
        errors.append(RuleFileError(file: file, line: at.line, column: at.column, message: message))
    }

    mutating func read(_ text: String) -> RuleTestFile? {
        let root: PolicyYAML.Node
        do { root = try PolicyYAML.parse(text) } catch {
            fail(error.at, error.message)
            return nil
        }
        guard case .mapping(let pairs, _) = root else {
            fail(root.position, "a test file is a mapping with `rule_files` and `tests`")
            return nil
        }
        var out = RuleTestFile()
        for (key, keyAt, value) in pairs {
            switch key {
            case "rule_files": out.ruleFiles = strings(value, key)
            case "evaluation_interval": if let d = duration(value, key) { out.evaluationInterval = d }
            case "group_eval_order": out.groupEvalOrder = strings(value, key)
            case "tests":
                for item in list(value, key) { if let g = testGroup(item) { out.tests.append(g) } }
            default:
                fail(keyAt, "unknown field `\(key)` in a test file (rule_files, evaluation_interval, group_eval_order, tests)")
            }
        }
        if out.evaluationInterval <= 0 { fail(root.position, "evaluation_interval must be positive") }
        return errors.isEmpty ? out : nil
    }

    mutating func testGroup(_ node: PolicyYAML.Node) -> RuleTestFile.TestGroup? {
        guard case .mapping(let pairs, _) = node else {
            fail(node.position, "a test is a mapping (interval, input_series, alert_rule_test, promql_expr_test, ...)")
            return nil
        }
        var g = RuleTestFile.TestGroup()
        for (key, keyAt, value) in pairs {
            switch key {
            case "name": g.name = scalar(value, key) ?? ""
            case "interval": g.interval = duration(value, key)
            case "external_labels": g.externalLabels = map(value, key)
            case "external_url": g.externalURL = scalar(value, key) ?? ""
            case "input_series":
                for item in list(value, key) {
                    guard case .mapping(let p, let at) = item else { fail(item.position, "an input series has `series` and `values`"); continue }
                    var s = RuleTestFile.InputSeries(series: "", values: "", line: at.line)
                    for (k, kAt, v) in p {
                        switch k {
                        case "series": s.series = scalar(v, k) ?? ""
                        case "values": s.values = scalar(v, k) ?? ""
                        default: fail(kAt, "unknown field `\(k)` in an input series (series, values)")
                        }
                    }
                    g.series.append(s)
                }
            case "input_streams":
                for item in list(value, key) { if let s = inputStream(item) { g.streams.append(s) } }
            case "alert_rule_test":
                for item in list(value, key) {
                    guard case .mapping(let p, let at) = item else { fail(item.position, "an alert test has eval_time, alertname, exp_alerts"); continue }
                    var t = RuleTestFile.AlertTest(evalTime: 0, alertname: "")
                    var hasName = false
                    for (k, kAt, v) in p {
                        switch k {
                        case "eval_time": t.evalTime = duration(v, k) ?? 0
                        case "alertname":
                            t.alertname = scalar(v, k) ?? ""
                            hasName = !t.alertname.isEmpty
                        case "exp_alerts":
                            for a in list(v, k) {
                                guard case .mapping(let ap, _) = a else { fail(a.position, "an expected alert has exp_labels and exp_annotations"); continue }
                                var labels: [String: String] = [:]
                                var annotations: [String: String] = [:]
                                for (ak, akAt, av) in ap {
                                    switch ak {
                                    case "exp_labels": labels = map(av, ak)
                                    case "exp_annotations": annotations = map(av, ak)
                                    default: fail(akAt, "unknown field `\(ak)` in an expected alert (exp_labels, exp_annotations)")
                                    }
                                }
                                t.expected.append((labels, annotations))
                            }
                        default: fail(kAt, "unknown field `\(k)` in an alert_rule_test (eval_time, alertname, exp_alerts)")
                        }
                    }
                    if !hasName { fail(at, "an item under alert_rule_test misses required attribute alertname") }
                    g.alertTests.append(t)
                }
            case "promql_expr_test":
                for item in list(value, key) {
                    guard case .mapping(let p, _) = item else { fail(item.position, "a promql_expr_test has expr, eval_time, exp_samples"); continue }
                    var t = RuleTestFile.ExprTest(expr: "", evalTime: 0)
                    for (k, kAt, v) in p {
                        switch k {
                        case "expr": t.expr = scalar(v, k) ?? ""
                        case "eval_time": t.evalTime = duration(v, k) ?? 0
                        case "exp_samples":
                            for s in list(v, k) {
                                guard case .mapping(let sp, _) = s else { fail(s.position, "an expected sample has labels and value"); continue }
                                var labels = ""
                                var value = 0.0
                                for (sk, skAt, sv) in sp {
                                    switch sk {
                                    case "labels": labels = scalar(sv, sk) ?? ""
                                    case "value":
                                        if let text = scalar(sv, sk) {
                                            if let d = Self.yamlFloat(text) { value = d } else { fail(sv.position, "cannot unmarshal `\(text)` into a float (write .inf, -.inf or .nan for the special values)") }
                                        }
                                    default: fail(skAt, "unknown field `\(sk)` in an expected sample (labels, value)")
                                    }
                                }
                                t.samples.append((labels, value))
                            }
                        default: fail(kAt, "unknown field `\(k)` in a promql_expr_test (expr, eval_time, exp_samples)")
                        }
                    }
                    g.exprTests.append(t)
                }
            default:
                fail(keyAt, "unknown field `\(key)` in a test (name, interval, input_series, input_streams, alert_rule_test, promql_expr_test, external_labels, external_url)")
            }
        }
        return g
    }

    /// `{stream: '{program="x"}', lines: [{at: 1m, line: "...", times: 3, every: 10s, fields: {...}}]}`.
    mutating func inputStream(_ node: PolicyYAML.Node) -> RuleTestFile.InputStream? {
        guard case .mapping(let p, let at) = node else {
            fail(node.position, "an input stream has `stream` and `lines`")
            return nil
        }
        var s = RuleTestFile.InputStream(stream: "", line: at.line)
        for (k, kAt, v) in p {
            switch k {
            case "stream": s.stream = scalar(v, k) ?? ""
            case "lines":
                for item in list(v, k) {
                    guard case .mapping(let lp, let lat) = item else { fail(item.position, "a line has `at` and `line`"); continue }
                    var time: Int64 = 0
                    var text: String?
                    var times = 1
                    var every: Int64 = 0
                    var fields: [(String, String)] = []
                    for (lk, lkAt, lv) in lp {
                        switch lk {
                        case "at": time = duration(lv, lk) ?? 0
                        case "line": text = scalar(lv, lk)
                        case "times":
                            if let t = scalar(lv, lk) {
                                if let n = Int(t), n >= 1, n <= 1_000_000 { times = n } else { fail(lv.position, "times must be a whole number from 1 to 1000000") }
                            }
                        case "every": every = duration(lv, lk) ?? 0
                        case "fields": fields = map(lv, lk).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
                        default: fail(lkAt, "unknown field `\(lk)` in an input line (at, line, times, every, fields)")
                        }
                    }
                    guard let text else { fail(lat, "an input line needs `line`"); continue }
                    if times > 1 && every <= 0 { fail(lat, "`times` needs a positive `every`") }
                    for i in 0..<times { s.entries.append((time + Int64(i) * every, text, fields)) }
                }
            default: fail(kAt, "unknown field `\(k)` in an input stream (stream, lines)")
            }
        }
        return s
    }

    // MARK: Scalars

    mutating func scalar(_ n: PolicyYAML.Node, _ what: String) -> String? {
        guard case .scalar(let s, _, _) = n else {
            fail(n.position, "`\(what)` must be a single value")
            return nil
        }
        return s
    }

    mutating func duration(_ n: PolicyYAML.Node, _ what: String) -> Int64? {
        guard let s = scalar(n, what) else { return nil }
        switch DurationLiteral.parse(s) {
        case .success(let d): return d
        case .failure(let e):
            fail(n.position, "\(what): \(e.message)")
            return nil
        }
    }

    mutating func list(_ n: PolicyYAML.Node, _ what: String) -> [PolicyYAML.Node] {
        if case .scalar(let s, false, _) = n, s.isEmpty || s == "null" { return [] }
        guard case .sequence(let items, _) = n else {
            fail(n.position, "`\(what)` must be a list")
            return []
        }
        return items
    }

    mutating func strings(_ n: PolicyYAML.Node, _ what: String) -> [String] {
        list(n, what).compactMap { scalar($0, what) }
    }

    mutating func map(_ n: PolicyYAML.Node, _ what: String) -> [String: String] {
        if case .scalar(let s, false, _) = n, s.isEmpty || s == "null" { return [:] }
        guard case .mapping(let pairs, _) = n else {
            fail(n.position, "`\(what)` must be a mapping")
            return [:]
        }
        var out: [String: String] = [:]
        for (k, _, v) in pairs { if let s = scalar(v, k) { out[k] = s } }
        return out
    }

    /// A YAML 1.1 float as Go's yaml package reads it into a float64.
    static func yamlFloat(_ s: String) -> Double? {
        switch s {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        let t = s.replacingUnderscores
        guard let first = t.unicodeScalars.first, first == "-" || first == "+" || first == "." || ("0"..."9").contains(first) else { return nil }
        if t.lowercased().contains("inf") || t.lowercased().contains("nan") { return nil }
        return Double(t)
    }
}

extension String {
    fileprivate var replacingUnderscores: String { String(filter { $0 != "_" }) }
}
