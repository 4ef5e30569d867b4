import ArgumentParser
import Strata
import StrataCLIKit
import StrataRules

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `strata demo`: simulate the testbed with an incident, ingest it, and show what happened.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Simulate a few hours of an OpenStack testbed with an incident, ingest it, and explore it.",
        discussion: """
            Simulates the testbed (a controller and four compute nodes running Rally workloads) with an
            Open vSwitch crash on the controller half way through (the call success rate falls from
            about 98% to about 23% a minute later and recovers slowly) and a glance-api restart at
            5/18 of the run, without DEBUG logs. Ingests the metrics, logs and osprofiler traces into
            <dir>/db, then shows the KPI drop as a chart, the error logs around it by service, the
            failed requests' traces as waterfalls, and shell queries to try.
            <dir>/testbed and <dir>/db are replaced.

            Examples:
              strata demo                      # 3 hours into ./strata-demo
              strata demo /tmp/demo --small    # 20 simulated minutes (what the tests run)
              strata demo --duration 1h
            """)

    @Argument(help: "Working directory (the testbed files and the database go in it).") var dir: String = "strata-demo"
    @Option(help: "Simulated time, Prometheus style (20m, 1h, 3h).") var duration: String = "3h"
    @Flag(help: "A small run: 20 simulated minutes.") var small = false
    @Option(help: "The seed of the simulation.") var seed: UInt64 = 1

    func run() throws {
        let clock = Clock.now()
        let text = small ? "20m" : duration
        guard let millis = TimeSpec.parseDuration(text), millis >= 600_000 else {
            throw ValidationError("invalid --duration '\(text)' (at least 10m, e.g. 20m, 1h, 3h)")
        }
        let testbed = dir + "/testbed", dbPath = dir + "/db"
        let ovsAt = millis / 2, glanceAt = millis * 5 / 18 / 1000 * 1000
        let faults = ["ovs-crash/wally113@\(DurationText.format(ovsAt))", "glance-api-restart@\(DurationText.format(glanceAt))"]

        guard mkdir(dir, 0o755) == 0 || errno == EEXIST else { throw CLIFailure.io("\(dir): cannot create the directory") }
        section("1. Simulating \(DurationText.format(millis)) of the testbed (faults: \(faults.joined(separator: ", ")))")
        var generate = ["generate", testbed, "--duration", text, "--seed", String(seed), "--no-debug"]
        for f in faults { generate += ["--fault", f] }
        try Self.runSubcommand(generate)

        section("2. Ingesting metrics, logs and traces into \(dbPath)")
        Self.removeTree(dbPath)
        try Self.runSubcommand(["ingest", dbPath, testbed + "/metrics", testbed + "/logs", testbed + "/traces"])

        let db = try openDatabase(dbPath, mustExist: true)
        defer { try? db.close() }
        let start = DemoDefaults.startMillis, end = start + millis
        let style = ShellStyle.forStdout()
        let report = DemoReport(db: db, start: start, end: end, style: style, width: isatty(1) == 1 ? RawTerminal.columns() : 120)

        section("3. The KPI: call_success_rate (PromQL range query, step 1m)")
        guard let drop = try report.kpi() else {
            throw CLIFailure.problem("the simulated call_success_rate shows no drop; the demo data is not as expected")
        }
        section("4. Error logs around the drop, by service (LogQL)")
        try report.errorLogs(around: drop.fallen.time)
        section("5. The failed requests' traces around the drop (trace query {error=true})")
        try report.failedRequests(from: drop.fallen.time - 300_000, to: drop.fallen.time + 600_000, db: dbPath)
        section("6. Alerts: the rules of Examples/rules/openstack.yml over the run (strata rules eval)")
        let rulesPath = dir + "/rules.yml"
        do { try writeTextFile(rulesPath, DemoRules.text) } catch { throw CLIFailure.io("\(rulesPath): \(error)") }
        print(style.dim("$ strata rules eval \(dbPath) \(rulesPath) --start \(DemoReport.rfc(start)) --end \(DemoReport.rfc(end))"))
        try report.alerts(rules: rulesPath, kpiFall: drop.fallen.time)
        section("Explore it yourself")
        print(DemoReport.shellHints(db: dbPath, around: drop.fallen.time))
        print(style.dim("(demo took \(String(format1: Double(Clock.now() - clock) / 1e9)) s)"))
    }

    private func section(_ title: String) {
        let style = ShellStyle.forStdout()
        print("\n" + style.bold("== " + title))
        fflush(nil)
    }

    /// Deletes `path` and everything under it (the demo's own database from an earlier run).
    static func removeTree(_ path: String) { ScratchDirectory.removeTree(path) }

    /// Runs another `strata` subcommand in this process (its output and progress bars as usual).
    static func runSubcommand(_ arguments: [String]) throws {
        var command = try StrataCommand.parseAsRoot(arguments)
        try command.run()
        fflush(nil)
    }
}

/// Fixed facts of the demo's simulation.
enum DemoDefaults {
    /// The simulator's default start, 2019-11-19T21:00:00Z (ms).
    static let startMillis: Int64 = 1_574_197_200_000
}
