/// Small byte helpers for the log line parsers.
enum LogBytes {
    static let space = UInt8(ascii: " ")

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- 48 < 10 }

    /// The text of `p[a..<b]` (invalid UTF-8 repaired with U+FFFD).
    @inline(__always)
    static func text(_ p: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: p[a..<b]), as: UTF8.self)
    }

    /// The index of the first `c` at or after `i`, or `p.count`.
    @inline(__always)
    static func find(_ c: UInt8, _ p: UnsafeBufferPointer<UInt8>, from i: Int) -> Int {
        var j = i
        while j < p.count && p[j] != c { j &+= 1 }
        return j
    }

    /// Whether `p[i...]` starts with `s`.
    @inline(__always)
    static func hasPrefix(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i >= 0, i + n <= p.count else { return false }
        let q = s.utf8Start
        for k in 0..<n where p[i + k] != q[k] { return false }
        return true
    }

    /// The first index of `s` in `p[from..<to]`, or nil.
    static func firstIndex(of s: StaticString, in p: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        let n = s.utf8CodeUnitCount
        guard n > 0, to - from >= n else { return nil }
        let first = s.utf8Start[0]
        var i = from
        while i + n <= to {
            if p[i] == first && hasPrefix(p, i, s) { return i }
            i += 1
        }
        return nil
    }

    /// A non-negative decimal integer in `p[a..<b]` (at most 18 digits).
    static func integer(_ p: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> Int? {
        guard b > a, b - a <= 18 else { return nil }
        var v = 0
        for i in a..<b {
            guard isDigit(p[i]) else { return nil }
            v = v * 10 + Int(p[i] - 48)
        }
        return v
    }

    /// Whether `p[a..<b]` is a decimal number (`123`, `0.25`, `-1`).
    static func isNumber(_ p: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> Bool {
        var i = a
        if i < b, p[i] == UInt8(ascii: "-") { i += 1 }
        var digits = 0, dots = 0
        while i < b {
            if isDigit(p[i]) { digits += 1 } else if p[i] == UInt8(ascii: ".") { dots += 1 } else { return false }
            i += 1
        }
        return digits > 0 && dots <= 1
    }
}
