import StrataEncoding

/// A Prometheus-style XOR chunk: timestamps and values interleaved in one bit stream.
///
/// Strata stores timestamps and values in separate columns (`ChunkColumns`); this type exists
/// as the yardstick, so benchmarks can report "Prometheus XOR bytes/sample on the same data".
/// The layout follows Prometheus's `chunkenc/xor.go`: a 2-byte big-endian sample count, the
/// first timestamp as a signed varint, the first value as 64 bits, the second timestamp as an
/// unsigned varint delta, later timestamps as delta-of-delta in buckets of 14/17/20/64 bits
/// (prefixes `0`, `10`, `110`, `1110`, `1111`), and values as Gorilla XOR. Prometheus caps a chunk
/// at 120 samples by default; this type accepts up to 65,535.
public enum GorillaChunk {
    /// The largest sample count a chunk holds (its count field is 16 bits).
    public static let maxSamples = Int(UInt16.max)

    /// Encodes one chunk.
    ///
    /// - Precondition: `timestamps.count == values.count <= maxSamples`.
    public static func encode(timestamps: UnsafeBufferPointer<Int64>, values: UnsafeBufferPointer<Double>) -> [UInt8] {
        precondition(timestamps.count == values.count && values.count <= maxSamples)
        let n = values.count
        var w = BitWriter(capacity: n * 2 + 16)
        w.write(UInt64(n), bits: 16)
        var prevT: Int64 = 0
        var prevDelta: Int64 = 0
        var prevV: UInt64 = 0
        var leading = 0xff
        var trailing = 0
        for i in 0..<n {
            let t = timestamps[i]
            let v = values[i].bitPattern
            switch i {
            case 0:
                writeVarint(zigzag(t), &w)
                w.write(v, bits: 64)
            case 1:
                prevDelta = t &- prevT
                writeVarint(UInt64(bitPattern: prevDelta), &w)
            default:
                let delta = t &- prevT
                let dod = delta &- prevDelta
                prevDelta = delta
                if dod == 0 {
                    w.writeBit(false)
                } else if fits(dod, 14) {
                    w.write(0b10, bits: 2)
                    w.write(UInt64(bitPattern: dod), bits: 14)
                } else if fits(dod, 17) {
                    w.write(0b110, bits: 3)
                    w.write(UInt64(bitPattern: dod), bits: 17)
                } else if fits(dod, 20) {
                    w.write(0b1110, bits: 4)
                    w.write(UInt64(bitPattern: dod), bits: 20)
                } else {
                    w.write(0b1111, bits: 4)
                    w.write(UInt64(bitPattern: dod), bits: 64)
                }
            }
            if i > 0 {
                let delta = v ^ prevV
                if delta == 0 {
                    w.writeBit(false)
                } else {
                    w.writeBit(true)
                    var lz = delta.leadingZeroBitCount
                    let tz = delta.trailingZeroBitCount
                    if lz >= 32 { lz = 31 }
                    if leading != 0xff && lz >= leading && tz >= trailing {
                        w.writeBit(false)
                        w.write(delta &>> UInt64(trailing), bits: 64 - leading - trailing)
                    } else {
                        leading = lz
                        trailing = tz
                        w.writeBit(true)
                        w.write(UInt64(lz), bits: 5)
                        let sig = 64 - lz - tz
                        w.write(UInt64(sig & 63), bits: 6)
                        w.write(delta &>> UInt64(tz), bits: sig)
                    }
                }
            }
            prevT = t
            prevV = v
        }
        return w.bytes
    }

    /// Decodes a chunk written by `encode`, appending to `timestamps` and `values`.
    ///
    /// - Throws: `FormatError` if the bytes end early or hold an impossible field; on error
    ///   nothing is appended.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, baseOffset: Int = 0, timestamps: inout [Int64], values: inout [Double]
    ) throws(FormatError) {
        var r = BitReader(bytes, baseOffset: baseOffset)
        let n = Int(try r.read(bits: 16))
        // Every sample after the first takes at least 2 bits.
        guard n <= 1 || (n - 1) * 2 + 64 <= bytes.count * 8 else {
            throw FormatError(.truncated, at: baseOffset, "\(n) samples cannot fit \(bytes.count) bytes")
        }
        var ts = [Int64](repeating: 0, count: n)
        var vs = [Double](repeating: 0, count: n)
        var t: Int64 = 0
        var delta: Int64 = 0
        var v: UInt64 = 0
        var leading = 0
        var trailing = 0
        for i in 0..<n {
            switch i {
            case 0:
                t = unzigzag(try readVarint(&r, baseOffset))
                v = try r.read(bits: 64)
            case 1:
                delta = Int64(bitPattern: try readVarint(&r, baseOffset))
                t &+= delta
            default:
                var width = 0
                if try r.readBit() {
                    if !(try r.readBit()) {
                        width = 14
                    } else if !(try r.readBit()) {
                        width = 17
                    } else if !(try r.readBit()) {
                        width = 20
                    } else {
                        width = 64
                    }
                }
                if width > 0 {
                    let raw = try r.read(bits: width)
                    let shift = UInt64(64 - width)
                    delta &+= Int64(bitPattern: raw &<< shift) &>> shift
                }
                t &+= delta
            }
            let changed = i > 0 ? try r.readBit() : false
            if changed {
                if try r.readBit() {
                    leading = Int(try r.read(bits: 5))
                    var sig = Int(try r.read(bits: 6))
                    if sig == 0 { sig = 64 }
                    guard leading + sig <= 64 else {
                        throw FormatError(.invalid, at: baseOffset, "XOR window of \(leading)+\(sig) bits")
                    }
                    trailing = 64 - leading - sig
                }
                v ^= try r.read(bits: 64 - leading - trailing) &<< UInt64(trailing)
            }
            ts[i] = t
            vs[i] = Double(bitPattern: v)
        }
        timestamps.append(contentsOf: ts)
        values.append(contentsOf: vs)
    }

    @inline(__always)
    static func fits(_ v: Int64, _ bits: Int) -> Bool {
        let limit = Int64(1) << (bits - 1)
        return v >= -limit && v < limit
    }

    static func writeVarint(_ v: UInt64, _ w: inout BitWriter) {
        var v = v
        while v >= 0x80 {
            w.write(v & 0x7f | 0x80, bits: 8)
            v >>= 7
        }
        w.write(v, bits: 8)
    }

    static func readVarint(_ r: inout BitReader, _ at: Int) throws(FormatError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try r.read(bits: 8)
            if shift == 63 && b > 1 { throw FormatError(.badVarint, at: at, "varint overflows 64 bits") }
            result |= (b & 0x7f) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { throw FormatError(.badVarint, at: at, "varint longer than 10 bytes") }
        }
    }
}
