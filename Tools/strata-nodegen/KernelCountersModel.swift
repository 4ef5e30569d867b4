/// `node_context_switches_total`, `node_intr_total`, `node_forks_total`, `node_vmstat_*`
/// (page faults scale with activity; pgpgin/pgpgout are the disks' KiB), `node_pressure_*`
/// (microsecond counters, six decimals: CPU waits once the machine is over a third busy, I/O
/// waits follow iowait, memory stalls only under memory pressure or rarely), and the gauges
/// `node_sockstat_TCP_inuse` and `node_nf_conntrack_entries` (mean-reverting integer walks).
struct KernelCountersModel {
    private let slots: (contextSwitches: Int, interrupts: Int, forks: Int, vmstat: [Int], pressure: [Int], tcp: Int, conntrack: Int)
    private let contextSwitchRate: Double
    private let interruptRate: Double
    private let forkRate: Double
    private let faultRate: Double
    private var contextSwitches: Int64
    private var interrupts: Int64
    private var forks: Int64
    private var vmstat: [Int64]  // pgfault, pgmajfault, pgpgin, pgpgout
    private var pressureMicroseconds: [Int64]  // cpu waiting, io stalled, io waiting, memory stalled, memory waiting
    private let tcpBase: Double
    private var tcp: Int64
    private let conntrackBase: Double
    private var conntrack: Int64

    init(catalog: Catalog, uptimeSeconds: Int64, rng: inout Xoshiro256) {
        slots = (
            catalog.slot("node_context_switches"), catalog.slot("node_intr"), catalog.slot("node_forks"),
            Hardware.vmstatFields.map { catalog.slot("node_vmstat_\($0)") },
            Hardware.pressureFamilies.map { catalog.slot($0) },
            catalog.slot("node_sockstat_TCP_inuse"), catalog.slot("node_nf_conntrack_entries")
        )
        let uptime = Double(uptimeSeconds)
        contextSwitchRate = rng.uniform(4_000, 40_000)
        interruptRate = contextSwitchRate * rng.uniform(0.4, 0.9)
        forkRate = rng.uniform(2, 40)
        faultRate = rng.uniform(5_000, 60_000)
        contextSwitches = Int64(uptime * contextSwitchRate * 0.6)
        interrupts = Int64(uptime * interruptRate * 0.6)
        forks = Int64(uptime * forkRate)
        vmstat = [Int64(uptime * faultRate * 0.6), Int64(uptime * 0.2), Int64(uptime * 40), Int64(uptime * 400)]
        pressureMicroseconds = [
            Int64(uptime * 2_000), Int64(uptime * 300), Int64(uptime * 500), Int64(uptime * 3), Int64(uptime * 4),
        ].map { $0 + Int64(rng.int(in: 0...999_999)) }
        tcpBase = rng.uniform(40, 600)
        tcp = Int64(tcpBase)
        conntrackBase = rng.uniform(1_000, 40_000)
        conntrack = Int64(conntrackBase)
    }

    mutating func step(
        elapsedMs: Int64, utilisation: Double, iowait: Double, memoryPressure: Bool, traffic: IOTraffic,
        rng: inout Xoshiro256, values: UnsafeMutablePointer<Int64>
    ) {
        let seconds = Double(elapsedMs) / 1000
        let activity = 0.3 + utilisation
        contextSwitches += Int64(contextSwitchRate * seconds * activity * (1 + 0.05 * rng.normal()))
        interrupts += Int64(interruptRate * seconds * activity * (1 + 0.03 * rng.normal()))
        forks += rng.poisson(forkRate * seconds)
        vmstat[0] += max(0, Int64(faultRate * seconds * activity * (1 + 0.1 * rng.normal())))
        vmstat[1] += rng.poisson(0.02 * seconds)
        vmstat[2] += traffic.readBytes / 1024
        vmstat[3] += traffic.writtenBytes / 1024

        let elapsedMicroseconds = Double(elapsedMs) * 1000
        let cpuWait = max(0, utilisation - 0.33)
        pressureMicroseconds[0] += Int64(elapsedMicroseconds * cpuWait * cpuWait * rng.uniform(0.5, 1.5))
            + Int64(rng.int(in: 0...3000))
        let ioWait = Int64(elapsedMicroseconds * iowait * 0.3 * rng.uniform(0.2, 1.8))
        pressureMicroseconds[1] += ioWait * Int64(rng.int(in: 50...80)) / 100
        pressureMicroseconds[2] += ioWait
        if memoryPressure || rng.chance(0.01) {
            let stall = Int64(rng.int(in: 1...(memoryPressure ? 400_000 : 900)))
            pressureMicroseconds[3] += stall
            pressureMicroseconds[4] += stall + Int64(rng.int(in: 0...Int(stall)))
        }

        tcp = max(5, tcp + Int64((0.05 * (tcpBase * (0.6 + utilisation) - Double(tcp)) + 3 * rng.normal()).rounded()))
        conntrack = max(100, conntrack + Int64((0.03 * (conntrackBase - Double(conntrack)) + 60 * rng.normal()).rounded()))

        values[slots.contextSwitches] = contextSwitches
        values[slots.interrupts] = interrupts
        values[slots.forks] = forks
        for i in 0..<vmstat.count { values[slots.vmstat[i]] = vmstat[i] }
        for i in 0..<pressureMicroseconds.count { values[slots.pressure[i]] = pressureMicroseconds[i] }
        values[slots.tcp] = tcp
        values[slots.conntrack] = conntrack
    }
}
