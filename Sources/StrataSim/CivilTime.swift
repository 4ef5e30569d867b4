/// Calendar fields of a Unix time in UTC, and the timestamp spellings of each log format.
/// Internally the simulator counts microseconds since the Unix epoch.
struct CivilTime {
    var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    /// Microseconds within the second.
    var micros: Int

    init(micros t: Int64) {
        var secs = t / 1_000_000
        var us = t % 1_000_000
        if us < 0 {
            us += 1_000_000
            secs -= 1
        }
        micros = Int(us)
        var days = secs / 86_400
        var rem = secs % 86_400
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        hour = Int(rem / 3600)
        minute = Int(rem % 3600 / 60)
        second = Int(rem % 60)
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = Int(doy - (153 * mp + 2) / 5 + 1)
        month = Int(mp < 10 ? mp + 3 : mp - 9)
        year = Int(yoe + era * 400) + (month <= 2 ? 1 : 0)
    }
}

private let monthNames: [StaticString] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
]

extension LineBytes {
    /// `2019-11-19 21:22:13` (separator `sep` between date and time).
    mutating func dateTime(_ c: CivilTime, separator sep: UInt8 = 0x20) {
        int(c.year, width: 4)
        byte(0x2D)
        int(c.month, width: 2)
        byte(0x2D)
        int(c.day, width: 2)
        byte(sep)
        int(c.hour, width: 2)
        byte(0x3A)
        int(c.minute, width: 2)
        byte(0x3A)
        int(c.second, width: 2)
    }

    /// oslo.log, rabbitmq: `2019-11-19 21:22:13.166`.
    mutating func timeMillis(_ t: Int64) {
        let c = CivilTime(micros: t)
        dateTime(c)
        byte(0x2E)
        int(c.micros / 1000, width: 3)
    }

    /// osprofiler: `2019-11-19T21:22:13.166326`.
    mutating func timeISOMicros(_ t: Int64) {
        let c = CivilTime(micros: t)
        dateTime(c, separator: UInt8(ascii: "T"))
        byte(0x2E)
        int(c.micros, width: 6)
    }

    /// ovs-vswitchd: `2019-11-19T21:22:13.166Z`.
    mutating func timeOVS(_ t: Int64) {
        let c = CivilTime(micros: t)
        dateTime(c, separator: UInt8(ascii: "T"))
        byte(0x2E)
        int(c.micros / 1000, width: 3)
        byte(UInt8(ascii: "Z"))
    }

    /// RFC 3164 syslog: `Nov  9 21:22:13` (day padded with a space).
    mutating func timeSyslog(_ t: Int64) {
        let c = CivilTime(micros: t)
        ascii(monthNames[c.month - 1])
        byte(0x20)
        if c.day < 10 { byte(0x20) }
        int(c.day)
        byte(0x20)
        int(c.hour, width: 2)
        byte(0x3A)
        int(c.minute, width: 2)
        byte(0x3A)
        int(c.second, width: 2)
    }

    /// Seconds with milliseconds, for OpenMetrics timestamps: `1574197200.000`.
    mutating func unixSecondsMillis(_ t: Int64) {
        let ms = t / 1000
        int(Int(ms / 1000))
        byte(0x2E)
        int(Int(ms % 1000), width: 3)
    }
}
