#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A point in time: nanoseconds since the Unix epoch (1970-01-01T00:00:00Z), in one `Int64`.
///
/// The one time type of the embedding API. Samples, log records, spans and queries take and
/// return it, whatever unit a store keeps on disk (the metric store keeps Unix milliseconds, the
/// log store nanoseconds, the trace store microseconds; converting happens at the API's edge).
/// Build one with an explicit unit, read it back in any unit:
///
/// ```swift
/// let t = Timestamp.milliseconds(1_700_000_000_000)
/// t.nanoseconds                          // 1_700_000_000_000_000_000
/// t + .seconds(90)                       // 2023-11-14T22:14:50Z
/// Timestamp.seconds(1.5).milliseconds    // 1_500
/// ```
///
/// Range: an `Int64` of nanoseconds reaches about 292 years either side of 1970, from
/// 1677-09-21T00:12:43.145224192Z (`distantPast`) to 2262-04-11T23:47:16.854775807Z
/// (`distantFuture`). The constructors and the arithmetic clamp a result outside it to those two
/// ends, which the stores take for open bounds. Read-outs in a coarser unit round down, toward
/// the past also before 1970: `Timestamp.nanoseconds(-1).milliseconds == -1`.
@frozen
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the Unix epoch.
    public let nanoseconds: Int64

    @usableFromInline
    init(rawNanoseconds: Int64) { nanoseconds = rawNanoseconds }

    /// The earliest representable time, 1677-09-21T00:12:43.145224192Z: an open lower bound.
    public static let distantPast = Timestamp(rawNanoseconds: .min)
    /// The latest representable time, 2262-04-11T23:47:16.854775807Z: an open upper bound.
    public static let distantFuture = Timestamp(rawNanoseconds: .max)

    /// `value` nanoseconds since the epoch (clamped to the range).
    @inlinable
    public static func nanoseconds<I: BinaryInteger>(_ value: I) -> Timestamp {
        Timestamp(rawNanoseconds: Int64(clamping: value))
    }

    /// `value` microseconds since the epoch (clamped to the range).
    @inlinable
    public static func microseconds<I: BinaryInteger>(_ value: I) -> Timestamp { scaled(Int64(clamping: value), 1_000) }

    /// `value` milliseconds since the epoch (clamped to the range).
    @inlinable
    public static func milliseconds<I: BinaryInteger>(_ value: I) -> Timestamp { scaled(Int64(clamping: value), 1_000_000) }

    /// `value` seconds since the epoch (clamped to the range).
    @inlinable
    public static func seconds<I: BinaryInteger>(_ value: I) -> Timestamp { scaled(Int64(clamping: value), 1_000_000_000) }

    /// `value` seconds since the epoch, rounded to the nearest nanosecond (a `Double` holds about
    /// 16 significant digits: today's times are exact to a fraction of a microsecond). Clamped to
    /// the range; `value` must not be NaN.
    @inlinable
    public static func seconds(_ value: Double) -> Timestamp {
        precondition(!value.isNaN, "Timestamp.seconds(_:) of NaN")
        if value >= 0x1p34 { return .distantFuture }  // 2^34 s is beyond 2262 (and -2^34 before 1677)
        if value <= -0x1p34 { return .distantPast }
        let whole = value.rounded(.down)
        // The whole seconds and the fraction apart, so that an exact input (1_700_000_000.25) stays exact.
        let fraction = Int64(((value - whole) * 1e9).rounded())
        let (ns, overflow) = Int64(whole).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return whole < 0 ? .distantPast : .distantFuture }
        let (sum, overflow2) = ns.addingReportingOverflow(fraction)
        if overflow2 { return whole < 0 ? .distantPast : .distantFuture }
        return Timestamp(rawNanoseconds: sum)
    }

    @inlinable
    static func scaled(_ value: Int64, _ unit: Int64) -> Timestamp {
        let (product, overflow) = value.multipliedReportingOverflow(by: unit)
        if overflow { return value < 0 ? .distantPast : .distantFuture }
        return Timestamp(rawNanoseconds: product)
    }

    /// Microseconds since the epoch, rounded down.
    @inlinable public var microseconds: Int64 { Self.floorDivide(nanoseconds, 1_000) }

    /// Milliseconds since the epoch, rounded down.
    @inlinable public var milliseconds: Int64 { Self.floorDivide(nanoseconds, 1_000_000) }

    /// The current time of the system's real-time clock.
    public static var now: Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return .nanoseconds(Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }

    @inlinable
    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.nanoseconds < b.nanoseconds }

    /// `t` moved by `d` (rounded to the nearest nanosecond), clamped to the range.
    @inlinable
    public static func + (t: Timestamp, d: Duration) -> Timestamp {
        let (sum, overflow) = t.nanoseconds.addingReportingOverflow(d.clampedNanoseconds)
        if overflow { return sum < 0 ? .distantFuture : .distantPast }
        return Timestamp(rawNanoseconds: sum)
    }

    /// `t` moved back by `d`, clamped to the range.
    @inlinable
    public static func - (t: Timestamp, d: Duration) -> Timestamp { t + (.zero - d) }

    /// The time from `b` to `a` (negative when `a` is earlier).
    @inlinable
    public static func - (a: Timestamp, b: Timestamp) -> Duration {
        .nanoseconds(a.nanoseconds) - .nanoseconds(b.nanoseconds)
    }

    @inlinable
    public static func += (t: inout Timestamp, d: Duration) { t = t + d }

    @inlinable
    public static func -= (t: inout Timestamp, d: Duration) { t = t - d }

    /// RFC 3339 in UTC, with as many fraction digits as the value needs (none, 3, 6 or 9):
    /// `2023-11-14T22:13:20Z`, `2023-11-14T22:13:20.250Z`, `1969-12-31T23:59:59.999999999Z`.
    public var description: String {
        let seconds = Self.floorDivide(nanoseconds, 1_000_000_000)
        let fraction = nanoseconds &- seconds &* 1_000_000_000
        let days = Self.floorDivide(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        // Civil date from days since the epoch (H. Hinnant's days_from_civil, inverted).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        var s = Self.digits(year, 4) + "-" + Self.digits(month, 2) + "-" + Self.digits(day, 2)
        s += "T" + Self.digits(secondOfDay / 3600, 2) + ":" + Self.digits(secondOfDay / 60 % 60, 2)
        s += ":" + Self.digits(secondOfDay % 60, 2)
        if fraction != 0 {
            if fraction % 1_000_000 == 0 {
                s += "." + Self.digits(fraction / 1_000_000, 3)
            } else if fraction % 1_000 == 0 {
                s += "." + Self.digits(fraction / 1_000, 6)
            } else {
                s += "." + Self.digits(fraction, 9)
            }
        }
        return s + "Z"
    }

    private static func digits(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// `a / b` rounded toward negative infinity (`b > 0`).
    @inlinable
    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return a % b < 0 ? q - 1 : q
    }
}

