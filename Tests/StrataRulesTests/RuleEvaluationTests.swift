import Foundation
import Strata
import StrataTestSupport
import Testing

@testable import StrataRules

@Suite struct RuleEvaluationTests {
    /// Writes files into a fresh directory and returns it.
    func directory(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-rules-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    /// Pending → firing after `for`, kept by `keep_firing_for`, resolved; ALERTS gets a stale marker
    /// when the alert goes, and ALERTS_FOR_STATE holds the activation time.
    @Test func alertLifecycle() throws {
        let dir = try directory([
            "r.yml": """
            groups:
              - name: g
                rules:
                  - alert: High
                    expr: x > 5
                    for: 2m
                    keep_firing_for: 3m
                    labels: {severity: page}
            """,
            "t.yml": """
            rule_files: [r.yml]
            evaluation_interval: 1m
            tests:
              - interval: 1m
                input_series:
                  - series: 'x{i="a"}'
                    values: '1 10 10 10 10 1 1 1 1 1 1'
                alert_rule_test:
                  - {eval_time: 1m, alertname: High, exp_alerts: []}
                  - eval_time: 3m
                    alertname: High
                    exp_alerts: [{exp_labels: {i: a, severity: page}}]
                  - eval_time: 7m
                    alertname: High
                    exp_alerts: [{exp_labels: {i: a, severity: page}}]
                  - {eval_time: 8m, alertname: High, exp_alerts: []}
                promql_expr_test:
                  - expr: ALERTS
                    eval_time: 2m
                    exp_samples: [{labels: 'ALERTS{alertname="High", alertstate="pending", i="a", severity="page"}', value: 1}]
                  - expr: ALERTS_FOR_STATE
                    eval_time: 4m
                    exp_samples: [{labels: 'ALERTS_FOR_STATE{alertname="High", i="a", severity="page"}', value: 60}]
                  - expr: ALERTS
                    eval_time: 8m
                    exp_samples: []
            """,
        ])
        let report = RuleUnitTests.run(dir + "/t.yml")
        #expect(report.passed, "\(report.failures.joined(separator: "\n"))")
        #expect(report.checks == 7)
    }

    /// A log alert, tested with log lines: a thing Loki's ruler cannot unit-test.
    @Test func logAlertsWithInputStreams() throws {
        let dir = try directory([
            "r.yml": """
            groups:
              - name: logs
                rules:
                  - alert: OVSAssertion
                    keyword: assertion failed
                    service: ovs
                    window: 2m
                    severity: critical
                  - record: program:errors:count2m
                    expr: sum by (program) (count_over_time({level="ERROR"}[2m]))
            """,
            "t.yml": """
            rule_files: [r.yml]
            evaluation_interval: 1m
            tests:
              - interval: 1m
                input_streams:
                  - stream: '{program="ovs-vswitchd", host="compute-1", level="ERROR"}'
                    lines:
                      - {at: 2m30s, line: 'ovs-vswitchd: util.c:1234 assertion failed in foo()'}
                  - stream: '{program="nova-api", host="ctl", level="ERROR"}'
                    lines:
                      - {at: 30s, line: 'error one', times: 3, every: 10s}
                alert_rule_test:
                  - {eval_time: 2m, alertname: OVSAssertion, exp_alerts: []}
                  - eval_time: 3m
                    alertname: OVSAssertion
                    exp_alerts:
                      - exp_labels: {host: compute-1, program: ovs-vswitchd, severity: critical, keyword: assertion failed}
                        exp_annotations: {summary: '1 log lines containing "assertion failed" from compute-1 on ovs-vswitchd in the last 2m'}
                  - {eval_time: 5m, alertname: OVSAssertion, exp_alerts: []}
                promql_expr_test:
                  - expr: program:errors:count2m
                    eval_time: 1m
                    exp_samples: [{labels: 'program:errors:count2m{program="nova-api"}', value: 3}]
                  - expr: 'sum(count_over_time({host="compute-1"} |= "assertion" [5m]))'
                    eval_time: 4m
                    exp_samples: [{labels: '{}', value: 1}]
            """,
        ])
        let report = RuleUnitTests.run(dir + "/t.yml")
        #expect(report.passed, "\(report.failures.joined(separator: "\n"))")
    }

    /// A rule over trace statistics, evaluated by the group evaluator against stored spans.
    @Test func traceStatisticRules() throws {
        let dir = try directory([
            "r.yml": """
            groups:
              - name: traces
                rules:
                  - alert: GlanceErrors
                    expr: sum by (project) (span_errors({project="glance"}[5m])) > 0
                  - record: project:spans:count5m
                    expr: sum by (project) (span_count({}[5m]))
            """
        ])
        let groups = try RuleFiles.load([dir + "/r.yml"])
        var options = DatabaseOptions()
        options.traces.durability = .none
        let db = try Database(path: dir + "/db", options: options)
        defer { try? db.close() }
        let start: Int64 = 1_574_079_545_000_000
        try db.traces.append(spans: TraceFixture.spans(trace: 1, start: start, error: true) + TraceFixture.spans(trace: 2, start: start + 1_000_000))
        var ev = RuleGroupEvaluator(group: groups[0])
        let runner = RuleQueryRunner(database: db)
        let t = start / 1000 + 60_000
        let failures = ev.evaluate(at: t, runner: runner)
        #expect(failures.isEmpty, "\(failures)")
        let alerts = ev.alerts(ofRule: 0)
        #expect(alerts.count == 1 && alerts[0].labels["project"] == "glance" && alerts[0].state == .firing)
        let recorded = try PromQLEngine(store: db.metrics).instantQuery(try PromQL.parse("project:spans:count5m"), query: "", at: .milliseconds(t))
        guard case .vector(let v) = recorded.value else { Issue.record("not a vector"); return }
        #expect(Dictionary(uniqueKeysWithValues: v.map { ($0.labels["project"] ?? "", $0.value) }) == ["glance": 10, "keystone": 2])
    }

    /// A failing rule is reported on that rule; the others still run.
    @Test func aFailingRuleDoesNotStopTheOthers() throws {
        let dir = try directory([
            "r.yml": """
            groups:
              - name: g
                rules:
                  - record: many
                    expr: a * on() group_left b
                  - record: fine
                    expr: sum(a)
            """
        ])
        let groups = try RuleFiles.load([dir + "/r.yml"])
        var options = DatabaseOptions()
        options.metrics.durability = .none
        let db = try Database(path: dir + "/db", options: options)
        defer { try? db.close() }
        _ = try db.metrics.append(try Labels(validating: ["__name__": "a", "i": "1"]), [Sample(.milliseconds(0), 1)])
        _ = try db.metrics.append(try Labels(validating: ["__name__": "a", "i": "2"]), [Sample(.milliseconds(0), 2)])
        _ = try db.metrics.append(try Labels(validating: ["__name__": "b", "i": "1"]), [Sample(.milliseconds(0), 3)])
        _ = try db.metrics.append(try Labels(validating: ["__name__": "b", "i": "2"]), [Sample(.milliseconds(0), 4)])
        var ev = RuleGroupEvaluator(group: groups[0])
        let failures = ev.evaluate(at: 60_000, runner: RuleQueryRunner(database: db))
        #expect(failures.count == 1 && failures[0].0 == 0)
        #expect(ev.health[0].health == "err" && ev.health[0].lastError != nil)
        #expect(ev.health[1].health == "ok")
    }

    /// `rules eval` over stored history: transitions, and with `write` the series are stored.
    @Test func historyEvaluationMatchesStepByStep() throws {
        let dir = try directory([
            "r.yml": """
            groups:
              - name: g
                interval: 1m
                rules:
                  - record: x:doubled
                    expr: x * 2
                  - alert: High
                    expr: x > 5
                    for: 2m
                    annotations: {summary: '{{ $labels.i }} is {{ $value }}'}
            """
        ])
        let groups = try RuleFiles.load([dir + "/r.yml"])
        var options = DatabaseOptions()
        options.metrics.durability = .none
        let db = try Database(path: dir + "/db", options: options)
        defer { try? db.close() }
        let values: [Double] = [1, 10, 10, 10, 10, 1, 1, 1, 1, 1]
        _ = try db.metrics.append(try Labels(validating: ["__name__": "x", "i": "a"]), values.enumerated().map { Sample(.milliseconds(Int64($0.offset) * 60_000), $0.element) })
        let report = RuleHistory.evaluate(groups, runner: RuleQueryRunner(database: db), start: 0, end: 9 * 60_000, interval: 60_000, write: true)
        #expect(report.failures.isEmpty, "\(report.failures)")
        let states = report.transitions.map { "\($0.time / 60_000):\($0.state.rawValue)" }
        #expect(states == ["1:pending", "3:firing", "5:inactive"])
        #expect(report.transitions[1].annotations["summary"] == "a is 10")
        #expect(report.recordedSamples == 10)
        let alerts = try PromQLEngine(store: db.metrics).instantQuery(try PromQL.parse("ALERTS"), query: "", at: .milliseconds(4 * 60_000))
        guard case .vector(let v) = alerts.value else { Issue.record("not a vector"); return }
        #expect(v.count == 1 && v[0].labels["alertstate"] == "firing")
        let gone = try PromQLEngine(store: db.metrics).instantQuery(try PromQL.parse("ALERTS"), query: "", at: .milliseconds(6 * 60_000))
        guard case .vector(let g) = gone.value else { Issue.record("not a vector"); return }
        #expect(g.isEmpty)
    }
}

@Suite struct ExampleRuleTests {
    /// The shipped rules check clean and pass their own unit tests.
    @Test func examplesPassTheirTests() throws {
        let groups = try RuleFiles.load([RuleFixtures.examples + "/openstack.yml"])
        #expect(groups.count == 2)
        #expect(Set(groups.flatMap(\.rules).map(\.language)) == [.promQL, .logQL, .traces])
        let report = RuleUnitTests.run(RuleFixtures.examples + "/openstack.test.yml")
        #expect(report.passed, "\(report.failures.joined(separator: "\n"))")
        #expect(report.groups == 4 && report.checks >= 12)
    }
}

/// Where promtool 2.42 and Prometheus 3 differ, `strata rules test` follows Prometheus 3's documented
/// behaviour (these files are kept out of the differential set).
@Suite struct PrometheusThreeSemanticsTests {
    func run(_ test: String, rules: String = "groups: []\n") throws -> RuleTestReport {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-rules-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try rules.write(toFile: dir + "/r.yml", atomically: true, encoding: .utf8)
        try test.write(toFile: dir + "/t.yml", atomically: true, encoding: .utf8)
        return RuleUnitTests.run(dir + "/t.yml")
    }

