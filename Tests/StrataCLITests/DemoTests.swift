import Foundation
import Strata
import StrataCLIKit
import Synchronization
import Testing

/// `strata demo --small`, run once through the built binary; the demo and logs-mode shell tests read its database.
enum DemoFixture {
    struct Run {
        var dir: String
        var db: String { dir + "/db" }
        var result: CLI.Result
    }

    private static let built = Result { () throws -> Run in
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-demo-\(UUID().uuidString)").path
        atexit { try? FileManager.default.removeItem(atPath: DemoFixture.directory.withLock { $0 }) }
        directory.withLock { $0 = dir }
        let r = try CLI.run(["demo", dir, "--small"])
        guard r.status == 0 else { throw ShellFixture.FixtureError(message: "demo failed (\(r.status)): \(r.stderr)") }
        return Run(dir: dir, result: r)
    }
    private static let directory = Mutex("")

    static func run() throws -> Run { try built.get() }

    /// The shell lines the demo suggests, without their comments (the lines after `strata shell <db>`).
    static func suggestedShellLines(_ stdout: String) -> [String] {
        let lines = stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let open = lines.firstIndex(where: { $0.hasPrefix("strata shell ") }) else { return [] }
        return lines[(open + 1)...].prefix { $0.hasPrefix("  ") }.map { line in
            var s = line.trimmingCharacters(in: .whitespaces)
            if let hash = s.range(of: "  # ") { s = String(s[..<hash.lowerBound]) }
            return s.trimmingCharacters(in: .whitespaces)
        }
    }
}

extension ShellTests {
    @Suite("strata demo")
    struct Demo {
        @Test func smallRunShowsTheKPIDropAndTheCrash() throws {
            let run = try DemoFixture.run()
            let out = run.result.stdout
            // The drop, from the data: "fell from 98.4% at 21:10 to 22.6% at 21:11".
            let fell = try #require(
                out.firstMatch(of: /call_success_rate fell from ([0-9.]+)% at 21:1[0-2] to ([0-9.]+)% at 21:1[0-2]/),
                "no drop sentence in:\n\(out)")
            let before = try #require(Double(fell.1)), after = try #require(Double(fell.2))
            #expect(before > 95 && before < 100, "before \(before)")
            #expect(after > 15 && after < 35, "after \(after)")
            #expect(out.contains("call_success_rate{job=\"kpi\", service=\"ims\"}"))
            #expect(out.contains("┤"), "no chart")
            // Errors by service around the drop, and the assertion line.
            #expect(out.contains(#"sum by (program) (count_over_time({level=~"ERROR|CRITICAL"}[10m]))"#))
            #expect(out.firstMatch(of: /\novs-vswitchd +[0-9]+ +█/) != nil, "no ovs-vswitchd row:\n\(out)")
            #expect(out.contains("lib/dp-packet.h:570: assertion"))
            #expect(out.contains("strata shell \(run.db)"))
            // The failed requests' traces around the drop: a table of base_ids, then one drawn.
            let failed = try #require(out.range(of: "== 5. The failed requests' traces"), "no trace section:\n\(out)")
            let section = out[failed.upperBound...]
            let ids = section.matches(of: /\n([0-9a-f-]{36})  2019-11-19T21:1/).map { String($0.1) }
            #expect(!ids.isEmpty, "\(section.prefix(2000))")
            #expect(section.contains("$ strata trace \(run.db) \(ids.last ?? "?") --critical-path"))
            #expect(section.contains("trace \(ids.last ?? "?"): ") && section.contains("critical path:"))
            // Quiet in a pipe: no progress bars, no colours.
            #expect(!run.result.stderr.contains("\r") && !out.contains("\u{1B}["), "stderr: \(run.result.stderr)")
        }

