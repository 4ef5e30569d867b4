import StrataEncoding

/// Gorilla XOR coding of Float64 bit patterns, bit-compatible with Prometheus's `xor.go` value stream.
///
/// The first value is stored as 64 raw bits. Each later value is XORed with its predecessor:
/// `0` when equal; `10` + the meaningful bits when they fit the previous leading/trailing zero
/// window; `11` + 5 bits of leading zeros (capped at 31) + 6 bits of meaningful length (0 means 64)
/// + the meaningful bits otherwise. Any bit pattern round-trips, NaN payloads included.
enum XORValues {
    /// Writes `vs` (at least one value) to `w`.
    static func encode(_ vs: UnsafeBufferPointer<Double>, into w: inout BitWriter) {
        guard let first = vs.first else { return }
        var prev = first.bitPattern
        w.write(prev, bits: 64)
        var leading = 0xff
        var trailing = 0
        var i = 1
        while i < vs.count {
            let bits = vs[i].bitPattern
            i &+= 1
            let delta = bits ^ prev
            prev = bits
            if delta == 0 {
                w.writeBit(false)
                continue
            }
            w.writeBit(true)
            var lz = delta.leadingZeroBitCount
            let tz = delta.trailingZeroBitCount
            if lz >= 32 { lz = 31 }
            if leading != 0xff && lz >= leading && tz >= trailing {
                w.writeBit(false)
                w.write(delta &>> UInt64(trailing), bits: 64 &- leading &- trailing)
            } else {
                leading = lz
                trailing = tz
                w.writeBit(true)
                w.write(UInt64(lz), bits: 5)
                let sig = 64 &- lz &- tz
                w.write(UInt64(sig & 63), bits: 6)
                w.write(delta &>> UInt64(tz), bits: sig)
            }
        }
    }

    /// Reads `n` values from `r` into `dst`.
    @inline(__always)
    static func decode(_ r: inout BitReader, count n: Int, into dst: UnsafeMutablePointer<Double>, at offset: Int)
        throws(FormatError)
    {
        if n == 0 { return }
        var prev = try r.read(bits: 64)
        dst[0] = Double(bitPattern: prev)
        var leading = 0
        var trailing = 0
        var i = 1
        while i < n {
            if try r.readBit() {
                if try r.readBit() {
                    leading = Int(try r.read(bits: 5))
                    var sig = Int(try r.read(bits: 6))
                    if sig == 0 { sig = 64 }
                    guard leading &+ sig <= 64 else {
                        throw FormatError(.invalid, at: offset, "XOR window of \(leading)+\(sig) bits")
                    }
                    trailing = 64 &- leading &- sig
                }
                let sig = 64 &- leading &- trailing
                prev ^= try r.read(bits: sig) &<< UInt64(trailing)
            }
            dst[i] = Double(bitPattern: prev)
            i &+= 1
        }
    }
}
