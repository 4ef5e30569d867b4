import StrataMetrics

/// A native histogram written in promqltest's notation, and whether it named a counter reset hint
/// (the harness compares hints only when the expected histogram names one).
package struct NotatedHistogram: Equatable {
    package var histogram: FloatHistogram
    package var hintSet: Bool
    package var text: String
}

/// Parses promqltest's histogram notation (`parser.buildHistogramFromMap`):
/// `{{schema:1 sum:5 count:4 z_bucket:1 z_bucket_w:0.001 buckets:[1 2] offset:1 n_buckets:[..] n_offset:..
/// custom_values:[..] counter_reset_hint:gauge}}`. Buckets form one span starting at the offset.
package enum HistogramNotation {
    package static func parse(_ text: String, line: Int) throws(TestFormatError) -> NotatedHistogram {
        func fail(_ m: String) -> TestFormatError { TestFormatError(line: line, message: "\(m) in \(text)") }
        guard text.hasPrefix("{{"), text.hasSuffix("}}"), text.count >= 4 else { throw fail("expected {{...}}") }
        let body = Array(text.utf8.dropFirst(2).dropLast(2))
        var h = FloatHistogram()
        var hintSet = false
        var i = 0
        var positive: [Double] = []
        var negative: [Double] = []
        var offset: Int32 = 0
        var nOffset: Int32 = 0
        func skipSpaces() { while i < body.count && (body[i] == 0x20 || body[i] == 0x09) { i += 1 } }
        func word() -> String {
            let s = i
            while i < body.count, body[i] != 0x20, body[i] != 0x09, body[i] != UInt8(ascii: ":"), body[i] != UInt8(ascii: "]") {
                i += 1
            }
            return String(decoding: body[s..<i], as: UTF8.self)
        }
        func number(_ w: String) throws(TestFormatError) -> Double {
            if let n = goInt(w) { return Double(n) }
            let lower = w.lowercased()
            switch lower {
            case "inf", "+inf": return .infinity
            case "-inf": return -.infinity
            case "nan": return .nan
            default: break
            }
            guard let d = Double(w) else { throw fail("invalid number \"\(w)\"") }
            return d
        }
        func list() throws(TestFormatError) -> [Double] {
            guard i < body.count, body[i] == UInt8(ascii: "[") else { throw fail("expected [") }
            i += 1
            var out: [Double] = []
            while true {
                skipSpaces()
                guard i < body.count else { throw fail("unterminated list") }
                if body[i] == UInt8(ascii: "]") {
                    i += 1
                    return out
                }
                out.append(try number(word()))
            }
        }
        while true {
            skipSpaces()
            if i >= body.count { break }
            let key = word()
            guard i < body.count, body[i] == UInt8(ascii: ":") else { throw fail("expected : after \(key)") }
            i += 1
            skipSpaces()
            switch key {
            case "schema":
                let w = word()
                guard let v = goInt(w), let s = Int32(exactly: v) else { throw fail("invalid schema \(w)") }
                h.schema = s
            case "sum": h.sum = try number(word())
            case "count": h.count = try number(word())
            case "z_bucket": h.zeroCount = try number(word())
            case "z_bucket_w": h.zeroThreshold = try number(word())
            case "buckets": positive = try list()
            case "n_buckets": negative = try list()
            case "custom_values": h.customValues = try list()
            case "offset", "n_offset":
                let w = word()
                guard let v = goInt(w), let o = Int32(exactly: v) else { throw fail("invalid \(key) \(w)") }
                if key == "offset" { offset = o } else { nOffset = o }
            case "counter_reset_hint":
                switch word() {
                case "unknown": h.counterResetHint = .unknown
                case "reset": h.counterResetHint = .counterReset
                case "not_reset": h.counterResetHint = .notCounterReset
                case "gauge": h.counterResetHint = .gauge
                case let w: throw fail("unknown counter_reset_hint \(w)")
                }
                hintSet = true
            default:
                throw fail("unknown histogram field \(key)")
            }
        }
        if !positive.isEmpty {
            h.positiveSpans = [HistogramSpan(offset: offset, length: UInt32(positive.count))]
            h.positiveBuckets = positive
        }
        if !negative.isEmpty {
            h.negativeSpans = [HistogramSpan(offset: nOffset, length: UInt32(negative.count))]
            h.negativeBuckets = negative
        }
        return NotatedHistogram(histogram: h, hintSet: hintSet, text: text)
    }

    /// Go's `strconv.ParseInt(s, 0, 64)`: decimal, or 0x/0o/0b prefixed, with an optional sign.
    package static func goInt(_ s: String) -> Int64? {
        var t = Substring(s)
        var negative = false
        if t.hasPrefix("-") || t.hasPrefix("+") {
            negative = t.hasPrefix("-")
            t = t.dropFirst()
        }
        var radix = 10
        if t.hasPrefix("0x") || t.hasPrefix("0X") {
            radix = 16
            t = t.dropFirst(2)
        } else if t.hasPrefix("0o") || t.hasPrefix("0O") {
            radix = 8
            t = t.dropFirst(2)
        } else if t.hasPrefix("0b") || t.hasPrefix("0B") {
            radix = 2
            t = t.dropFirst(2)
        }
        guard !t.isEmpty, let v = Int64(t, radix: radix) else { return nil }
        return negative ? -v : v
    }

    /// The notation of `h` (as `FloatHistogram.TestExpression` prints it), for messages.
    package static func format(_ h: FloatHistogram) -> String {
        var parts: [String] = []
        if h.schema != 0 { parts.append("schema:\(h.schema)") }
        if h.count != 0 { parts.append("count:\(PromFloat.format(h.count))") }
        if h.sum != 0 { parts.append("sum:\(PromFloat.format(h.sum))") }
        if h.zeroCount != 0 { parts.append("z_bucket:\(PromFloat.format(h.zeroCount))") }
        if h.zeroThreshold != 0 { parts.append("z_bucket_w:\(PromFloat.format(h.zeroThreshold))") }
        if !h.customValues.isEmpty { parts.append("custom_values:[\(h.customValues.map(PromFloat.format).joined(separator: " "))]") }
        switch h.counterResetHint {
        case .counterReset: parts.append("counter_reset_hint:reset")
        case .notCounterReset: parts.append("counter_reset_hint:not_reset")
        case .gauge: parts.append("counter_reset_hint:gauge")
        case .unknown: break
        }
        for (positive, key) in [(true, "buckets"), (false, "n_buckets")] {
            let b = h.buckets(positive: positive)
            guard let first = b.first else { continue }
            if first.index != 0 { parts.append("\(positive ? "offset" : "n_offset"):\(first.index)") }
            var dense: [String] = []
            var next = first.index
            for e in b {
                while next < e.index {
                    dense.append("0")
                    next += 1
                }
                dense.append(PromFloat.format(e.count))
                next += 1
            }
            parts.append("\(key):[\(dense.joined(separator: " "))]")
        }
        return "{{" + parts.joined(separator: " ") + "}}"
    }
}
