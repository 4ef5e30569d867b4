import StrataLabels
import StrataMetrics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The value shapes of node-exporter data, each coded differently by the chunk encoders.
public enum SeriesFamily: String, CaseIterable, Sendable {
    /// `node_cpu_seconds_total`: USER_HZ ticks, so hundredths (2 decimals), steady increments.
    case cpuSeconds = "cpu seconds (2 decimals)"
    /// `node_memory_*_bytes`: multiples of 4096-byte pages, random walks with jumps.
    case pageGauge = "page gauges"
    /// `node_load1/5/15`: the kernel's fixed-point average, printed with 2 decimals.
    case loadAverage = "load averages"
    /// `node_network_*_bytes_total`: log-normal increments with bursts of 5-150x.
    case byteCounter = "bursty byte counters"
    /// Packet, interrupt, context switch and vmstat counters: small integer increments.
    case integerCounter = "integer counters"
    /// `*_info`, `node_boot_time_seconds`, sizes: one value forever.
    case constant = "constants"

    /// Series of this family among every 200 of a host (node_exporter's mix, roughly).
    var perHost: Int {
        switch self {
        case .cpuSeconds: 64
        case .pageGauge: 43
        case .loadAverage: 11
        case .byteCounter: 30
        case .integerCounter: 22
        case .constant: 30
        }
    }
}

/// Deterministic node-exporter-like series, generated in process (no files).
///
/// Hosts of 200 series each are scraped every `intervalMs`; a host's scrapes share one
/// timestamp sequence (aligned, or with `U[-jitterMs, +jitterMs]` jitter per scrape), as a
/// real scraper's do. Values are built as integers in units of 10^-scale, then divided, so
/// they equal what parsing the shortest decimal text gives (as `strata-nodegen` prints).
public struct NodeLikeWorkload: Sendable {
    /// One label set per series: `__name__`, `instance`, `job="node"`, `series`.
    public let labels: [Labels]
    /// The family of each series.
    public let families: [SeriesFamily]
    /// The host (index into `timestamps`) of each series.
    public let hostOf: [Int]
    /// One timestamp sequence per host, Unix ms.
    public let timestamps: [[Int64]]
    /// One value sequence per series.
    public let values: [[Double]]

    /// Samples in total.
    public var sampleCount: Int { values.reduce(0) { $0 + $1.count } }
    /// Series count.
    public var seriesCount: Int { values.count }

    /// Generates `series` series (rounded up to a multiple of 200) of `samples` samples each.
    public init(
        series: Int, samples: Int, intervalMs: Int64 = 10_000, jitterMs: Int64 = 0, seed: UInt64 = 1,
        start: Int64 = 1_700_000_000_000
    ) {
        let hosts = max(1, (series + 199) / 200)
        var rng = SplitMix64(seed: seed)
        var ts: [[Int64]] = []
        for _ in 0..<hosts {
            var jitterRNG = rng.fork()
            ts.append(
                (0..<samples).map { k in
                    let j = jitterMs > 0 ? Int64(jitterRNG.next() % UInt64(2 * jitterMs + 1)) - jitterMs : 0
                    return start + Int64(k) * intervalMs + j
                })
        }
        var labels: [Labels] = [], families: [SeriesFamily] = [], hostOf: [Int] = [], values: [[Double]] = []
        for h in 0..<hosts {
            var index = 0
            for family in SeriesFamily.allCases {
                for k in 0..<family.perHost {
                    var seriesRNG = rng.fork()
                    values.append(Self.values(family, k, samples: samples, intervalMs: intervalMs, rng: &seriesRNG))
                    labels.append(
                        Labels(sorted: [
                            Label("__name__", Self.metricName(family, k)),
                            Label("instance", "wally\(113 + h):9100"),
                            Label("job", "node"),
                            Label("series", String(index)),
                        ]))
                    families.append(family)
                    hostOf.append(h)
                    index += 1
                }
            }
        }
        self.labels = labels
        self.families = families
        self.hostOf = hostOf
        self.timestamps = ts
        self.values = values
    }

