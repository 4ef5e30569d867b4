import Foundation

/// `http_request_duration_seconds` (a classic histogram): each step draws a Poisson number of
/// requests at a rate that follows the activity, each with a log-normal duration (median about
/// 60 ms), counts them into the cumulative buckets and adds their durations, in whole
/// microseconds, to `_sum`. Now and then a slow spell multiplies latencies by 3-8 for a few minutes.
struct RequestHistogramModel {
    private let firstSlot: Int
    private let rate: Double  // requests per second at utilisation 0.5
    private var buckets: [Int64]  // cumulative, one per bound including +Inf
    private var sumMicroseconds: Int64
    private var slowLeft = 0
    private var slowFactor = 1.0
    private static let medianSeconds = 0.06
    private static let sigma = 0.9

    init(catalog: Catalog, uptimeSeconds: Int64, rng: inout Xoshiro256) {
        firstSlot = catalog.slot("http_request_duration_seconds")
        rate = rng.uniform(5, 30)
        // Start from the expected shape of `uptime` worth of requests (a fraction: the service restarts).
        let served = Double(uptimeSeconds) * rate * rng.uniform(0.01, 0.05)
        buckets = Hardware.histogramBounds.map { bound in
            let z = (log(bound.seconds) - log(Self.medianSeconds)) / Self.sigma
            return Int64((served * 0.5 * erfc(-z / 2.0.squareRoot())).rounded())
        }
        buckets[buckets.count - 1] = Int64(served.rounded())
        sumMicroseconds = Int64(served * Self.medianSeconds * exp(Self.sigma * Self.sigma / 2) * 1e6)
    }

    mutating func step(
        elapsedMs: Int64, utilisation: Double, rng: inout Xoshiro256, values: UnsafeMutablePointer<Int64>
    ) {
        if slowLeft > 0 {
            slowLeft -= 1
        } else if rng.chance(0.001) {
            slowLeft = rng.int(in: 10...40)
            slowFactor = rng.uniform(3, 8)
        }
        let mu = log(Self.medianSeconds * (slowLeft > 0 ? slowFactor : 1))
        let requests = rng.poisson(rate * Double(elapsedMs) / 1000 * (0.4 + 1.2 * utilisation))
        let bounds = Hardware.histogramBounds
        for _ in 0..<requests {
            let seconds = rng.logNormal(mu: mu, sigma: Self.sigma)
            sumMicroseconds += max(1, Int64((seconds * 1e6).rounded()))
            var b = bounds.count - 1
            while b > 0 && seconds <= bounds[b - 1].seconds { b -= 1 }
            for i in b..<bounds.count { buckets[i] += 1 }
        }
        for i in 0..<buckets.count { values[firstSlot + i] = buckets[i] }
        values[firstSlot + buckets.count] = buckets[buckets.count - 1]  // _count
        values[firstSlot + buckets.count + 1] = sumMicroseconds  // _sum
    }
}
