/// Go's `time.Time.String()` (in UTC) and `time.Duration.String()`, and Prometheus's duration
/// syntax (`model.ParseDurationAllowNegative`), for the template functions that deal in time.
enum GoTime {
    /// `2006-01-02 15:04:05.999999999 +0000 UTC` for a Unix time in nanoseconds.
    static func timeString(unixNanoseconds ns: Int64) -> String {
        let (secs, nanos) = floorDivMod(ns, 1_000_000_000)
        let (days, secOfDay) = floorDivMod(secs, 86_400)
        let (y, m, d) = civil(days: days)
        var out = ""
        out.reserveCapacity(40)
        if y < 0 { out.append("-") }
        out.append(padded(abs(y), 4))
        out.append("-" + padded(m, 2) + "-" + padded(d, 2) + " ")
        out.append(padded(secOfDay / 3600, 2) + ":" + padded((secOfDay / 60) % 60, 2) + ":" + padded(secOfDay % 60, 2))
        if nanos != 0 {
            var frac = padded(nanos, 9)
            while frac.hasSuffix("0") { frac.removeLast() }
            out.append("." + frac)
        }
        out.append(" +0000 UTC")
        return out
    }

    /// Go's `Duration.String()`: `1h2m3.5s`, `1.5ms`, `0s`.
    static func durationString(_ d: Int64) -> String {
        let neg = d < 0
        var u = d.magnitude
        var out: [UInt8] = []  // built backwards
        func fraction(_ precision: Int) {
            var printing = false
            for _ in 0..<precision {
                let digit = u % 10
                printing = printing || digit != 0
                if printing { out.append(UInt8(ascii: "0") + UInt8(digit)) }
                u /= 10
            }
            if printing { out.append(UInt8(ascii: ".")) }
        }
        func integer(_ v: UInt64) {
            var v = v
            repeat {
                out.append(UInt8(ascii: "0") + UInt8(v % 10))
                v /= 10
            } while v > 0
        }
        out.append(UInt8(ascii: "s"))
        if u < 1_000_000_000 {
            if u == 0 { return "0s" }
            if u < 1_000 {
                out.append(UInt8(ascii: "n"))
                fraction(0)
            } else if u < 1_000_000 {
                out.append(contentsOf: "µ".utf8.reversed())
                fraction(3)
            } else {
                out.append(UInt8(ascii: "m"))
                fraction(6)
            }
            integer(u)
        } else {
            fraction(9)
            integer(u % 60)
            u /= 60
            if u > 0 {
                out.append(UInt8(ascii: "m"))
                integer(u % 60)
                u /= 60
                if u > 0 {
                    out.append(UInt8(ascii: "h"))
                    integer(u)
                }
            }
        }
        if neg { out.append(UInt8(ascii: "-")) }
        return String(decoding: out.reversed(), as: UTF8.self)
    }

    /// Prometheus's `model.ParseDurationAllowNegative`: `1h30m`, `-5m`, units y w d h m s ms in
    /// that order, `0` alone. Returns nanoseconds.
    static func parsePrometheusDuration(_ text: String) throws(FunctionFailure) -> Int64 {
        if let first = text.utf8.first, first == UInt8(ascii: "-") {
            return -(try parseUnsigned(String(text.dropFirst())))
        }
        return try parseUnsigned(text)
    }

    private static func parseUnsigned(_ s: String) throws(FunctionFailure) -> Int64 {
        if s == "0" { return 0 }
        if s.isEmpty { throw FunctionFailure("empty duration string") }
        let units: [(String, Int, UInt64)] = [
            ("ms", 7, 1_000_000), ("s", 6, 1_000_000_000), ("m", 5, 60_000_000_000), ("h", 4, 3_600_000_000_000),
            ("d", 3, 86_400_000_000_000), ("w", 2, 604_800_000_000_000), ("y", 1, 31_536_000_000_000_000),
        ]
        let b = Array(s.utf8)
        let invalid = FunctionFailure("not a valid duration string: \(GoText.quote(s))")
        var i = 0
        var total: UInt64 = 0
        var lastUnit = 0
        func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        while i < b.count {
            if !isDigit(b[i]) { throw invalid }
            var v: UInt64 = 0
            while i < b.count && isDigit(b[i]) {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (n, o2) = m.addingReportingOverflow(UInt64(b[i] - UInt8(ascii: "0")))
                if o1 || o2 { throw invalid }
                v = n
                i += 1
            }
            let unitStart = i
            while i < b.count && !isDigit(b[i]) { i += 1 }
            if i == unitStart { throw invalid }
            let unit = String(decoding: b[unitStart..<i], as: UTF8.self)
            guard let (_, pos, mult) = units.first(where: { $0.0 == unit }) else {
                throw FunctionFailure("unknown unit \(GoText.quote(unit)) in duration \(GoText.quote(s))")
            }
            if pos <= lastUnit { throw invalid }
            lastUnit = pos
            if v > (1 << 63) / mult { throw FunctionFailure("duration out of range") }
            total += v * mult
            if total > UInt64(Int64.max) { throw FunctionFailure("duration out of range") }
        }
        return Int64(total)
    }

    static func floorDivMod(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        var q = a / b
        var r = a % b
        if r < 0 {
            q -= 1
            r += b
        }
        return (q, r)
    }

    /// Year, month, day of a count of days since 1970-01-01 (proleptic Gregorian).
    static func civil(days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    private static func padded(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
