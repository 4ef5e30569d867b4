import Foundation

/// SplitMix64 (Steele, Lea, Flood): expands one 64-bit seed into the state of `Xoshiro256`.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256** (Blackman and Vigna): the generator's only source of randomness, so output
/// depends on `--seed` alone and never on the platform's random number generator.
struct Xoshiro256 {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64
    private var spareNormal: Double?

    /// A generator for one independent stream (a host, a host's scrape jitter) of one seed.
    init(seed: UInt64, stream: UInt64) {
        var mixer = SplitMix64(state: seed)
        var streamMixer = SplitMix64(state: mixer.next() ^ (stream &* 0xD1B5_4A32_D192_ED03))
        s0 = streamMixer.next()
        s1 = streamMixer.next()
        s2 = streamMixer.next()
        s3 = streamMixer.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in [0, 1).
    @inline(__always)
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in [low, high).
    @inline(__always)
    mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniform() }

    /// Uniform over a closed integer range (multiply-high reduction; the bias is below 2^-40 here).
    @inline(__always)
    mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) &+ 1
        return range.lowerBound + Int(truncatingIfNeeded: span.multipliedFullWidth(by: next()).high)
    }

    @inline(__always)
    mutating func chance(_ p: Double) -> Bool { uniform() < p }

    /// Standard normal (Box-Muller, the second value kept for the next call).
    mutating func normal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        let u1 = max(uniform(), 0x1p-60)
        let u2 = uniform()
        let radius = (-2 * log(u1)).squareRoot()
        spareNormal = radius * sin(2 * Double.pi * u2)
        return radius * cos(2 * Double.pi * u2)
    }

    /// exp(N(mu, sigma)).
    mutating func logNormal(mu: Double, sigma: Double) -> Double { exp(mu + sigma * normal()) }

    /// Poisson-distributed count: exact (Knuth) below 30, normal approximation above.
    mutating func poisson(_ lambda: Double) -> Int64 {
        if lambda <= 0 { return 0 }
        if lambda < 30 {
            let limit = exp(-lambda)
            var product = uniform()
            var count: Int64 = 0
            while product > limit {
                count += 1
                product *= uniform()
            }
            return count
        }
        return max(0, Int64((lambda + lambda.squareRoot() * normal()).rounded()))
    }
}
