/// The bulk of a node_exporter scrape: families whose values follow a simple model (a constant, a counter
/// growing at `base + busy * busyCoefficient` per second, or a gauge around `base + busy * busyCoefficient`),
/// added after the hand-modelled families of `HostMetricState`.
enum SeriesModel: UInt8 {
    /// Advanced by hand in `Simulation.advance` (CPU, load, memory, network, disk, filesystem, units).
    case special
    case constant
    case counter
    case gauge
    /// `node_time_seconds`: the scrape time.
    case clock
}

extension HostMetricState {
    static let collectors = [
        "arp", "conntrack", "cpu", "cpufreq", "diskstats", "edac", "entropy", "filefd", "filesystem", "hwmon", "loadavg",
        "meminfo", "netclass", "netdev", "netstat", "sockstat", "stat", "systemd", "textfile", "time", "timex", "uname",
        "vmstat", "xfs",
    ]

    /// Appends one family whose series follow `model`. `base` and `busy` are per second for counters, absolute for
    /// gauges and constants, in the family's unit (not scaled); `noise` is the relative jitter per scrape.
    mutating func modelled(
        _ name: String, _ type: String, _ labelSets: [String], scale: Int = 0, _ model: SeriesModel,
        base: Double, busy: Double = 0, noise: Double = 0, spread: Double = 0, perSeries: [Double]? = nil
    ) {
        let typeName = type == "counter" && name.hasSuffix("_total") ? String(name.dropLast(6)) : name
        families.append((Array("# TYPE \(typeName) \(type)\n".utf8), prefixes.count, labelSets.count))
        var mult = 1.0
        for _ in 0..<scale { mult *= 10 }
        for (i, ls) in labelSets.enumerated() {
            prefixes.append(Array("\(name){\(hostLabel)\(ls.isEmpty ? "" : ",")\(ls)} ".utf8))
            scales.append(scale)
            // Per-series variety: series of one family differ by up to `spread` around the base.
            let own = (perSeries?[i] ?? 1) * (1 + spread * (Double((i &* 2_654_435_761) % 1000) / 500 - 1))
            let b = base * own * mult
            models.append(model)
            bases.append(b)
            busyCoefficients.append(busy * own * mult)
            noises.append(noise)
            switch model {
            case .counter: values.append(Int64(b * 2_700_000))  // ~31 days of uptime
            default: values.append(Int64(b.rounded()))
            }
        }
    }

