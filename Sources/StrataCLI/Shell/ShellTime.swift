import Strata
import StrataCLIKit

/// The time a bare query is evaluated at: one instant, or a range with a step (`\time`).
/// Relative points (`now`, `now-1h`) are resolved afresh for every query.
enum ShellTime: Equatable {
    /// A moment: `now` plus an offset (ms, usually negative) or an absolute Unix time (ms).
    enum Point: Equatable {
        case now(offset: Int64)
        case absolute(Int64)

        func resolve(now: Int64) -> Int64 {
            switch self {
            case .now(let offset): now + offset
            case .absolute(let t): t
            }
        }

        var text: String {
            switch self {
            case .now(let o): o == 0 ? "now" : "now" + (o < 0 ? "-" : "+") + DurationText.format(abs(o))
            case .absolute(let t): TimeSpec.formatRFC3339(t)
            }
        }

        /// `now`, `now-1h`, `-1h` (same as `now-1h`), RFC 3339 or Unix seconds.
        static func parse(_ s: String) -> Point? {
            if s == "now" { return .now(offset: 0) }
            var rel = s
            if rel.hasPrefix("now") { rel.removeFirst(3) }
            if rel.hasPrefix("-") || rel.hasPrefix("+"), let d = TimeSpec.parseDuration(String(rel.dropFirst())) {
                return .now(offset: rel.hasPrefix("-") ? -d : d)
            }
            return TimeSpec.parse(s, now: 0).map { .absolute($0) }
        }
    }

    case instant(Point)
    /// `step` nil: about 250 points over the range, at least one second.
    case range(Point, Point, step: Int64?)

    /// What a query runs over, with every point resolved.
    enum Resolved: Equatable {
        case instant(Int64)
        case range(start: Int64, end: Int64, step: Int64)
    }

    func resolve(now: Int64) -> Resolved {
        switch self {
        case .instant(let p):
            return .instant(p.resolve(now: now))
        case .range(let a, let b, let step):
            let s = a.resolve(now: now), e = b.resolve(now: now)
            return .range(start: s, end: e, step: step ?? Self.autoStep(start: s, end: e))
        }
    }

    static func autoStep(start: Int64, end: Int64) -> Int64 {
        let raw = max(1000, (end - start) / 250)
        return (raw + 999) / 1000 * 1000
    }

    /// Parses the argument of `\time`: `now`, `-1h`, `2024-09-04T11:23:00Z`, or `A..B [step D]`.
    /// - Throws: a one-line message naming the part that is wrong.
    static func parse(_ text: String) throws(ShellError) -> ShellTime {
        let words = text.split(separator: " ").map(String.init)
        guard let first = words.first else {
            throw ShellError("\\time needs a time, e.g. \\time now or \\time -1h..now step 1m")
        }
        let parts = first.split(separator: "..", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            guard words.count == 1 else {
                throw ShellError("unexpected '\(words[1])' after the time; a range is written A..B [step D]")
            }
            guard let p = Point.parse(first) else { throw ShellError(Self.badTime(first)) }
            return .instant(p)
        }
        let a = String(parts[0]), b = String(parts[1])
        guard let start = Point.parse(a) else { throw ShellError(Self.badTime(a)) }
        guard let end = Point.parse(b.isEmpty ? "now" : b) else { throw ShellError(Self.badTime(b)) }
        var step: Int64?
        if words.count > 1 {
            guard words[1] == "step", words.count == 3 else {
                throw ShellError(
                    "expected 'step <duration>' after the range, found '\(words.dropFirst().joined(separator: " "))'")
            }
            guard let d = QueryCommand.parseStep(words[2]) else {
                throw ShellError("invalid step '\(words[2])' (use a duration such as 15s or 1m)")
            }
            step = d
        }
        let probe = ShellTime.range(start, end, step: step).resolve(now: TimeSpec.nowMilliseconds())
        if case .range(let s, let e, let st) = probe {
            guard e >= s else { throw ShellError("the range ends (\(b)) before it starts (\(a))") }
            guard (e - s) / st <= 11_000 else {
                throw ShellError(
                    "more than 11,000 points per series at step \(DurationText.format(st)); use a larger step")
            }
        }
        return .range(start, end, step: step)
    }

    private static func badTime(_ s: String) -> String {
        "invalid time '\(s)' (use now, -1h, now-30m, RFC 3339 such as 2024-09-04T11:23:00Z, or Unix seconds)"
    }

    /// How `\time` shows the setting, e.g. `range now-1h..now, step 14s (auto)`.
    func describe(now: Int64) -> String {
        switch self {
        case .instant(let p):
            let t = TimeSpec.formatRFC3339(p.resolve(now: now))
            return p == .now(offset: 0)
                ? "instant queries at now (\(t))" : "instant queries at \(p.text)" + (p.text == t ? "" : " (\(t))")
        case .range(let a, let b, let step):
            guard case .range(let s, let e, let st) = resolve(now: now) else { return "" }
            return "range \(a.text)..\(b.text), step \(DurationText.format(st))\(step == nil ? " (auto)" : "")"
                + " (\(TimeSpec.formatRFC3339(s)) to \(TimeSpec.formatRFC3339(e)))"
        }
    }
}

/// Milliseconds as a Prometheus-style duration: `1h30m`, `15s`, `250ms`.
enum DurationText {
    static func format(_ ms: Int64) -> String {
        if ms == 0 { return "0s" }
        var rest = ms
        var out = ""
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)]
        where rest >= size {
            out += "\(rest / size)\(unit)"
            rest %= size
        }
        return out
    }
}

/// A problem with one shell command or query: printed as one line (or a caret block), the shell goes on.
struct ShellError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
