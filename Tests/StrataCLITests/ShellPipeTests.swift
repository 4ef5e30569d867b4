import Foundation
import Strata
import StrataCLIKit
import Testing

extension ShellTests {
    /// `strata shell` with stdin from a pipe: plain results, one entry per line, errors on stderr.
    @Suite("through a pipe")
    struct PipedSessions {
        let at = "2019-11-19T21:05:00Z"

        func shell(_ lines: [String]) throws -> CLI.Result {
            try CLI.run(["shell", try ShellFixture.database()], stdin: lines.joined(separator: "\n") + "\n")
        }

        func query(_ args: [String]) throws -> String {
            let r = try CLI.run(["query", try ShellFixture.database()] + args)
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout
        }

        @Test func resultsMatchStrataQueryInEveryFormat() throws {
            let r = try shell([
                "\\time \(at)", "call_attempt", "\\format csv", "call_attempt", "\\format json",
                "sum by (job) (call_attempt)", "\\format", "\\format table", "\\time",
            ])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.isEmpty)
            let table = try query(["call_attempt", "--time", at])
            let csv = try query(["call_attempt", "--time", at, "--format", "csv"])
            let json = try query(["sum by (job) (call_attempt)", "--time", at, "--format", "json"])
            #expect(table.contains("call_attempt  kpi"))
            let expected = [
                "instant queries at \(at)", table.trimmingCharacters(in: .newlines),
                csv.trimmingCharacters(in: .newlines),
                json.trimmingCharacters(in: .newlines), "format is json", "instant queries at \(at)",
            ]
            #expect(r.stdout == expected.joined(separator: "\n") + "\n")
            #expect(!r.stdout.contains("\u{1B}"), "no escape codes in a pipe")
        }

