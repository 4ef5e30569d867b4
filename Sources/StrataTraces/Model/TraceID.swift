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
        guard n == 36 || n == 32 else { return nil }
        var hi: UInt64 = 0
        var lo: UInt64 = 0
        var digits = 0
        for i in 0..<n {
            let c = bytes[i]
            if n == 36 && (i == 8 || i == 13 || i == 18 || i == 23) {
                guard c == UInt8(ascii: "-") else { return nil }
                continue
            }
            let v = TraceID.hexValue(c)
            if v > 15 { return nil }
            if digits < 16 { hi = hi << 4 | UInt64(v) } else { lo = lo << 4 | UInt64(v) }
            digits &+= 1
        }
        self.init(high: hi, low: lo)
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