    static func metricName(_ family: SeriesFamily, _ k: Int) -> String {
        switch family {
        case .cpuSeconds: "node_cpu_seconds_total"
        case .pageGauge: "node_memory_bytes"
        case .loadAverage: ["node_load1", "node_load5", "node_load15"][k % 3]
        case .byteCounter: "node_network_bytes_total"
        case .integerCounter: "node_packets_total"
        case .constant: "node_info"
        }
    }

    static func values(_ family: SeriesFamily, _ k: Int, samples n: Int, intervalMs: Int64, rng: inout SplitMix64)
        -> [Double]
    {
        var out = [Double](repeating: 0, count: n)
        let seconds = Double(intervalMs) / 1000
        switch family {
        case .cpuSeconds:
            // Ticks of one cpu mode: a share of 100 ticks/s that drifts (AR(1)) around a per-series bias.
            var ticks = Int64(rng.uniform(1e6...5e8))
            let bias = rng.uniform(0.0...0.9)
            var share = bias
            for i in 0..<n {
                share = min(1, max(0, bias + 0.9 * (share - bias) + 0.03 * rng.gaussian()))
                ticks += Int64((share * 100 * seconds).rounded()) + Int64(rng.next() % 3) - 1
                out[i] = Double(max(0, ticks)) / 100
            }
        case .pageGauge:
            var pages = Int64(rng.uniform(1e4...4e6))
            let step = rng.uniform(1.0...200.0)
            for i in 0..<n {
                pages += Int64((step * rng.gaussian()).rounded())
                if rng.next() % 500 == 0 { pages += Int64(rng.uniform(-5e4...5e4)) }
                pages = max(0, pages)
                out[i] = Double(pages * 4096)
            }
        case .loadAverage:
            // calc_load every 5 s in 11-bit fixed point; /proc/loadavg prints two decimals.
            let exps: [Int64] = [1884, 2014, 2037]
            let e = exps[k % 3]
            var load: Int64 = 0
            var level = rng.uniform(0.2...6.0)
            let ticks = max(1, Int(intervalMs / 5000))
            for i in 0..<n {
                level = max(0, level + 0.05 * rng.gaussian())
                for _ in 0..<ticks {
                    let active = Int64(max(0, (level + rng.gaussian()).rounded())) * 2048
                    load = (load * e + active * (2048 - e) + 1024) >> 11
                }
                let hundredths = (load >> 11) * 100 + (((load & 2047) * 100) >> 11)
                out[i] = Double(hundredths) / 100
            }
        case .byteCounter:
            var bytes = Int64(rng.uniform(1e8...1e12))
            let rate = rng.uniform(1e3...1e6)
            var burstLeft = 0
            var burst = 1.0
            for i in 0..<n {
                if burstLeft == 0 && rng.next() % 400 == 0 {
                    burstLeft = Int(rng.next() % 18) + 1
                    burst = rng.uniform(5...150)
                }
                let factor = burstLeft > 0 ? burst : 1
                if burstLeft > 0 { burstLeft -= 1 }
                bytes += Int64(rate * seconds * factor * exp(0.5 * rng.gaussian()))
                out[i] = Double(bytes)
            }
        case .integerCounter:
            var count = Int64(rng.uniform(1e3...1e9))
            let rate = rng.uniform(0.1...2000)
            for i in 0..<n {
                count += max(0, Int64((rate * seconds + (rate * seconds).squareRoot() * rng.gaussian()).rounded()))
                out[i] = Double(count)
            }
        case .constant:
            let v: Double = k % 3 == 0 ? Double(1_700_000_000 - Int64(rng.next() % 19_000_000)) : k % 3 == 1 ? 1 : 0
            for i in 0..<n { out[i] = v }
        }
        return out
    }
}

/// SplitMix64: small, fast, deterministic.
public struct SplitMix64: Sendable {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// An independent stream seeded from this one.
    mutating func fork() -> SplitMix64 { SplitMix64(seed: next()) }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    mutating func uniform(_ r: ClosedRange<Double>) -> Double { r.lowerBound + unit() * (r.upperBound - r.lowerBound) }

    /// Standard normal (Irwin-Hall of 12 uniforms: no Foundation, good enough for noise).
    mutating func gaussian() -> Double {
        var s = 0.0
        for _ in 0..<12 { s += unit() }
        return s - 6
    }
}