        @Test func rangeQueriesSummariseAndChart() throws {
            let r = try shell(["\\time 2019-11-19T21:00:00Z..2019-11-19T21:09:00Z step 1m", "call_success_rate"])
            #expect(r.status == 0, "\(r.stderr)")
            // The summary row agrees with the samples `strata query` returns for the same range.
            let csv = try query([
                "call_success_rate", "--start", "2019-11-19T21:00:00Z", "--end", "2019-11-19T21:09:00Z", "--step", "1m",
                "--format", "csv",
            ])
            let values = csv.split(separator: "\n").dropFirst().compactMap {
                $0.split(separator: ",").last.flatMap { Double($0) }
            }
            #expect(values.count == 10)
            let s = try #require(ChartSummary(values))
            let row = r.stdout.split(separator: "\n").first { $0.hasPrefix("call_success_rate") }.map(String.init) ?? ""
            let cells = row.split(separator: " ").map(String.init)
            #expect(
                cells == [
                    "call_success_rate", "kpi", "ims", "10", ChartNumber.format(s.min), ChartNumber.format(s.max),
                    ChartNumber.format(s.last), Sparkline.render(values),
                ])
            // One chart: caption, four braille rows, the axis and the time labels.
            #expect(
                r.stdout.contains("● call_success_rate{job=\"kpi\", service=\"ims\"}  \(s.caption)")
                    || r.stdout.contains("● call_success_rate{job=\"kpi\",service=\"ims\"}  \(s.caption)"))
            let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.filter { $0.contains("┤") }.count == 2)
            #expect(lines.contains { $0.contains("└──") })
            #expect(
                lines.contains { $0.hasSuffix("21:09:00") && $0.contains(" 21:00:00 ") && $0.contains(" 21:04:30 ") })
            #expect(lines.contains { $0.unicodeScalars.contains { $0.value > 0x2800 && $0.value <= 0x28FF } })
        }

        @Test func errorsAreReportedAndTheSessionGoesOn() throws {
            let r = try shell([
                "sum(rate(", "\\time \(at)", "nosuchfn(call_attempt)", "\\bogus", "\\values", "\\time yesterday",
                "\\traces", "\\l {job=\"x\"} |= 5", "\\trace 123", "\\format yaml", "\\metrics", "count(call_attempt)",
            ])
            #expect(r.status == 1)
            let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
            #expect(errors.count == 8, "\(r.stderr)")
            #expect(
                r.stderr.contains(
                    "error: parse error at column 10: unclosed left parenthesis\n  sum(rate(\n           ^"))
            #expect(r.stderr.contains("unknown function with name \"nosuchfn\""))
            #expect(r.stderr.contains("error: unknown command \\bogus"))
            #expect(r.stderr.contains("error: \\values needs a label name"))
            #expect(r.stderr.contains("error: invalid time 'yesterday'"))
            #expect(r.stderr.contains("error: parse error at column 14: unexpected number \"5\" in line filter"), "\(r.stderr)")
            #expect(r.stderr.contains("error: no search yet: run one, then \\trace <#>\n"))
            #expect(r.stderr.contains("error: unknown format 'yaml'"))
            let count = try query(["count(call_attempt)", "--time", at])
            #expect(r.stdout.hasSuffix(count))
        }

        @Test func multiLineEntriesAndComments() throws {
            let r = try shell([
                "\\time \(at)", "# a comment", "sum by (job) (", "  call_attempt", ")", "count(\\", "call_success)",
                "label_replace(call_attempt, \"x\", `a", "b`, \"\", \"\")",
            ])
            #expect(r.status == 0, "\(r.stderr)")
            let sum = try query(["sum by (job) (call_attempt)", "--time", at])
            let count = try query(["count(call_success)", "--time", at])
            let multi = try query(["label_replace(call_attempt, \"x\", `a\nb`, \"\", \"\")", "--time", at])
            #expect(r.stdout == "instant queries at \(at)\n" + sum + count + multi)
        }

        @Test func seriesLabelsValuesAndTiming() throws {
            let r = try shell([
                "\\time \(at)", "\\series call_success_rate", "\\series {job=\"kpi\"}", "\\values service", "\\labels",
                "\\timing", "call_attempt", "\\timing off",
            ])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(
                r.stdout.contains("\ncall_success_rate{job=\"kpi\", service=\"ims\"}\n")
                    || r.stdout.contains("\ncall_success_rate{job=\"kpi\",service=\"ims\"}\n"))
            let kpiSeries = r.stdout.split(separator: "\n").filter { $0.contains("job=\"kpi\"") }
            #expect(kpiSeries.count == 1 + 5, "one from the first \\series, five KPI series from the second")
            #expect(r.stdout.contains("\nims\n"))
            #expect(r.stdout.contains("label"))
            #expect(r.stdout.split(separator: "\n").contains { $0.split(separator: " ") == ["service", "1"] })
            #expect(r.stdout.contains("timing is on"))
            #expect(r.stdout.contains("timing is off"))
            let timing = r.stdout.split(separator: "\n").first { $0.hasPrefix("time ") }.map(String.init) ?? ""
            #expect(timing.wholeMatch(of: /time [0-9.]+ m?s, [1-9][0-9,]* samples read/) != nil, "\(timing)")
        }

        @Test func timeSettings() throws {
            let r = try shell([
                "\\time -30m", "\\time now-1h..now step 1m", "\\time 1574197200..1574197800", "\\time now..-1h",
                "\\time -1d..now step 1s", "\\time now step", "\\time -1h..now step soon", "\\time",
            ])
            let out = r.stdout.split(separator: "\n").map(String.init)
            #expect(out.count == 4, "\(r.stdout)")
            #expect(out.first?.hasPrefix("instant queries at now-30m (20") == true)
            #expect(out.dropFirst().first?.hasPrefix("range now-1h..now, step 1m (20") == true)
            #expect(
                out.dropFirst(2).first
                    == "range 2019-11-19T21:00:00Z..2019-11-19T21:10:00Z, step 3s (auto) (2019-11-19T21:00:00Z to 2019-11-19T21:10:00Z)"
            )
            #expect(out.last == out.dropFirst(2).first, "errors leave the setting as it was")
            #expect(r.status == 1)
            let errors = r.stderr.split(separator: "\n").map(String.init)
            #expect(
                errors == [
                    "error: the range ends (-1h) before it starts (now)",
                    "error: more than 11,000 points per series at step 1s; use a larger step",
                    "error: unexpected 'step' after the time; a range is written A..B [step D]",
                    "error: invalid step 'soon' (use a duration such as 15s or 1m)",
                ])
        }

        @Test func perQueryOverrideAndQuit() throws {
            let r = try shell(["\\time \(at)", "\\m count(call_attempt)", "\\quit", "sum(", "\\bogus"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.isEmpty, "nothing after \\quit runs")
            #expect(r.stdout == "instant queries at \(at)\n" + (try query(["count(call_attempt)", "--time", at])))
            let t = try shell(["\\t", "\\l {job=\"kpi\"}"])
            #expect(t.status == 1)
            #expect(
                t.stderr
                    == "error: \\t needs a query after it, e.g. \\t {service=\"glance\", duration > 2s}\n"
                    + "info: searched the hour up to the evaluation time; \\time A..B sets a range\n")
            #expect(t.stdout.hasSuffix("(no matching lines)\n"), "\(t.stdout)")
        }

        @Test func missingDatabaseIsAnIOError() throws {
            let r = try CLI.run(["shell", "/nonexistent/strata-db"], stdin: "up\n")
            #expect(r.status == 2)
            #expect(r.stderr.contains("/nonexistent/strata-db"))
        }
    }
}
