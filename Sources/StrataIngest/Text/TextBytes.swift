/// Byte classes and small scanners shared by the text parsers.
enum TextBytes {
    private static let classes: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 256)
        for c in UInt8(ascii: "a")...UInt8(ascii: "z") { t[Int(c)] = 3 }
        for c in UInt8(ascii: "A")...UInt8(ascii: "Z") { t[Int(c)] = 3 }
        t[Int(UInt8(ascii: "_"))] = 3
        for c in UInt8(ascii: "0")...UInt8(ascii: "9") { t[Int(c)] = 4 }
        t[Int(UInt8(ascii: ":"))] = 8
        return t
    }()

    /// `[a-zA-Z_:]`
    @inline(__always) static func isMetricNameStart(_ c: UInt8) -> Bool { classes[Int(c)] & 0b1010 != 0 }
    /// `[a-zA-Z0-9_:]`
    @inline(__always) static func isMetricNameChar(_ c: UInt8) -> Bool { classes[Int(c)] != 0 }
    /// `[a-zA-Z_]`
    @inline(__always) static func isLabelNameStart(_ c: UInt8) -> Bool { classes[Int(c)] & 0b0010 != 0 }
    /// `[a-zA-Z0-9_]`
    @inline(__always) static func isLabelNameChar(_ c: UInt8) -> Bool { classes[Int(c)] & 0b0110 != 0 }

    static func isMetricName(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        guard n > 0, isMetricNameStart(p[0]) else { return false }
        for i in 1..<n where !isMetricNameChar(p[i]) { return false }
        return true
    }

    /// The offset of the `}` closing the label set that opens at `open`, skipping quoted values
    /// (with backslash escapes); nil when the line ends first. Scans eight bytes at a time for
    /// the three bytes that matter (`"`, `\\`, `}`).
    @inline(__always)
    static func closingBrace(_ p: UnsafePointer<UInt8>, _ n: Int, from open: Int) -> Int? {
        var i = open &+ 1
        var quoted = false
        let raw = UnsafeRawPointer(p)
        while i < n {
            if i &+ 8 <= n {
                let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let m = byteMask(w, 0x22) | byteMask(w, 0x5C) | byteMask(w, 0x7D)
                if m == 0 {
                    i &+= 8
                    continue
                }
                // The lowest flagged byte is always a real match.
                i &+= m.trailingZeroBitCount &>> 3
            }
            let c = p[i]
            if quoted {
                if c == UInt8(ascii: "\\") {
                    i &+= 1
                } else if c == UInt8(ascii: "\"") {
                    quoted = false
                }
            } else if c == UInt8(ascii: "\"") {
                quoted = true
            } else if c == UInt8(ascii: "}") {
                return i
            }
            i &+= 1
        }
        return nil
    }

    /// High bit set in each byte of `w` equal to `b` (exact for the lowest such byte).
    @inline(__always)
    private static func byteMask(_ w: UInt64, _ b: UInt8) -> UInt64 {
        let x = w ^ (0x0101_0101_0101_0101 &* UInt64(b))
        return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
    }

    /// The next run of non-blank bytes at or after `i` (which moves past it), or nil at the end.
    static func token(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int) -> Range<Int>? {
        while i < n && (p[i] == 0x20 || p[i] == 0x09) { i += 1 }
        if i >= n { return nil }
        let s = i
        while i < n && p[i] != 0x20 && p[i] != 0x09 { i += 1 }
        return s..<i
    }
}
