import Strata
import StrataCLIKit
import StrataLabels
import StrataQuery

/// The comparison rules of promqltest (`evalCmd.compareResult`, `checkAnnotations`, `checkExpectedFailure`).
enum ResultComparison {
    /// Prometheus's `almost.Equal(a, b, 1e-6)`: NaN equals NaN; otherwise a relative error below
    /// epsilon (absolute, scaled by the smallest normal, when either side is zero or tiny).
    static func almostEqual(_ a: Double, _ b: Double, epsilon: Double = 1e-6) -> Bool {
        if a.isNaN && b.isNaN { return true }
        if a == b { return true }
        let minNormal = Double.leastNormalMagnitude
        let absSum = a.magnitude + b.magnitude
        let diff = (a - b).magnitude
        if a == 0 || b == 0 || absSum < minNormal { return diff < epsilon * minNormal }
        return diff / min(absSum, Double.greatestFiniteMagnitude) < epsilon
    }

    static func expectedFloat(_ v: SequenceValue) -> Double {
        if case .float(let f) = v { return f }
        return 0  // an omitted value compares as Go's zero value
    }

    /// nil when `value` is what the case expects, else why not.
    static func compare(_ value: QueryValue, _ c: EvalCase) -> String? {
        switch value {
        case .matrix(let series):
            if c.isOrdered { return "expected ordered result, but query returned a matrix" }
            if c.expectScalar { return "expected scalar result, but got matrix \(format(series))" }
            for k in series.indices.dropLast() where series[k + 1].labels < series[k].labels {
                return "matrix results should always be sorted by labels, but \(series[k + 1].labels) comes after \(series[k].labels)"
            }
            var seen = Set<Labels>()
            for s in series {
                guard let exp = c.expected[s.labels] else {
                    return "unexpected metric \(s.labels) in result, has \(format(s))"
                }
                seen.insert(s.labels)
                var floats: [(Int64, Double)] = []
                var histograms: [(Int64, NotatedHistogram)] = []
                for (i, e) in exp.values.enumerated() {
                    let ts = c.start + Int64(i) * c.step
                    if ts > c.end {
                        return "expected \(exp.values.count) points for \(s.labels), but query time range cannot return this many points"
                    }
                    switch e {
                    case .float(let f): floats.append((ts, f))
                    case .histogram(let h): histograms.append((ts, h))
                    case .omitted: break
                    }
                }
                if floats.count != s.timestamps.count || histograms.count != s.histograms.count {
                    return "expected \(floats.count) float points and \(histograms.count) histogram points for \(s.labels), but got \(format(s))"
                }
                for (i, (t, h)) in histograms.enumerated() {
                    if s.histogramTimestamps[i] != t {
                        return "expected histogram value at index \(i) for \(s.labels) to have timestamp \(t), but it had timestamp \(s.histogramTimestamps[i]) (result has \(format(s)))"
                    }
                    if !histogramsMatch(h, s.histograms[i]) {
                        return "expected histogram value at index \(i) (t=\(t)) for \(s.labels) to be \(HistogramNotation.format(h.histogram)), but got \(HistogramNotation.format(s.histograms[i])) (result has \(format(s)))"
                    }
                }
                for (i, (t, f)) in floats.enumerated() {
                    if s.timestamps[i] != t {
                        return "expected float value at index \(i) for \(s.labels) to have timestamp \(t), but it had timestamp \(s.timestamps[i]) (result has \(format(s)))"
                    }
                    if !almostEqual(s.values[i], f) {
                        return "expected float value at index \(i) (t=\(t)) for \(s.labels) to be \(fmt(f)), but got \(fmt(s.values[i])) (result has \(format(s)))"
                    }
                }
            }
            for l in c.expected.keys where !seen.contains(l) { return "expected metric \(l) not found" }
            return nil

        case .vector(let elements):
            if c.expectScalar { return "expected scalar result, but got vector \(format(elements))" }
            var seen = Set<Labels>()
            for (pos, v) in elements.enumerated() {
                guard let exp = c.expected[v.labels] else {
                    return "unexpected metric \(v.labels) in result, has value \(v.histogram.map(HistogramNotation.format) ?? fmt(v.value))"
                }
                if c.isOrdered && exp.pos != pos + 1 {
                    return "expected metric \(v.labels) with \(exp.values) at position \(exp.pos) but was at \(pos + 1)"
                }
                guard let exp0 = exp.values.first else { return "no expected value for \(v.labels)" }
                switch (exp0, v.histogram) {
                case (.histogram(let h), nil):
                    return "expected histogram \(HistogramNotation.format(h.histogram)) for \(v.labels) but got float value \(fmt(v.value))"
                case (.histogram(let h), let got?):
                    if !histogramsMatch(h, got) {
                        return "expected \(HistogramNotation.format(h.histogram)) for \(v.labels) but got \(HistogramNotation.format(got))"
                    }
                    seen.insert(v.labels)
                    continue
                case (_, let got?):
                    return "expected float value \(exp0) for \(v.labels) but got histogram \(HistogramNotation.format(got))"
                default:
                    break
                }
                if !almostEqual(expectedFloat(exp0), v.value) {
                    return "expected \(fmt(expectedFloat(exp0))) for \(v.labels) but got \(fmt(v.value))"
                }
                seen.insert(v.labels)
            }
            for (l, e) in c.expected where !seen.contains(l) { return "expected metric \(l) with \(e.values) not found" }
            return nil

        case .scalar(_, let v):
            guard c.expectScalar, let exp0 = c.scalarValue else {
                return "expected vector or matrix result, but got scalar \(fmt(v))"
            }
            if case .histogram(let h) = exp0 { return "expected histogram \(HistogramNotation.format(h.histogram)) but got scalar \(fmt(v))" }
            if !almostEqual(expectedFloat(exp0), v) { return "expected scalar \(fmt(expectedFloat(exp0))) but got \(fmt(v))" }
            return nil

        case .string(_, let s):
            let want = c.expectedString ?? ""
            return want == s ? nil : "expected string \"\(want)\" but got \"\(s)\""
        }
    }

