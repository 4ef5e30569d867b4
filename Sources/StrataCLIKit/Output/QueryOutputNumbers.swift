import StrataQuery

extension QueryOutput {
    /// A sample value as Prometheus's HTTP API writes it (`jsonutil.MarshalFloat`): Go's
    /// `strconv.FormatFloat(v, 'f', -1, 64)`, switching to `'e'` below 1e-6 and from 1e21 on;
    /// `NaN`, `+Inf`, `-Inf` for the special values.
    ///
    /// `1` → `1`, `0.1` → `0.1`, `1e21` → `1e+21`, `1.5e-7` → `1.5e-07`, `-0.0` → `-0`.
    package static func formatValue(_ v: Double) -> String { PromFloat.format(v) }

    /// A timestamp in ms as Prometheus writes it (`jsonutil.MarshalTimestamp`): seconds with the
    /// milliseconds as up to three decimals, written only when non-zero (`1435781451.781`, `10`, `0.050`, `1.500`).
    package static func formatTimestamp(_ ms: Int64) -> String {
        var t = ms
        var out = ""
        if t < 0 {
            out = "-"
            t = t == .min ? .max : -t
        }
        out += String(t / 1000)
        let fraction = t % 1000
        if fraction != 0 {
            out += "."
            if fraction < 100 { out += "0" }
            if fraction < 10 { out += "0" }
            out += String(fraction)
        }
        return out
    }

}
