import Foundation
import Testing

extension ShellTests {
    /// The shell's logs mode on the demo's database (20 simulated minutes, the OVS crash at 21:10).
    @Suite("logs mode")
    struct LogsMode {
        static let window = "\\time 2019-11-19T21:00:00Z..2019-11-19T21:30:00Z step 1m"

        func shell(_ lines: [String]) throws -> CLI.Result {
            try CLI.run(["shell", try DemoFixture.run().db], stdin: lines.joined(separator: "\n") + "\n")
        }

        @Test func logQueryShowsCountsAboveNumberedLinesNewestFirst() throws {
            let r = try shell([Self.window, "\\logs", #"{host="wally113", level=~"ERROR|CRITICAL"}"#])
            #expect(r.status == 0, "\(r.stderr)")
            let out = r.stdout
            let counts = try #require(out.firstMatch(of: /([0-9]+) matching records, per [0-9]+[smh]:/), "\(out)")
            let total = try #require(Int(counts.1))
            let numbered = out.split(separator: "\n").filter { $0.hasPrefix("[") }
            #expect(total > 0 && numbered.count == min(total, 50), "\(total) vs \(numbered.count)")
            #expect(out.contains("└"), "no bar chart")
            // Newest first.
            let times = numbered.compactMap { $0.firstMatch(of: /\] (\S+)/).map { String($0.1) } }
            #expect(times == times.sorted(by: >), "\(times)")
            #expect(!out.contains("\u{1B}["), "colour in a pipe")
        }

        @Test func metricQueryOverARangeIsChartedAsBars() throws {
            let r = try shell([Self.window, #"\l sum by (level) (count_over_time({program="ovs-vswitchd"}[1m]))"#])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("level     points  max  last"), "\(r.stdout)")
            #expect(r.stdout.contains("● {level=\"CRITICAL\"}") && r.stdout.contains("█"))
        }

        @Test func jsonIsLokisShapeAndCommandsAnswer() throws {
            let r = try shell([
                Self.window, "\\logs", "\\format json", #"{program="ovs-vswitchd"} |= "assertion""#, "\\format table",
                "\\labels", "\\values level", #"\streams {program="ovs-vswitchd", host="wally113"}"#,
            ])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains(#"{"status":"success","data":{"resultType":"streams","result":[{"stream":{"file":"ovs-vswitchd.log""#))
            #expect(r.stdout.contains("label    values"), "\(r.stdout)")
            #expect(r.stdout.contains("\nCRITICAL\nDEBUG\nERROR\nINFO\nWARNING\n"), "\(r.stdout)")
            let streams = r.stdout.split(separator: "\n").filter { $0.hasPrefix("{file=\"ovs-vswitchd.log\", host=\"wally113\"") }
            #expect(streams.count == 3, "\(streams)")  // CRITICAL, ERROR, INFO
        }

        @Test func mistakesAreOneLineErrorsAndTheSessionGoesOn() throws {
            let r = try shell([
                "\\logs", "\\context 1", #"{program="ovs-vswitchd"} |= "#, "\\context x", Self.window,
                #"{program="ovs-vswitchd"}"#, "\\context 99",
            ])
            #expect(r.status == 1)
            #expect(r.stderr.contains("error: no log query has run yet"), "\(r.stderr)")
            #expect(r.stderr.contains("error: \\context needs a hit number"), "\(r.stderr)")
            #expect(r.stderr.contains("error: hit 99 does not exist; the last query showed 1 to"), "\(r.stderr)")
            #expect(r.stderr.contains("^"), "no caret under the bad query: \(r.stderr)")
            #expect(r.stdout.contains("ovs-vswitchd INFO"), "the good query after the bad ones did not run")
        }

        @Test func tabCompletesStreamLabelsAndValuesOnATerminal() throws {
            let dir = Scratch()
            defer { dir.cleanup() }
            let s = try TerminalSession(database: try DemoFixture.run().db, historyFile: dir.path + "/history")
            #expect(s.wait(for: "strata[metrics]> "), "no prompt: \(s.text)")
            var m = s.mark
            s.keys([Self.window, TerminalSession.enter, "\\logs", TerminalSession.enter])
            #expect(s.wait(for: "strata[logs]> ", after: m), "\(s.output(after: m))")
            m = s.mark
            s.keys(["{progr", TerminalSession.tab, "=\"ovs-v", TerminalSession.tab, "} |= \"assertion\"", TerminalSession.enter])
            #expect(s.wait(for: "[1] 2019-11-19T21:10:00.000Z wally113 ovs-vswitchd CRITICAL", after: m), "\(s.output(after: m))")
            m = s.mark
            s.keys(["\\values lev", TerminalSession.tab, TerminalSession.enter])
            #expect(s.wait(for: "CRITICAL", after: m), "\(s.output(after: m))")
            s.keys([TerminalSession.ctrlD])
            #expect(s.waitForExit() == 0)
        }
    }
}
