import StrataLabels
import StrataMetrics

extension Evaluator {
    /// The text of a string-literal argument.
    func stringArg(_ e: Expr) throws(QueryError) -> String {
        if case .string(let s, _) = strippingParens(e) { return s }
        throw ctx.error("expected a string literal", e.range)
    }

    /// `label_replace(v, dst, replacement, src, regex)`: where the anchored regex matches `src`, sets
    /// `dst` to the expanded replacement (`$1`, `${name}`).
    func evalLabelReplace(_ c: FunctionCall) throws(QueryError) -> [EvalSeries] {
        let dst = try stringArg(c.args[1])
        let repl = try stringArg(c.args[2])
        let src = try stringArg(c.args[3])
        let pattern = try stringArg(c.args[4])
        let regex: Regex<AnyRegexOutput>
        do {
            regex = try Regex("^(?s:" + pattern + ")$")
        } catch {
            throw ctx.error("invalid regular expression in label_replace(): \(pattern)")
        }
        guard isValidUTF8LabelName(dst) else {
            throw ctx.error("invalid destination label name in label_replace(): \(dst)")
        }
        var s = try evalSeries(c.args[0])
        for i in s.indices {
            let value = s[i].labels[src] ?? ""
            guard let m = try? regex.wholeMatch(in: value) else { continue }
            let expanded = expandTemplate(repl, m)
            s[i].labels = s[i].labels.setting(dst, to: expanded)
            if dst == "__name__" { s[i].dropName = false }
        }
        return try mergeSameLabels(s)
    }

    /// `label_join(v, dst, separator, src...)`.
    func evalLabelJoin(_ c: FunctionCall) throws(QueryError) -> [EvalSeries] {
        let dst = try stringArg(c.args[1])
        let sep = try stringArg(c.args[2])
        var srcs: [String] = []
        for a in c.args.dropFirst(3) {
            let name = try stringArg(a)
            guard isValidUTF8LabelName(name) else { throw ctx.error("invalid source label name in label_join(): \(name)") }
            srcs.append(name)
        }
        guard isValidUTF8LabelName(dst) else {
            throw ctx.error("invalid destination label name in label_join(): \(dst)")
        }
        var s = try evalSeries(c.args[0])
        for i in s.indices {
            let joined = srcs.map { s[i].labels[$0] ?? "" }.joined(separator: sep)
            s[i].labels = s[i].labels.setting(dst, to: joined)
            if dst == "__name__" { s[i].dropName = false }
        }
        return try mergeSameLabels(s)
    }

    /// Merges series whose labels became equal; overlapping steps are an error (Prometheus's
    /// `mergeSeriesWithSameLabelset`).
    func mergeSameLabels(_ s: [EvalSeries]) throws(QueryError) -> [EvalSeries] {
        var index: [Labels: Int] = [:]
        var out: [EvalSeries] = []
        var merged = false
        for x in s {
            if let i = index[x.labels] {
                if !x.hs.isEmpty || !out[i].hs.isEmpty {
                    if out[i].hs.isEmpty { out[i].hs = [FloatHistogram?](repeating: nil, count: out[i].ts.count) }
                    out[i].hs.append(contentsOf: x.hs.isEmpty ? [FloatHistogram?](repeating: nil, count: x.ts.count) : x.hs)
                }
                out[i].ts.append(contentsOf: x.ts)
                out[i].vs.append(contentsOf: x.vs)
                merged = true
            } else {
                index[x.labels] = out.count
                out.append(x)
            }
        }
        if !merged { return out }
        for i in out.indices {
            let order = out[i].ts.indices.sorted { out[i].ts[$0] < out[i].ts[$1] }
            let ts = order.map { out[i].ts[$0] }
            for k in ts.indices.dropFirst() where ts[k] == ts[k - 1] {
                throw ctx.error("vector cannot contain metrics with the same labelset")
            }
            out[i].vs = order.map { out[i].vs[$0] }
            if !out[i].hs.isEmpty { out[i].hs = order.map { out[i].hs[$0] } }
            out[i].ts = ts
        }
        return out
    }

    /// sort, sort_desc, sort_by_label, sort_by_label_desc: order the elements of an instant result
    /// (range results are always ordered by labels, so only a warning there).
    func evalSort(_ c: FunctionCall) throws(QueryError) -> [EvalSeries] {
        var labelsArgs: [String] = []
        for a in c.args.dropFirst() { labelsArgs.append(try stringArg(a)) }
        var s = try evalSeries(c.args[0])
        if c.name == "sort" || c.name == "sort_desc" {
            // Sorting by value covers floats only: histogram samples are dropped.
            s = s.map(\.floatsOnly).filter { !$0.ts.isEmpty }
        }
        if !isInstant {
            ctx.annotations.warn("sort is ineffective for range queries since results are always ordered by labels", c.range)
            return s
        }
        switch c.name {
        case "sort":
            return s.sorted { a, b in
                let x = a.vs[0], y = b.vs[0]
                if x.isNaN { return false }
                if y.isNaN { return true }
                return x < y
            }
        case "sort_desc":
            return s.sorted { a, b in
                let x = a.vs[0], y = b.vs[0]
                if x.isNaN { return false }
                if y.isNaN { return true }
                return x > y
            }
        default:
            let desc = c.name == "sort_by_label_desc"
            return s.sorted { a, b in
                for l in labelsArgs {
                    let x = a.labels[l] ?? ""
                    let y = b.labels[l] ?? ""
                    if x == y { continue }
                    return naturalLess(x, y) != desc
                }
                return desc ? b.labels < a.labels : a.labels < b.labels
            }
        }
    }

