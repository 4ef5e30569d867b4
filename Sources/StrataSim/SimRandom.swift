#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// xoshiro256** seeded through SplitMix64: the simulator's only source of randomness, so the
/// output depends on the seed and flags alone, never on the platform.
struct SimRandom {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// An independent stream `stream` of `seed`.
    init(seed: UInt64, stream: UInt64) {
        var sm = seed ^ (stream &* 0xD1B5_4A32_D192_ED03) &+ 0x9E37_79B9_7F4A_7C15
        func mix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = mix(&sm)
        s1 = mix(&sm)
        s2 = mix(&sm)
        s3 = mix(&sm)
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

    /// Uniform integer in `0..<n` (n > 0).
    @inline(__always)
    mutating func below(_ n: Int) -> Int {
        Int(truncatingIfNeeded: UInt64(n).multipliedFullWidth(by: next()).high)
    }

    /// Uniform integer in a closed range.
    @inline(__always)
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }

    @inline(__always)
    mutating func chance(_ p: Double) -> Bool { uniform() < p }

    /// Standard normal (Box-Muller, one value per call so the stream position is simple).
    mutating func normal() -> Double {
        let u1 = max(uniform(), 0x1p-60)
        let u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A log-normal value with the given median and shape (sigma of the underlying normal).
    mutating func logNormal(median: Double, sigma: Double) -> Double { median * exp(sigma * normal()) }

    /// Exponentially distributed with the given mean.
    mutating func exponential(mean: Double) -> Double { -mean * log(max(uniform(), 0x1p-60)) }

    /// Poisson count (Knuth below 30, normal approximation above).
    mutating func poisson(_ lambda: Double) -> Int {
        if lambda <= 0 { return 0 }
        if lambda < 30 {
            let limit = exp(-lambda)
            var product = uniform()
            var count = 0
            while product > limit {
                count += 1
                product *= uniform()
            }
            return count
        }
        return max(0, Int((lambda + lambda.squareRoot() * normal()).rounded()))
    }

    /// A random 128-bit identifier (a UUID 4 when printed with `appendUUID`).
    mutating func id128() -> ID128 { ID128(hi: next(), lo: next()) }
}

/// A 128-bit identifier: request ids, instance uuids, osprofiler trace ids, user/project ids.
struct ID128: Hashable, Sendable {
    var hi: UInt64
    var lo: UInt64

    /// The 36-character UUID 4 text (version and variant bits forced).
    var uuidString: String {
        var line = LineBytes()
        line.uuid(self)
        return line.string
    }

    /// The 32-character hex text (keystone user and project ids).
    var hexString: String {
        var line = LineBytes()
        line.hex32(self)
        return line.string
    }
}
