import Foundation

/// One simulated machine: its fixed traits, the shared activity level that drives every
/// subsystem, and the subsystem models. `scrape` advances it to a scrape time and stores every
/// series' value, as an integer in units of 10^-scale, in the host's value slots.
struct HostModel {
    let name: String
    private var rng: Xoshiro256
    private let baseUtilisation: Double
    private var noise = 0.0
    private var episodeLeft = 0
    private var episodeBoost = 0.0
    private var cpu: CPUModel
    private var load: LoadModel
    private var memory: MemoryModel
    private var io: IOModel
    private var kernel: KernelCountersModel
    private var requests: RequestHistogramModel

    /// Short host names; the first four are the compute hosts of Loghub's OpenStack logs.
    static func hostName(index: Int) -> String {
        let known = [113, 117, 122, 124, 126, 129, 131, 133, 136, 139]
        let number = index < known.count ? known[index] : 140 + (index - known.count)
        return "wally\(number)"
    }

    /// Builds host `index` of `seed` and writes its constant series (sizes, info gauges, boot time).
    init(index: Int, seed: UInt64, startMs: Int64, catalog: Catalog, values: UnsafeMutablePointer<Int64>) {
        name = Self.hostName(index: index)
        var rng = Xoshiro256(seed: seed, stream: UInt64(index) &* 2 &+ 1)
        baseUtilisation = rng.uniform(0.08, 0.45)
        let uptimeSeconds = Int64(rng.int(in: 3 * 86_400...220 * 86_400))
        let startUtilisation = baseUtilisation
        cpu = CPUModel(catalog: catalog, uptimeSeconds: uptimeSeconds, utilisation: startUtilisation, rng: &rng)
        load = LoadModel(catalog: catalog, startMs: startMs, utilisation: startUtilisation)
        memory = MemoryModel(catalog: catalog, rng: &rng, values: values)
        io = IOModel(catalog: catalog, uptimeSeconds: uptimeSeconds, rng: &rng, values: values)
        kernel = KernelCountersModel(catalog: catalog, uptimeSeconds: uptimeSeconds, rng: &rng)
        requests = RequestHistogramModel(catalog: catalog, uptimeSeconds: uptimeSeconds, rng: &rng)
        self.rng = rng

        values[catalog.slot("node_boot_time_seconds")] = startMs / 1000 - uptimeSeconds
        values[catalog.slot("node_entropy_available_bits")] = 256
        for family in ["node_cpu_info", "node_exporter_build_info", "node_os_info", "node_uname_info"] {
            let first = catalog.slot(family)
            for i in 0..<(catalog.families.first { $0.name == family }!.series.count) { values[first + i] = 1 }
        }
    }

    /// Advances the host to `timeMs` (`elapsedMs` after its previous scrape) and stores every value.
    mutating func scrape(timeMs: Int64, elapsedMs: Int64, values: UnsafeMutablePointer<Int64>) {
        let utilisation = nextUtilisation(timeMs: timeMs)
        let iowait = 0.01 + 0.08 * max(0, utilisation - 0.2) + (episodeLeft > 0 ? 0.03 : 0)
        cpu.step(elapsedMs: elapsedMs, utilisation: utilisation, iowait: iowait, rng: &rng, values: values)
        load.step(toMs: timeMs, utilisation: utilisation, iowait: iowait, rng: &rng, values: values)
        let traffic = io.step(elapsedMs: elapsedMs, utilisation: utilisation, rng: &rng, values: values)
        let pressured = memory.step(readBytes: traffic.readBytes, utilisation: utilisation, rng: &rng, values: values)
        kernel.step(
            elapsedMs: elapsedMs, utilisation: utilisation, iowait: iowait, memoryPressure: pressured,
            traffic: traffic, rng: &rng, values: values)
        requests.step(elapsedMs: elapsedMs, utilisation: utilisation, rng: &rng, values: values)
    }

    /// Busy fraction of the machine: a daily cycle (low at 03:00 UTC, high at 15:00), AR(1) noise,
    /// and occasional busy episodes of 5 to 30 minutes (at 10 s scrapes).
    private mutating func nextUtilisation(timeMs: Int64) -> Double {
        let secondOfDay = Double((timeMs / 1000) % 86_400)
        let daily = 0.5 - 0.5 * cos(2 * Double.pi * (secondOfDay - 3 * 3600) / 86_400)
        noise = 0.92 * noise + 0.025 * rng.normal()
        if episodeLeft > 0 {
            episodeLeft -= 1
        } else if rng.chance(0.0015) {
            episodeLeft = rng.int(in: 30...180)
            episodeBoost = rng.uniform(0.15, 0.45)
        }
        let boost = episodeLeft > 0 ? episodeBoost : 0
        return min(0.97, max(0.01, baseUtilisation * (0.55 + 0.9 * daily) + noise + boost))
    }
}
