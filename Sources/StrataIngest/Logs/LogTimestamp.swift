/// Reading the timestamps log formats print, straight from bytes, as nanoseconds since the epoch (UTC).
///
/// Times without a zone (oslo.log, mysqld, rabbitmq, syslog RFC 3164) are read as UTC: the
/// simulator and the seed testbed log in UTC. Fractions past the nanosecond are truncated.
enum LogTimestamp {
    /// Days from 1970-01-01 to the civil date (proleptic Gregorian; Howard Hinnant's algorithm).
    @inline(__always)
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The value of `count` ASCII digits at `i`, or nil.
    @inline(__always)
    static func digits(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ count: Int) -> Int? {
        guard i >= 0, i + count <= p.count else { return nil }
        var v = 0
        for k in i..<(i + count) {
            let d = Int(p[k]) &- 48
            guard d >= 0 && d <= 9 else { return nil }
            v = v * 10 + d
        }
        return v
    }

    /// Nanoseconds for a checked civil date and time; nil when a field is out of range.
    @inline(__always)
    static func nanoseconds(
        year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, nanos: Int = 0
    ) -> Int64? {
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60 else { return nil }
        let days = daysFromCivil(year, month, day)
        return (Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)) * 1_000_000_000 + Int64(nanos)
    }

    /// `.fff...` at `i` (the dot included): the nanoseconds and the index after the digits.
    /// Without a dot, zero and `i`.
    @inline(__always)
    static func fraction(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (nanos: Int, end: Int) {
        guard i < p.count, p[i] == UInt8(ascii: "."), i + 1 < p.count else { return (0, i) }
        var j = i + 1
        var nanos = 0
        var scale = 100_000_000
        while j < p.count, p[j] >= 48, p[j] <= 57 {
            nanos += Int(p[j] - 48) * scale
            scale /= 10
            j += 1
        }
        return j == i + 1 ? (0, i) : (nanos, j)
    }

    /// `YYYY-MM-DD?HH:MM:SS[.f...]` at `i` where `?` is a space or `T`; the time and the index after it.
    static func isoDateTime(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (ns: Int64, end: Int)? {
        guard i + 19 <= p.count,
            p[i + 4] == UInt8(ascii: "-"), p[i + 7] == UInt8(ascii: "-"),
            p[i + 10] == UInt8(ascii: " ") || p[i + 10] == UInt8(ascii: "T"),
            p[i + 13] == UInt8(ascii: ":"), p[i + 16] == UInt8(ascii: ":"),
            let year = digits(p, i, 4), let month = digits(p, i + 5, 2), let day = digits(p, i + 8, 2),
            let hour = digits(p, i + 11, 2), let minute = digits(p, i + 14, 2), let second = digits(p, i + 17, 2)
        else { return nil }
        let (nanos, end) = fraction(p, i + 19)
        guard let ns = nanoseconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second, nanos: nanos)
        else { return nil }
        return (ns, end)
    }

    /// A zone after an ISO time at `i`: `Z`, `+hh:mm`, `+hhmm`, `+hh`; the offset in seconds east of
    /// UTC and the index after it. No zone gives (0, i).
    static func zone(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (seconds: Int, end: Int) {
        guard i < p.count else { return (0, i) }
        if p[i] == UInt8(ascii: "Z") { return (0, i + 1) }
        guard p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-"), let h = digits(p, i + 1, 2) else { return (0, i) }
        let sign = p[i] == UInt8(ascii: "-") ? -1 : 1
        var j = i + 3
        var m = 0
        if j < p.count, p[j] == UInt8(ascii: ":"), let mm = digits(p, j + 1, 2) {
            m = mm
            j += 3
        } else if let mm = digits(p, j, 2) {
            m = mm
            j += 2
        }
        return (sign * (h * 3600 + m * 60), j)
    }

    /// An RFC 3339 / ISO 8601 time with an optional zone (none = UTC).
    static func iso8601(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (ns: Int64, end: Int)? {
        guard let (ns, end) = isoDateTime(p, i) else { return nil }
        let (offset, zoneEnd) = zone(p, end)
        return (ns - Int64(offset) * 1_000_000_000, zoneEnd)
    }

    /// `Jan`...`Dec` at `i` → 1...12.
    static func monthAbbreviation(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        guard i + 3 <= p.count else { return nil }
        let key = UInt32(p[i] | 0x20) << 16 | UInt32(p[i + 1] | 0x20) << 8 | UInt32(p[i + 2] | 0x20)
        switch key {
        case 0x6A616E: return 1  // jan
        case 0x666562: return 2  // feb
        case 0x6D6172: return 3  // mar
        case 0x617072: return 4  // apr
        case 0x6D6179: return 5  // may
        case 0x6A756E: return 6  // jun
        case 0x6A756C: return 7  // jul
        case 0x617567: return 8  // aug
        case 0x736570: return 9  // sep
        case 0x6F6374: return 10  // oct
        case 0x6E6F76: return 11  // nov
        case 0x646563: return 12  // dec
        default: return nil
        }
    }

    /// RFC 3164 `Mmm dd hh:mm:ss` (day space-padded) in `year`; the time and the index after it.
    static func bsdSyslog(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, year: Int) -> (ns: Int64, end: Int)? {
        guard i + 15 <= p.count, let month = monthAbbreviation(p, i), p[i + 3] == UInt8(ascii: " "),
            p[i + 9] == UInt8(ascii: ":"), p[i + 12] == UInt8(ascii: ":"),
            let hour = digits(p, i + 7, 2), let minute = digits(p, i + 10, 2), let second = digits(p, i + 13, 2)
        else { return nil }
        let day: Int
        if p[i + 4] == UInt8(ascii: " "), let d = digits(p, i + 5, 1) { day = d } else if let d = digits(p, i + 4, 2) {
            day = d
        } else {
            return nil
        }
        guard p[i + 6] == UInt8(ascii: " ") else { return nil }
        let (nanos, end) = fraction(p, i + 15)
        guard let ns = nanoseconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second, nanos: nanos)
        else { return nil }
        return (ns, end)
    }

    /// The civil year of a time in nanoseconds.
    static func year(ofNanoseconds ns: Int64) -> Int {
        let days = Int((ns / 1_000_000_000 - (ns % 1_000_000_000 < 0 ? 1 : 0)) / 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let month = mp < 10 ? mp + 3 : mp - 9
        return yoe + era * 400 + (month <= 2 ? 1 : 0)
    }
}
