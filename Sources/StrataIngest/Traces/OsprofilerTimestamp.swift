/// osprofiler's timestamp format, `%Y-%m-%dT%H:%M:%S.%f` in UTC, as microseconds since the epoch.
///
/// Accepted: 0 to 6 fraction digits (`.%f` may be absent), an optional trailing `Z`, a
/// space instead of `T`. Years outside 1970...2200 are refused as out of range.
public enum OsprofilerTimestamp {
    /// Parses the timestamp bytes; nil when they are not one (or out of range).
    @inlinable
    public static func parse(_ b: UnsafeRawBufferPointer) -> Int64? {
        let n = b.count
        guard n >= 19 else { return nil }
        @inline(__always) func digits(_ at: Int, _ count: Int) -> Int? {
            var v = 0
            for k in at..<(at &+ count) {
                let c = b[k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v &* 10 &+ Int(c &- 0x30)
            }
            return v
        }
        guard b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T") || b[10] == 0x20,
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
            let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
            let hour = digits(11, 2), let minute = digits(14, 2), let second = digits(17, 2)
        else { return nil }
        guard year >= 1970, year <= 2200, month >= 1, month <= 12, day >= 1, day <= daysIn(month, year), hour < 24,
            minute < 60, second < 61
        else { return nil }
        var micros = 0
        var end = n
        if b[n &- 1] == UInt8(ascii: "Z") { end = n &- 1 }
        if end > 19 {
            guard b[19] == UInt8(ascii: "."), end > 20, end - 20 <= 9 else { return nil }
            var scale = 100_000
            for k in 20..<end {
                let c = b[k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                micros &+= Int(c &- 0x30) &* scale
                scale /= 10
            }
        }
        let days = daysFromCivil(year, month, day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return seconds * 1_000_000 + Int64(micros)
    }

    /// Parses a String timestamp.
    public static func parse(_ text: String) -> Int64? {
        var copy = text
        return copy.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// Formats microseconds as `%Y-%m-%dT%H:%M:%S.%f` (six fraction digits, no zone).
    public static func format(_ micros: Int64) -> String {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let frac = Int(micros - seconds * 1_000_000)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rem = Int(seconds - days * 86_400)
        let (y, m, d) = civilFromDays(Int(days))
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rem / 3600, 2)):\(pad(rem / 60 % 60, 2)):\(pad(rem % 60, 2)).\(pad(frac, 6))"
    }

    @usableFromInline
    static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    @usableFromInline
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
