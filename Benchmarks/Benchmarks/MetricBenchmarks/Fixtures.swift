/// Deterministic inputs for the benchmarks (SplitMix64, so runs compare like with like).
enum Fixtures {
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

    /// `count` pseudo-random bytes.
    static func bytes(count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(state: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    /// Values with the length mix of encoded deltas: mostly 1-2 bytes, some 3-5, a few 8-10.
    static func varintValues(count: Int, seed: UInt64) -> [UInt64] {
        var rng = SplitMix64(state: seed)
        return (0..<count).map { _ in
            let r = rng.next()
            let bits: UInt64
            switch r % 100 {
            case 0..<60: bits = 7
            case 60..<85: bits = 14
            case 85..<97: bits = 32
            default: bits = 64
            }
            return bits == 64 ? r : (r >> 8) & ((1 << bits) - 1)
        }
    }
}
