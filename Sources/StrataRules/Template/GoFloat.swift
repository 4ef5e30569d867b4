/// Go's `strconv.FormatFloat` (formats 'e' 'E' 'f' 'g' 'G' 'x' 'X', bit size 64) and
/// `strconv.ParseFloat`, which `fmt` and Prometheus's template functions print and read floats with.
///
/// Fixed precisions round the exact binary value (half to even on exact ties), as Go does;
/// the shortest form (precision -1) takes the shortest digits that read back to the same
/// double, which Swift's `description` also produces.
package enum GoFloat {
    /// Decimal digits of a non-negative finite value: `d` holds ASCII digits without leading or
    /// trailing zeros (empty for zero), and the value is 0.d₁d₂… × 10^dp.
    struct Digits {
        var d: [UInt8]
        var dp: Int
        var nd: Int { d.count }

        /// Rounds to `nd` digits (nothing if `nd` is negative or not fewer than the digits held);
        /// the digits are exact, so a lone trailing 5 is a tie and goes to even.
        mutating func round(_ n: Int) {
            if n < 0 || n >= d.count { return }
            let up: Bool
            if d[n] == UInt8(ascii: "5") && n + 1 == d.count {
                up = n > 0 && (d[n - 1] - UInt8(ascii: "0")) % 2 == 1
            } else {
                up = d[n] >= UInt8(ascii: "5")
            }
            if up {
                var i = n - 1
                while i >= 0 && d[i] == UInt8(ascii: "9") { i -= 1 }
                if i < 0 {
                    d = [UInt8(ascii: "1")]
                    dp += 1
                } else {
                    d[i] += 1
                    d.removeSubrange((i + 1)...)
                }
            } else {
                d.removeSubrange(n...)
                while let last = d.last, last == UInt8(ascii: "0") { d.removeLast() }
            }
        }
    }

    /// The exact decimal expansion of |v| (finite).
    static func exactDigits(_ v: Double) -> Digits {
        let bits = v.bitPattern
        let rawExp = Int((bits >> 52) & 0x7FF)
        var mant = bits & ((1 << 52) - 1)
        var exp2: Int
        if rawExp == 0 {
            exp2 = -1074
        } else {
            mant |= 1 << 52
            exp2 = rawExp - 1075
        }
        if mant == 0 { return Digits(d: [], dp: 0) }
        // Drop factors of two so the big number stays small.
        while mant & 1 == 0 {
            mant >>= 1
            exp2 += 1
        }
        // A big natural number in base 10⁹ limbs, least significant first.
        var limbs: [UInt64] = [mant % 1_000_000_000, (mant / 1_000_000_000) % 1_000_000_000, mant / 1_000_000_000_000_000_000]
        while limbs.count > 1 && limbs.last == 0 { limbs.removeLast() }
        func multiply(_ m: UInt64) {
            var carry: UInt64 = 0
            for i in limbs.indices {
                let p = limbs[i] &* m &+ carry
                limbs[i] = p % 1_000_000_000
                carry = p / 1_000_000_000
            }
            while carry > 0 {
                limbs.append(carry % 1_000_000_000)
                carry /= 1_000_000_000
            }
        }
        var scale = 0  // value = limbs × 10^-scale
        if exp2 > 0 {
            var e = exp2
            while e > 0 {
                let k = min(e, 29)
                multiply(1 << UInt64(k))
                e -= k
            }
        } else if exp2 < 0 {
            // mant × 2^-k = mant × 5^k / 10^k
            var k = -exp2
            scale = k
            while k > 0 {
                let step = min(k, 13)
                var p: UInt64 = 1
                for _ in 0..<step { p *= 5 }
                multiply(p)
                k -= step
            }
        }
        var d: [UInt8] = []
        d.reserveCapacity(limbs.count * 9)
        for (i, limb) in limbs.reversed().enumerated() {
            var chunk = [UInt8](repeating: UInt8(ascii: "0"), count: 9)
            var x = limb
            for j in stride(from: 8, through: 0, by: -1) {
                chunk[j] = UInt8(ascii: "0") + UInt8(x % 10)
                x /= 10
            }
            if i == 0 {
                let firstNonZero = chunk.firstIndex { $0 != UInt8(ascii: "0") } ?? 8
                d.append(contentsOf: chunk[firstNonZero...])
            } else {
                d.append(contentsOf: chunk)
            }
        }
        let dp = d.count - scale
        while let last = d.last, last == UInt8(ascii: "0") { d.removeLast() }
        return Digits(d: d, dp: dp)
    }

    /// The shortest digits of |v| (finite) that read back as v.
    static func shortestDigits(_ v: Double) -> Digits {
        if v == 0 { return Digits(d: [], dp: 0) }
        var d: [UInt8] = []
        var dp = 0
        var exp = 0
        var seenPoint = false
        var inExponent = false
        var expNegative = false
        for c in v.magnitude.description.utf8 {
            if inExponent {
                if c == UInt8(ascii: "-") {
                    expNegative = true
                } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                    exp = exp * 10 + Int(c - UInt8(ascii: "0"))
                }
                continue
            }
            switch c {
            case UInt8(ascii: "."): seenPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if d.isEmpty && c == UInt8(ascii: "0") {
                    if seenPoint { dp -= 1 }
                } else {
                    d.append(c)
                    if !seenPoint { dp += 1 }
                }
            default: break
            }
        }
        while let last = d.last, last == UInt8(ascii: "0") { d.removeLast() }
        return Digits(d: d, dp: dp + (expNegative ? -exp : exp))
    }

    /// `strconv.FormatFloat(v, fmt, prec, 64)`.
    package static func format(_ v: Double, _ fmt: UInt8, _ precision: Int) -> String {
        String(decoding: formatBytes(v, fmt, precision), as: UTF8.self)
    }

    static func formatBytes(_ v: Double, _ fmt: UInt8, _ precision: Int) -> [UInt8] {
        if v.isNaN { return Array("NaN".utf8) }
        if v.isInfinite { return Array((v < 0 ? "-Inf" : "+Inf").utf8) }
        let neg = v.sign == .minus
        if fmt == UInt8(ascii: "x") || fmt == UInt8(ascii: "X") { return hexFloat(v, fmt, precision) }
        var prec = precision
        var digs: Digits
        let shortest = prec < 0
        if shortest {
            digs = shortestDigits(v)
            switch fmt {
            case UInt8(ascii: "e"), UInt8(ascii: "E"): prec = max(digs.nd - 1, 0)
            case UInt8(ascii: "f"): prec = max(digs.nd - digs.dp, 0)
            default: prec = digs.nd
            }
        } else {
            digs = exactDigits(v)
            switch fmt {
            case UInt8(ascii: "e"), UInt8(ascii: "E"): digs.round(prec + 1)
            case UInt8(ascii: "f"): digs.round(digs.dp + prec)
            default:
                if prec == 0 { prec = 1 }
                digs.round(prec)
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(24)
        if neg { out.append(UInt8(ascii: "-")) }
        switch fmt {
        case UInt8(ascii: "e"), UInt8(ascii: "E"):
            appendE(&out, digs, prec, fmt)
        case UInt8(ascii: "f"):
            appendF(&out, digs, prec)
        default:  // 'g', 'G'
            var eprec = prec
            if eprec > digs.nd && digs.nd >= digs.dp { eprec = digs.nd }
            if shortest { eprec = 6 }
            let exp = digs.dp - 1
            if exp < -4 || exp >= eprec {
                if prec > digs.nd { prec = digs.nd }
                appendE(&out, digs, prec - 1, fmt == UInt8(ascii: "g") ? UInt8(ascii: "e") : UInt8(ascii: "E"))
            } else {
                if prec > digs.dp { prec = digs.nd }
                appendF(&out, digs, max(prec - digs.dp, 0))
            }
        }
        return out
    }

    private static func appendE(_ out: inout [UInt8], _ d: Digits, _ prec: Int, _ fmt: UInt8) {
        out.append(d.nd == 0 ? UInt8(ascii: "0") : d.d[0])
        if prec > 0 {
            out.append(UInt8(ascii: "."))
            var i = 1
            let m = min(d.nd, prec + 1)
            if i < m {
                out.append(contentsOf: d.d[i..<m])
                i = m
            }
            while i <= prec {
                out.append(UInt8(ascii: "0"))
                i += 1
            }
        }
        out.append(fmt)
        var exp = d.nd == 0 ? 0 : d.dp - 1
        if exp < 0 {
            out.append(UInt8(ascii: "-"))
            exp = -exp
        } else {
            out.append(UInt8(ascii: "+"))
        }
        if exp < 10 {
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "0") + UInt8(exp))
        } else if exp < 100 {
            out.append(UInt8(ascii: "0") + UInt8(exp / 10))
            out.append(UInt8(ascii: "0") + UInt8(exp % 10))
        } else {
            out.append(UInt8(ascii: "0") + UInt8(exp / 100))
            out.append(UInt8(ascii: "0") + UInt8((exp / 10) % 10))
            out.append(UInt8(ascii: "0") + UInt8(exp % 10))
        }
    }

    private static func appendF(_ out: inout [UInt8], _ d: Digits, _ prec: Int) {
        if d.dp > 0 {
            let m = min(d.nd, d.dp)
            out.append(contentsOf: d.d[0..<m])
            if m < d.dp { out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: d.dp - m)) }
        } else {
            out.append(UInt8(ascii: "0"))
        }
        if prec > 0 {
            out.append(UInt8(ascii: "."))
            for i in 0..<prec {
                let j = d.dp + i
                out.append(j >= 0 && j < d.nd ? d.d[j] : UInt8(ascii: "0"))
            }
        }
    }

    /// `%x`: -0x1.yyyyp±dd.
    private static func hexFloat(_ v: Double, _ fmt: UInt8, _ prec: Int) -> [UInt8] {
        let bits = v.bitPattern
        let rawExp = Int((bits >> 52) & 0x7FF)
        var mant = bits & ((1 << 52) - 1)
        var exp: Int
        if rawExp == 0 {
            exp = -1022
        } else {
            mant |= 1 << 52
            exp = rawExp - 1023
        }
        if mant == 0 { exp = 0 }
        mant <<= 60 - 52
        while mant != 0 && mant & (1 << 60) == 0 {
            mant <<= 1
            exp -= 1
        }
        if prec >= 0 && prec < 15 {
            let shift = UInt64(prec * 4)
            let extra = (mant << shift) & ((1 << 60) - 1)
            mant >>= 60 - shift
            if extra | (mant & 1) > 1 << 59 { mant += 1 }
            mant <<= 60 - shift
            if mant & (1 << 61) != 0 {
                mant >>= 1
                exp += 1
            }
        }
        let hex = Array((fmt == UInt8(ascii: "X") ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out: [UInt8] = []
        if v.sign == .minus { out.append(UInt8(ascii: "-")) }
        out.append(UInt8(ascii: "0"))
        out.append(fmt)
        out.append(UInt8(ascii: "0") + UInt8((mant >> 60) & 1))
        mant <<= 4
        if prec < 0 && mant != 0 {
            out.append(UInt8(ascii: "."))
            while mant != 0 {
                out.append(hex[Int((mant >> 60) & 15)])
                mant <<= 4
            }
        } else if prec > 0 {
            out.append(UInt8(ascii: "."))
            for _ in 0..<prec {
                out.append(hex[Int((mant >> 60) & 15)])
                mant <<= 4
            }
        }
        out.append(fmt == UInt8(ascii: "X") ? UInt8(ascii: "P") : UInt8(ascii: "p"))
        out.append(exp < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let e = abs(exp)
        if e < 100 {
            out.append(UInt8(ascii: "0") + UInt8(e / 10))
            out.append(UInt8(ascii: "0") + UInt8(e % 10))
        } else if e < 1000 {
            out.append(UInt8(ascii: "0") + UInt8(e / 100))
            out.append(UInt8(ascii: "0") + UInt8((e / 10) % 10))
            out.append(UInt8(ascii: "0") + UInt8(e % 10))
        } else {
            out.append(UInt8(ascii: "0") + UInt8(e / 1000))
            out.append(UInt8(ascii: "0") + UInt8((e / 100) % 10))
            out.append(UInt8(ascii: "0") + UInt8((e / 10) % 10))
            out.append(UInt8(ascii: "0") + UInt8(e % 10))
        }
        return out
    }

    // MARK: - Parsing

    enum ParseError: Error, Equatable {
        case syntax
        case range(Double)
    }

    /// `strconv.ParseFloat(s, 64)`: decimal or hexadecimal (with a `p` exponent) floats, `_`
    /// between digits, `inf`/`infinity`/`nan` in any case. Overflow is a range error.
    static func parse(_ s: String) throws(ParseError) -> Double {
        let b = Array(s.utf8)
        if b.isEmpty { throw .syntax }
        if let special = special(b) { return special }
        var i = 0
        if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
        var hex = false
        if i + 1 < b.count && b[i] == UInt8(ascii: "0") && (b[i + 1] | 0x20) == UInt8(ascii: "x") {
            hex = true
            i += 2
        }
        var sawDigits = false
        var sawDot = false
        var sawUnderscore = false
        var mantissaEnd = b.count
        scan: while i < b.count {
            let c = b[i]
            switch c {
            case UInt8(ascii: "_"): sawUnderscore = true
            case UInt8(ascii: "."):
                if sawDot { throw .syntax }
                sawDot = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigits = true
            case _ where hex && (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "f"): sawDigits = true
            default:
                mantissaEnd = i
                break scan
            }
            i += 1
        }
        if !sawDigits { throw .syntax }
        if mantissaEnd < b.count {
            let e = b[mantissaEnd] | 0x20
            if e != (hex ? UInt8(ascii: "p") : UInt8(ascii: "e")) { throw .syntax }
            i = mantissaEnd + 1
            if i < b.count && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) { i += 1 }
            var expDigits = false
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: "_") {
                    sawUnderscore = true
                } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                    expDigits = true
                } else {
                    throw .syntax
                }
                i += 1
            }
            if !expDigits { throw .syntax }
        } else if hex {
            throw .syntax  // a hexadecimal mantissa needs a 'p' exponent
        }
        if sawUnderscore && !underscoresOK(b) { throw .syntax }
        let clean = sawUnderscore ? String(decoding: b.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self) : s
        guard let v = Double(clean) else { throw .syntax }
        if v.isInfinite { throw .range(v) }
        return v
    }

    private static func special(_ b: [UInt8]) -> Double? {
        var i = 0
        var sign = 1.0
        var signed = false
        if b[0] == UInt8(ascii: "+") || b[0] == UInt8(ascii: "-") {
            if b[0] == UInt8(ascii: "-") { sign = -1 }
            signed = true
            i = 1
        }
        let rest = String(decoding: b[i...], as: UTF8.self).lowercased()
        if rest == "inf" || rest == "infinity" { return sign * .infinity }
        if !signed && rest == "nan" { return .nan }
        return nil
    }

    /// Go's rule: `_` only between digits, or between a base prefix and a digit.
    static func underscoresOK(_ b: [UInt8]) -> Bool {
        var saw: UInt8 = UInt8(ascii: "^")
        var i = 0
        if !b.isEmpty && (b[0] == UInt8(ascii: "+") || b[0] == UInt8(ascii: "-")) { i = 1 }
        var hex = false
        if b.count - i >= 2 && b[i] == UInt8(ascii: "0") {
            let p = b[i + 1] | 0x20
            if p == UInt8(ascii: "b") || p == UInt8(ascii: "o") || p == UInt8(ascii: "x") {
                hex = p == UInt8(ascii: "x")
                i += 2
                saw = UInt8(ascii: "0")
            }
        }
        while i < b.count {
            let c = b[i]
            let lower = c | 0x20
            if (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || (hex && lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "f")) {
                saw = UInt8(ascii: "0")
            } else if c == UInt8(ascii: "_") {
                if saw != UInt8(ascii: "0") { return false }
                saw = UInt8(ascii: "_")
            } else {
                if saw == UInt8(ascii: "_") { return false }
                saw = UInt8(ascii: "!")
            }
            i += 1
        }
        return saw != UInt8(ascii: "_")
    }

    /// `strconv.ParseUint(s, 0, 64)` magnitudes with an optional sign, as template number
    /// literals need them: base prefixes 0x 0o 0b, a leading 0 for octal, `_` between digits.
    /// nil when `s` is not an integer literal or overflows 64 bits.
    static func parseInteger(_ s: String) -> (negative: Bool, magnitude: UInt64)? {
        var b = Array(s.utf8)
        var negative = false
        if let f = b.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") {
            negative = f == UInt8(ascii: "-")
            b.removeFirst()
        }
        if b.isEmpty { return nil }
        if b.contains(UInt8(ascii: "_")) {
            if !underscoresOK(b) { return nil }
            b.removeAll { $0 == UInt8(ascii: "_") }
        }
        var base: UInt64 = 10
        var i = 0
        if b.count >= 2 && b[0] == UInt8(ascii: "0") {
            switch b[1] | 0x20 {
            case UInt8(ascii: "x"): base = 16; i = 2
            case UInt8(ascii: "o"): base = 8; i = 2
            case UInt8(ascii: "b"): base = 2; i = 2
            default: base = 8; i = 1
            }
        }
        if i >= b.count { return nil }
        var v: UInt64 = 0
        while i < b.count {
            let c = b[i]
            let digit: UInt64
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt64(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt64(c - UInt8(ascii: "A") + 10)
            default: return nil
            }
            if digit >= base { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: base)
            let (n, o2) = m.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            v = n
            i += 1
        }
        return (negative, v)
    }
}
