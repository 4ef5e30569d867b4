#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Byte-level number parsing shared by the text parsers. All functions take the token's bytes
/// (`p`, `n`) and return nil when the token is not exactly one well-formed number.
enum NumberParsing {
    /// The NaN Prometheus stores for every parsed NaN (`value.NormalNaN`).
    static let normalNaN = Double(bitPattern: 0x7ff8_0000_0000_0001)

    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// A float as Prometheus reads sample values: Go's `strconv.ParseFloat` without hex floats or
    /// underscores. Accepts `[+-]?` decimal with optional exponent, `[+-]?Inf`/`Infinity` and `NaN`
    /// in any case. NaN becomes `normalNaN`. Overflow (e.g. `1e400`) is refused, as Go reports it.
    @inline(__always)
    static func parseFloat(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        if n == 0 { return nil }
        var i = 0
        var negative = false
        let c0 = p[0]
        if c0 == UInt8(ascii: "-") || c0 == UInt8(ascii: "+") {
            negative = c0 == UInt8(ascii: "-")
            i = 1
        }
        if i < n, p[i] | 0x20 == UInt8(ascii: "i") || p[i] | 0x20 == UInt8(ascii: "n") {
            return parseSpecial(p, n, signed: i == 1, negative: negative)
        }
        var mantissa: UInt64 = 0
        var significant = 0  // digits accumulated into `mantissa`
        var dropped = 0  // nonzero digits beyond 19 were seen
        var exponent = 0  // decimal exponent to apply to `mantissa`
        var sawDigit = false
        while i < n, p[i] &- 0x30 < 10 {
            sawDigit = true
            let d = UInt64(p[i] &- 0x30)
            if significant < 19 {
                if mantissa != 0 || d != 0 {
                    mantissa = mantissa &* 10 &+ d
                    significant &+= 1
                }
            } else {
                exponent &+= 1
                if d != 0 { dropped = 1 }
            }
            i &+= 1
        }
        if i < n, p[i] == UInt8(ascii: ".") {
            i &+= 1
            while i < n, p[i] &- 0x30 < 10 {
                sawDigit = true
                let d = UInt64(p[i] &- 0x30)
                if significant < 19 {
                    if mantissa != 0 || d != 0 {
                        mantissa = mantissa &* 10 &+ d
                        significant &+= 1
                    }
                    exponent &-= 1
                } else if d != 0 {
                    dropped = 1
                }
                i &+= 1
            }
        }
        if !sawDigit { return nil }
        if i < n, p[i] | 0x20 == UInt8(ascii: "e") {
            i &+= 1
            var expNegative = false
            if i < n, p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+") {
                expNegative = p[i] == UInt8(ascii: "-")
                i &+= 1
            }
            var e = 0
            var expDigits = false
            while i < n, p[i] &- 0x30 < 10 {
                expDigits = true
                if e < 100_000 { e = e &* 10 &+ Int(p[i] &- 0x30) }
                i &+= 1
            }
            if !expDigits { return nil }
            exponent &+= expNegative ? -e : e
        }
        if i != n { return nil }
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        // Clinger's fast path: both operands exact, one correctly rounded operation.
        if dropped == 0 && mantissa <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            var v = Double(mantissa)
            if exponent >= 0 { v *= exactPowersOfTen[exponent] } else { v /= exactPowersOfTen[-exponent] }
            return negative ? -v : v
        }
        return slowParse(p, n)
    }

    /// `[+-]?(inf|infinity)` or `nan`, case-insensitive, the whole token (Go's `special`).
    private static func parseSpecial(_ p: UnsafePointer<UInt8>, _ n: Int, signed: Bool, negative: Bool) -> Double? {
        let start = signed ? 1 : 0
        let len = n - start
        func matches(_ word: StaticString) -> Bool {
            guard len == word.utf8CodeUnitCount else { return false }
            let w = word.utf8Start
            for k in 0..<len where p[start + k] | 0x20 != w[k] { return false }
            return true
        }
        if matches("inf") || matches("infinity") { return negative ? -Double.infinity : Double.infinity }
        if !signed && matches("nan") { return normalNaN }
        if !signed, let v = parseNaNPayload(p, n) { return v }
        return nil
    }

    /// Strata's extension for bit-exact export: `NaN(0x7ff0000000000002)` is the NaN with exactly
    /// those 64 bits (the stale marker, for one). Anything that is not a NaN bit pattern is refused.
    private static func parseNaNPayload(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        // "NaN(0x" + 16 hex digits + ")"
        guard n == 23, p[0] == 0x4E, p[1] == 0x61, p[2] == 0x4E, p[3] == 0x28, p[4] == 0x30, p[5] == 0x78,
            p[22] == 0x29
        else { return nil }
        var bits: UInt64 = 0
        for k in 6..<22 {
            let c = p[k]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x61...0x66: d = c - 0x61 + 10
            case 0x41...0x46: d = c - 0x41 + 10
            default: return nil
            }
            bits = bits << 4 | UInt64(d)
        }
        let v = Double(bitPattern: bits)
        return v.isNaN ? v : nil
    }

    /// Correctly rounded conversion through `strtod` for long mantissas and big exponents.
    /// The caller has already checked the syntax.
    private static func slowParse(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        let v: Double = withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buf in
            let b = buf.baseAddress!
            UnsafeMutableRawPointer(b).copyMemory(from: p, byteCount: n)
            b[n] = 0
            return strtod(b, nil)
        }
        return v.isInfinite ? nil : v
    }

    /// A decimal `Int64` with optional sign (Go's `strconv.ParseInt(s, 10, 64)`), nil on overflow.
    @inline(__always)
    static func parseInt64(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int64? {
        var i = 0
        var negative = false
        if n > 0, p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+") {
            negative = p[0] == UInt8(ascii: "-")
            i = 1
        }
        if i == n { return nil }
        var v: UInt64 = 0
        while i < n {
            let d = p[i] &- 0x30
            if d >= 10 { return nil }
            if v >= 100_000_000_000_000_000 {  // 18+ digits so far: the next step may overflow
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(d))
                if o1 || o2 { return nil }
                v = a
            } else {
                v = v &* 10 &+ UInt64(d)
            }
            i &+= 1
        }
        if negative {
            if v > UInt64(Int64.max) + 1 { return nil }
            return v == UInt64(Int64.max) + 1 ? Int64.min : -Int64(v)
        }
        if v > UInt64(Int64.max) { return nil }
        return Int64(v)
    }

    /// Decimal seconds (`1520879607.789`, `-1.5`, `1.5e9`) to integer milliseconds without
    /// floating point: digits past the millisecond are truncated toward zero. Nil for
    /// non-finite or out-of-range values.
    static func parseSecondsAsMilliseconds(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int64? {
        var i = 0
        var negative = false
        if n > 0, p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+") {
            negative = p[0] == UInt8(ascii: "-")
            i = 1
        }
        // Locate integer digits, fraction digits and exponent.
        let intStart = i
        while i < n, p[i] &- 0x30 < 10 { i &+= 1 }
        let intEnd = i
        var fracStart = i, fracEnd = i
        if i < n, p[i] == UInt8(ascii: ".") {
            i &+= 1
            fracStart = i
            while i < n, p[i] &- 0x30 < 10 { i &+= 1 }
            fracEnd = i
        }
        if intEnd == intStart && fracEnd == fracStart { return nil }
        var exponent = 0
        if i < n, p[i] | 0x20 == UInt8(ascii: "e") {
            i &+= 1
            var expNegative = false
            if i < n, p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+") {
                expNegative = p[i] == UInt8(ascii: "-")
                i &+= 1
            }
            let s = i
            while i < n, p[i] &- 0x30 < 10 {
                if exponent < 100_000 { exponent = exponent &* 10 &+ Int(p[i] &- 0x30) }
                i &+= 1
            }
            if i == s { return nil }
            if expNegative { exponent = -exponent }
        }
        if i != n { return nil }
        // The digit string D = int digits ++ fraction digits; the value is D * 10^(exponent - fracCount).
        // Milliseconds = the first (intCount + exponent + 3) digits of D, as an integer.
        let intCount = intEnd - intStart
        let keep = intCount + exponent + 3
        let total = intCount + (fracEnd - fracStart)
        if keep <= 0 { return 0 }
        var v: Int64 = 0
        var k = 0
        while k < keep {
            var d: Int64 = 0
            if k < total {
                let pos = k < intCount ? intStart + k : fracStart + (k - intCount)
                d = Int64(p[pos] &- 0x30)
            } else if v == 0 {
                k &+= 1
                continue
            }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            v = a
            k &+= 1
        }
        return negative ? -v : v
    }
}
