import ArgumentParser
import Strata
import StrataCLIKit

import StrataSim

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a simulated OpenStack testbed's metrics, logs, traces and ground truth.",
        discussion: """
            Simulates a controller (wally113) and compute nodes (wally117, wally122, wally123, wally124, more with --hosts) running Rally's boot-and-delete-server, create-and-delete-image and create-and-delete-network workloads, with faults injected.

            Workloads as Rally ran them: --workload picks scenarios (server, image, network; default all). By default they run at the same time with the seed testbed's concurrency (server 2, image 2, network 1); --concurrency N sets the iterations in flight per scenario. With --sequential the scenarios run one after another (image, network, server, each an equal share of --duration, concurrency 1 unless --concurrency says otherwise), as the seed's sequential run did. Output layout, sizes and the fault kinds are described in Docs/simulator.md. The same flags give the same bytes.

            Fault kinds: nova-compute-restart, glance-api-restart, neutron-agent-restart, ovs-crash, db-connection, rabbitmq-connection-loss, no-valid-host. KIND@OFFSET[:DURATION], optionally KIND/HOST@OFFSET[:DURATION]. Without --fault a default scenario has one fault per 30 simulated minutes (at least four); --no-faults runs clean.

            Examples:
              strata generate ./testbed --duration 1h
              strata generate ./testbed --duration 10m --seed 7 --fault ovs-crash@5m --fault glance-api-restart@2m:15s
              strata generate ./big --duration 1d --hosts 20
              strata generate ./seq --duration 3h --sequential
              strata generate ./boots --duration 1h --workload server --concurrency 4
            """)

    @Argument(help: "The output directory (created; files in it are replaced).") var dir: String
    @Option(help: "Simulated time, Prometheus style (90s, 5m, 1h30m, 1d).") var duration: String = "1h"
    @Option(help: "The seed of the simulation.") var seed: UInt64 = 1
    @Option(help: "The first instant (RFC 3339 or Unix seconds). Default 2019-11-19T21:00:00Z.") var start: String?
    @Option(help: "Compute nodes besides the controller.") var hosts: Int = 4
    @Option(name: .customLong("fault"), help: "A fault KIND[/HOST]@OFFSET[:DURATION]; repeatable.") var faults: [String] = []
    @Flag(help: "Inject no faults at all.") var noFaults = false
    @Option(help: "node-exporter scrape interval.") var scrapeInterval: String = "10s"
    @Flag(help: "Leave out DEBUG records (about four fifths of the log bytes).") var noDebug = false
    @Option(help: "Rally scenarios to run, comma-separated: server, image, network (default all).") var workload: String = "server,image,network"
    @Option(help: "Iterations in flight per scenario (default: server 2, image 2, network 1; 1 with --sequential).") var concurrency: Int?
    @Flag(help: "Run the scenarios one after another instead of at the same time.") var sequential = false

    func run() throws {
        var config = SimulationConfig()
        guard let d = FaultSpec.parseDurationMillis(duration), d > 0 else {
            throw ValidationError("invalid --duration '\(duration)' (use 90s, 5m, 1h30m, 1d)")
        }
        config.durationMillis = d
        config.seed = seed
        if let start {
            guard let t = TimeSpec.parse(start) else {
                throw ValidationError("invalid --start '\(start)' (use RFC 3339 or Unix seconds)")
            }
            config.startMillis = t
        }
        guard hosts >= 1 && hosts <= 1000 else { throw ValidationError("--hosts must be between 1 and 1000") }
        config.computeHosts = hosts
        guard let interval = FaultSpec.parseDurationMillis(scrapeInterval), interval >= 1000 else {
            throw ValidationError("invalid --scrape-interval '\(scrapeInterval)' (at least 1s)")
        }
        config.scrapeIntervalMillis = interval
        config.debugLogs = !noDebug
        var selected: [Workload] = []
        for name in workload.split(separator: ",") {
            guard let w = Workload(rawValue: String(name.filter { $0 != " " })) else {
                throw ValidationError("invalid --workload '\(name)' (server, image, network)")
            }
            if !selected.contains(w) { selected.append(w) }
        }
        guard !selected.isEmpty else { throw ValidationError("--workload needs at least one of server, image, network") }
        config.workloads = selected
        if let concurrency {
            guard concurrency >= 1 && concurrency <= 100 else { throw ValidationError("--concurrency must be between 1 and 100") }
            config.concurrency = concurrency
        }
        config.sequential = sequential
        if noFaults {
            config.faults = []
        } else if !faults.isEmpty {
            var specs: [FaultSpec] = []
            for f in faults {
                guard let spec = FaultSpec.parse(f) else {
                    let kinds = FaultKind.allCases.map(\.rawValue).joined(separator: ", ")
                    throw ValidationError("invalid --fault '\(f)' (KIND[/HOST]@OFFSET[:DURATION]; kinds: \(kinds))")
                }
                specs.append(spec)
            }
            config.faults = specs
        }

        var progress = ProgressLine(total: 1000, enabled: stderrIsTerminal)
        let began = monotonicSeconds()
        let summary: SimulationSummary
        do {
            summary = try Simulator(config).run(into: dir) { fraction in progress.update(Int(fraction * 1000)) }
        } catch {
            progress.clear()
            throw CLIFailure.io("\(error)")
        }
        progress.clear()
        let secs = max(1e-9, monotonicSeconds() - began)
        print("wrote \(dir): \(formatBytes(summary.totalBytes)) in \(String(format1: secs)) s (\(formatBytes(Int(Double(summary.totalBytes) / secs)))/s)")
        print("  metrics  \(formatBytes(summary.metricBytes))  \(summary.samples) samples")
        print("  logs     \(formatBytes(summary.logBytes))  \(summary.logRecords) records")
        print("  traces   \(formatBytes(summary.traceBytes))  \(summary.spans) spans")
        print("  truth    \(summary.iterations) iterations (\(summary.failedIterations) failed), \(summary.faults) faults")
    }

    private func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
