import StrataEncoding

/// Signed integers stored as byte planes: all low bytes, then all second bytes, and so on
/// (`[plane count u8][plane 0]...[plane count-1]`, each plane one byte per value).
///
/// Microsecond times have a noisy low byte and quiet high bytes; apart, zstd codes the quiet
/// planes almost for free, which varints (continuation bits mixed in) do not allow.
struct BytePlanes {
    var values: [UInt64] = []

    mutating func append(_ v: Int64) { values.append(zigzag(v)) }

    func encoded() -> [UInt8] {
        var top = 0
        for v in values { top = max(top, (64 - v.leadingZeroBitCount + 7) / 8) }
        var out = [UInt8](repeating: 0, count: 1 + top * values.count)
        out[0] = UInt8(top)
        for p in 0..<top {
            let base = 1 + p * values.count
            let shift = UInt64(8 * p)
            for (i, v) in values.enumerated() { out[base + i] = UInt8(truncatingIfNeeded: v >> shift) }
        }
        return out
    }

    /// Decodes exactly `count` values.
    static func decode(_ b: UnsafeRawBufferPointer, count: Int, baseOffset: Int) throws(FormatError) -> [Int64] {
        guard b.count >= 1 else { throw FormatError(.truncated, at: baseOffset, "byte planes without a plane count") }
        let planes = Int(b[0])
        guard planes <= 8 else { throw FormatError(.invalid, at: baseOffset, "\(planes) byte planes (at most 8)") }
        guard b.count == 1 + planes * count else {
            throw FormatError(.invalid, at: baseOffset, "byte planes of \(b.count) bytes for \(count) values in \(planes) planes")
        }
        return [Int64](unsafeUninitializedCapacity: count) { out, initialized in
            out.update(repeating: 0)
            out.withMemoryRebound(to: UInt64.self) { raw in
                for p in 0..<planes {
                    let base = 1 &+ p &* count
                    let shift = UInt64(8 &* p)
                    for i in 0..<count { raw[i] |= UInt64(b[base &+ i]) &<< shift }
                }
                for i in 0..<count { raw[i] = UInt64(bitPattern: unzigzag(raw[i])) }
            }
            initialized = count
        }
    }
}
