#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One host's node-exporter-like metrics: series prefixes prepared once, state advanced per scrape.
struct HostMetricState {
    static let cpus = 16
    static let modes = ["idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"]
    static let devices = ["eno1", "eno2", "lo", "vxlan_sys_4789"]
    static let disks = ["nvme0n1", "sda", "sdb"]
    static let mounts = [("/", "/dev/sda2", "ext4"), ("/var/lib/nova", "/dev/nvme0n1p1", "xfs"), ("/var/log", "/dev/sdb1", "xfs")]
    static let netFamilies = [
        "node_network_receive_bytes_total", "node_network_transmit_bytes_total", "node_network_receive_packets_total",
        "node_network_transmit_packets_total", "node_network_receive_drop_total", "node_network_receive_errs_total",
    ]
    static let diskFamilies = ["node_disk_read_bytes_total", "node_disk_written_bytes_total", "node_disk_io_time_seconds_total"]

    /// `# TYPE` line bytes and the series range of each family.
    var families: [(type: [UInt8], first: Int, count: Int)] = []
    /// `name{labels} ` of every series.
    var prefixes: [[UInt8]] = []
    /// Fraction digits of every series.
    var scales: [Int] = []
    /// Current value of every series as an integer scaled by 10^scale.
    var values: [Int64] = []
    /// How each series moves (`.special` ones are advanced by hand in `Simulation.advance`).
    var models: [SeriesModel] = []
    /// Per series, scaled by 10^scale: base value (gauge, constant) or rate per second (counter), its busy part, jitter.
    var bases: [Double] = []
    var busyCoefficients: [Double] = []
    var noises: [Double] = []
    /// The first series after the hand-modelled ones.
    var firstModelled = 0
    var units: [Program] = []
    var rng: SimRandom
    /// Jitter of the modelled series (a stream of its own, so the hand-modelled values do not depend on it).
    var modelRng: SimRandom
    var hostLabel: String
    var hostName: String
    var load = (0.5, 0.5, 0.5)
    let memTotal: Int64 = 67_290_210_304

    init(host: SimHost, seed: UInt64) {
        rng = SimRandom(seed: seed, stream: 100 + UInt64(host.index))
        modelRng = SimRandom(seed: seed, stream: 300 + UInt64(host.index))
        hostName = host.name.string
        hostLabel = "host=\"\(host.name.string)\""
        let hostLabel = hostLabel
        func family(_ name: String, _ type: String, _ labelSets: [String], scale: Int, initial: (Int) -> Int64) {
            families.append((Array("# TYPE \(name.hasSuffix("_total") ? String(name.dropLast(6)) : name) \(type)\n".utf8), prefixes.count, labelSets.count))
            for (i, ls) in labelSets.enumerated() {
                prefixes.append(Array("\(name){\(hostLabel)\(ls.isEmpty ? "" : ",")\(ls)} ".utf8))
                scales.append(scale)
                values.append(initial(i))
                models.append(.special)
                bases.append(0)
                busyCoefficients.append(0)
                noises.append(0)
            }
        }
        var cpuLabels: [String] = []
        for c in 0..<Self.cpus { for m in Self.modes { cpuLabels.append("cpu=\"\(c)\",mode=\"\(m)\"") } }
        family("node_cpu_seconds_total", "counter", cpuLabels, scale: 2) { i in Int64(5_000_000 + (i % 8 == 0 ? 80_000_000 : i * 1000)) }
        family("node_load1", "gauge", [""], scale: 2) { _ in 50 }
        family("node_load5", "gauge", [""], scale: 2) { _ in 50 }
        family("node_load15", "gauge", [""], scale: 2) { _ in 50 }
        for (name, v) in [("node_memory_MemTotal_bytes", memTotal), ("node_memory_MemFree_bytes", 40_000_000_000), ("node_memory_MemAvailable_bytes", 52_000_000_000), ("node_memory_Cached_bytes", 9_000_000_000), ("node_memory_Buffers_bytes", 700_000_000)] {
            family(name, "gauge", [""], scale: 0) { _ in v }
        }
        for f in Self.netFamilies {
            family(f, "counter", Self.devices.map { "device=\"\($0)\"" }, scale: 0) { i in Int64(1_000_000 * (i + 1)) }
        }
        for f in Self.diskFamilies {
            family(f, "counter", Self.disks.map { "device=\"\($0)\"" }, scale: f.hasSuffix("seconds_total") ? 3 : 0) { i in Int64(10_000_000 * (i + 1)) }
        }
        family("node_filesystem_avail_bytes", "gauge", Self.mounts.map { "device=\"\($0.1)\",fstype=\"\($0.2)\",mountpoint=\"\($0.0)\"" }, scale: 0) { i in Int64(200_000_000_000 - i * 50_000_000_000) }
        family("node_filesystem_size_bytes", "gauge", Self.mounts.map { "device=\"\($0.1)\",fstype=\"\($0.2)\",mountpoint=\"\($0.0)\"" }, scale: 0) { _ in 429_496_729_600 }
        family("node_context_switches_total", "counter", [""], scale: 0) { _ in 900_000_000 }
        family("node_intr_total", "counter", [""], scale: 0) { _ in 500_000_000 }
        family("node_procs_running", "gauge", [""], scale: 0) { _ in 2 }
        units = host.programs.filter { $0.unit != nil }
        family("node_systemd_unit_state", "gauge", units.flatMap { u in Self.unitStates.map { "name=\"\(u.unit!)\",state=\"\($0)\"" } }, scale: 0) { i in i % Self.unitStates.count == 1 ? 1 : 0 }
        firstModelled = values.count
        addNodeExporterFamilies(isController: host.isController)
    }

