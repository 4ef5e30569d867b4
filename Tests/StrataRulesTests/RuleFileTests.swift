import Strata
import Testing

@testable import StrataRules

@Suite struct RuleFileTests {
    func parse(_ text: String) -> (groups: [RuleGroupDefinition], errors: [RuleFileError]) { RuleFiles.parse(text, file: "r.yml") }

    /// Block scalars, multi-line plain and quoted scalars: the YAML rule files are written in.
    @Test func multiLineExpressionsAndAnnotations() {
        let text = """
            groups:
              - name: g
                rules:
                  - alert: A
                    expr: |
                      sum by (job) (rate(errors_total[5m]))
                        /
                      sum by (job) (rate(requests_total[5m])) > 0.05
                    annotations:
                      description: >-
                        Errors are high
                        on {{ $labels.job }}.

                        Look at it.
                      summary: "a quoted summary
                        that goes on"
                      plain: a plain value
                        continued here
                  - record: job:x:sum
                    expr: sum by (job)
                      (x)
            """
        let (groups, errors) = parse(text)
        #expect(errors.isEmpty, "\(errors)")
        let rules = groups[0].rules
        #expect(rules[0].expr == "sum by (job) (rate(errors_total[5m]))\n  /\nsum by (job) (rate(requests_total[5m])) > 0.05\n")
        let ann = Dictionary(uniqueKeysWithValues: rules[0].annotations.map { ($0.name, $0.value) })
        #expect(ann["description"] == "Errors are high on {{ $labels.job }}.\nLook at it.")
        #expect(ann["summary"] == "a quoted summary that goes on")
        #expect(ann["plain"] == "a plain value continued here")
        #expect(rules[1].expr == "sum by (job) (x)")
        #expect(rules[1].language == .promQL)
    }

    /// The language of each rule comes from its expression.
    @Test func languageChosenPerRule() {
        let text = """
            groups:
              - name: mixed
                rules:
                  - alert: P
                    expr: up == 0
                  - alert: L
                    expr: sum by (host) (count_over_time({program="nova-compute"} |= "ERROR" [5m])) > 0
                  - alert: LokiRuler
                    expr: sum(rate({app="foo"}[5m])) by (job) > 1
                  - alert: T
                    expr: sum by (project) (span_errors({}[5m])) > 0
                  - alert: Named
                    expr: rate(http_requests_total{job="x"}[5m]) > 1
                  - alert: NotALineFilter
                    expr: 'argocd_app_info{sync_status!="Synced"} != 0'
                  - alert: ByNameMatchers
                    expr: '{__name__=~"pg_settings_.*"} != ON(__name__, instance) {__name__=~"pg_settings_.*"} OFFSET 5m'
                  # Loki's documented ruler example.
                  - alert: HighPercentageError
                    expr: |
                      sum(rate({app="foo", env="production"} |= "error" [5m])) by (job)
                        /
                      sum(rate({app="foo", env="production"}[5m])) by (job)
                        > 0.05
                    for: 10m
            """
        let (groups, errors) = parse(text)
        #expect(errors.isEmpty, "\(errors)")
        #expect(groups[0].rules.map(\.language) == [.promQL, .logQL, .logQL, .traces, .promQL, .promQL, .promQL, .logQL])
    }

    /// Bad input: refused with file, line, column and reason; the rest of the file is still checked.
    @Test func problemsHavePositions() {
        let text = """
            groups:
              - name: g
                interval: 1x
                rules:
                  - alert: RangeVector
                    expr: rate(x[5m])[10m:1m]
                  - alert: BadTemplate
                    expr: up == 0
                    annotations:
                      summary: "{{ $labels.instance "
                  - record: ok:sum
                    expr: sum(up)
                    frobnicate: 1
                  - alert: NoExpr
                  - record: bad name
                    expr: up
            """
        let errors = parse(text).errors
        let byLine = Dictionary(grouping: errors, by: \.line)
        #expect(byLine[3]?.first?.message.contains("1x") == true, "\(errors)")
        #expect(byLine[6]?.first?.message.contains("instant vector") == true, "\(errors)")
        #expect(byLine[6]?.first?.column == 15, "\(errors)")
        #expect(byLine[10]?.first?.message.contains("template") == true, "\(errors)")
        #expect(byLine[13]?.first?.message.contains("frobnicate") == true, "\(errors)")
        #expect(errors.contains { $0.message.contains("'expr' must be set") && $0.line == 14 }, "\(errors)")
        #expect(byLine[15]?.first?.message.contains("invalid recording rule name") == true, "\(errors)")
        #expect(errors.allSatisfy { $0.file == "r.yml" && $0.description.hasPrefix("r.yml:\($0.line):\($0.column): ") })
    }

    @Test func expressionErrorColumnInsideABlockScalar() {
        let text = """
            groups:
              - name: g
                rules:
                  - record: x
                    expr: |
                      sum(rate(a[5m]))
                        + on(job) rate(b[5m]
            """
        let errors = parse(text).errors
        #expect(errors.count == 1)
        #expect(errors.first?.line == 7, "\(errors)")
    }

    @Test func malformedYAMLIsRefusedWithAPosition() {
        for (text, line) in [("groups:\n  - name: g\n\trules: []\n", 3), ("groups:\n  - name: \"open\n", 2), ("groups: [\n", 1), ("groups:\n  - &a name: g\n", 2)] {
            let errors = parse(text).errors
            #expect(errors.count == 1 && errors[0].line == line, "\(text): \(errors)")
        }
        // Deep nesting is an error, not a crash.
        let deep = String(repeating: "[", count: 50_000)
        #expect(parse("groups: " + deep).errors.count == 1)
        var nested = "groups:\n"
        for i in 0..<1_000 { nested += String(repeating: " ", count: i + 2) + "- \n" }
        #expect(parse(nested).errors.count >= 1)
    }

    /// Venus-style keyword alarms compile to LogQL alerts.
    @Test func keywordAlarms() {
        let text = """
            groups:
              - name: venus
                rules:
                  - alert: OVSAssertion
                    keyword: "assertion failed"
                    service: ovs
                    window: 2m
                    severity: critical
                  - keyword: "No valid host was found"
                    selector: '{program="nova-conductor"}'
                    threshold: 3
                    ignore_case: true
                    by: [host]
            """
        let (groups, errors) = parse(text)
        #expect(errors.isEmpty, "\(errors)")
        let r = groups[0].rules
        #expect(r[0].language == .logQL && r[0].kind == .alerting)
        #expect(r[0].expr == #"sum by (host, program) (count_over_time({program=~"ovs(-.*)?"} |= "assertion failed" [2m])) >= 1"#)
        #expect(r[0].labels.contains { $0.name == "severity" && $0.value == "critical" })
        #expect(r[1].name == "KeywordAlarm")
        #expect(r[1].expr == #"sum by (host) (count_over_time({program="nova-conductor"} |~ "(?i)No valid host was found" [5m])) >= 3"#)
        let bad = parse("groups:\n  - name: v\n    rules:\n      - keyword: x\n        threshold: -1\n        window: 0s\n").errors
        #expect(bad.count == 2, "\(bad)")
    }
}

@Suite struct RuleYAMLEdgeTests {
    /// A multi-line expression whose continuation lines start with an operator.
    @Test func continuationLinesStartingWithOperators() {
        let text = "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: a\n          * on(job) b\n          / c\n"
        let (groups, errors) = RuleFiles.parse(text, file: "r.yml")
        #expect(errors.isEmpty, "\(errors)")
        #expect(groups.first?.rules.first?.expr == "a * on(job) b / c")
    }
}
