import StrataLabels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses the times and durations the command line accepts (INTERFACE.md):
/// RFC 3339 (`2024-09-04T11:23:00Z`, `2024-09-04T13:23:00.5+02:00`), Unix seconds with
/// fractions (`1725449000.5`), `now`, and `now-1h` / `now+30m`; durations are
/// Prometheus style (`90s`, `5m`, `1h30m`, `1d`, `250ms`).
package enum TimeSpec {
    /// Current time in Unix milliseconds.
    package static func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// A time as Unix milliseconds, or nil when `s` is not one of the accepted forms.
    package static func parse(_ s: String, now: Int64 = nowMilliseconds()) -> Int64? {
        if s == "now" { return now }
        if s.hasPrefix("now-") || s.hasPrefix("now+") {
            guard let d = parseDuration(String(s.dropFirst(4))) else { return nil }
            return s.hasPrefix("now-") ? now - d : now + d
        }
        if let ms = parseUnixSeconds(s) { return ms }
        return parseRFC3339(s)
    }

    /// `1725449000.5` → 1725449000500 (exact: digits are parsed, not rounded through a Double).
    static func parseUnixSeconds(_ s: String) -> Int64? {
        var u = Substring(s).utf8[...]
        var neg = false
        if u.first == UInt8(ascii: "-") { neg = true; u = u.dropFirst() }
        guard !u.isEmpty else { return nil }
        var sec: Int64 = 0
        var ms: Int64 = 0
        var fracDigits = 0
        var seenDot = false
        var digits = 0
        for b in u {
            if b == UInt8(ascii: ".") {
                if seenDot { return nil }
                seenDot = true
                continue
            }
            guard b >= 48 && b <= 57 else { return nil }
            let d = Int64(b - 48)
            if seenDot {
                if fracDigits < 3 { ms = ms * 10 + d }
                fracDigits += 1
            } else {
                digits += 1
                guard digits <= 12 else { return nil }
                sec = sec * 10 + d
            }
        }
        guard digits > 0 else { return nil }
        while fracDigits < 3 { ms *= 10; fracDigits += 1 }
        let v = sec * 1000 + ms
        return neg ? -v : v
    }

    /// RFC 3339 with `T` or a space, optional fraction, `Z` or `±hh:mm`.
    package static func parseRFC3339(_ s: String) -> Int64? {
        let b = Array(s.utf8)
        func num(_ i: Int, _ n: Int) -> Int64? {
            guard i + n <= b.count else { return nil }
            var v: Int64 = 0
            for k in i..<i + n {
                guard b[k] >= 48 && b[k] <= 57 else { return nil }
                v = v * 10 + Int64(b[k] - 48)
            }
            return v
        }
        guard b.count >= 19, let y = num(0, 4), b[4] == 45, let mo = num(5, 2), b[7] == 45, let d = num(8, 2),
            b[10] == 84 || b[10] == 116 || b[10] == 32, let h = num(11, 2), b[13] == 58, let mi = num(14, 2),
            b[16] == 58, let se = num(17, 2), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, se < 61
        else { return nil }
        var i = 19
        var ms: Int64 = 0
        if i < b.count && b[i] == 46 {
            i += 1
            var k = 0
            while i < b.count && b[i] >= 48 && b[i] <= 57 {
                if k < 3 { ms = ms * 10 + Int64(b[i] - 48) }
                k += 1
                i += 1
            }
            guard k > 0 else { return nil }
            while k < 3 { ms *= 10; k += 1 }
        }
        var offset: Int64 = 0
        if i < b.count && (b[i] == 90 || b[i] == 122) {
            i += 1
        } else if i < b.count && (b[i] == 43 || b[i] == 45) {
            guard let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == 58, let om = num(i + 4, 2) else { return nil }
            offset = (oh * 60 + om) * 60 * (b[i] == 43 ? 1 : -1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(y, mo, d)
        return ((days * 86400 + h * 3600 + mi * 60 + se) - offset) * 1000 + ms
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// A Prometheus duration (`1h30m`, `90s`, `250ms`, `2d`, `1w`, `1y`, or `0`) in milliseconds,
    /// as Prometheus's `model.ParseDuration` reads it (units largest first).
    package static func parseDuration(_ s: String) -> Int64? {
        if s == "0" { return 0 }
        let b = Array(s.utf8)
        guard !b.isEmpty else { return nil }
        var i = 0
        var total: Int64 = 0
        var lastUnit = Int64.max
        while i < b.count {
            var v: Int64 = 0
            var nd = 0
            while i < b.count && b[i] >= 48 && b[i] <= 57 {
                v = v * 10 + Int64(b[i] - 48)
                nd += 1
                i += 1
                if nd > 15 { return nil }
            }
            guard nd > 0, i < b.count else { return nil }
            let unit: Int64
            if b[i] == 109 && i + 1 < b.count && b[i + 1] == 115 { unit = 1; i += 2 }  // ms
            else {
                switch b[i] {
                case 115: unit = 1000
                case 109: unit = 60_000
                case 104: unit = 3_600_000
                case 100: unit = 86_400_000
                case 119: unit = 604_800_000
                case 121: unit = 31_536_000_000
                default: return nil
                }
                i += 1
            }
            guard unit < lastUnit else { return nil }  // units must go from largest to smallest
            lastUnit = unit
            total += v * unit
        }
        return total
    }

    /// Milliseconds as RFC 3339 UTC with millisecond precision when needed.
    package static func formatRFC3339(_ ms: Int64) -> String { Timestamp.milliseconds(ms).description }
}