    /// The states node_exporter's systemd collector reports per unit (index 1 is `active`).
    static let unitStates = ["activating", "active", "deactivating", "failed", "inactive"]
}

/// The service KPI of the seed's incident, one sample per minute.
struct KPIState {
    var subscribers: Int64 = 48_000
}

extension Simulation {
    func writeMetrics(from w0: Int64, to w1: Int64) {
        let step = max(1000, config.scrapeIntervalMillis) * 1000
        var line = LineBytes(capacity: 1 << 16)
        for h in hosts.indices {
            let host = hosts[h]
            var t = ((w0 - start + step - 1) / step) * step + start
            while t < w1 {
                advance(host: h, t: t, dt: Double(step) / 1e6)
                line.clear()
                let st = metricState[h]
                var stamp = LineBytes(capacity: 32)
                stamp.byte(0x20)
                stamp.unixSecondsMillis(t)
                stamp.byte(0x0A)
                for fam in st.families {
                    line.bytes.append(contentsOf: fam.type)
                    for s in fam.first..<fam.first + fam.count {
                        line.bytes.append(contentsOf: st.prefixes[s])
                        line.fixed(Int(st.values[s]), decimals: st.scales[s])
                        line.bytes.append(contentsOf: stamp.bytes)
                    }
                }
                samples += st.values.count
                metricFiles[h].append(line.bytes)
                t += step
            }
            // Glances CSV once a second.
            var g = (w0 - start + 999_999) / 1_000_000 * 1_000_000 + start
            line.clear()
            while g < w1 {
                let running = Double(host.instances.lazy.filter { $0.start <= g && $0.end > g }.count)
                var busy = (host.isController ? 18.0 : 4.0) + running * 6 + metricState[h].rng.normal() * 2.5
                var memUsed = (host.isController ? 12.2e9 : 3.1e9) + running * 4.3e9 + metricState[h].rng.normal() * 4e6
                for f in faults where f.host == h && f.covers(g) {
                    busy += 15
                    if f.kind == .novaComputeRestart { memUsed -= 3.2e8 }
                }
                line.timeMillis(g)
                line.bytes.removeLast(4)
                line.ascii(" UTC,")
                line.double(max(0.1, min(100, busy)), decimals: 1)
                line.byte(0x2C)
                line.int(Int(memUsed))
                line.byte(0x2C)
                line.int(HostMetricState.cpus)
                line.byte(0x2C)
                line.double(metricState[h].load.0, decimals: 2)
                line.byte(0x2C)
                line.double(metricState[h].load.1, decimals: 2)
                line.byte(0x2C)
                line.double(metricState[h].load.2, decimals: 2)
                line.byte(0x0A)
                samples += 6
                g += 1_000_000
            }
            glancesFiles[h].append(line.bytes)
        }
    }

