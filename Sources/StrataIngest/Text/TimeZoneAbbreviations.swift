/// Fixed UTC offsets for time zone names found in text timestamps, and civil-date arithmetic.
///
/// An abbreviation is taken at face value: `CEST` is always +02:00, even where the writer put
/// it on a winter date. Ambiguous names resolve to the most common meaning (documented in
/// Docs/ingest-formats.md): `IST` India (+05:30), `CST` US Central (-06:00), `BST` British
/// Summer Time (+01:00).
enum TimeZoneAbbreviations {
    /// Seconds east of UTC for an upper-case abbreviation.
    static let offsets: [String: Int] = [
        "UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "WET": 0,
        "WEST": 3600, "CET": 3600, "MET": 3600, "BST": 3600,
        "CEST": 7200, "MEST": 7200, "EET": 7200, "SAST": 7200,
        "EEST": 10800, "MSK": 10800,
        "IST": 19800,
        "CST": -21600, "CDT": -18000,
        "EST": -18000, "EDT": -14400,
        "MST": -25200, "MDT": -21600,
        "PST": -28800, "PDT": -25200,
        "AKST": -32400, "AKDT": -28800, "HST": -36000,
        "JST": 32400, "KST": 32400,
        "AWST": 28800, "ACST": 34200, "ACDT": 37800, "AEST": 36000, "AEDT": 39600,
        "NZST": 43200, "NZDT": 46800,
    ]

    /// Seconds east of UTC for a zone token: an abbreviation above, `Z`, or a numeric offset
    /// `+HH`, `+HHMM` or `+HH:MM` (also `UTC+02:00`/`GMT-5` forms). Nil when not understood.
    static func offset(of token: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !token.isEmpty else { return nil }
        let first = token[0]
        if first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            return numericOffset(token)
        }
        // Letters, optionally followed by a numeric offset (UTC+2).
        var letters = 0
        while letters < token.count, token[letters] | 0x20 >= UInt8(ascii: "a"),
            token[letters] | 0x20 <= UInt8(ascii: "z")
        {
            letters += 1
        }
        let name = String(decoding: token[..<letters], as: UTF8.self).uppercased()
        if letters == token.count { return offsets[name] }
        guard name == "UTC" || name == "GMT" else { return nil }
        return numericOffset(UnsafeBufferPointer(rebasing: token[letters...]))
    }

    private static func numericOffset(_ t: UnsafeBufferPointer<UInt8>) -> Int? {
        guard t.count >= 2 else { return nil }
        let sign = t[0] == UInt8(ascii: "-") ? -1 : 1
        guard t[0] == UInt8(ascii: "+") || t[0] == UInt8(ascii: "-") else { return nil }
        var digits: [Int] = []
        var colon = false
        for k in 1..<t.count {
            let c = t[k]
            if c == UInt8(ascii: ":") && digits.count == 2 && !colon {
                colon = true
                continue
            }
            guard c &- 0x30 < 10 else { return nil }
            digits.append(Int(c &- 0x30))
        }
        let hours: Int
        var minutes = 0
        switch digits.count {
        case 1: hours = digits[0]
        case 2: hours = digits[0] * 10 + digits[1]
        case 4:
            hours = digits[0] * 10 + digits[1]
            minutes = digits[2] * 10 + digits[3]
        default: return nil
        }
        if colon && digits.count != 4 { return nil }
        guard hours <= 18, minutes < 60 else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
