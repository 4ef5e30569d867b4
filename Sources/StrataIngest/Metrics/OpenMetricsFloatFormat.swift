/// Formats a float the way Prometheus normalises histogram `le` and summary `quantile` label
/// values (`labels.FormatOpenMetricsFloat`): Go's shortest `'g'` format, plus `.0` when the result
/// has neither `.` nor `e`. So `1` -> `1.0`, `0.25` -> `0.25`, `1000000` -> `1e+06`,
/// `0.00001` -> `1e-05`, `+Inf` -> `+Inf`.
enum OpenMetricsFloatFormat {
    static func format(_ f: Double) -> String {
        if f == 1 { return "1.0" }
        if f == 0 { return "0.0" }
        if f == -1 { return "-1.0" }
        if f.isNaN { return "NaN" }
        if f.isInfinite { return f > 0 ? "+Inf" : "-Inf" }
        // Swift's description holds the shortest round-trip digits, as Go's does; re-lay them out.
        var digits: [UInt8] = []
        var pointAt = 0  // digits before the decimal point in Swift's mantissa
        var sawPoint = false
        var exp10 = 0
        let text = Array(f.magnitude.description.utf8)
        var i = 0
        while i < text.count {
            let c = text[i]
            if c == UInt8(ascii: ".") {
                sawPoint = true
            } else if c == UInt8(ascii: "e") {
                exp10 = Int(String(decoding: text[(i + 1)...], as: UTF8.self)) ?? 0
                break
            } else {
                digits.append(c)
                if !sawPoint { pointAt += 1 }
            }
            i += 1
        }
        // Normalise: strip leading zeros (moving the point) and trailing zeros.
        var dp = pointAt + exp10  // decimal point position relative to digits[0]
        while let first = digits.first, first == UInt8(ascii: "0") {
            digits.removeFirst()
            dp -= 1
        }
        while let last = digits.last, last == UInt8(ascii: "0") { digits.removeLast() }
        let nd = digits.count
        var out = f < 0 ? "-" : ""
        let exp = dp - 1
        if exp < -4 || exp >= 6 {
            out.unicodeScalars.append(Unicode.Scalar(digits[0]))
            if nd > 1 {
                out += "."
                out += String(decoding: digits[1...], as: UTF8.self)
            }
            out += exp < 0 ? "e-" : "e+"
            let e = exp.magnitude
            if e < 10 { out += "0" }
            out += String(e)
            return out
        }
        if dp <= 0 {
            out += "0." + String(repeating: "0", count: -dp) + String(decoding: digits, as: UTF8.self)
        } else if dp >= nd {
            out += String(decoding: digits, as: UTF8.self) + String(repeating: "0", count: dp - nd)
        } else {
            out += String(decoding: digits[..<dp], as: UTF8.self) + "." + String(decoding: digits[dp...], as: UTF8.self)
        }
        if !out.contains(".") { out += ".0" }
        return out
    }
}
