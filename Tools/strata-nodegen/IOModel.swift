/// What the I/O models moved in one step, for the models that follow from it.
struct IOTraffic {
    var readBytes: Int64 = 0
    var writtenBytes: Int64 = 0
}

/// A traffic source that is quiet most of the time and now and then bursts for a few scrapes.
struct Burst {
    private var left = 0
    private var factor = 1.0
    let probability: Double
    let maxLength: Int
    let factors: ClosedRange<Double>

    init(probability: Double, maxLength: Int, factors: ClosedRange<Double>) {
        self.probability = probability
        self.maxLength = maxLength
        self.factors = factors
    }

    /// The multiplier for this step (1 outside a burst).
    mutating func next(rng: inout Xoshiro256) -> Double {
        if left > 0 {
            left -= 1
            return factor * rng.uniform(0.7, 1.3)
        }
        if rng.chance(probability) {
            left = rng.int(in: 0...maxLength)
            factor = rng.uniform(factors.lowerBound, factors.upperBound)
            return factor
        }
        return 1
    }
}

/// `node_network_*`, `node_disk_*` and `node_filesystem_*`.
///
/// Network counters grow by a log-normal amount around each device's base rate, scaled by the
/// activity, with bursts of 5-150x lasting up to a few minutes; packets follow bytes at a
/// per-step average packet size; `lo` receives exactly what it transmits; errors are rare.
/// Disks read now and then and write steadily, both in whole 512-byte sectors (writes in 4 KiB
/// blocks), with bursts; I/O time accrues per operation and never exceeds the elapsed time.
/// File systems have a constant size and free space that shrinks slowly with writes and grows
/// back in rare clean-ups; `avail` is `free` less the ext4 reserve.
struct IOModel {
    private struct NetworkDevice {
        var rxRate: Double  // bytes per second at utilisation 1
        var txRate: Double
        var isLoopback: Bool
        var burst: Burst
        var counters: [Int64]  // receive_bytes, receive_errs, receive_packets, transmit_bytes, transmit_errs, transmit_packets
    }
    private struct Disk {
        var readRate: Double  // bytes per second, bursts aside
        var writeRate: Double
        var serviceMs: Double  // per operation
        var readBurst: Burst
        var writeBurst: Burst
        var readSectors: Int64
        var writtenSectors: Int64
        var reads: Int64
        var writes: Int64
        var ioTimeMs: Int64
    }
    private struct Filesystem {
        var sizeBlocks: Int64
        var freeBlocks: Int64
        var reservedBlocks: Int64
        var growthBlocksPerStep: Double
        var isTmpfs: Bool
        var isStatic: Bool
    }

    private let networkSlots: [Int]  // first slot of each of the six network families
    private let diskSlots: (ioTime: Int, read: Int, reads: Int, writes: Int, written: Int)
    private let filesystemSlots: (avail: Int, free: Int, readonly: Int, size: Int)
    private var devices: [NetworkDevice]
    private var disks: [Disk]
    private var filesystems: [Filesystem]

    init(catalog: Catalog, uptimeSeconds: Int64, rng: inout Xoshiro256, values: UnsafeMutablePointer<Int64>) {
        networkSlots = ["receive_bytes", "receive_errs", "receive_packets", "transmit_bytes", "transmit_errs", "transmit_packets"]
            .map { catalog.slot("node_network_\($0)") }
        diskSlots = (
            catalog.slot("node_disk_io_time_seconds"), catalog.slot("node_disk_read_bytes"),
            catalog.slot("node_disk_reads_completed"), catalog.slot("node_disk_writes_completed"),
            catalog.slot("node_disk_written_bytes")
        )
        filesystemSlots = (
            catalog.slot("node_filesystem_avail_bytes"), catalog.slot("node_filesystem_free_bytes"),
            catalog.slot("node_filesystem_readonly"), catalog.slot("node_filesystem_size_bytes")
        )
        let uptime = Double(uptimeSeconds)
        devices = Hardware.networkDevices.map { name in
            let loopback = name == "lo"
            let rx = loopback ? rng.uniform(2e4, 2e5) : rng.uniform(5e4, 3e6)
            let tx = loopback ? rx : rx * rng.uniform(0.3, 1.5)
            let rxBytes = Int64(uptime * rx * 0.4)
            let txBytes = loopback ? rxBytes : Int64(uptime * tx * 0.4)
            return NetworkDevice(
                rxRate: rx, txRate: tx, isLoopback: loopback,
                burst: Burst(probability: loopback ? 0.002 : 0.01, maxLength: 18, factors: 5...150),
                counters: [
                    rxBytes, loopback ? 0 : Int64(rng.int(in: 0...40)), rxBytes / Int64(rng.int(in: 300...900)),
                    txBytes, 0, loopback ? rxBytes / 600 : txBytes / Int64(rng.int(in: 300...900)),
                ])
        }
        for d in devices.indices where devices[d].isLoopback { devices[d].counters[5] = devices[d].counters[2] }
        disks = Hardware.diskDevices.map { _ in
            let read = rng.uniform(2e3, 6e4)
            let write = rng.uniform(2e4, 8e5)
            let readSectors = Int64(uptime * read * 2 / 512)
            let writtenSectors = Int64(uptime * write / 512) / 8 * 8
            return Disk(
                readRate: read, writeRate: write, serviceMs: rng.uniform(0.05, 2),
                readBurst: Burst(probability: 0.004, maxLength: 20, factors: 50...2000),
                writeBurst: Burst(probability: 0.006, maxLength: 30, factors: 5...200),
                readSectors: readSectors, writtenSectors: writtenSectors,
                reads: readSectors / 32, writes: writtenSectors / 16, ioTimeMs: Int64(uptime * rng.uniform(0.5, 20)))
        }
        filesystems = Hardware.filesystems.map { fs in
            let sizeBlocks: Int64
            switch fs.mountpoint {
            case "/boot": sizeBlocks = 249_830
            case "/run": sizeBlocks = 1_646_346
            case "/var/lib/nova": sizeBlocks = 468_620_800 - Int64(rng.int(in: 0...4096))
            default: sizeBlocks = Int64(rng.int(in: 12_000_000...60_000_000))
            }
            let used = Double(sizeBlocks) * (fs.mountpoint == "/run" ? 0.002 : rng.uniform(0.15, 0.7))
            return Filesystem(
                sizeBlocks: sizeBlocks, freeBlocks: sizeBlocks - Int64(used),
                reservedBlocks: fs.fstype == "ext4" ? sizeBlocks / 20 : 0,
                growthBlocksPerStep: fs.mountpoint == "/var/log" ? rng.uniform(5, 40) : rng.uniform(0.2, 4),
                isTmpfs: fs.fstype == "tmpfs", isStatic: fs.mountpoint == "/boot")
        }
        for (i, fs) in filesystems.enumerated() {
            values[filesystemSlots.size + i] = fs.sizeBlocks * 4096
            values[filesystemSlots.readonly + i] = 0
        }
    }

