#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What to simulate.
public struct SimulationConfig: Sendable {
    /// Simulated time in milliseconds (default one hour).
    public var durationMillis: Int64 = 3_600_000
    /// The seed; the same seed and config give byte-identical output.
    public var seed: UInt64 = 1
    /// Unix milliseconds of the first instant (default 2019-11-19T21:00:00Z, the seed testbed's week).
    public var startMillis: Int64 = 1_574_197_200_000
    /// Compute nodes besides the controller (default 4: wally117, wally122, wally123, wally124).
    public var computeHosts: Int = 4
    /// Faults to inject; nil means `FaultSpec.defaultScenario`.
    public var faults: [FaultSpec]?
    /// node-exporter scrape interval in milliseconds.
    public var scrapeIntervalMillis: Int64 = 10_000
    /// Whether services log at DEBUG as the seed testbed did (the bulk of the log bytes).
    public var debugLogs = true
    /// The Rally scenarios to run (default all three).
    public var workloads: [Workload] = Workload.allCases
    /// Iterations in flight per scenario (Rally's constant runner `concurrency`); nil keeps the
    /// seed testbed's: boot-and-delete 2, image 2, network 1.
    public var concurrency: Int?
    /// Run the scenarios one after another (each an equal share of the duration, in the seed's
    /// order image, network, server) instead of at the same time.
    public var sequential = false

    public init() {}
}

/// What a run wrote.
public struct SimulationSummary: Sendable {
    public var metricBytes = 0
    public var logBytes = 0
    public var traceBytes = 0
    public var groundTruthBytes = 0
    public var samples = 0
    public var logRecords = 0
    public var spans = 0
    public var iterations = 0
    public var failedIterations = 0
    public var faults = 0
    /// Every byte written.
    public var totalBytes: Int { metricBytes + logBytes + traceBytes + groundTruthBytes }
}

/// The simulated OpenStack testbed. `run(into:)` streams metrics, logs, traces and ground
/// truth into a directory (layout in Docs/simulator.md); memory stays flat in the duration.
///
/// ```swift
/// var config = SimulationConfig()
/// config.durationMillis = 10 * 60_000
/// let summary = try Simulator(config).run(into: "/tmp/testbed")
/// ```
public struct Simulator: Sendable {
    public let config: SimulationConfig

    public init(_ config: SimulationConfig) { self.config = config }

    /// Simulates and writes everything under `directory` (created if absent; files replaced).
    /// - Parameter progress: called now and then with the fraction of simulated time done.
    /// - Throws: `SimulationError` naming the file that could not be created or written, or
    ///   an invalid config (a fault on an unknown host).
    public func run(into directory: String, progress: ((Double) -> Void)? = nil) throws(SimulationError)
        -> SimulationSummary
    {
        let sim = try Simulation(config: config, directory: directory)
        return try sim.run(progress: progress)
    }
}

/// The mutable state of one run.
final class Simulation {
    let config: SimulationConfig
    let directory: String
    let start: Int64
    let end: Int64
    var hosts: [SimHost] = []
    var faults: [ActiveFault] = []
    var rng: SimRandom
    var logs = LogWriter()
    var tracer = TraceWriter()
    let traceLog: PendingLog
    let groundTruth: OutputFile
    var metricFiles: [OutputFile] = []
    var glancesFiles: [OutputFile] = []
    let kpiFile: OutputFile
    var allLogs: [PendingLog] = []
    var metricState: [HostMetricState] = []
    var kpi = KPIState()
    var runners: [Runner] = []
    let users: [(user: ID128, project: ID128)]
    /// The service user (nova, neutron, glance share one in the seed's deployment) whose token
    /// keystonemiddleware presents when it validates a user's token.
    let serviceUser: (user: ID128, project: ID128)
    let imageID: ID128
    let networkID: ID128
    var iterationCount = 0
    var failedCount = 0
    var firstIteration = true
    var samples = 0

    static let windowMicros: Int64 = 60_000_000

    init(config: SimulationConfig, directory: String) throws(SimulationError) {
        self.config = config
        self.directory = directory
        start = config.startMillis * 1000
        end = start + max(0, config.durationMillis) * 1000
        rng = SimRandom(seed: config.seed, stream: 0)
        for sub in ["", "/metrics", "/logs", "/traces"] {
            let path = directory + sub
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                throw SimulationError(path: path, reason: String(cString: strerror(errno)))
            }
        }
        var idRandom = SimRandom(seed: config.seed, stream: 1)
        users = (0..<6).map { _ in (idRandom.id128(), idRandom.id128()) }
        imageID = idRandom.id128()
        networkID = idRandom.id128()
        var serviceRandom = SimRandom(seed: config.seed, stream: 2)
        serviceUser = (serviceRandom.id128(), serviceRandom.id128())

