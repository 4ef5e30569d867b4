/// An OpenMetrics metric family type, as written on its `# TYPE` line.
enum MetricType: String {
    case counter, gauge, histogram, unknown
}

/// One series of a family, without the host's `instance` and `job` labels.
struct SeriesSpec {
    /// The sample name (`node_cpu_seconds_total`, `http_request_duration_seconds_bucket`).
    var sampleName: String
    var labels: [(name: String, value: String)]
    /// Decimal digits of the value: the value slot holds value * 10^scale as an integer.
    var scale: Int
}

/// One metric family: its `# TYPE` line and its series, whose values live in consecutive slots.
struct FamilySpec {
    var name: String
    var type: MetricType
    var series: [SeriesSpec]
    /// Index of the first series' value slot in a host's value array.
    var firstSlot: Int
}

/// The families every simulated host exposes, in output order, and where each family's
/// values live in a host's value array. Every host has the same catalog.
struct Catalog {
    /// A label value replaced by the host's short name (`wally113`).
    static let hostPlaceholder = "$HOST"

    private(set) var families: [FamilySpec] = []
    private(set) var slotCount = 0
    private var firstSlotByFamily: [String: Int] = [:]

    /// The first value slot of a family; traps on a name that is not in the catalog (a programming error).
    func slot(_ family: String) -> Int {
        guard let slot = firstSlotByFamily[family] else { preconditionFailure("no family \(family)") }
        return slot
    }

    /// Adds a family. A counter's samples get the `_total` suffix; `labelSets` has one entry per series.
    mutating func add(
        _ name: String, _ type: MetricType, scale: Int = 0, labelSets: [[(name: String, value: String)]] = [[]]
    ) {
        let sampleName = type == .counter ? name + "_total" : name
        add(name, type, series: labelSets.map { SeriesSpec(sampleName: sampleName, labels: $0, scale: scale) })
    }

    mutating func add(_ name: String, _ type: MetricType, series: [SeriesSpec]) {
        precondition(firstSlotByFamily[name] == nil, "duplicate family \(name)")
        firstSlotByFamily[name] = slotCount
        families.append(FamilySpec(name: name, type: type, series: series, firstSlot: slotCount))
        slotCount += series.count
    }
}

/// Fixed facts of the simulated machines that label values and models share.
enum Hardware {
    static let cpuCount = 8
    /// node_exporter's order: modes sorted by name.
    static let cpuModes = ["idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"]
    static let networkDevices = ["eno1", "eno2", "lo", "vxlan_sys_4789"]
    static let diskDevices = ["nvme0n1", "sda", "sdb"]
    /// (mountpoint, device, fstype) of each file system.
    static let filesystems: [(mountpoint: String, device: String, fstype: String)] = [
        ("/", "/dev/sda2", "ext4"),
        ("/boot", "/dev/sda1", "ext4"),
        ("/run", "tmpfs", "tmpfs"),
        ("/var/lib/nova", "/dev/nvme0n1p1", "xfs"),
        ("/var/log", "/dev/sdb1", "xfs"),
    ]
    /// meminfo fields exported as node_memory_<field>_bytes, in output order.
    static let memoryFields = [
        "Active", "Active_anon", "Active_file", "AnonPages", "Buffers", "Cached", "Committed_AS", "Dirty",
        "Inactive", "Inactive_anon", "Inactive_file", "KernelStack", "Mapped", "MemAvailable", "MemFree",
        "MemTotal", "PageTables", "SReclaimable", "SUnreclaim", "Shmem", "Slab", "SwapFree", "SwapTotal",
    ]
    /// Upper bounds of the request-duration histogram, canonical OpenMetrics spelling.
    static let histogramBounds: [(label: String, seconds: Double)] = [
        ("0.005", 0.005), ("0.01", 0.01), ("0.025", 0.025), ("0.05", 0.05), ("0.1", 0.1), ("0.25", 0.25),
        ("0.5", 0.5), ("1.0", 1.0), ("2.5", 2.5), ("5.0", 5.0), ("10.0", 10.0), ("+Inf", .infinity),
    ]
    static let pressureFamilies = [
        "node_pressure_cpu_waiting_seconds", "node_pressure_io_stalled_seconds", "node_pressure_io_waiting_seconds",
        "node_pressure_memory_stalled_seconds", "node_pressure_memory_waiting_seconds",
    ]
    static let vmstatFields = ["pgfault", "pgmajfault", "pgpgin", "pgpgout"]
}

