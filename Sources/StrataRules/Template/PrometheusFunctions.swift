/// Prometheus's template functions (`template/template.go` and `prometheus/common`'s
/// `helpers/templates`), with their exact output strings.
enum PrometheusFunctions {
    static func invoke(_ f: TemplateFunction, _ a: [TemplateValue], _ env: TemplateEnvironment) throws(FunctionFailure) -> TemplateValue {
        func str(_ i: Int) -> String { if case .string(let s) = a[i] { return s } else { return "" } }
        func sample(_ i: Int) throws(FunctionFailure) -> TemplateSample {
            if case .sample(let s) = a[i] { return s }
            throw FunctionFailure("runtime error: invalid memory address or nil pointer dereference")
        }
        func samples(_ i: Int) -> [TemplateSample] { if case .samples(let s) = a[i] { return s } else { return [] } }
        switch f {
        case .query:
            guard let run = env.query else { throw FunctionFailure("query is not available: no query engine was given") }
            do { return .samples(try run(str(0))) } catch { throw FunctionFailure("\(error)") }
        case .first:
            guard let s = samples(0).first else { throw FunctionFailure("first() called on vector with no elements") }
            return .sample(s)
        case .label: return .string(try sample(1).labels[str(0)] ?? "")
        case .value: return .float(try sample(0).value)
        case .strvalue: return .string(try sample(0).labels["__value__"] ?? "")
        case .args:
            var m: [String: TemplateValue] = [:]
            for (k, v) in a.enumerated() { m["arg\(k)"] = v }
            return .map(m)
        case .reReplaceAll:
            let re = try GoRegex(str(0), panicStyle: true)
            return .string(re.replaceAll(in: str(2), with: str(1)))
        case .match: return .bool(try GoRegex(str(0), panicStyle: false).matches(str(1)))
        case .safeHtml: return .html(str(0))
        case .title: return .string(StringFunctions.title(str(0)))
        case .toUpper: return .string(StringFunctions.upper(str(0)))
        case .toLower: return .string(StringFunctions.lower(str(0)))
        case .graphLink: return .string("/graph?g0.expr=\(GoText.queryEscape(str(0)))&g0.tab=0")
        case .tableLink: return .string("/graph?g0.expr=\(GoText.queryEscape(str(0)))&g0.tab=1")
        case .sortByLabel:
            let name = str(0)
            let sorted = samples(1).enumerated().sorted { x, y in
                let l = x.element.labels[name] ?? ""
                let r = y.element.labels[name] ?? ""
                return GoSort.less(l, r) || (l.utf8.elementsEqual(r.utf8) && x.offset < y.offset)
            }
            return .samples(sorted.map(\.element))
        case .stripPort:
            guard let (host, _) = StringFunctions.splitHostPort(str(0)) else { return a[0] }
            return .string(host)
        case .stripDomain: return .string(StringFunctions.stripDomain(str(0)))
        case .humanize: return .string(humanize(try toFloat(a[0])))
        case .humanize1024: return .string(humanize1024(try toFloat(a[0])))
        case .humanizeDuration: return .string(humanizeDuration(try toFloat(a[0])))
        case .humanizePercentage: return .string(g4(try toFloat(a[0]) * 100) + "%")
        case .humanizeTimestamp:
            let v = try toFloat(a[0])
            if v.isNaN || v.isInfinite { return .string(g4(v)) }
            return .string(GoTime.timeString(unixNanoseconds: try toTimeNanoseconds(v)))
        case .toTime:
            let v = try toFloat(a[0])
            if v.isNaN || v.isInfinite { throw FunctionFailure("value is NaN or Inf") }
            return .time(nanoseconds: try toTimeNanoseconds(v))
        case .toDuration: return .duration(nanoseconds: goInt64(try toFloat(a[0]) * 1e9))
        case .now: return .float(Double(env.evaluationTime) / 1000)
        case .pathPrefix: return .string(StringFunctions.urlPath(env.externalURL))
        case .externalURL: return .string(env.externalURL)
        case .parseDuration: return .float(Double(try GoTime.parsePrometheusDuration(str(0))) / 1e9)
        case .urlQueryEscape: return .string(GoText.queryEscape(str(0)))
        default: throw FunctionFailure("\(f.rawValue) is not a Prometheus function")
        }
    }