    /// The node_exporter families beyond the hand-modelled ones: default collectors of node_exporter 1.x on a
    /// CentOS 7 OpenStack host, plus the exporter's own Go process metrics.
    mutating func addNodeExporterFamilies(isController c: Bool) {
        let cpuL = (0..<Self.cpus).map { "cpu=\"\($0)\"" }
        let devL = Self.devices.map { "device=\"\($0)\"" }
        let diskL = Self.disks.map { "device=\"\($0)\"" }
        let mountL = Self.mounts.map { "device=\"\($0.1)\",fstype=\"\($0.2)\",mountpoint=\"\($0.0)\"" }
        let load = c ? 1.0 : 0.6

        // cpu, cpufreq, schedstat
        modelled("node_cpu_guest_seconds_total", "counter", cpuL.flatMap { [$0 + ",mode=\"nice\"", $0 + ",mode=\"user\""] }, scale: 2, .counter, base: 0, busy: c ? 0 : 0.5, noise: 0.1)
        modelled("node_cpu_scaling_frequency_hertz", "gauge", cpuL, .gauge, base: 1.6e9, busy: 1.2e9, noise: 0.08)
        modelled("node_schedstat_running_seconds_total", "counter", cpuL, scale: 3, .counter, base: 0.02, busy: 0.9, noise: 0.05, spread: 0.2)
        modelled("node_schedstat_waiting_seconds_total", "counter", cpuL, scale: 3, .counter, base: 0.002, busy: 0.08, noise: 0.1, spread: 0.3)

        // meminfo (bytes unless the kernel reports a count)
        let gi = 1_073_741_824.0
        let memory: [(String, Double, Double)] = [
            ("Active", 14 * gi, 8 * gi), ("Inactive", 6 * gi, 1 * gi), ("Active_anon", 10 * gi, 8 * gi), ("Inactive_anon", 0.4 * gi, 0.1 * gi),
            ("Active_file", 4 * gi, 0), ("Inactive_file", 5.6 * gi, 0.9 * gi), ("Unevictable", 0, 0), ("Mlocked", 0, 0),
            ("SwapTotal", 4 * gi, 0), ("SwapFree", 3.9 * gi, 0), ("SwapCached", 2e6, 0), ("Dirty", 3e5, 4e6),
            ("Writeback", 0, 1e5), ("AnonPages", 10.3 * gi, 8 * gi), ("Mapped", 0.5 * gi, 0.2 * gi), ("Shmem", 0.2 * gi, 0),
            ("Slab", 1.1 * gi, 0.3 * gi), ("SReclaimable", 0.7 * gi, 0.2 * gi), ("SUnreclaim", 0.4 * gi, 0.1 * gi), ("KernelStack", 2.2e7, 1e7),
            ("PageTables", 6e7, 5e7),
            ("CommitLimit", 35.3 * gi, 0), ("Committed_AS", 22 * gi, 10 * gi), ("VmallocTotal", 35_184_372_087_808, 0), ("VmallocUsed", 3.5e8, 0),
            ("AnonHugePages", 1.2 * gi, 2 * gi),
            ("Hugepagesize", 2_097_152, 0), ("DirectMap4k", 4.6e8, 0), ("DirectMap2M", 2.0e10, 0),
            ("DirectMap1G", 4.7e10, 0), ("Percpu", 3.1e7, 0), ("KReclaimable", 0.7 * gi, 0.2 * gi),
        ]
        for (name, base, busy) in memory {
            let steady = base == 0 || name.hasPrefix("Swap") && name != "SwapFree" || name.hasPrefix("Direct") || name.hasPrefix("Vmalloc") || name.hasPrefix("Commit") && busy == 0 || name == "Hugepagesize"
            modelled("node_memory_\(name)_bytes", "gauge", [""], steady ? .constant : .gauge, base: base, busy: busy, noise: 0.01)
        }
        for name in ["HugePages_Total", "HugePages_Free", "HugePages_Rsvd", "HugePages_Surp"] {
            modelled("node_memory_\(name)", "gauge", [""], .constant, base: 0)
        }

        // diskstats
        modelled("node_disk_reads_completed_total", "counter", diskL, .counter, base: 3 * load, busy: 40, noise: 0.2, spread: 0.5)
        modelled("node_disk_reads_merged_total", "counter", diskL, .counter, base: 0.2, busy: 3, noise: 0.3, spread: 0.5)
        modelled("node_disk_read_time_seconds_total", "counter", diskL, scale: 3, .counter, base: 0.002, busy: 0.03, noise: 0.2, spread: 0.5)
        modelled("node_disk_writes_completed_total", "counter", diskL, .counter, base: 25 * load, busy: 120, noise: 0.2, spread: 0.5)
        modelled("node_disk_writes_merged_total", "counter", diskL, .counter, base: 6, busy: 30, noise: 0.3, spread: 0.5)
        modelled("node_disk_write_time_seconds_total", "counter", diskL, scale: 3, .counter, base: 0.01, busy: 0.12, noise: 0.2, spread: 0.5)
        modelled("node_disk_io_now", "gauge", diskL, .gauge, base: 0.2, busy: 3, noise: 1)
        modelled("node_disk_io_time_weighted_seconds_total", "counter", diskL, scale: 3, .counter, base: 0.012, busy: 0.15, noise: 0.2, spread: 0.5)
        modelled("node_disk_discards_completed_total", "counter", diskL, .counter, base: 0.01, busy: 0.02, noise: 0.5)
        modelled("node_disk_discards_merged_total", "counter", diskL, .constant, base: 0)
        modelled("node_disk_discarded_sectors_total", "counter", diskL, .counter, base: 20, busy: 100, noise: 0.5)
        modelled("node_disk_discard_time_seconds_total", "counter", diskL, scale: 3, .counter, base: 0.0001, noise: 0.5)
        modelled("node_disk_flush_requests_total", "counter", diskL, .counter, base: 1.5, busy: 8, noise: 0.3)
        modelled("node_disk_flush_requests_time_seconds_total", "counter", diskL, scale: 3, .counter, base: 0.001, busy: 0.01, noise: 0.3)
        modelled("node_disk_info", "gauge", Self.disks.enumerated().map { "device=\"\($0.1)\",major=\"\($0.0 == 0 ? 259 : 8)\",minor=\"\($0.0 == 0 ? 0 : ($0.0 - 1) * 16)\"" }, .constant, base: 1)

        // netdev, netclass (the hand-modelled families cover bytes, packets, receive drop/errs)
        modelled("node_network_transmit_drop_total", "counter", devL, .counter, base: 0.001, noise: 0.5)
        modelled("node_network_transmit_errs_total", "counter", devL, .constant, base: 0)
        for f in ["receive_fifo", "transmit_fifo", "receive_frame", "transmit_colls", "transmit_carrier"] {
            modelled("node_network_\(f)_total", "counter", devL, .constant, base: 0)
        }
        modelled("node_network_receive_multicast_total", "counter", devL, .counter, base: 0.4, noise: 0.5, spread: 0.5)
        modelled("node_network_up", "gauge", devL, .constant, base: 1)
        modelled("node_network_carrier", "gauge", devL, .constant, base: 1)
        modelled("node_network_mtu_bytes", "gauge", devL, .constant, base: 1500)
        modelled("node_network_speed_bytes", "gauge", devL, .constant, base: 1.25e9)
        modelled("node_network_info", "gauge", devL.map { $0 + ",duplex=\"full\",operstate=\"up\"" }, .constant, base: 1)
        modelled("node_arp_entries", "gauge", ["device=\"eno1\"", "device=\"eno2\""], .gauge, base: 12, noise: 0.1)
        modelled("node_softnet_processed_total", "counter", cpuL, .counter, base: 150, busy: 900, noise: 0.1, spread: 0.4)

        // filesystem (avail and size are hand-modelled)
        modelled("node_filesystem_free_bytes", "gauge", mountL, .gauge, base: 1.6e11, noise: 0.0005, spread: 0.5)
        modelled("node_filesystem_files", "gauge", mountL, .constant, base: 2.6e7, spread: 0.5)
        modelled("node_filesystem_files_free", "gauge", mountL, .gauge, base: 2.5e7, noise: 0.0001, spread: 0.5)
        modelled("node_filesystem_readonly", "gauge", mountL, .constant, base: 0)
        modelled("node_filesystem_device_error", "gauge", mountL, .constant, base: 0)

        // netstat (untyped in node_exporter: OpenMetrics `unknown`)
        let netstat: [(String, SeriesModel, Double, Double)] = [
            ("Tcp_ActiveOpens", .counter, 30, 300), ("Tcp_PassiveOpens", .counter, 40, 350), ("Tcp_AttemptFails", .counter, 0.2, 1),
            ("Tcp_EstabResets", .counter, 0.5, 2), ("Tcp_CurrEstab", .gauge, c ? 900 : 80, c ? 600 : 60), ("Tcp_InSegs", .counter, 1500, 9000),
            ("Tcp_OutSegs", .counter, 1600, 9500), ("Tcp_RetransSegs", .counter, 0.8, 6), ("Tcp_InErrs", .counter, 0.001, 0),
            ("Tcp_OutRsts", .counter, 2, 12), ("Tcp_InCsumErrors", .constant, 0, 0), ("Udp_InDatagrams", .counter, 40, 60),
            ("Udp_OutDatagrams", .counter, 42, 60), ("Udp_InErrors", .counter, 0.001, 0), ("Udp_NoPorts", .counter, 0.3, 0),
            ("Udp_RcvbufErrors", .constant, 0, 0), ("Udp_SndbufErrors", .constant, 0, 0), ("Udp_InCsumErrors", .constant, 0, 0),
            ("Icmp_InMsgs", .counter, 0.5, 0), ("Icmp_OutMsgs", .counter, 0.6, 0), ("Icmp_InErrors", .counter, 0.001, 0),
            ("TcpExt_ListenDrops", .constant, 0, 0), ("TcpExt_ListenOverflows", .constant, 0, 0), ("TcpExt_SyncookiesFailed", .constant, 0, 0),
            ("TcpExt_SyncookiesRecv", .constant, 0, 0), ("TcpExt_SyncookiesSent", .constant, 0, 0), ("TcpExt_TCPSynRetrans", .counter, 0.05, 0.3),
            ("TcpExt_TCPTimeouts", .counter, 0.1, 0.8), ("TcpExt_TCPOFOQueue", .counter, 0.3, 2), ("TcpExt_TCPRcvQDrop", .constant, 0, 0),
            ("Ip_Forwarding", .constant, 1, 0), ("IpExt_InOctets", .counter, 1.4e6, 6e6), ("IpExt_OutOctets", .counter, 1.5e6, 6e6),
        ]
        for (name, model, base, busy) in netstat {
            modelled("node_netstat_\(name)", "unknown", [""], model, base: base, busy: busy, noise: 0.1)
        }
        let sockstat: [(String, Double, Double)] = [
            ("sockets_used", c ? 2400 : 600, c ? 900 : 100), ("TCP_inuse", c ? 1100 : 110, c ? 500 : 60), ("TCP_orphan", 0, 2),
            ("TCP_tw", c ? 300 : 30, c ? 900 : 80), ("TCP_alloc", c ? 1150 : 130, c ? 500 : 60), ("TCP_mem", 120, 200),
            ("TCP_mem_bytes", 491_520, 819_200), ("UDP_inuse", 12, 0), ("UDP_mem", 6, 4), ("UDP_mem_bytes", 24_576, 16_384),
            ("RAW_inuse", 1, 0),
        ]
        for (name, base, busy) in sockstat {
            modelled("node_sockstat_\(name)", "gauge", [""], busy == 0 ? .constant : .gauge, base: base, busy: busy, noise: 0.05)
        }
        modelled("node_udp_queues", "gauge", ["ip=\"v4\",queue=\"rx\"", "ip=\"v4\",queue=\"tx\"", "ip=\"v6\",queue=\"rx\"", "ip=\"v6\",queue=\"tx\""], .constant, base: 0)
        let vmstat: [(String, Double, Double)] = [
            ("pgpgin", 12, 160), ("pgpgout", 180, 900), ("pswpin", 0, 0), ("pswpout", 0, 0), ("pgfault", 9000, 60000),
            ("pgmajfault", 0.02, 0.3), ("oom_kill", 0, 0),
        ]
        for (name, base, busy) in vmstat {
            modelled("node_vmstat_\(name)", "unknown", [""], base == 0 ? .constant : .counter, base: base, busy: busy, noise: 0.1)
        }
        modelled("node_forks_total", "counter", [""], .counter, base: 8, busy: 40, noise: 0.2)
        modelled("node_procs_blocked", "gauge", [""], .gauge, base: 0.2, busy: 1, noise: 1)
        modelled("node_boot_time_seconds", "gauge", [""], .constant, base: 1_571_563_217)
        modelled("node_pressure_cpu_waiting_seconds_total", "counter", [""], scale: 3, .counter, base: 0.002, busy: 0.1, noise: 0.3)
        modelled("node_pressure_io_waiting_seconds_total", "counter", [""], scale: 3, .counter, base: 0.001, busy: 0.05, noise: 0.3)
        modelled("node_pressure_io_stalled_seconds_total", "counter", [""], scale: 3, .counter, base: 0.0005, busy: 0.03, noise: 0.3)
        modelled("node_pressure_memory_waiting_seconds_total", "counter", [""], scale: 3, .counter, base: 0, busy: 0.001, noise: 0.5)
        modelled("node_pressure_memory_stalled_seconds_total", "counter", [""], scale: 3, .counter, base: 0, busy: 0.0005, noise: 0.5)
        let vectors = ["HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU"]
        let softirqRates: [Double] = [0.1, 4000, 5, 900, 40, 0, 20, 3500, 2, 2800]
        modelled("node_softirqs_total", "counter", vectors.map { "vector=\"\($0)\"" }, .counter, base: 1, busy: 3, noise: 0.1, perSeries: softirqRates)

        // conntrack, entropy, filefd
        modelled("node_nf_conntrack_entries", "gauge", [""], .gauge, base: c ? 4200 : 600, busy: c ? 6000 : 900, noise: 0.05)
        modelled("node_nf_conntrack_entries_limit", "gauge", [""], .constant, base: 262_144)
        for (name, rate) in [("found", 0.2), ("invalid", 0.3), ("ignore", 30), ("insert", 0), ("insert_failed", 0), ("drop", 0), ("early_drop", 0), ("search_restart", 0.05)] {
            modelled("node_nf_conntrack_stat_\(name)", "gauge", [""], rate == 0 ? .constant : .counter, base: rate, busy: rate * 4, noise: 0.3)
        }
        modelled("node_entropy_available_bits", "gauge", [""], .gauge, base: 3500, noise: 0.08)
        modelled("node_entropy_pool_size_bits", "gauge", [""], .constant, base: 4096)
        modelled("node_filefd_allocated", "gauge", [""], .gauge, base: c ? 24_000 : 4_800, busy: c ? 9_000 : 1_500, noise: 0.01)
        modelled("node_filefd_maximum", "gauge", [""], .constant, base: 6_553_600)

        // hwmon, thermal, rapl, edac
        let sensors = ["temp1"] + (2...9).map { "temp\($0)" }
        let sensorL = sensors.map { "chip=\"platform_coretemp_0\",sensor=\"\($0)\"" }
        modelled("node_hwmon_temp_celsius", "gauge", sensorL, scale: 1, .gauge, base: 38, busy: 30, noise: 0.03, spread: 0.06)
        modelled("node_hwmon_temp_crit_celsius", "gauge", sensorL, .constant, base: 100)
        modelled("node_hwmon_temp_max_celsius", "gauge", sensorL, .constant, base: 84)
        modelled("node_hwmon_chip_names", "gauge", ["chip=\"platform_coretemp_0\",chip_name=\"coretemp\""], .constant, base: 1)
        modelled("node_thermal_zone_temp", "gauge", ["type=\"x86_pkg_temp\",zone=\"0\"", "type=\"acpitz\",zone=\"1\""], scale: 1, .gauge, base: 40, busy: 28, noise: 0.03)
        modelled("node_rapl_package_joules_total", "counter", ["index=\"0\",path=\"/sys/class/powercap/intel-rapl:0\""], scale: 3, .counter, base: 38, busy: 90, noise: 0.05)
        modelled("node_rapl_dram_joules_total", "counter", ["index=\"0\",path=\"/sys/class/powercap/intel-rapl:0:0\""], scale: 3, .counter, base: 6, busy: 9, noise: 0.05)
        let edacL = (0..<2).map { "controller=\"\($0)\"" }
        modelled("node_edac_correctable_errors_total", "counter", edacL, .constant, base: 0)
        modelled("node_edac_uncorrectable_errors_total", "counter", edacL, .constant, base: 0)

        // time, timex
        modelled("node_time_seconds", "gauge", [""], scale: 3, .clock, base: 0)
        modelled("node_time_zone_offset_seconds", "gauge", ["time_zone=\"UTC\""], .constant, base: 0)
        modelled("node_timex_offset_seconds", "gauge", [""], scale: 6, .gauge, base: 0.00002, noise: 2)
        modelled("node_timex_sync_status", "gauge", [""], .constant, base: 1)
        modelled("node_timex_maxerror_seconds", "gauge", [""], scale: 6, .gauge, base: 0.12, noise: 0.5)
        modelled("node_timex_estimated_error_seconds", "gauge", [""], scale: 6, .gauge, base: 0.00004, noise: 0.4)
        modelled("node_timex_frequency_adjustment_ratio", "gauge", [""], scale: 9, .gauge, base: 1.000_004, noise: 0.000_000_5)
        modelled("node_timex_status", "gauge", [""], .constant, base: 8193)
        modelled("node_timex_tai_offset_seconds", "gauge", [""], .constant, base: 0)
        modelled("node_timex_loop_time_constant", "gauge", [""], .constant, base: 7)
        modelled("node_timex_tick_seconds", "gauge", [""], scale: 6, .constant, base: 0.01)

        // uname, os, dmi, selinux
        modelled("node_uname_info", "gauge", ["domainname=\"(none)\",machine=\"x86_64\",nodename=\"\(hostName)\",release=\"3.10.0-1062.4.1.el7.x86_64\",sysname=\"Linux\",version=\"#1 SMP Fri Oct 18 17:15:30 UTC 2019\""], .constant, base: 1)
        modelled("node_os_info", "gauge", ["build_id=\"\",id=\"centos\",id_like=\"rhel fedora\",name=\"CentOS Linux\",pretty_name=\"CentOS Linux 7 (Core)\",version=\"7 (Core)\",version_id=\"7\""], .constant, base: 1)
        modelled("node_os_version", "gauge", ["id=\"centos\",id_like=\"rhel fedora\",name=\"CentOS Linux\""], .constant, base: 7)
        modelled("node_dmi_info", "gauge", ["bios_vendor=\"Dell Inc.\",bios_version=\"2.4.8\",product_name=\"PowerEdge R630\",sys_vendor=\"Dell Inc.\""], .constant, base: 1)
        modelled("node_selinux_enabled", "gauge", [""], .constant, base: 0)
        modelled("node_exporter_build_info", "gauge", ["branch=\"HEAD\",goarch=\"amd64\",goos=\"linux\",goversion=\"go1.13.4\",revision=\"9ce1d6cdef3ec88d6e2d0d3c4f0b6d5d0e6a3fbe\",version=\"0.18.1\""], .constant, base: 1)

        // the exporter's collectors and its own process
        let collL = Self.collectors.map { "collector=\"\($0)\"" }
        modelled("node_scrape_collector_duration_seconds", "gauge", collL, scale: 6, .gauge, base: 0.0006, busy: 0.001, noise: 0.4, spread: 0.9)
        modelled("node_scrape_collector_success", "gauge", collL, .constant, base: 1)
        modelled("node_textfile_scrape_error", "gauge", [""], .constant, base: 0)
        modelled("go_goroutines", "gauge", [""], .gauge, base: 9, noise: 0.1)
        modelled("go_threads", "gauge", [""], .constant, base: 12)
        modelled("go_info", "gauge", ["version=\"go1.13.4\""], .constant, base: 1)
        let memstats: [(String, SeriesModel, Double)] = [
            ("alloc_bytes", .gauge, 3.4e6), ("alloc_bytes_total", .counter, 6.1e5),
            ("frees_total", .counter, 5200),
            ("heap_alloc_bytes", .gauge, 3.4e6), ("heap_idle_bytes", .gauge, 6.2e7), ("heap_inuse_bytes", .gauge, 4.5e6),
            ("heap_objects", .gauge, 21_000), ("heap_sys_bytes", .constant, 66_715_648),
            ("mallocs_total", .counter, 5250),
            ("next_gc_bytes", .gauge, 4.9e6),
            ("stack_inuse_bytes", .constant, 786_432), ("sys_bytes", .constant, 72_548_600),
        ]
        for (name, model, base) in memstats {
            modelled("go_memstats_\(name)", name.hasSuffix("_total") ? "counter" : "gauge", [""], scale: model == .clock ? 3 : 0, model, base: base, noise: 0.1)
        }
        modelled("process_cpu_seconds_total", "counter", [""], scale: 2, .counter, base: 0.004, busy: 0.004, noise: 0.3)
        modelled("process_open_fds", "gauge", [""], .gauge, base: 9, noise: 0.1)
        modelled("process_max_fds", "gauge", [""], .constant, base: 1_048_576)
        modelled("process_resident_memory_bytes", "gauge", [""], .gauge, base: 2.1e7, noise: 0.02)
        modelled("process_virtual_memory_bytes", "gauge", [""], .constant, base: 1.2e8)
        modelled("process_start_time_seconds", "gauge", [""], scale: 2, .constant, base: 1_571_563_260.38)
    }
}