    /// `checkAnnotations`: eval_warn/eval_info need some; `expect warn|info` lines must match every
    /// annotation of their kind and each be matched; `no_warn`/`no_info` forbid them.
    static func checkAnnotations(_ r: QueryResult, _ c: EvalCase) -> String? {
        if c.warn && r.warnings.isEmpty { return "expected warnings evaluating query but got none" }
        if c.info && r.infos.isEmpty { return "expected info annotations evaluating query but got none" }
        if let e = validate(c.expectWarn, r.warnings, "warn") { return e }
        if let e = validate(c.expectInfo, r.infos, "info") { return e }
        if c.expectNoWarn && !r.warnings.isEmpty { return "unexpected warning annotations: \(r.warnings)" }
        if c.expectNoInfo && !r.infos.isEmpty { return "unexpected info annotations: \(r.infos)" }
        return nil
    }

    private static func validate(_ expected: [ExpectedMessage], _ actual: [String], _ kind: String) -> String? {
        if expected.isEmpty { return nil }
        if actual.isEmpty { return "expected \(kind) annotations but none were found" }
        for e in expected where !actual.contains(where: e.matches) {
            return "expected \(kind) annotation matching \(e.text) but no matching annotation was found, found: \(actual)"
        }
        for a in actual where !expected.contains(where: { $0.matches(a) }) {
            return "unexpected \(kind) annotation \"\(a)\""
        }
        return nil
    }

    /// The error text Prometheus's harness matches `expect fail msg:` against.
    static func errorText(_ e: QueryError) -> String { e.message }

    /// `checkExpectedFailure`: nil when the error is the one the case expects.
    static func checkExpectedFailure(_ e: QueryError, _ c: EvalCase) -> String? {
        let text = errorText(e)
        if let m = c.expectedFailMessage, !m.isEmpty, m != text {
            return "expected error \"\(m)\", but got: \(text)"
        }
        if let p = c.expectedFailRegex {
            let ok = (try? Regex(p)).map { text.contains($0) } ?? false
            if !ok { return "expected error matching \"\(p)\", but got: \(text)" }
        }
        if let f = c.expectFail.first, !f.matches(text) {
            return "expected error matching \"\(f.text)\", but got: \(text)"
        }
        return nil
    }

    static func fmt(_ v: Double) -> String { formatGoFloat(v) }

    /// `compareNativeHistogram` on both sides compacted: schema, count, sum, custom bounds, zero
    /// bucket, spans and buckets (1e-6 relative), and the counter reset hint when the test names one.
    static func histogramsMatch(_ expected: NotatedHistogram, _ actual: FloatHistogram) -> Bool {
        let e = expected.histogram.compacted()
        let a = actual.compacted()
        guard e.schema == a.schema, almostEqual(e.count, a.count), almostEqual(e.sum, a.sum) else { return false }
        if e.usesCustomBuckets && !customBoundsMatch(e.customValues, a.customValues) { return false }
        guard e.zeroThreshold == a.zeroThreshold, almostEqual(e.zeroCount, a.zeroCount) else { return false }
        for positive in [true, false] {
            let x = e.buckets(positive: positive), y = a.buckets(positive: positive)
            guard x.count == y.count else { return false }
            for k in x.indices where x[k].index != y[k].index || !almostEqual(x[k].count, y[k].count) { return false }
        }
        if expected.hintSet && e.counterResetHint != a.counterResetHint { return false }
        return true
    }

    /// `histogram.CustomBucketBoundsMatch`: the same bounds (exactly).
    static func customBoundsMatch(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0 == $1 }
    }

    static func format(_ s: MatrixSeries) -> String {
        let points = zip(s.timestamps, s.values).map { "\(fmt($1)) @[\($0)]" }
        let hs = zip(s.histogramTimestamps, s.histograms).map { "\(HistogramNotation.format($1)) @[\($0)]" }
        return "\(points.count) float point\(points.count == 1 ? "" : "s") [\(points.joined(separator: " "))] and "
            + "\(hs.count) histogram point\(hs.count == 1 ? "" : "s") [\(hs.joined(separator: " "))]"
    }

    static func format(_ m: [MatrixSeries]) -> String { m.map { "\($0.labels) => \(format($0))" }.joined(separator: ", ") }

    static func format(_ v: [VectorElement]) -> String {
        "[" + v.map { "\($0.labels) => \($0.histogram.map(HistogramNotation.format) ?? fmt($0.value)) @[\($0.timestamp)]" }
            .joined(separator: ", ") + "]"
    }
}

/// Go's `%v` of a float64 as promqltest prints it, close enough for messages.
func formatGoFloat(_ v: Double) -> String { QueryOutput.formatValue(v) }
