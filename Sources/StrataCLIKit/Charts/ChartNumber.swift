/// Short labels for chart axes and summaries: about three significant digits, with a k/M/G/T
/// suffix for large magnitudes and an exponent for tiny ones (`1.23k`, `45.6M`, `0.5`, `2.1e-5`).
package enum ChartNumber {
    package static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == 0 { return "0" }
        let a = abs(v)
        let sign = v < 0 ? "-" : ""
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        for (scale, suffix) in units where a >= scale * 0.9995 {
            if a >= 1e15 { return sign + exponent(a) }
            return sign + significant(a / scale) + suffix
        }
        if a >= 0.001 { return sign + significant(a) }
        return sign + exponent(a)
    }

    /// Three significant digits without trailing zeros: 1.5, 12.3, 123, 0.00123.
    static func significant(_ a: Double) -> String {
        var decimals = 0
        var scaled = a
        while scaled < 99.95 && decimals < 6 {
            scaled *= 10
            decimals += 1
        }
        let factor = pow10(decimals)
        let r = (a * factor).rounded() / factor
        var s = decimals == 0 ? String(Int64(r)) : fixed(r, decimals)
        if s.contains(".") {
            while s.last == "0" { s.removeLast() }
            if s.last == "." { s.removeLast() }
        }
        return s
    }

    static func exponent(_ a: Double) -> String {
        var e = 0
        var m = a
        while m >= 10 { m /= 10; e += 1 }
        while m < 1 { m *= 10; e -= 1 }
        return significant(m) + "e" + String(e)
    }

    static func pow10(_ n: Int) -> Double {
        var f = 1.0
        for _ in 0..<n { f *= 10 }
        return f
    }

    /// `r` printed with exactly `decimals` digits after the point (r is already rounded to them).
    static func fixed(_ r: Double, _ decimals: Int) -> String {
        let factor = pow10(decimals)
        let whole = Int64(r.rounded(.down))
        let frac = Int64(((r - Double(whole)) * factor).rounded())
        var f = String(frac)
        if f.count < decimals { f = String(repeating: "0", count: decimals - f.count) + f }
        if f.count > decimals { return String(whole + 1) + "." + String(repeating: "0", count: decimals) }
        return String(whole) + "." + f
    }
}