        /// The demo fires the KPI alert and the Open vSwitch keyword alarm at the incident, from the
        /// rules of Examples/rules/openstack.yml (which it writes next to its database).
        @Test func alertsFireAtTheIncident() throws {
            let run = try DemoFixture.run()
            let out = run.result.stdout
            let section = try #require(out.range(of: "== 6. Alerts"), "no alerts section:\n\(out)")
            let text = out[section.upperBound...]
            #expect(text.firstMatch(of: /2019-11-19T21:1[0-2]:00Z  OpenvSwitchAssertion +firing .*ovs-vswitchd on wally113 hit an assertion/) != nil, "\(text.prefix(3000))")
            #expect(text.firstMatch(of: /2019-11-19T21:1[1-3]:00Z  CallSuccessRateLow +firing .*Call success rate is [0-9.]+%/) != nil, "\(text.prefix(3000))")
            #expect(text.contains("Fired within 10 minutes of the drop:") && text.contains("OpenvSwitchAssertion") && text.contains("CallSuccessRateLow"))
            #expect(text.contains("(░ pending, █ firing)"))
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let examples = try String(contentsOf: root.appendingPathComponent("Examples/rules/openstack.yml"), encoding: .utf8)
            let written = try String(contentsOfFile: run.dir + "/rules.yml", encoding: .utf8)
            #expect(written == examples, "the demo's rules differ from Examples/rules/openstack.yml")
        }

        @Test func theShellLinesItSuggestsWork() throws {
            let run = try DemoFixture.run()
            let script = DemoFixture.suggestedShellLines(run.result.stdout)
            #expect(script.count >= 6, "\(script)")
            #expect(script.contains("\\logs") && script.contains(where: { $0.hasPrefix("\\time ") }))
            let r = try CLI.run(["shell", run.db], stdin: script.joined(separator: "\n") + "\n")
            #expect(r.status == 0, "stderr: \(r.stderr)")
            #expect(!r.stderr.contains("error"), "\(r.stderr)")
            #expect(r.stdout.contains("call_success_rate  kpi  ims"), "\(r.stdout.prefix(2000))")
            #expect(r.stdout.contains("{program=\"ovs-vswitchd\"}"), "no per-program chart")
            // The hit, then its context: the crash line marked, the monitor's restart line after it.
            #expect(r.stdout.contains("[1] 2019-11-19T21:10:00.000Z wally113 ovs-vswitchd CRITICAL"))
            let context = try #require(r.stdout.range(of: "\n> 2019-11-19T21:10:00.000Z"))
            #expect(r.stdout[context.upperBound...].contains("died, killed (Aborted)"))
            #expect(r.stdout.contains("{file=\"ovs-vswitchd.log\", host=\"wally113\", level=\"CRITICAL\", program=\"ovs-vswitchd\"}"))
            #expect(script.contains("\\traces") && script.contains("\\trace 1"))
            #expect(r.stdout.contains("critical path:") && r.stdout.contains("neutron-server  wsgi"), "\(r.stdout.suffix(3000))")
        }
    }
}

@Suite("demo KPI drop")
struct DemoKPIDropTests {
    @Test func tooShortOrBadDurationIsAUsageError() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        for bad in ["5m", "soon"] {
            let r = try CLI.run(["demo", dir.path, "--duration", bad])
            #expect(r.status == 2)
            #expect(r.stderr.contains("invalid --duration '\(bad)' (at least 10m"), "\(r.stderr)")
        }
    }

    let minute: Int64 = 60_000

    @Test func findsTheFallTheLowestAndTheRecovery() throws {
        let values: [Double] = [98, 97.5, 98.2, 98.4, 23, 22, 40, 70, 90, 94, 97]
        let times = values.indices.map { Int64($0) * minute }
        let d = try #require(DemoKPIDrop.find(timestamps: times, values: values))
        #expect(d.baseline == 98)
        #expect(d.before.time == 3 * minute && d.before.value == 98.4)
        #expect(d.fallen.time == 4 * minute && d.fallen.value == 23)
        #expect(d.lowest.time == 5 * minute && d.lowest.value == 22)
        #expect(d.recovered?.time == 9 * minute && d.recovered?.value == 94)
    }

    @Test func noDropNoRecoveryAndNaN() {
        let flat: [Double] = [98, 97, 98, 97.5, 98]
        #expect(DemoKPIDrop.find(timestamps: flat.indices.map { Int64($0) }, values: flat) == nil)
        let down: [Double] = [98, .nan, 98, 50, 30]
        let d = DemoKPIDrop.find(timestamps: down.indices.map { Int64($0) }, values: down)
        #expect(d?.fallen.value == 50 && d?.lowest.value == 30 && d?.recovered == nil)
        #expect(DemoKPIDrop.find(timestamps: [0, 1], values: [98, 20]) == nil)
    }
}