    /// Prometheus 3: a test group without `interval` loads its series at `evaluation_interval`
    /// (promtool 2.42 used 1m whatever the evaluation interval).
    @Test func testGroupIntervalDefaultsToTheEvaluationInterval() throws {
        let r = try run(
            """
            rule_files: [r.yml]
            evaluation_interval: 30s
            tests:
              - input_series:
                  - {series: 'x', values: '1 2 3 4'}
                promql_expr_test:
                  - {expr: x, eval_time: 1m30s, exp_samples: [{labels: 'x', value: 4}]}
            """)
        #expect(r.passed, "\(r.failures)")
    }

    /// Prometheus 3: range windows are left-open, `(t - range, t]`: a sample exactly `range` before
    /// the evaluation time is outside (promtool 2.42 counted it).
    @Test func rangeWindowsAreLeftOpen() throws {
        let r = try run(
            """
            rule_files: [r.yml]
            evaluation_interval: 1m
            tests:
              - interval: 30s
                input_series:
                  - {series: 'x', values: '1 1 1 1 1'}
                promql_expr_test:
                  - {expr: 'count_over_time(x[1m])', eval_time: 1m, exp_samples: [{labels: '{}', value: 2}]}
            """)
        #expect(r.passed, "\(r.failures)")
    }
}

@Suite struct RuleHistorySliceTests {
    /// Evaluating the range in slices (to bound memory) gives what one slice gives: the same
    /// transitions, recorded samples and stale markers, ALERTS samples.
    @Test func slicesGiveTheSameResult() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-rules-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
            groups:
              - name: g
                interval: 1m
                rules:
                  - record: doubled
                    expr: x * 2
                  - alert: High
                    expr: x > 5
                    for: 2m
                    keep_firing_for: 1m
                    annotations: {summary: '{{ $labels.i }} at {{ $value }}'}
            """.write(toFile: dir + "/r.yml", atomically: true, encoding: .utf8)
        let groups = try RuleFiles.load([dir + "/r.yml"])
        var options = DatabaseOptions()
        options.metrics.durability = .none
        let db = try Database(path: dir + "/db", options: options)
        defer { try? db.close() }
        // a: high 1-4, a gap at 5-9 (beyond the lookback), high again 10-13; b: only 0-2 (ends at a slice boundary).
        let a: [Double?] = [1, 10, 10, 10, 10, nil, nil, nil, nil, nil, 10, 10, 10, 10, 1, 1]
        for (i, v) in a.enumerated() where v != nil {
            _ = try db.metrics.append(try Labels(validating: ["__name__": "x", "i": "a"]), [Sample(.milliseconds(Int64(i) * 120_000), v!)])
        }
        for i in 0..<3 { _ = try db.metrics.append(try Labels(validating: ["__name__": "x", "i": "b"]), [Sample(.milliseconds(Int64(i) * 60_000), 9)]) }
        let runner = RuleQueryRunner(database: db)
        func run(_ slice: Int) -> RuleHistoryReport {
            RuleHistory.evaluate(groups, runner: runner, start: 0, end: 31 * 60_000, interval: 60_000, write: false, sliceSteps: slice)
        }
        let whole = run(10_000)
        #expect(whole.failures.isEmpty && whole.transitions.count >= 6, "\(whole.transitions.map { "\($0.time / 60_000):\($0.labels["i"] ?? ""):\($0.state)" })")
        for slice in [1, 3, 4, 7] {
            let r = run(slice)
            #expect(r.failures.isEmpty, "\(r.failures)")
            #expect(r.transitions.map { "\($0.time):\($0.labels):\($0.state):\($0.annotations)" } == whole.transitions.map { "\($0.time):\($0.labels):\($0.state):\($0.annotations)" }, "slice \(slice)")
            #expect((r.recordedSeries, r.recordedSamples, r.alertSamples) == (whole.recordedSeries, whole.recordedSamples, whole.alertSamples), "slice \(slice)")
            #expect(r.steps == whole.steps && r.rules == whole.rules)
        }
    }
}
