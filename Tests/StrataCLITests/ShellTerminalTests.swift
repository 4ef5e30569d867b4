import Foundation
import Testing

extension ShellTests {
    /// `strata shell` on a pseudo-terminal (util-linux `script`): line editing, completion, history,
    /// Ctrl-C. Each step waits for the output it needs, with a deadline.
    @Suite("on a terminal")
    struct TerminalSessions {
        typealias T = TerminalSession

        func start(history: String) throws -> TerminalSession {
            let s = try TerminalSession(database: try ShellFixture.database(), historyFile: history)
            #expect(s.wait(for: "strata[metrics]> "), "no prompt: \(s.text)")
            return s
        }

        func historyFile() -> (Scratch, String) {
            let dir = Scratch()
            return (dir, dir.path + "/history")
        }

        @Test func editingKeysChangeTheLine() throws {
            let (dir, history) = historyFile()
            defer { dir.cleanup() }
            let s = try start(history: history)
            var m = s.mark
            // Cut the junk, fix a typo in the middle, drop a trailing word, run.
            s.keys([
                "xyz", T.ctrlU, "\\series nodeX_load1", T.left, T.left, T.left, T.left, T.left, T.left, T.backspace,
            ])
            s.keys([T.end, " trailing", T.ctrlW, T.backspace, T.enter])
            #expect(s.wait(for: "node_load1{host=\"wally117\"}", after: m), "\(s.output(after: m))")
            // Home, Delete, Ctrl-K, Ctrl-A/E, insertion at the start of the line.
            m = s.mark
            s.keys(["XXcall_attemptZZZ", T.home, T.delete, T.delete, T.end, T.left, T.left, T.left, T.ctrlK])
            s.keys([T.ctrlA, "\\series ", T.ctrlE, T.enter])
            #expect(s.wait(for: "call_attempt{job=\"kpi\"", after: m), "\(s.output(after: m))")
            // An open bracket continues on the next line with a continuation prompt.
            m = s.mark
            s.keys(["count(", T.enter])
            #expect(s.wait(for: "...> ", after: m))
            s.keys(["call_success_rate)", T.enter])
            #expect(s.wait(for: "value", after: m))
            #expect(!s.output(after: m).contains("error"), "\(s.output(after: m))")
            s.keys([T.ctrlD])
            #expect(s.waitForExit() == 0)
        }

        @Test func tabCompletesNamesLabelsValuesAndCommands() throws {
            let (dir, history) = historyFile()
            defer { dir.cleanup() }
            let s = try start(history: history)
            var m = s.mark
            // Two candidates share "call_success": the first Tab extends, the second lists both.
            s.keys(["call_succ", T.tab])
            #expect(s.wait(for: "call_success", after: m))
            m = s.mark
            s.keys([T.tab])
            #expect(s.wait(for: "call_success       call_success_rate", after: m), "\(s.output(after: m))")
            // Unique completions: the metric, a label name inside braces, a value (closing quote added).
            s.keys(["_ra", T.tab, "{serv", T.tab, "=\"im", T.tab, "}", T.enter])
            #expect(s.wait(for: "call_success_rate  kpi  ims", after: m), "\(s.output(after: m))")
            // Commands and their arguments.
            m = s.mark
            s.keys(["\\valu", T.tab, "serv", T.tab, T.enter])
            #expect(s.wait(for: "\nims", after: m), "\(s.output(after: m))")
            // Inside `name{`, only that metric's labels are offered.
            m = s.mark
            s.keys(["\\series call_attempt{", T.tab])
            #expect(s.wait(for: "\r\njob      service\r\n", after: m), "\(s.output(after: m))")
            s.keys(["s", T.tab, "=\"", T.tab, "}", T.enter])
            #expect(s.wait(for: "call_attempt{job=\"kpi\", service=\"ims\"}", after: m), "\(s.output(after: m))")
            m = s.mark
            s.keys(["sum by (jo", T.tab, ") (call_attempt)", T.enter])
            #expect(s.wait(for: "job  value", after: m), "\(s.output(after: m))")
            s.keys([T.ctrlD])
            #expect(s.waitForExit() == 0)
        }

        @Test func historyIsKeptAcrossSessions() throws {
            let (dir, history) = historyFile()
            defer { dir.cleanup() }
            let first = try start(history: history)
            first.keys(["\\series call_failure", T.enter])
            #expect(first.wait(for: "call_failure{job=\"kpi\""))
            first.keys(["\\labels", T.enter])
            #expect(first.wait(for: "values"))
            first.keys([T.ctrlD])
            #expect(first.waitForExit() == 0)
            let saved = try String(contentsOfFile: history, encoding: .utf8)
            #expect(saved == "\\series call_failure\n\\labels\n")

            let second = try start(history: history)
            let m = second.mark
            // Up twice reaches the first session's first entry.
            second.keys([T.up, T.up, T.enter])
            #expect(second.wait(for: "call_failure{job=\"kpi\"", after: m), "\(second.output(after: m))")
            second.keys([T.ctrlD])
            #expect(second.waitForExit() == 0)
            #expect(try String(contentsOfFile: history, encoding: .utf8) == saved + "\\series call_failure\n")
        }

        @Test func longHistoryFilesAreCutBackToTheNewestThousand() throws {
            let (dir, history) = historyFile()
            defer { dir.cleanup() }
            let old = (1...2500).map { "\\series call_attempt{n=\"\($0)\"}" }
            try (old.joined(separator: "\n") + "\n").write(toFile: history, atomically: true, encoding: .utf8)
            let s = try start(history: history)
            let m = s.mark
            s.keys([T.up, T.enter])
            #expect(s.wait(for: "(no series)", after: m), "\(s.output(after: m))")
            s.keys([T.ctrlD])
            #expect(s.waitForExit() == 0)
            let kept = try String(contentsOfFile: history, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(kept == Array(old.suffix(1000)), "the newest 1,000 entries; the repeated last entry is not added")
        }

        @Test func ctrlCDropsTheLineAndStopsARunningQuery() throws {
            let (dir, history) = historyFile()
            defer { dir.cleanup() }
            let s = try start(history: history)
            var m = s.mark
            s.keys(["count(call_attempt", T.ctrlC])
            #expect(s.wait(for: "^C", after: m))
            #expect(s.wait(for: "strata[metrics]> ", after: m))
            // A query that runs for minutes in a debug build: Ctrl-C stops it and the shell goes on.
            m = s.mark
            s.keys([
                "\\time 2019-11-19T21:09:00Z", T.enter,
                "count(max_over_time(quantile_over_time(0.5, {__name__=~\"node_.+\"}[5m:1s])[10m:1s]))", T.enter,
            ])
            usleep(1_000_000)
            #expect(
                !s.output(after: m).contains("value"), "the slow query finished before Ctrl-C: \(s.output(after: m))")
            let sent = Date()
            s.keys([T.ctrlC])
            #expect(s.wait(for: "query cancelled (Ctrl-C)", after: m, seconds: 30), "\(s.output(after: m))")
            #expect(Date().timeIntervalSince(sent) < 10)
            m = s.mark
            s.keys(["\\series call_failure", T.enter])
            #expect(s.wait(for: "call_failure{job=\"kpi\"", after: m), "\(s.output(after: m))")
            s.keys([T.ctrlD])
            #expect(s.waitForExit() == 0)
            #expect(try String(contentsOfFile: history, encoding: .utf8).hasSuffix("\\series call_failure\n"))
        }
    }
}