    /// Moves one host's series forward by `dt` seconds to time `t`.
    private func advance(host h: Int, t: Int64, dt: Double) {
        let host = hosts[h]
        let running = Double(host.instances.lazy.filter { $0.start <= t && $0.end > t }.count)
        var busy = (host.isController ? 0.18 : 0.04) + 0.06 * running
        var unitDown: Set<Int> = []
        var drops: Int64 = 0
        var memDelta: Int64 = 0
        for f in faults where f.host == h && f.covers(t) {
            busy += 0.15
            let p: Program
            switch f.kind {
            case .novaComputeRestart: p = .novaCompute; memDelta += 320_000_000
            case .glanceAPIRestart: p = .glanceAPI
            case .neutronAgentRestart: p = .neutronOVSAgent
            case .ovsCrash: p = .ovsVswitchd; drops += 4000
            case .dbConnection: p = .mysqld
            case .rabbitmqConnectionLoss: p = .rabbitmq
            case .noValidHost: p = .novaScheduler
            }
            if f.kind != .noValidHost { unitDown.insert(p.rawValue) }
        }
        var st = metricState[h]
        busy = max(0.01, min(0.98, busy + st.rng.normal() * 0.02))
        // CPU: 16 cpus x 8 modes; shares of the busy time.
        let shares = [1 - busy, busy * 0.04, busy * 0.01, busy * 0.0, busy * 0.03, 0, busy * 0.27, busy * 0.65]
        var i = 0
        for _ in 0..<HostMetricState.cpus {
            for m in 0..<8 {
                let inc = shares[m] * dt * 100 * (1 + st.rng.normal() * 0.05)
                st.values[i] += Int64(max(0, inc))
                i += 1
            }
        }
        let cores = Double(HostMetricState.cpus)
        let instant = busy * cores * 1.1
        st.load.0 += (instant - st.load.0) * (1 - exp(-dt / 60))
        st.load.1 += (instant - st.load.1) * (1 - exp(-dt / 300))
        st.load.2 += (instant - st.load.2) * (1 - exp(-dt / 900))
        st.values[i] = Int64((st.load.0 * 100).rounded()); i += 1
        st.values[i] = Int64((st.load.1 * 100).rounded()); i += 1
        st.values[i] = Int64((st.load.2 * 100).rounded()); i += 1
        let used = Int64(running * 4.3e9) + (host.isController ? 12_200_000_000 : 3_100_000_000) - memDelta + Int64(st.rng.normal() * 4e6)
        st.values[i + 1] = st.memTotal - used - 9_700_000_000  // MemFree
        st.values[i + 2] = st.memTotal - used  // MemAvailable
        i += 5
        for f in 0..<HostMetricState.netFamilies.count {
            for d in 0..<HostMetricState.devices.count {
                let rate: Double
                switch f {
                case 0, 1: rate = (d == 2 ? 2e5 : 1.5e6) * (0.5 + busy * 2)
                case 2, 3: rate = (d == 2 ? 300 : 1800) * (0.5 + busy * 2)
                case 4: rate = 0.02
                default: rate = 0
                }
                var inc = Int64(rate * dt * (1 + st.rng.normal() * 0.05))
                if f == 4 && d != 2 && drops > 0 { inc += drops + Int64(st.rng.below(500)) }
                if f == 4 && inc == 0 && st.rng.chance(rate * dt) { inc = 1 }
                st.values[i] += max(0, inc)
                i += 1
            }
        }
        for f in 0..<HostMetricState.diskFamilies.count {
            for _ in 0..<HostMetricState.disks.count {
                let inc: Double = f == 2 ? dt * busy * 100 : dt * (2e5 + busy * 4e6)
                st.values[i] += Int64(max(0, inc * (1 + st.rng.normal() * 0.1)))
                i += 1
            }
        }
        for _ in 0..<3 {
            st.values[i] -= Int64(st.rng.below(4096) * 4096)
            i += 1
        }
        i += 3
        st.values[i] += Int64(dt * (9000 + busy * 40000)); i += 1
        st.values[i] += Int64(dt * (5000 + busy * 20000)); i += 1
        st.values[i] = Int64(max(1, (busy * cores).rounded() + Double(st.rng.below(3)))); i += 1
        for p in st.units {
            let down = unitDown.contains(p.rawValue)
            st.values[i] = down ? 1 : 0  // activating: restarting
            st.values[i + 1] = down ? 0 : 1  // active
            i += HostMetricState.unitStates.count
        }
        let tMillis = t / 1000
        for s in st.firstModelled..<st.values.count {
            switch st.models[s] {
            case .special, .constant: break
            case .counter:
                let u = Double(Int64(bitPattern: st.modelRng.next()) >> 11) * 0x1p-52
                var inc = (st.bases[s] + busy * st.busyCoefficients[s]) * dt * (1 + st.noises[s] * u)
                if inc < 1 { inc = st.modelRng.uniform() < inc ? 1 : 0 }
                st.values[s] += Int64(inc)
            case .gauge:
                let u = Double(Int64(bitPattern: st.modelRng.next()) >> 11) * 0x1p-52
                st.values[s] = Int64(((st.bases[s] + busy * st.busyCoefficients[s]) * (1 + st.noises[s] * u)).rounded())
            case .clock:
                st.values[s] = tMillis
            }
        }
        metricState[h] = st
    }

