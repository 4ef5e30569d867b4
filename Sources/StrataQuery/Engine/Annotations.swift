import StrataLabels
import StrataMetrics

/// The warnings and infos one query collects, deduplicated by text and kept in first-seen order.
/// Texts follow Prometheus (`util/annotations`): `PromQL warning: ... (line:column)`.
final class AnnotationSet {
    private(set) var warnings: [String] = []
    private(set) var infos: [String] = []
    private var seen: Set<String> = []
    let query: String

    init(query: String) { self.query = query }

    func warn(_ text: String, _ range: SourceRange) {
        let s = "PromQL warning: \(text)\(position(range))"
        if seen.insert(s).inserted { warnings.append(s) }
    }

    func info(_ text: String, _ range: SourceRange) {
        let s = "PromQL info: \(text)\(position(range))"
        if seen.insert(s).inserted { infos.append(s) }
    }

    /// ` (line:column)` of the range's start, 1-based, as Prometheus's `StartPosInput` prints it.
    private func position(_ r: SourceRange) -> String {
        if query.isEmpty { return "" }
        let bytes = Array(query.utf8)
        let start = max(0, min(r.start, bytes.count))
        var line = 1
        var lineStart = 0
        for i in 0..<start where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return " (\(line):\(start - lineStart + 1))"
    }

    // MARK: Prometheus's annotation texts.

    func invalidQuantile(_ q: Double, _ r: SourceRange) {
        warn("quantile value should be between 0 and 1, got \(formatG(q))", r)
    }
    func possibleNonCounter(_ name: String, _ r: SourceRange) {
        info("metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \(goQuote(name))", r)
    }
    func badBucketLabel(_ name: String, _ value: String, _ r: SourceRange) {
        var t = "bucket label \"le\" is missing or has a malformed value of \(goQuote(value))"
        if !name.isEmpty { t += " for metric name \(goQuote(name))" }
        warn(t, r)
    }
    func forcedMonotonicity(_ name: String, _ r: SourceRange) {
        var t = "input to histogram_quantile needed to be fixed for monotonicity "
            + "(see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)"
        if !name.isEmpty { t += " for metric name \(goQuote(name))" }
        info(t, r)
    }
    func invalidRatio(_ q: Double, _ to: Double, _ r: SourceRange) {
        warn("ratio value should be between -1 and 1, got \(formatG(q)), capping to \(formatG(to))", r)
    }
}

/// Go's `%q` for a string: double quotes with `\"`, `\\` and control characters escaped.
func goQuote(_ s: String) -> String {
    var o = "\""
    for c in s.unicodeScalars {
        switch c {
        case "\"": o += "\\\""
        case "\\": o += "\\\\"
        case "\n": o += "\\n"
        case "\t": o += "\\t"
        case "\r": o += "\\r"
        default:
            if c.value < 0x20 || c.value == 0x7f {
                o += "\\x" + String(c.value, radix: 16).leftPadded(2)
            } else {
                o.unicodeScalars.append(c)
            }
        }
    }
    return o + "\""
}

extension String {
    fileprivate func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}

/// Go's `%g` for the few values annotations print (shortest representation, `+Inf`, `NaN`).
func formatG(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    if v == v.rounded(), abs(v) < 1e21 { return String(Int64(v)) }
    return "\(v)"
}

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest digits that round-trip, never an exponent.
func formatFloatF(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    if v == 0 { return v.sign == .minus ? "-0" : "0" }
    let d = "\(v)"  // shortest round-trip, maybe with an exponent
    var mantissa = d
    var exp = 0
    if let e = d.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        mantissa = String(d[..<e])
        exp = Int(d[d.index(after: e)...]) ?? 0
    }
    var negative = false
    if mantissa.hasPrefix("-") { negative = true; mantissa.removeFirst() }
    var intPart = mantissa
    var frac = ""
    if let dot = mantissa.firstIndex(of: ".") {
        intPart = String(mantissa[..<dot])
        frac = String(mantissa[mantissa.index(after: dot)...])
    }
    if frac == "0" { frac = "" }
    var digits = intPart + frac
    var pointPos = intPart.count + exp
    // Strip leading zeros, adjusting the point.
    while digits.count > 1 && digits.hasPrefix("0") { digits.removeFirst(); pointPos -= 1 }
    while digits.count > 1 && digits.hasSuffix("0") && digits.count > pointPos { digits.removeLast() }
    var out: String
    if pointPos <= 0 {
        out = "0." + String(repeating: "0", count: -pointPos) + digits
    } else if pointPos >= digits.count {
        out = digits + String(repeating: "0", count: pointPos - digits.count)
    } else {
        let i = digits.index(digits.startIndex, offsetBy: pointPos)
        out = String(digits[..<i]) + "." + String(digits[i...])
    }
    return negative ? "-" + out : out
}

extension Labels {
    /// Prometheus's `labels.Labels.String()`: `{__name__="x", a="b"}`.
    var promString: String {
        "{" + labels.map { "\($0.name)=\(goQuote($0.value))" }.joined(separator: ", ") + "}"
    }
}
