/// A 16-byte osprofiler id (`base_id`, `trace_id` or `parent_id`), kept binary.
///
/// osprofiler ids are UUIDs; `TraceID(parsing:)` accepts the canonical 36-character form
/// (`8f6ff588-fcb6-4983-883c-282f78922756`) and the bare 32 hex digits, in either case.
/// `description` prints the canonical lowercase form.
@frozen
public struct TraceID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The first 8 bytes, big-endian (so integer order is byte order).
    public var high: UInt64
    /// The last 8 bytes, big-endian.
    public var low: UInt64

    /// The id with bytes `high` then `low` (big-endian).
    @inlinable
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses a UUID (36 characters with dashes, or 32 hex digits); nil if it is not one.
    public init?(parsing text: String) {
        var copy = text
        guard let id = copy.withUTF8({ TraceID(bytes: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = id
    }

    /// Parses a UUID from UTF-8 bytes (36 with dashes at 8, 13, 18, 23, or 32 hex digits).
    @inlinable
    public init?(bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        guard n == 36 || n == 32, let p = bytes.baseAddress else { return nil }
        @inline(__always) func load8(_ i: Int) -> UInt64 { p.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian }
        @inline(__always) func load4(_ i: Int) -> UInt64 { UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian) }
        let groups: (UInt64, UInt64, UInt64, UInt64)
        if n == 36 {
            let dash = UInt8(ascii: "-")
            guard bytes[8] == dash, bytes[13] == dash, bytes[18] == dash, bytes[23] == dash else { return nil }
            groups = (load8(0), load4(9) | load4(14) << 32, load4(19) | load4(24) << 32, load8(28))
        } else {
            groups = (load8(0), load8(8), load8(16), load8(24))
        }
        guard let a = TraceID.hex8(groups.0), let b = TraceID.hex8(groups.1), let c = TraceID.hex8(groups.2),
            let d = TraceID.hex8(groups.3)
        else { return nil }
        self.init(high: a << 32 | b, low: c << 32 | d)
    }

    /// The value of 8 hex digits (either case) loaded little-endian (the first digit in the
    /// lowest byte), or nil if any byte is not a hex digit. Branch-free on 8 bytes at once.
    @inlinable @inline(__always)
    static func hex8(_ v: UInt64) -> UInt64? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        guard v & high == 0 else { return nil }
        // For ASCII bytes x, x + (0x80 - lo) sets bit 7 exactly when x >= lo (no carries).
        @inline(__always) func atLeast(_ x: UInt64, _ lo: UInt64) -> UInt64 { (x &+ (0x80 &- lo) &* ones) & high }
        let lower = v | 0x2020_2020_2020_2020
        let digit = atLeast(v, 0x30) & ~atLeast(v, 0x3A)
        let letter = atLeast(lower, 0x61) & ~atLeast(lower, 0x67)
        guard digit | letter == high else { return nil }
        // '0'-'9' -> 0-9 by the low nibble; 'a'-'f' -> low nibble 1-6, plus 9.
        let nibbles = (lower & 0x0F0F_0F0F_0F0F_0F0F) &+ (letter >> 7) &* 9
        // Pairs of nibbles into bytes (first digit high), in bytes 0, 2, 4, 6.
        let pairs = ((nibbles << 4) | (nibbles >> 8)) & 0x00FF_00FF_00FF_00FF
        return (pairs & 0xFF) << 24 | (pairs >> 16 & 0xFF) << 16 | (pairs >> 32 & 0xFF) << 8 | (pairs >> 48 & 0xFF)
    }

    /// The value of a hex digit, or 255.
    @inlinable @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt8 {
        let d = c &- 0x30
        if d < 10 { return d }
        let l = (c | 0x20) &- 0x61  // lowercase, then 'a' -> 0
        return l < 6 ? l &+ 10 : 255
    }

    /// The 16 bytes, big-endian.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            out[i] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(i)))
            out[8 + i] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(i)))
        }
        return out
    }

    /// The canonical lowercase UUID text.
    public var description: String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for i in 0..<32 {
            if i == 8 || i == 12 || i == 16 || i == 20 { out.append(UInt8(ascii: "-")) }
            let word = i < 16 ? high : low
            let shift = UInt64(60 - 4 * (i % 16))
            out.append(hex[Int((word >> shift) & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A well-mixed 64-bit hash of the id, for filters.
    @inlinable
    public var mixedHash: UInt64 {
        var x = high ^ (low &* 0x9E37_79B9_7F4A_7C15)
        x ^= x >> 33
        x &*= 0xFF51_AFD7_ED55_8CCD
        x ^= x >> 33
        x &*= 0xC4CE_B9FE_1A85_EC53
        x ^= x >> 33
        return x
    }

    @inlinable
    public static func < (a: TraceID, b: TraceID) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }
}