extension Catalog {
    /// The node-exporter-like catalog: 200 series per host.
    static func nodeExporter() -> Catalog {
        var c = Catalog()
        let cpus = (0..<Hardware.cpuCount).map { String($0) }
        let byCPU = cpus.map { [(name: "cpu", value: $0)] }
        let byDisk = Hardware.diskDevices.map { [(name: "device", value: $0)] }
        let byNetDevice = Hardware.networkDevices.map { [(name: "device", value: $0)] }
        let byFilesystem = Hardware.filesystems.map {
            [(name: "device", value: $0.device), (name: "fstype", value: $0.fstype), (name: "mountpoint", value: $0.mountpoint)]
        }

        let histogram = "http_request_duration_seconds"
        let handler = (name: "handler", value: "/v2.1/servers")
        var histogramSeries = Hardware.histogramBounds.map {
            SeriesSpec(sampleName: histogram + "_bucket", labels: [handler, (name: "le", value: $0.label)], scale: 0)
        }
        histogramSeries.append(SeriesSpec(sampleName: histogram + "_count", labels: [handler], scale: 0))
        histogramSeries.append(SeriesSpec(sampleName: histogram + "_sum", labels: [handler], scale: 6))
        c.add(histogram, .histogram, series: histogramSeries)

        c.add("node_boot_time_seconds", .gauge)
        c.add("node_context_switches", .counter)
        c.add(
            "node_cpu_info", .gauge,
            labelSets: cpus.map {
                [
                    (name: "cachesize", value: "28160 KB"), (name: "core", value: String(Int($0)! % 4)),
                    (name: "cpu", value: $0), (name: "family", value: "6"), (name: "microcode", value: "0x5003604"),
                    (name: "model", value: "85"), (name: "model_name", value: "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz"),
                    (name: "package", value: String(Int($0)! / 4)), (name: "stepping", value: "7"),
                    (name: "vendor", value: "GenuineIntel"),
                ]
            })
        c.add("node_cpu_scaling_frequency_hertz", .gauge, labelSets: byCPU)
        c.add(
            "node_cpu_seconds", .counter, scale: 2,
            labelSets: cpus.flatMap { cpu in Hardware.cpuModes.map { [(name: "cpu", value: cpu), (name: "mode", value: $0)] } })
        c.add("node_disk_io_time_seconds", .counter, scale: 3, labelSets: byDisk)
        c.add("node_disk_read_bytes", .counter, labelSets: byDisk)
        c.add("node_disk_reads_completed", .counter, labelSets: byDisk)
        c.add("node_disk_writes_completed", .counter, labelSets: byDisk)
        c.add("node_disk_written_bytes", .counter, labelSets: byDisk)
        c.add("node_entropy_available_bits", .gauge)
        c.add(
            "node_exporter_build_info", .gauge,
            labelSets: [[
                (name: "branch", value: "HEAD"), (name: "goarch", value: "amd64"), (name: "goos", value: "linux"),
                (name: "goversion", value: "go1.21.4"), (name: "revision", value: "7333465abf9efba81876303bb57e6fadb946041b"),
                (name: "tags", value: "netgo osusergo static_build"), (name: "version", value: "1.7.0"),
            ]])
        c.add("node_filesystem_avail_bytes", .gauge, labelSets: byFilesystem)
        c.add("node_filesystem_free_bytes", .gauge, labelSets: byFilesystem)
        c.add("node_filesystem_readonly", .gauge, labelSets: byFilesystem)
        c.add("node_filesystem_size_bytes", .gauge, labelSets: byFilesystem)
        c.add("node_forks", .counter)
        c.add("node_intr", .counter)
        c.add("node_load1", .gauge, scale: 2)
        c.add("node_load15", .gauge, scale: 2)
        c.add("node_load5", .gauge, scale: 2)
        for field in Hardware.memoryFields { c.add("node_memory_\(field)_bytes", .gauge) }
        for name in ["receive_bytes", "receive_errs", "receive_packets", "transmit_bytes", "transmit_errs", "transmit_packets"] {
            c.add("node_network_\(name)", .counter, labelSets: byNetDevice)
        }
        c.add("node_nf_conntrack_entries", .gauge)
        c.add(
            "node_os_info", .gauge,
            labelSets: [[
                (name: "build_id", value: ""), (name: "id", value: "ubuntu"), (name: "id_like", value: "debian"),
                (name: "name", value: "Ubuntu"), (name: "pretty_name", value: "Ubuntu 22.04.3 LTS"),
                (name: "version", value: "22.04.3 LTS (Jammy Jellyfish)"), (name: "version_codename", value: "jammy"),
                (name: "version_id", value: "22.04"),
            ]])
        for name in Hardware.pressureFamilies { c.add(name, .counter, scale: 6) }
        c.add("node_procs_blocked", .gauge)
        c.add("node_procs_running", .gauge)
        c.add("node_sockstat_TCP_inuse", .gauge)
        c.add(
            "node_uname_info", .gauge,
            labelSets: [[
                (name: "domainname", value: "(none)"), (name: "machine", value: "x86_64"),
                (name: "nodename", value: hostPlaceholder), (name: "release", value: "5.15.0-91-generic"),
                (name: "sysname", value: "Linux"), (name: "version", value: "#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023"),
            ]])
        for field in Hardware.vmstatFields { c.add("node_vmstat_\(field)", .unknown) }
        return c
    }
}
