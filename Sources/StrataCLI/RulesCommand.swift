import ArgumentParser
import Strata
import StrataCLIKit
import StrataRules

#if canImport(Glibc)
    import Glibc
#endif

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Check, unit-test and evaluate alerting and recording rules.",
        discussion: """
            Rule files are Prometheus's, unchanged (groups of `record:` and `alert:` rules).
            Each rule's expression is PromQL over the metrics, LogQL over the logs (a Loki
            ruler file works as is), or PromQL over the trace statistics (span_count,
            span_errors, span_duration_quantile), chosen from the expression. A `keyword:`
            rule is a Venus-style keyword alarm on the logs. Docs/rules.md has the details.

            Examples:
              strata rules check Examples/rules/*.yml
              strata rules test Examples/rules/openstack.test.yml
              strata rules eval ./db Examples/rules/openstack.yml --start now-2h
            """,
        subcommands: [Check.self, Test.self, Eval.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate rule files (exit 1 when any has a problem).",
            discussion: """
                Reports every problem as file:line:column: reason: malformed YAML, unknown
                fields, bad durations, expressions that do not parse or do not return an
                instant vector, template syntax errors, invalid names, duplicate groups or
                rules.

                Example:
                  strata rules check alerts.yml recording.yml
                """)
        @Argument(help: "Rule files.") var files: [String]

        func run() throws {
            var problems = 0
            for file in files {
                do {
                    let groups = try RuleFiles.load([file])
                    let rules = groups.flatMap(\.rules)
                    let alerts = rules.filter { $0.kind == .alerting }.count
                    var languages: [String: Int] = [:]
                    for r in rules { languages[r.language.rawValue, default: 0] += 1 }
                    let langs = languages.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                    print("\(file): SUCCESS: \(groups.count) groups, \(rules.count) rules (\(rules.count - alerts) recording, \(alerts) alerting\(langs.isEmpty ? "" : "; " + langs))")
                } catch {
                    for e in error.errors { writeStderr(e.description + "\n") }
                    problems += error.errors.count
                }
            }
            if problems > 0 { throw ExitCode(1) }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run unit tests of rules (promtool's test file format, plus log input).",
            discussion: """
                Reads `promtool test rules` files as they are: rule_files, evaluation_interval,
                group_eval_order, and tests with input_series (expanding notation: 1+2x3, _,
                stale), alert_rule_test, promql_expr_test, external_labels, external_url.
                Reports like promtool; exit 1 when a test fails.

                For log rules, a test may also give input_streams:
                  input_streams:
                    - stream: '{program="ovs-vswitchd", host="compute-1"}'
                      lines:
                        - {at: 2m, line: 'ERROR ... assertion failed'}
                        - {at: 3m, line: 'WARN retrying', times: 5, every: 10s}

                Example:
                  strata rules test Examples/rules/openstack.test.yml
                """)
        @Argument(help: "Unit-test files.") var files: [String]

        func run() throws {
            var failed = false
            for file in files {
                let report = RuleUnitTests.run(file)
                print("Unit Testing:  \(file)")
                if report.passed {
                    print("  SUCCESS")
                } else {
                    failed = true
                    fflush(nil)
                    writeStderr("  FAILED:\n")
                    for f in report.failures {
                        writeStderr(f + "\n")
                        print("")
                        fflush(nil)
                    }
                }
                print("")
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate rules over stored history and show when each alert fired.",
            discussion: """
                Runs the rule groups at every interval of [--start, --end] as the rule manager
                would have (one range query per rule), and prints each alert's timeline:
                when it went pending, firing and resolved, with its labels and annotations.
                --write stores the recorded series and ALERTS / ALERTS_FOR_STATE in the
                database (what promtool tsdb create-blocks-from rules does); rules then also
                see what earlier rules of their group recorded.

                Examples:
                  strata rules eval ./db alerts.yml --start 2026-12-01T00:00:00Z --end 2026-12-02T00:00:00Z
                  strata rules eval ./db recording.yml --start 1d --step 15s --write
                """)
        @Argument(help: "The database directory.") var db: String
        @Argument(help: "Rule files.") var files: [String]
        @Option(help: "Start: RFC 3339, Unix seconds, now-2h, or a duration before --end (2h).") var start: String
        @Option(help: "End: RFC 3339, Unix seconds or now-1h. Default: now.") var end: String?
        @Option(help: "Interval of groups without their own. Default: 1m.") var step: String = "1m"
        @Flag(help: "Store recorded series and ALERTS in the database.") var write = false
        @Option(help: "Output: table or json.") var format: String = "table"
        @Option(help: "External labels for templates, as name=value (repeatable).") var externalLabel: [String] = []

        func run() throws {
            guard format == "table" || format == "json" else { throw CLIFailure.problem("--format: table or json, not \(format)") }
            let groups: [RuleGroupDefinition]
            do { groups = try RuleFiles.load(files) } catch {
                throw CLIFailure(status: 1, lines: error.errors.map(\.description))
            }
            let now = TimeSpec.nowMilliseconds()
            guard let endMs = end.map({ TimeSpec.parse($0, now: now) }) ?? now else { throw CLIFailure.problem("--end: not a time: \(end ?? "")") }
            let startMs: Int64
            if let t = TimeSpec.parse(start, now: now) {
                startMs = t
            } else if let d = TimeSpec.parseDuration(start), d > 0 {
                startMs = endMs - d
            } else {
                throw CLIFailure.problem("--start: not a time: \(start)")
            }
            guard startMs <= endMs else { throw CLIFailure.problem("--start is after --end") }
            guard let stepMs = TimeSpec.parseDuration(step), stepMs > 0 else { throw CLIFailure.problem("--step: not a duration: \(step)") }
            var external: [String: String] = [:]
            for l in externalLabel {
                guard let eq = l.firstIndex(of: "=") else { throw CLIFailure.problem("--external-label: name=value, not \(l)") }
                external[String(l[..<eq])] = String(l[l.index(after: eq)...])
            }
            // As `strata ingest`: what --write stores is published as blocks by the flush at the end,
            // not logged and fsynced rule by rule.
            var options = DatabaseOptions()
            options.metrics.durability = .none
            let database = try openDatabase(db, options: options, mustExist: true, readOnly: !write)
            defer { try? database.close() }
            let runner = RuleQueryRunner(database: database)
            var bar = ProgressLine(total: groups.reduce(0) { $0 + $1.rules.count }, enabled: isatty(2) == 1, unit: "rules")
            let t0 = Clock.now()
            let report = RuleHistory.evaluate(
                groups, runner: runner, start: startMs, end: endMs, interval: stepMs, write: write, externalLabels: external,
                progress: { done, _ in bar.update(done) })
            bar.clear()
            let seconds = Double(Clock.now() - t0) / 1e9
            if write {
                do { _ = try database.metrics.flush() } catch { throw CLIFailure.io("flushing: \(error)") }
            }
            if format == "json" {
                print(RulesOutput.json(report))
            } else {
                print(RulesOutput.timeline(report, start: startMs, end: endMs, color: isatty(1) == 1))
                let summary =
                    "\(report.rules) rules, \(report.steps) steps in \(String(format3: seconds)) s: \(report.transitions.count) transitions, "
                    + "\(report.recordedSeries) recorded series (\(report.recordedSamples) samples), \(report.alertSamples) ALERTS samples"
                    + (write ? ", written" : "")
                print(summary)
            }
            for f in report.failures {
                writeStderr("strata: rule \(f.rule)\(f.time.map { " at " + TimeSpec.formatRFC3339($0) } ?? ""): \(f.message)\n")
            }
            if !report.failures.isEmpty { throw ExitCode(1) }
        }
    }
}
