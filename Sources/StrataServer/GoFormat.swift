import StrataLabels
import StrataRules

/// Values written the way Prometheus's Go code writes them in the rules and alerts APIs, so that
/// clients comparing text (Grafana, scripts) see the same thing.
enum GoFormat {
    /// Go's `time.Time` in JSON (RFC 3339 with the fraction's trailing zeros dropped), UTC; nil is
    /// Go's zero time, `0001-01-01T00:00:00Z`.
    static func time(_ ms: Int64?) -> String {
        guard let ms else { return "0001-01-01T00:00:00Z" }
        var s = Timestamp.milliseconds(ms).description
        // "….150Z" → "….15Z".
        if s.hasSuffix("Z"), let dot = s.lastIndex(of: ".") {
            s.removeLast()
            while s.hasSuffix("0") { s.removeLast() }
            if s.index(before: s.endIndex) == dot { s.removeLast() }
            s += "Z"
        }
        return s
    }

    /// go-openapi's `strfmt.DateTime`, what Prometheus's notifier sends: RFC 3339 in UTC with
    /// exactly three fraction digits (`2026-12-07T17:11:32.770Z`).
    static func dateTime(_ ms: Int64) -> String {
        let whole = Timestamp.milliseconds(ms - ((ms % 1000) + 1000) % 1000).description
        let frac = ((ms % 1000) + 1000) % 1000
        let digits = String(frac)
        return String(whole.dropLast()) + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// Go's `strconv.FormatFloat(v, 'e', -1, 64)`: the shortest digits that read back as `v`, in
    /// scientific form (`1e+00`, `2.5e-03`), `NaN`, `+Inf`, `-Inf`.
    static func exponent(_ v: Double) -> String { GoFloat.format(v, UInt8(ascii: "e"), -1) }

    /// Go's `time.Duration.Seconds()` for a whole number of milliseconds, as JSON writes a float64.
    static func seconds(_ ms: Int64) -> String { number(Double(ms) / 1000) }

    /// A float64 as Go's encoding/json writes it: the shortest digits, in plain notation, except
    /// below 1e-6 and from 1e21 on (`1e-07`, exponent without a leading zero: `1e-7`).
    static func number(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        if v == 0 { return "0" }
        let a = abs(v)
        if a < 1e-6 || a >= 1e21 {
            var s = exponent(v)
            // Go's encoding/json turns "e-07" into "e-7".
            if let e = s.firstIndex(of: "e") {
                let mant = s[..<e]
                let esign = s[s.index(after: e)]
                var rest = s[s.index(e, offsetBy: 2)...]
                while rest.count > 1 && rest.first == "0" { rest = rest.dropFirst() }
                s = mant + "e" + String(esign) + rest
            }
            return s
        }
        return GoFloat.format(v, UInt8(ascii: "f"), -1)
    }
}
