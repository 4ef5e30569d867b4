/// A growable byte line with the formatting the simulator needs: ASCII text, decimal numbers
/// from integers (never through `Double` text conversion), ids and timestamps.
struct LineBytes {
    var bytes: [UInt8]

    init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    var count: Int { bytes.count }
    var string: String { String(decoding: bytes, as: UTF8.self) }

    @inline(__always) mutating func clear() { bytes.removeAll(keepingCapacity: true) }

    @inline(__always) mutating func byte(_ b: UInt8) { bytes.append(b) }

    @inline(__always)
    mutating func ascii(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func text(_ s: Text) { bytes.append(contentsOf: s.bytes) }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// A non-negative integer in decimal, left-padded with zeros to `width` digits.
    @inline(__always)
    mutating func int(_ value: Int, width: Int = 1) {
        var v = value
        if v < 0 {
            bytes.append(UInt8(ascii: "-"))
            v = -v
        }
        var digits = 1
        var rest = v / 10
        while rest != 0 {
            digits += 1
            rest /= 10
        }
        var pad = width - digits
        while pad > 0 {
            bytes.append(0x30)
            pad -= 1
        }
        let start = bytes.count
        for _ in 0..<digits { bytes.append(0x30) }
        var i = start + digits - 1
        while i >= start {
            bytes[i] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
            v /= 10
            i -= 1
        }
    }

    /// `value / 10^decimals` with exactly `decimals` fraction digits ("0.2477829").
    @inline(__always)
    mutating func fixed(_ value: Int, decimals: Int) {
        var v = value
        if v < 0 {
            bytes.append(UInt8(ascii: "-"))
            v = -v
        }
        var p = 1
        for _ in 0..<decimals { p *= 10 }
        int(v / p)
        if decimals > 0 {
            bytes.append(UInt8(ascii: "."))
            int(v % p, width: decimals)
        }
    }

    /// A Double rounded to `decimals` places, fixed notation.
    @inline(__always)
    mutating func double(_ v: Double, decimals: Int) {
        var p = 1.0
        for _ in 0..<decimals { p *= 10 }
        fixed(Int((v * p).rounded()), decimals: decimals)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    @inline(__always)
    private mutating func hex(_ v: UInt64, nibbles: Int) {
        var shift = (nibbles - 1) * 4
        while shift >= 0 {
            bytes.append(Self.hexDigits[Int((v >> UInt64(shift)) & 15)])
            shift -= 4
        }
    }

    /// 8-4-4-4-12 lower-case UUID 4 text.
    mutating func uuid(_ id: ID128) {
        let hi = (id.hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x4000
        let lo = (id.lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        hex(hi >> 32, nibbles: 8)
        bytes.append(UInt8(ascii: "-"))
        hex((hi >> 16) & 0xFFFF, nibbles: 4)
        bytes.append(UInt8(ascii: "-"))
        hex(hi & 0xFFFF, nibbles: 4)
        bytes.append(UInt8(ascii: "-"))
        hex(lo >> 48, nibbles: 4)
        bytes.append(UInt8(ascii: "-"))
        hex(lo & 0xFFFF_FFFF_FFFF, nibbles: 12)
    }

    /// 32 lower-case hex digits.
    mutating func hex32(_ id: ID128) {
        hex(id.hi, nibbles: 16)
        hex(id.lo, nibbles: 16)
    }

    /// `n` hex digits of `v`.
    mutating func hexDigits(_ v: UInt64, count n: Int) { hex(v, nibbles: n) }
}

/// Immutable UTF-8 text prepared once (host names, paths, ids) and appended by copy.
struct Text: Sendable {
    let bytes: [UInt8]
    init(_ s: String) { bytes = Array(s.utf8) }
    init(bytes: [UInt8]) { self.bytes = bytes }
    var string: String { String(decoding: bytes, as: UTF8.self) }
}
