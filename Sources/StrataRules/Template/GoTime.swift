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

    /// The calendar fields of a Unix time in nanoseconds, in UTC.
    struct Civil {
        var year, month, day, hour, minute, second, nanosecond, weekday, yearDay: Int64
        init(unixNanoseconds ns: Int64) {
            let (secs, nanos) = GoTime.floorDivMod(ns, 1_000_000_000)
            let (days, secOfDay) = GoTime.floorDivMod(secs, 86_400)
            (year, month, day) = GoTime.civil(days: days)
            hour = secOfDay / 3600
            minute = (secOfDay / 60) % 60
            second = secOfDay % 60
            nanosecond = nanos
            weekday = GoTime.floorDivMod(days + 4, 7).1  // 1970-01-01 was a Thursday; 0 is Sunday
            let cumulative: [Int64] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            yearDay = cumulative[Int(month - 1)] + day + (leap && month > 2 ? 1 : 0)
        }
    }

    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
    static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// Go's `Time.Format(layout)` in UTC: the reference time `Mon Jan 2 15:04:05 MST 2006` spelled
    /// in the layout's elements (`2006 01 02 15:04:05.000 -07:00`, `Jan _2`, `PM`, `Z07:00`...).
    static func format(unixNanoseconds ns: Int64, layout: String) -> String {
        let c = Civil(unixNanoseconds: ns)
        let l = Array(layout.utf8)
        var out: [UInt8] = []
        func has(_ p: String, at i: Int) -> Bool {
            let b = Array(p.utf8)
            return i + b.count <= l.count && Array(l[i..<(i + b.count)]) == b
        }
        func lowerAt(_ i: Int) -> Bool { i < l.count && l[i] >= UInt8(ascii: "a") && l[i] <= UInt8(ascii: "z") }
        func put(_ s: String) { out.append(contentsOf: s.utf8) }
        func num(_ v: Int64, _ width: Int, pad: UInt8 = UInt8(ascii: "0")) {
            var s = Array(String(abs(v)).utf8)
            while s.count < width { s.insert(pad, at: 0) }
            if v < 0 { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: s)
        }
        let hour12 = c.hour % 12 == 0 ? 12 : c.hour % 12
        var i = 0
        while i < l.count {
            let ch = l[i]
            var n = 0  // bytes of the element matched at i
            switch ch {
            case UInt8(ascii: "J") where has("Jan", at: i):
                if has("January", at: i) {
                    put(months[Int(c.month - 1)]); n = 7
                } else if !lowerAt(i + 3) {
                    put(String(months[Int(c.month - 1)].prefix(3))); n = 3
                }
            case UInt8(ascii: "M") where has("Mon", at: i):
                if has("Monday", at: i) {
                    put(weekdays[Int(c.weekday)]); n = 6
                } else if !lowerAt(i + 3) {
                    put(String(weekdays[Int(c.weekday)].prefix(3))); n = 3
                }
            case UInt8(ascii: "M") where has("MST", at: i): put("UTC"); n = 3
            case UInt8(ascii: "0") where i + 1 < l.count && l[i + 1] >= UInt8(ascii: "1") && l[i + 1] <= UInt8(ascii: "6"):
                switch l[i + 1] {
                case UInt8(ascii: "1"): num(c.month, 2)
                case UInt8(ascii: "2"): num(c.day, 2)
                case UInt8(ascii: "3"): num(hour12, 2)
                case UInt8(ascii: "4"): num(c.minute, 2)
                case UInt8(ascii: "5"): num(c.second, 2)
                default: num(GoTime.floorDivMod(c.year, 100).1, 2)
                }
                n = 2
            case UInt8(ascii: "0") where has("002", at: i): num(c.yearDay, 3); n = 3
            case UInt8(ascii: "1"):
                if has("15", at: i) { num(c.hour, 2); n = 2 } else { num(c.month, 1); n = 1 }
            case UInt8(ascii: "2"):
                if has("2006", at: i) { num(c.year, 4); n = 4 } else { num(c.day, 1); n = 1 }
            case UInt8(ascii: "_") where has("_2", at: i):
                if has("_2006", at: i) {
                    put("_"); num(c.year, 4); n = 5
                } else {
                    num(c.day, 2, pad: UInt8(ascii: " ")); n = 2
                }
            case UInt8(ascii: "_") where has("__2", at: i): num(c.yearDay, 3, pad: UInt8(ascii: " ")); n = 3
            case UInt8(ascii: "3"): num(hour12, 1); n = 1
            case UInt8(ascii: "4"): num(c.minute, 1); n = 1
            case UInt8(ascii: "5"): num(c.second, 1); n = 1
            case UInt8(ascii: "P") where has("PM", at: i): put(c.hour >= 12 ? "PM" : "AM"); n = 2
            case UInt8(ascii: "p") where has("pm", at: i): put(c.hour >= 12 ? "pm" : "am"); n = 2
            case UInt8(ascii: "-"), UInt8(ascii: "Z"):
                let zones = ["070000", "07:00:00", "0700", "07:00", "07"]
                let zeros = ["+000000", "+00:00:00", "+0000", "+00:00", "+00"]
                for (k, z) in zones.enumerated() where has(z, at: i + 1) {
                    put(ch == UInt8(ascii: "Z") ? "Z" : zeros[k])
                    n = 1 + z.utf8.count
                    break
                }
            case UInt8(ascii: "."), UInt8(ascii: ","):
                guard i + 1 < l.count, l[i + 1] == UInt8(ascii: "0") || l[i + 1] == UInt8(ascii: "9") else { break }
                let digit = l[i + 1]
                var j = i + 1
                while j < l.count && l[j] == digit { j += 1 }
                if j < l.count && l[j] >= UInt8(ascii: "0") && l[j] <= UInt8(ascii: "9") { break }
                let width = j - i - 1
                var frac = Array(String(c.nanosecond).utf8)
                while frac.count < 9 { frac.insert(UInt8(ascii: "0"), at: 0) }
                var digits = Array(frac.prefix(min(width, 9)))
                if digit == UInt8(ascii: "9") {
                    while digits.last == UInt8(ascii: "0") { digits.removeLast() }
                    if !digits.isEmpty { out.append(ch); out.append(contentsOf: digits) }
                } else {
                    while digits.count < width { digits.append(UInt8(ascii: "0")) }
                    out.append(ch)
                    out.append(contentsOf: digits)
                }
                n = j - i
            default:
                break
            }
            if n == 0 {
                out.append(ch)
                i += 1
            } else {
                i += n
            }
        }
        return String(decoding: out, as: UTF8.self)
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