    mutating func step(
        elapsedMs: Int64, utilisation: Double, rng: inout Xoshiro256, values: UnsafeMutablePointer<Int64>
    ) -> IOTraffic {
        let seconds = Double(elapsedMs) / 1000
        let activity = 0.3 + utilisation
        for d in devices.indices {
            let factor = devices[d].burst.next(rng: &rng)
            let rx = Int64(devices[d].rxRate * seconds * activity * factor * rng.logNormal(mu: 0, sigma: 0.35))
            devices[d].counters[0] += rx
            if devices[d].isLoopback {
                let packets = rx / Int64(rng.int(in: 500...700)) + 1
                devices[d].counters[2] += packets
                devices[d].counters[3] += rx
                devices[d].counters[5] += packets
            } else {
                let averagePacket = Int64(factor > 2 ? rng.int(in: 1200...1450) : rng.int(in: 250...800))
                let tx = Int64(devices[d].txRate * seconds * activity * factor * rng.logNormal(mu: 0, sigma: 0.35))
                devices[d].counters[2] += rx / averagePacket + Int64(rng.int(in: 0...3))
                devices[d].counters[3] += tx
                devices[d].counters[5] += tx / averagePacket + Int64(rng.int(in: 0...3))
                if rng.chance(0.0004) { devices[d].counters[1] += Int64(rng.int(in: 1...5)) }
                if rng.chance(0.0001) { devices[d].counters[4] += 1 }
            }
            for c in 0..<6 { values[networkSlots[c] + d] = devices[d].counters[c] }
        }

        var traffic = IOTraffic()
        let elapsed = Double(elapsedMs)
        for i in disks.indices {
            var readSectors: Int64 = 0
            let readFactor = disks[i].readBurst.next(rng: &rng)
            if readFactor > 1 || rng.chance(0.3) {
                readSectors = rng.poisson(disks[i].readRate * seconds * readFactor / 512 * 3) / 8 * 8
            }
            let writeFactor = disks[i].writeBurst.next(rng: &rng)
            let writtenSectors = rng.poisson(disks[i].writeRate * seconds * activity * writeFactor / 512) / 8 * 8
            let reads = readSectors == 0 ? 0 : max(1, readSectors / Int64(rng.int(in: 8...256)))
            let writes = writtenSectors == 0 ? 0 : max(1, writtenSectors / Int64(rng.int(in: 8...64)))
            let busyMs = min(elapsed, Double(reads + writes) * disks[i].serviceMs * rng.uniform(0.7, 1.3))
            disks[i].readSectors += readSectors
            disks[i].writtenSectors += writtenSectors
            disks[i].reads += reads
            disks[i].writes += writes
            disks[i].ioTimeMs += Int64(busyMs.rounded())
            traffic.readBytes += readSectors * 512
            traffic.writtenBytes += writtenSectors * 512
            values[diskSlots.ioTime + i] = disks[i].ioTimeMs
            values[diskSlots.read + i] = disks[i].readSectors * 512
            values[diskSlots.reads + i] = disks[i].reads
            values[diskSlots.writes + i] = disks[i].writes
            values[diskSlots.written + i] = disks[i].writtenSectors * 512
        }

        for i in filesystems.indices {
            var fs = filesystems[i]
            if fs.isTmpfs {
                if rng.chance(0.05) { fs.freeBlocks += Int64(rng.int(in: -3...3)) }
            } else if !fs.isStatic {
                fs.freeBlocks -= rng.poisson(fs.growthBlocksPerStep * seconds / 10)
                if rng.chance(0.0008) { fs.freeBlocks += Int64(Double(fs.sizeBlocks) * rng.uniform(0.001, 0.01)) }
            }
            fs.freeBlocks = min(fs.sizeBlocks, max(fs.sizeBlocks / 50, fs.freeBlocks))
            filesystems[i] = fs
            values[filesystemSlots.free + i] = fs.freeBlocks * 4096
            values[filesystemSlots.avail + i] = max(0, fs.freeBlocks - fs.reservedBlocks) * 4096
        }
        return traffic
    }
}