    /// Date functions: of each sample's value (Unix seconds), or of the step time without an argument.
    func evalDateFunction(_ c: FunctionCall) throws(QueryError) -> [EvalSeries] {
        let f: (CivilTime) -> Double
        switch c.name {
        case "days_in_month": f = { Double($0.daysInMonth) }
        case "day_of_month": f = { Double($0.day) }
        case "day_of_week": f = { Double($0.weekday) }
        case "day_of_year": f = { Double($0.dayOfYear) }
        case "hour": f = { Double($0.hour) }
        case "minute": f = { Double($0.minute) }
        case "month": f = { Double($0.month) }
        default: f = { Double($0.year) }
        }
        if c.args.isEmpty {
            return [scalarSeries { t in f(CivilTime(seconds: floorDiv(t, 1000))) }]
        }
        var s = try evalSeries(c.args[0]).map(\.floatsOnly).filter { !$0.ts.isEmpty }
        for i in s.indices {
            s[i].dropName = true
            for j in s[i].vs.indices {
                let v = s[i].vs[j]
                let secs: Int64 = v.isFinite && abs(v) < 9.2e18 ? Int64(v.rounded(.towardZero)) : Int64.min
                s[i].vs[j] = f(CivilTime(seconds: secs))
            }
        }
        return s
    }
}

@inline(__always) func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

/// A UTC calendar time (proleptic Gregorian), as Go's `time.Unix(s, 0).UTC()` gives it.
struct CivilTime {
    var year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, weekday: Int64, dayOfYear: Int64
    var daysInMonth: Int64

    init(seconds: Int64) {
        let days = floorDiv(seconds, 86_400)
        let sod = seconds - days * 86_400
        hour = sod / 3600
        minute = (sod % 3600) / 60
        weekday = ((days % 7) + 7 + 4) % 7
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        daysInMonth = lengths[Int(month - 1)]
        var yday = day
        for m in 0..<Int(month - 1) { yday += lengths[m] }
        dayOfYear = yday
    }
}

/// Natural order ("a2" < "a10"), as the natsort package used by sort_by_label compares.
func naturalLess(_ a: String, _ b: String) -> Bool {
    func chunks(_ s: String) -> [String] {
        var out: [String] = []
        var cur = ""
        var curDigit: Bool?
        for ch in s {
            let d = ch.isASCII && ch.isNumber
            if curDigit != nil && curDigit != d {
                out.append(cur)
                cur = ""
            }
            cur.append(ch)
            curDigit = d
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }
    let ca = chunks(a)
    let cb = chunks(b)
    for i in 0..<min(ca.count, cb.count) {
        let x = ca[i], y = cb[i]
        if x == y { continue }
        if let nx = Double(x), let ny = Double(y), x.first!.isNumber, y.first!.isNumber {
            if nx != ny { return nx < ny }
            return x < y
        }
        return x < y
    }
    return ca.count < cb.count
}

/// Go's `regexp.Expand`: `$1`, `${1}`, `$name`, `${name}`, `$$`.
func expandTemplate(_ template: String, _ m: Regex<AnyRegexOutput>.Match) -> String {
    var out = ""
    let chars = Array(template.unicodeScalars)
    var i = 0
    func group(_ name: String) -> String {
        if let n = Int(name) {
            guard n >= 0 && n < m.output.count, let sub = m.output[n].substring else { return "" }
            return String(sub)
        }
        if let sub = m.output[name]?.substring { return String(sub) }
        return ""
    }
    func isNameChar(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_"
    }
    while i < chars.count {
        let c = chars[i]
        if c != "$" || i + 1 >= chars.count {
            out.unicodeScalars.append(c)
            i += 1
            continue
        }
        let next = chars[i + 1]
        if next == "$" {
            out += "$"
            i += 2
        } else if next == "{" {
            var j = i + 2
            var name = ""
            while j < chars.count && chars[j] != "}" {
                name.unicodeScalars.append(chars[j])
                j += 1
            }
            if j < chars.count && !name.isEmpty && name.unicodeScalars.allSatisfy(isNameChar) {
                out += group(name)
                i = j + 1
            } else {
                out += "$"
                i += 1
            }
        } else if isNameChar(next) {
            var j = i + 1
            var name = ""
            while j < chars.count && isNameChar(chars[j]) {
                name.unicodeScalars.append(chars[j])
                j += 1
            }
            out += group(name)
            i = j
        } else {
            out += "$"
            i += 1
        }
    }
    return out
}
