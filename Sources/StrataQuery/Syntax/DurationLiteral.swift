/// Prometheus durations (`model.ParseDuration` / `model.Duration.String`): `1y2w3d4h5m6s7ms`,
/// units from largest to smallest, each at most once; `0` alone is allowed.
package enum DurationLiteral {
    private static let units: [(name: String, nanoseconds: UInt64)] = [
        ("y", 365 * 86_400 * 1_000_000_000), ("w", 7 * 86_400 * 1_000_000_000), ("d", 86_400 * 1_000_000_000),
        ("h", 3_600 * 1_000_000_000), ("m", 60 * 1_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000),
    ]

    /// The duration in milliseconds, or Prometheus's error message.
    package static func parse(_ text: String) -> Result<Int64, DurationError> {
        if text == "0" { return .success(0) }
        if text.isEmpty { return .failure(DurationError(message: "empty duration string")) }
        let invalid = DurationError(message: "not a valid duration string: \(GoQuote.string(text))")
        let b = Array(text.utf8)
        var i = 0
        var total: UInt64 = 0
        var lastUnit = -1
        while i < b.count {
            guard ASCII.isDigit(b[i]) else { return .failure(invalid) }
            var v: UInt64 = 0
            while i < b.count, ASCII.isDigit(b[i]) {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(b[i] - UInt8(ascii: "0")))
                if o1 || o2 { return .failure(invalid) }
                v = a
                i += 1
            }
            let unitStart = i
            while i < b.count, !ASCII.isDigit(b[i]) { i += 1 }
            if i == unitStart { return .failure(invalid) }
            let unit = String(decoding: b[unitStart..<i], as: UTF8.self)
            guard let index = units.firstIndex(where: { $0.name == unit }) else {
                return .failure(DurationError(message: "unknown unit \(GoQuote.string(unit)) in duration \(GoQuote.string(text))"))
            }
            if index <= lastUnit { return .failure(invalid) }
            lastUnit = index
            let mult = units[index].nanoseconds
            if v > (UInt64(1) << 63) / mult { return .failure(DurationError(message: "duration out of range")) }
            total += v * mult
            if total > UInt64(Int64.max) { return .failure(DurationError(message: "duration out of range")) }
        }
        return .success(Int64(total / 1_000_000))
    }

    /// `model.Duration.String`: `1h30m`, `90d` (years and weeks only when exact), `0s` for zero.
    /// Negative durations print with a leading `-`.
    package static func format(milliseconds: Int64) -> String {
        if milliseconds == 0 { return "0s" }
        if milliseconds < 0 { return "-" + format(milliseconds: milliseconds == .min ? .max : -milliseconds) }
        var ms = milliseconds
        var out = ""
        for (name, ns) in units {
            let mult = Int64(ns / 1_000_000)
            if (name == "y" || name == "w") && ms % mult != 0 { continue }
            let v = ms / mult
            if v > 0 {
                out += "\(v)\(name)"
                ms -= v * mult
            }
        }
        return out
    }
}

/// Why a duration literal is invalid.
package struct DurationError: Error, Sendable {
    package var message: String
}