        let names = TopologyNames.hostNames(computes: max(0, config.computeHosts))
        for (i, name) in names.enumerated() {
            let pids = Program.allCases.map { _ in idRandom.int(1200...32000) }
            let host = SimHost(index: i, name: name, ip: TopologyNames.ip(hostIndex: i), isController: i == 0, pids: pids)
            let dir = directory + "/logs/" + name
            if mkdir(dir, 0o755) != 0 && errno != EEXIST {
                throw SimulationError(path: dir, reason: String(cString: strerror(errno)))
            }
            for p in host.programs {
                let log = PendingLog(file: try OutputFile(path: dir + "/" + p.fileName, capacity: names.count > 12 && i > 0 ? 16 << 10 : 64 << 10))
                host.logs[p.rawValue] = log
                allLogs.append(log)
            }
            hosts.append(host)
            // Smaller buffers with many hosts keep the resident size near 30 MB (buffer sizes
            // change only the write sizes, never the bytes).
            let many = names.count > 12
            metricFiles.append(try OutputFile(path: directory + "/metrics/" + name + ".om", capacity: many ? 128 << 10 : 1 << 20))
            glancesFiles.append(try OutputFile(path: directory + "/metrics/" + name + "_glances.csv", capacity: many ? 32 << 10 : 256 << 10))
            metricState.append(HostMetricState(host: host, seed: config.seed))
        }
        kpiFile = try OutputFile(path: directory + "/metrics/kpi.om", capacity: 64 << 10)
        traceLog = PendingLog(file: try OutputFile(path: directory + "/traces/osprofiler.jsonl", capacity: 1 << 20))
        groundTruth = try OutputFile(path: directory + "/ground_truth.json", capacity: 256 << 10)

        let specs = config.faults ?? FaultSpec.defaultScenario(durationMillis: config.durationMillis)
        var computeTurn = 0
        for (i, spec) in specs.enumerated() {
            let hostIndex: Int
            if let name = spec.host {
                guard let h = names.firstIndex(of: name) else {
                    throw SimulationError(path: "--fault", reason: "unknown host '\(name)' (hosts: \(names.joined(separator: ", ")))")
                }
                hostIndex = h
            } else if spec.kind.onComputeByDefault && names.count > 1 {
                hostIndex = 1 + computeTurn % (names.count - 1)
                computeTurn += 1
            } else {
                hostIndex = 0
            }
            let s = start + spec.offsetMillis * 1000
            let d = (spec.durationMillis ?? spec.kind.defaultDurationMillis) * 1000
            faults.append(ActiveFault(id: i, kind: spec.kind, host: hostIndex, start: s, end: s + d))
        }
        faults.sort { $0.start < $1.start }
        for i in faults.indices { faults[i].id = i }
        runners = Runner.runners(config: config, start: start, end: end)
    }

    func run(progress: ((Double) -> Void)?) throws(SimulationError) -> SimulationSummary {
        writeGroundTruthHeader()
        for f in metricFiles.indices { glancesFiles[f].append("now,cpu.user,mem.used,load.cpucore,load.min1,load.min5,load.min15\n") }
        var windowStart = start
        var nextProgress = start
        while windowStart < end {
            let windowEnd = min(end, windowStart + Self.windowMicros)
            runWorkloads(until: windowEnd)
            backgroundLogs(from: windowStart, to: windowEnd)
            periodicChatter(from: windowStart, to: windowEnd)
            faultLogs(from: windowStart, to: windowEnd)
            writeMetrics(from: windowStart, to: windowEnd)
            writeKPI(from: windowStart, to: windowEnd)
            for log in allLogs { log.release(before: windowEnd) }
            traceLog.release(before: windowEnd)
            windowStart = windowEnd
            if let progress, windowStart >= nextProgress {
                progress(Double(windowStart - start) / Double(max(1, end - start)))
                nextProgress = windowStart + 10 * Self.windowMicros
            }
        }
        // Iterations started before the end run to completion, so every trace is whole: logs
        // and traces may run a few minutes past the end; metrics stop at it.
        for log in allLogs { log.release(before: .max) }
        traceLog.release(before: .max)
        writeGroundTruthFooter()

        var summary = SimulationSummary()
        for f in metricFiles { try f.flush(); summary.metricBytes += f.bytesWritten }
        for f in glancesFiles { try f.flush(); summary.metricBytes += f.bytesWritten }
        for f in metricFiles.indices { try Self.finishOpenMetrics(metricFiles[f]); summary.metricBytes += 6 }
        try Self.finishOpenMetrics(kpiFile)
        summary.metricBytes += kpiFile.bytesWritten
        for log in allLogs {
            try log.file.flush()
            summary.logBytes += log.file.bytesWritten
            summary.logRecords += log.recordCount
        }
        try traceLog.file.flush()
        summary.traceBytes = traceLog.file.bytesWritten
        try groundTruth.flush()
        summary.groundTruthBytes = groundTruth.bytesWritten
        summary.samples = samples
        summary.spans = tracer.spans
        summary.iterations = iterationCount
        summary.failedIterations = failedCount
        summary.faults = faults.count
        progress?(1)
        return summary
    }

    private static func finishOpenMetrics(_ f: OutputFile) throws(SimulationError) {
        f.append("# EOF\n")
        try f.flush()
    }

    /// The first fault of `kind` covering `t` whose host satisfies `hostMatches`.
    @inline(__always)
    func fault(_ kind: FaultKind, at t: Int64, host hostMatches: (Int) -> Bool = { _ in true }) -> ActiveFault? {
        for f in faults where f.kind == kind && f.covers(t) && hostMatches(f.host) { return f }
        return nil
    }

    var controller: SimHost { hosts[0] }
    var computes: ArraySlice<SimHost> { hosts.count > 1 ? hosts[1...] : hosts[0...] }
}
