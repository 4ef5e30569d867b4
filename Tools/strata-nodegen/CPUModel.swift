/// `node_cpu_seconds_total` and `node_cpu_scaling_frequency_hertz`. Counters are kept in
/// hundredths of a second (USER_HZ = 100, as /proc/stat reports them); per cpu the modes
/// add up to the elapsed time give or take a tick, idle taking what the others leave.
struct CPUModel {
    private let secondsSlot: Int
    private let frequencySlot: Int
    private var counters: [Int64]
    private var bias: [Double]
    private var frequencyStep: [Int]
    private let hasSteal: Bool
    private var carryMs: Int64 = 0
    private static let frequencySteps = Array(stride(from: 1_000_000, through: 3_900_000, by: 100_000))
    // Indices into Hardware.cpuModes.
    private static let idle = 0, iowait = 1, irq = 2, nice = 3, softirq = 4, steal = 5, system = 6, user = 7

    init(catalog: Catalog, uptimeSeconds: Int64, utilisation: Double, rng: inout Xoshiro256) {
        secondsSlot = catalog.slot("node_cpu_seconds")
        frequencySlot = catalog.slot("node_cpu_scaling_frequency_hertz")
        hasSteal = rng.chance(0.4)
        bias = (0..<Hardware.cpuCount).map { _ in rng.uniform(0.6, 1.4) }
        frequencyStep = (0..<Hardware.cpuCount).map { _ in rng.int(in: 0...10) }
        let shares: [Double] = [0, 0.04, 0.002, 0.003, 0.03, hasSteal ? 0.01 : 0, 0.08, 0.2]
        counters = []
        for _ in 0..<Hardware.cpuCount {
            let total = Double(uptimeSeconds) * 100
            var used = 0.0
            var row = [Int64](repeating: 0, count: shares.count)
            for mode in 1..<shares.count {
                let ticks = (total * shares[mode] * utilisation * 3 * rng.uniform(0.8, 1.2)).rounded()
                row[mode] = Int64(ticks)
                used += ticks
            }
            row[Self.idle] = Int64(max(0, total - used))
            counters += row
        }
    }

    mutating func step(
        elapsedMs: Int64, utilisation: Double, iowait: Double, rng: inout Xoshiro256,
        values: UnsafeMutablePointer<Int64>
    ) {
        let ticks = (elapsedMs + carryMs) / 10
        carryMs = (elapsedMs + carryMs) % 10
        let total = Double(ticks)
        let modes = Hardware.cpuModes.count
        for cpu in 0..<Hardware.cpuCount {
            let busy = total * min(0.995, max(0.002, utilisation * bias[cpu] + 0.04 * rng.normal()))
            var increments = [Int64](repeating: 0, count: modes)
            increments[Self.user] = Self.ticks(busy * 0.66 * (1 + 0.25 * rng.normal()))
            increments[Self.system] = Self.ticks(busy * 0.24 * (1 + 0.25 * rng.normal()))
            increments[Self.softirq] = Self.ticks(busy * 0.05 * (1 + 0.3 * rng.normal()))
            increments[Self.iowait] = Self.ticks(total * iowait * rng.uniform(0.2, 1.8))
            increments[Self.irq] = rng.chance(0.3) ? Int64(rng.int(in: 1...2)) : 0
            increments[Self.nice] = rng.chance(0.04) ? Int64(rng.int(in: 1...30)) : 0
            increments[Self.steal] = hasSteal ? Self.ticks(busy * 0.03 * rng.uniform()) : 0
            var used = increments.reduce(0, +)
            if used > ticks {  // saturated: the busy modes cannot exceed the elapsed time
                let cut = min(used - ticks, increments[Self.user])
                increments[Self.user] -= cut
                used -= cut
            }
            increments[Self.idle] = max(0, ticks - used + Int64(rng.int(in: -1...1)))
            for mode in 0..<modes {
                counters[cpu * modes + mode] += increments[mode]
                values[secondsSlot + cpu * modes + mode] = counters[cpu * modes + mode]
            }

            // The governor follows the load: step towards a target, a few 100 MHz at a time.
            if rng.chance(0.35) {
                let target = Int(Double(Self.frequencySteps.count - 1) * min(1, busy / max(total, 1) * 1.6))
                let move = (target - frequencyStep[cpu]).signum() * rng.int(in: 1...4) + rng.int(in: -1...1)
                frequencyStep[cpu] = min(Self.frequencySteps.count - 1, max(0, frequencyStep[cpu] + move))
            }
            values[frequencySlot + cpu] = Int64(Self.frequencySteps[frequencyStep[cpu]]) * 1000
        }
    }

    private static func ticks(_ x: Double) -> Int64 { x <= 0 ? 0 : Int64(x.rounded()) }
}

/// `node_load1/5/15` and `node_procs_running/blocked`, computed as the kernel does: every 5 s
/// the number of runnable plus uninterruptible tasks is folded into fixed-point (11-bit)
/// exponential averages with the kernel's constants, printed with two decimals as /proc/loadavg does.
struct LoadModel {
    private let loadSlots: (one: Int, five: Int, fifteen: Int)
    private let runningSlot: Int
    private let blockedSlot: Int
    private var averages: [Int64]
    private var nextUpdateMs: Int64
    private var running = 1
    private var blocked = 0
    private static let fixed1: Int64 = 1 << 11
    private static let exponents: [Int64] = [1884, 2014, 2037]  // EXP_1, EXP_5, EXP_15

    init(catalog: Catalog, startMs: Int64, utilisation: Double) {
        loadSlots = (catalog.slot("node_load1"), catalog.slot("node_load5"), catalog.slot("node_load15"))
        runningSlot = catalog.slot("node_procs_running")
        blockedSlot = catalog.slot("node_procs_blocked")
        let steady = Int64(utilisation * Double(Hardware.cpuCount) * Double(Self.fixed1))
        averages = [steady, steady, steady]
        nextUpdateMs = startMs - 5000 + 1
    }

    mutating func step(
        toMs timeMs: Int64, utilisation: Double, iowait: Double, rng: inout Xoshiro256,
        values: UnsafeMutablePointer<Int64>
    ) {
        while nextUpdateMs <= timeMs {
            running = Int(rng.poisson(utilisation * Double(Hardware.cpuCount) * 1.05))
            blocked = Int(rng.poisson(iowait * Double(Hardware.cpuCount) * 0.6))
            let active = Int64(running + blocked) * Self.fixed1
            for i in 0..<3 { averages[i] = Self.calcLoad(averages[i], Self.exponents[i], active) }
            nextUpdateMs += 5000
        }
        values[loadSlots.one] = Self.hundredths(averages[0])
        values[loadSlots.five] = Self.hundredths(averages[1])
        values[loadSlots.fifteen] = Self.hundredths(averages[2])
        values[runningSlot] = Int64(running + 1)  // the reader itself is running
        values[blockedSlot] = Int64(blocked)
    }

    /// The kernel's `calc_load` (kernel/sched/loadavg.c).
    private static func calcLoad(_ load: Int64, _ exponent: Int64, _ active: Int64) -> Int64 {
        var next = load * exponent + active * (fixed1 - exponent)
        if active >= load { next += fixed1 - 1 }
        return next / fixed1
    }

    /// LOAD_INT.LOAD_FRAC of /proc/loadavg, as hundredths.
    private static func hundredths(_ average: Int64) -> Int64 {
        let rounded = average + fixed1 / 200
        return (rounded >> 11) * 100 + (((rounded & (fixed1 - 1)) * 100) >> 11)
    }
}
