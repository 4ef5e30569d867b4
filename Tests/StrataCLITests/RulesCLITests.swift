import Foundation
import Testing

/// `strata rules check|test|eval` through the built binary.
@Suite struct RulesCLITests {
    static let rules = """
        groups:
          - name: g
            interval: 1m
            rules:
              - record: job:x:sum
                expr: sum by (job) (x)
              - alert: XHigh
                expr: x > 5
                for: 2m
                labels: {severity: page}
                annotations: {summary: '{{ $labels.instance }} is at {{ $value }}'}
        """

    /// Ten minutes of `x` for two instances, one of which goes high from minute 2 to 6.
    static func metrics() -> String {
        var s = "# TYPE x gauge\n"
        for m in 0..<10 {
            s += "x{job=\"j\",instance=\"a\"} \(m >= 2 && m <= 6 ? 10 : 1) \(1_700_000_000 + m * 60)\n"
            s += "x{job=\"j\",instance=\"b\"} 1 \(1_700_000_000 + m * 60)\n"
        }
        return s + "# EOF\n"
    }

    @Test func checkReportsEveryProblemWithItsPosition() throws {
        let dir = Scratch()
        let good = dir.file("good.yml", Self.rules)
        let bad = dir.file("bad.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(x[5m]\n      - record: b c\n        expr: x\n")
        let ok = try CLI.run(["rules", "check", good])
        #expect(ok.status == 0 && ok.stdout.contains("SUCCESS: 1 groups, 2 rules (1 recording, 1 alerting; 2 promql)"), "\(ok)")
        let r = try CLI.run(["rules", "check", good, bad])
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(r.stderr)")
        #expect(lines.first?.hasPrefix("\(bad):5:") == true && lines.first?.contains("could not parse expression") == true, "\(r.stderr)")
        #expect(lines.last?.hasPrefix("\(bad):6:") == true && lines.last?.contains("invalid recording rule name") == true, "\(r.stderr)")
    }

    @Test func testPrintsPromtoolsReport() throws {
        let dir = Scratch()
        _ = dir.file("r.yml", Self.rules)
        let t = dir.file(
            "t.yml",
            """
            rule_files: [r.yml]
            evaluation_interval: 1m
            tests:
              - interval: 1m
                input_series:
                  - {series: 'x{job="j", instance="a"}', values: '1 10 10 10 10'}
                alert_rule_test:
                  - eval_time: 3m
                    alertname: XHigh
                    exp_alerts: [{exp_labels: {job: j, instance: a, severity: page}, exp_annotations: {summary: 'a is at 10'}}]
                promql_expr_test:
                  - {expr: job:x:sum, eval_time: 1m, exp_samples: [{labels: 'job:x:sum{job="j"}', value: 11}]}
            """)
        let r = try CLI.run(["rules", "test", t])
        #expect(r.status == 1)
        #expect(r.stdout.hasPrefix("Unit Testing:  \(t)\n"))
        #expect(r.stderr == "  FAILED:\n    expr: \"job:x:sum\", time: 1m,\n        exp: {__name__=\"job:x:sum\", job=\"j\"} 1.1E+01\n        got: {__name__=\"job:x:sum\", job=\"j\"} 1E+01\n", "\(r.stderr)")
    }

    @Test func evalShowsTheTimelineAndWritesTheSeries() throws {
        let dir = Scratch()
        let rules = dir.file("r.yml", Self.rules)
        let data = dir.file("x.om", Self.metrics())
        let db = dir.path + "/db"
        #expect(try CLI.run(["ingest", db, data]).status == 0)
        let start = "2023-11-14T22:13:20Z", end = "2023-11-14T22:22:20Z"
        let r = try CLI.run(["rules", "eval", db, rules, "--start", start, "--end", end])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("2023-11-14T22:15:20Z  XHigh  pending"), "\(r.stdout)")
        #expect(r.stdout.contains("2023-11-14T22:17:20Z  XHigh  firing       10  instance=\"a\", job=\"j\", severity=\"page\"  a is at 10"), "\(r.stdout)")
        #expect(r.stdout.contains("2023-11-14T22:20:20Z  XHigh  resolved"), "\(r.stdout)")
        #expect(r.stdout.contains("█") && r.stdout.contains("(░ pending, █ firing)"))
        #expect(r.stdout.contains("2 rules, 10 steps") && r.stdout.contains("1 recorded series (10 samples)"), "\(r.stdout)")
        // Nothing written without --write.
        let before = try CLI.run(["query", db, "ALERTS", "--time", "2023-11-14T22:18:20Z"])
        #expect(!before.stdout.contains("XHigh"), "\(before.stdout)")

        let json = try CLI.run(["rules", "eval", db, rules, "--start", start, "--end", end, "--format", "json", "--write"])
        #expect(json.status == 0, "\(json.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let transitions = try #require(obj["transitions"] as? [[String: Any]])
        #expect(transitions.map { $0["state"] as? String } == ["pending", "firing", "resolved"])
        #expect(obj["written"] as? Bool == true)
        let after = try CLI.run(["query", db, "ALERTS", "--time", "2023-11-14T22:18:20Z"])
        #expect(after.stdout.contains("XHigh") && after.stdout.contains("firing"), "\(after.stdout)")
        let recorded = try CLI.run(["query", db, "job:x:sum", "--time", "2023-11-14T22:18:20Z"])
        #expect(recorded.stdout.contains("11"), "\(recorded.stdout)")
    }

    @Test func everySubcommandHasHelpWithAnExample() throws {
        for sub in ["check", "test", "eval"] {
            let r = try CLI.run(["rules", sub, "--help"])
            #expect(r.status == 0 && r.stdout.contains("strata rules \(sub) "), "\(sub): \(r.stdout)")
        }
    }
}