    /// `ConvertToFloat`: float64, ints, and strings that `strconv.ParseFloat` reads.
    static func toFloat(_ v: TemplateValue) throws(FunctionFailure) -> Double {
        switch v {
        case .float(let f): return f
        case .int(let i): return Double(i)
        case .string(let s):
            do {
                return try GoFloat.parse(s)
            } catch {
                let why = error == .syntax ? "invalid syntax" : "value out of range"
                throw FunctionFailure("strconv.ParseFloat: parsing \(GoText.quote(s)): \(why)")
            }
        default:
            throw FunctionFailure("can't convert \(v.goTypeName) to float")
        }
    }

    /// `fmt.Sprintf("%.4g", v)`.
    static func g4(_ v: Double) -> String { GoFloat.format(v, UInt8(ascii: "g"), 4) }

    static func humanize(_ value: Double) -> String {
        var v = value
        if v == 0 || v.isNaN || v.isInfinite { return g4(v) }
        var prefix = ""
        if abs(v) >= 1 {
            for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
                if abs(v) < 1000 { break }
                prefix = p
                v /= 1000
            }
            return g4(v) + prefix
        }
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if abs(v) >= 1 { break }
            prefix = p
            v *= 1000
        }
        return g4(v) + prefix
    }

    static func humanize1024(_ value: Double) -> String {
        var v = value
        if abs(v) <= 1 || v.isNaN || v.isInfinite { return g4(v) }
        var prefix = ""
        for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
            if abs(v) < 1024 { break }
            prefix = p
            v /= 1024
        }
        return g4(v) + prefix
    }

    static func humanizeDuration(_ value: Double) -> String {
        var v = value
        if v.isNaN || v.isInfinite { return g4(v) }
        if v == 0 { return g4(v) + "s" }
        if abs(v) >= 1 {
            var sign = ""
            if v < 0 {
                sign = "-"
                v = -v
            }
            let duration = goInt64(v)
            let seconds = duration % 60
            let minutes = (duration / 60) % 60
            let hours = (duration / 60 / 60) % 24
            let days = duration / 60 / 60 / 24
            if days != 0 { return "\(sign)\(days)d \(hours)h \(minutes)m \(seconds)s" }
            if hours != 0 { return "\(sign)\(hours)h \(minutes)m \(seconds)s" }
            if minutes != 0 { return "\(sign)\(minutes)m \(seconds)s" }
            return sign + g4(v) + "s"
        }
        var prefix = ""
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if abs(v) >= 1 { break }
            prefix = p
            v *= 1000
        }
        return g4(v) + prefix + "s"
    }

    /// Go's `int64(f)` on amd64: truncation, and the minimum int64 when out of range or NaN.
    static func goInt64(_ f: Double) -> Int64 {
        if f.isNaN || f >= 9.223372036854775808e18 || f < -9.223372036854775808e18 { return Int64.min }
        return Int64(f)
    }

    /// Prometheus's `FloatToTime` then `model.TimeFromUnixNano(...).Time()`: seconds to
    /// nanoseconds, truncated to milliseconds.
    static func toTimeNanoseconds(_ v: Double) throws(FunctionFailure) -> Int64 {
        let ns = v * 1e9
        if ns > 9.223372036854775807e18 || ns < -9.223372036854775808e18 {
            throw FunctionFailure("\(GoFloat.format(v, UInt8(ascii: "g"), -1)) cannot be represented as a nanoseconds timestamp since it overflows int64")
        }
        let ms = goInt64(ns) / 1_000_000
        return ms.multipliedReportingOverflow(by: 1_000_000).partialValue
    }
}
