/// Sample values as Prometheus writes them (`jsonutil.MarshalFloat`): Go's
/// `strconv.FormatFloat(v, 'f', -1, 64)`, switching to `'e'` below 1e-6 and from 1e21 on;
/// `NaN`, `+Inf`, `-Inf` for the special values.
///
/// `1` → `1`, `0.1` → `0.1`, `1e21` → `1e+21`, `1.5e-7` → `1.5e-07`, `-0.0` → `-0`.
package enum PromFloat {
    package static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        let sign = v.sign == .minus ? "-" : ""
        if v == 0 { return sign + "0" }
        let (digits, point) = shortestDigits(v.magnitude)
        let abs = v.magnitude
        if abs < 1e-6 || abs >= 1e21 {
            // Go 'e': d[.ddd]e±XX (at least two exponent digits).
            var out = sign + String(digits.first!)
            if digits.count > 1 { out += "." + String(digits.dropFirst()) }
            let e = point - 1
            out += e < 0 ? "e-" : "e+"
            if e.magnitude < 10 { out += "0" }
            return out + String(e.magnitude)
        }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + String(digits) }
        if point >= digits.count { return sign + String(digits) + String(repeating: "0", count: point - digits.count) }
        let i = digits.index(digits.startIndex, offsetBy: point)
        return sign + String(digits[..<i]) + "." + String(digits[i...])
    }

    /// The shortest round-tripping decimal digits of a finite positive value and the position of
    /// the decimal point relative to the first digit (`123.4` → ("1234", 3), `0.05` → ("5", -1)).
    /// Swift's `description` already holds Go's shortest digits; this re-lays them out.
    package static func shortestDigits(_ v: Double) -> (String, Int) {
        var digits: [UInt8] = []
        var beforePoint = 0
        var sawPoint = false
        var exp10 = 0
        let text = Array(v.description.utf8)
        var i = 0
        while i < text.count {
            let c = text[i]
            if c == UInt8(ascii: ".") {
                sawPoint = true
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                exp10 = Int(String(decoding: text[(i + 1)...], as: UTF8.self)) ?? 0
                break
            } else {
                digits.append(c)
                if !sawPoint { beforePoint += 1 }
            }
            i += 1
        }
        var point = beforePoint + exp10
        while digits.count > 1, digits.first == UInt8(ascii: "0") {
            digits.removeFirst()
            point -= 1
        }
        while digits.count > 1, digits.last == UInt8(ascii: "0") { digits.removeLast() }
        return (String(decoding: digits, as: UTF8.self), point)
    }
}