// The conversions the stores' entry points make at the API's edge, to and from their native units.
extension Timestamp {
    /// `self` in units of `unit` nanoseconds as one end of a raw range: rounded up for
    /// `roundingUp` (an inclusive start or an exclusive end), else down (an inclusive end), with
    /// `distantPast` and `distantFuture` mapped to `Int64.min` and `.max` so that an open bound
    /// stays open in any unit.
    @inlinable
    package func rawBound(unit: Int64, roundingUp: Bool) -> Int64 {
        if self == .distantPast { return .min }
        if self == .distantFuture { return .max }
        let down = Self.floorDivide(nanoseconds, unit)
        return roundingUp && down &* unit != nanoseconds ? down + 1 : down
    }
}

extension Duration {
    /// Nanoseconds, rounded to the nearest (so `.seconds(2.4)`, 2.39999999999999993 s, is
    /// 2_400_000_000), clamped to `Int64`.
    @inlinable
    package var clampedNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (whole, rest) = attoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        let fraction = whole + (rest >= 500_000_000 ? 1 : rest <= -500_000_000 ? -1 : 0)
        let (sum, overflow2) = ns.addingReportingOverflow(fraction)
        if overflow2 { return seconds < 0 ? .min : .max }
        return sum
    }

    /// Whole units of `unit` nanoseconds, rounded down or up (the raw durations and steps of the
    /// stores and engines: 1_000 for µs, 1_000_000 for ms).
    @inlinable
    package func rawUnits(_ unit: Int64, roundingUp: Bool = false) -> Int64 {
        let ns = clampedNanoseconds
        let down = Timestamp.floorDivide(ns, unit)
        return roundingUp && down &* unit != ns ? down + 1 : down
    }
}

extension Duration {
    /// The duration in seconds, as a `Double` (for reports).
    package var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