    /// call_attempt, call_success, call_failure, total_registered_subs, call_success_rate (percent) per minute.
    func writeKPI(from w0: Int64, to w1: Int64) {
        var t = (w0 - start + 59_999_999) / 60_000_000 * 60_000_000 + start
        var line = LineBytes(capacity: 1024)
        while t < w1 {
            var r = SimRandom(seed: config.seed, stream: 7 &+ UInt64(truncatingIfNeeded: t / 60_000_000))
            let dayPhase = Double((t / 1_000_000) % 86_400) / 86_400 * 2 * Double.pi
            let attempts = r.poisson(1200 * (1 + 0.3 * sin(dayPhase - Double.pi / 2)))
            var rate = 98.0 + r.normal() * 0.4
            for f in faults {
                switch f.kind {
                case .ovsCrash:
                    let onset = f.start + 60_000_000
                    if t >= onset {
                        let depth = (98.0 - 23.0) * (f.host == 0 ? 1.0 : 0.3)
                        rate -= depth * exp(-Double(t - onset) / 600e6)
                    }
                case .neutronAgentRestart, .rabbitmqConnectionLoss:
                    if t >= f.start && t < f.end + 60_000_000 { rate -= 6 }
                default: break
                }
            }
            rate = max(1, min(100, rate))
            let success = Int((Double(attempts) * rate / 100).rounded())
            kpi.subscribers += Int64(r.int(-40...40))
            let values: [(StaticString, Int64, Int)] = [
                ("call_attempt", Int64(attempts), 0), ("call_success", Int64(success), 0),
                ("call_failure", Int64(attempts - success), 0), ("total_registered_subs", kpi.subscribers, 0),
                ("call_success_rate", attempts > 0 ? Int64((Double(success) * 10000 / Double(attempts)).rounded()) : 10000, 2),
            ]
            line.clear()
            for v in values {
                line.ascii("# TYPE ")
                line.ascii(v.0)
                line.ascii(" gauge\n")
                line.ascii(v.0)
                line.ascii("{job=\"kpi\",service=\"ims\"} ")
                line.fixed(Int(v.1), decimals: v.2)
                line.byte(0x20)
                line.unixSecondsMillis(t)
                line.byte(0x0A)
            }
            samples += values.count
            kpiFile.append(line.bytes)
            t += 60_000_000
        }
    }
}
