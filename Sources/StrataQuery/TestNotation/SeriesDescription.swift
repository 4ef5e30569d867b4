import StrataLabels
import StrataMetrics

/// One position of a promqltest value sequence (`1`, `_`, `stale`, `{{...}}`).
package enum SequenceValue: Equatable, CustomStringConvertible {
    /// A float sample (`stale` is the stale-marker NaN).
    case float(Double)
    /// `_`: no sample at this position.
    case omitted
    /// A native histogram (`{{schema:0 sum:5 ...}}`).
    case histogram(NotatedHistogram)

    package static func == (a: SequenceValue, b: SequenceValue) -> Bool {
        switch (a, b) {
        case (.float(let x), .float(let y)): x.bitPattern == y.bitPattern
        case (.omitted, .omitted): true
        case (.histogram(let x), .histogram(let y)): x == y
        default: false
        }
    }

    package var description: String {
        switch self {
        case .float(let v): v.bitPattern == Sample.staleNaN.bitPattern ? "stale" : PromFloat.format(v)
        case .omitted: "_"
        case .histogram(let h): HistogramNotation.format(h.histogram)
        }
    }
}

/// A malformed line of a test file.
package struct TestFormatError: Error, CustomStringConvertible {
    package var line: Int
    package var message: String
    package var description: String { "line \(line): \(message)" }
}

/// Parses Prometheus's series descriptions (`parser.ParseSeriesDesc`): `name{l="v",...} values...`,
/// where values use the expanding notation of promqltest:
///
/// - `7` one sample; `_` no sample; `stale` a stale marker; `{{...}}` a native histogram;
/// - `a+bxN` / `a-bxN` N+1 samples starting at `a` stepping by `b`; `axN` N+1 copies of `a`;
/// - `_xN` N positions without samples.
package enum SeriesDescription {
    package static func parse(_ text: String, line: Int) throws(TestFormatError) -> (labels: Labels, values: [SequenceValue]) {
        var s = Scanner(Array(text.utf8), line: line)
        let labels = try s.parseMetric()
        var values: [SequenceValue] = []
        while true {
            s.skipSpaces()
            if s.atEnd { break }
            values += try s.parseItem()
        }
        return (labels, values)
    }

    /// Parses one sequence item (`1+2x3`, `_x4`, `stale`, `Inf`, `{{...}}x2`).
    package static func parseItem(_ text: String, line: Int) throws(TestFormatError) -> [SequenceValue] {
        var s = Scanner(Array(text.utf8), line: line)
        let v = try s.parseItem()
        guard s.atEnd else { throw TestFormatError(line: line, message: "unexpected text after value in \"\(text)\"") }
        return v
    }

    struct Scanner {
        let b: [UInt8]
        var i = 0
        let line: Int
        init(_ b: [UInt8], line: Int) {
            self.b = b
            self.line = line
        }

        var atEnd: Bool { i >= b.count }
        func peek(_ k: Int = 0) -> UInt8? { i + k < b.count ? b[i + k] : nil }

        func fail(_ m: String) -> TestFormatError { TestFormatError(line: line, message: m) }

        mutating func skipSpaces() {
            while let c = peek(), c == 0x20 || c == 0x09 { i += 1 }
        }

        static func isNameStart(_ c: UInt8) -> Bool {
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x5F || c == 0x3A
        }
        static func isNameChar(_ c: UInt8) -> Bool { isNameStart(c) || (c >= 0x30 && c <= 0x39) }

        mutating func identifier() -> String {
            let start = i
            while let c = peek(), Scanner.isNameChar(c) { i += 1 }
            return String(decoding: b[start..<i], as: UTF8.self)
        }

        mutating func parseMetric() throws(TestFormatError) -> Labels {
            skipSpaces()
            var pairs: [Label] = []
            if let c = peek(), Scanner.isNameStart(c) {
                pairs.append(Label("__name__", identifier()))
            }
            if peek() == UInt8(ascii: "{") {
                i += 1
                while true {
                    skipSpaces()
                    guard let c = peek() else { throw fail("unterminated label set") }
                    if c == UInt8(ascii: "}") {
                        i += 1
                        break
                    }
                    let name: String
                    var quotedName = false
                    if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") || c == UInt8(ascii: "`") {
                        name = try quoted()
                        quotedName = true
                    } else if Scanner.isNameStart(c) {
                        name = identifier()
                    } else {
                        throw fail("unexpected character in label set: \(Character(Unicode.Scalar(c)))")
                    }
                    skipSpaces()
                    if quotedName && (peek() == UInt8(ascii: ",") || peek() == UInt8(ascii: "}")) {
                        pairs.append(Label("__name__", name))  // {"metric.name", ...}
                    } else {
                        guard peek() == UInt8(ascii: "=") else { throw fail("expected = after label name \(name)") }
                        i += 1
                        skipSpaces()
                        guard let q = peek(), q == UInt8(ascii: "\"") || q == UInt8(ascii: "'") || q == UInt8(ascii: "`")
                        else { throw fail("expected a quoted label value for \(name)") }
                        pairs.append(Label(name, try quoted()))
                    }
                    skipSpaces()
                    if peek() == UInt8(ascii: ",") { i += 1 }
                }
            }
            guard !pairs.isEmpty || (i > 0) else { throw fail("expected a metric name or label set") }
            return makeLabels(pairs)
        }

        func makeLabels(_ pairs: [Label]) -> Labels {
            if let l = try? Labels(validating: pairs) { return l }
            // UTF-8 names Prometheus 3 accepts but the strict validator does not: sort, keep the last duplicate.
            var byName: [String: String] = [:]
            for p in pairs where !p.value.isEmpty { byName[p.name] = p.value }
            return Labels(sorted: byName.map { Label($0.key, $0.value) }.sorted())
        }

        mutating func quoted() throws(TestFormatError) -> String {
            let q = b[i]
            let start = i
            i += 1
            while let c = peek(), c != q {
                if c == UInt8(ascii: "\\") && q != UInt8(ascii: "`") { i += 1 }
                i += 1
            }
            guard peek() == q else { throw fail("unterminated quoted string") }
            i += 1
            guard let s = GoString.unquote(Array(b[start..<i])) else { throw fail("invalid quoted string") }
            return s
        }

        mutating func parseItem() throws(TestFormatError) -> [SequenceValue] {
            if peek() == UInt8(ascii: "{") && peek(1) == UInt8(ascii: "{") {
                let h = try HistogramNotation.parse(try histogramText(), line: line)
                // {{a}}xN: N+1 copies; {{a}}+{{b}}xN / {{a}}-{{b}}xN: a, then b added (subtracted) N times.
                if let c = peek(), c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                    i += 1
                    let inc = try HistogramNotation.parse(try histogramText(), line: line)
                    guard peek() == UInt8(ascii: "x") else { throw fail("expected x after histogram increment") }
                    i += 1
                    let n = try repeatCount()
                    var out: [SequenceValue] = [.histogram(h)]
                    var cur = h.histogram
                    for _ in 0..<n {
                        if cur.schema > inc.histogram.schema {
                            throw fail("error combining histograms: cannot merge from schema \(inc.histogram.schema) to \(cur.schema)")
                        }
                        var notes = HistogramCombineNotes()
                        do {
                            cur = c == UInt8(ascii: "+")
                                ? try cur.adding(inc.histogram, notes: &notes) : try cur.subtracting(inc.histogram, notes: &notes)
                        } catch {
                            throw fail("error combining histograms: \(error)")
                        }
                        out.append(.histogram(NotatedHistogram(histogram: cur, hintSet: false, text: "")))
                    }
                    return out
                }
                var count = 1
                if peek() == UInt8(ascii: "x") {
                    i += 1
                    count = try repeatCount() + 1
                }
                return Array(repeating: .histogram(h), count: count)
            }
            if peek() == UInt8(ascii: "_") {
                i += 1
                if peek() == UInt8(ascii: "x") {
                    i += 1
                    return Array(repeating: .omitted, count: try repeatCount())
                }
                return [.omitted]
            }
            let first = try number(allowStale: true)
            guard let c = peek(), c != 0x20, c != 0x09 else { return [.float(first)] }
            if c == UInt8(ascii: "x") {
                i += 1
                return Array(repeating: .float(first), count: try repeatCount() + 1)
            }
            guard c == UInt8(ascii: "+") || c == UInt8(ascii: "-") else {
                throw fail("unexpected character after value: \(Character(Unicode.Scalar(c)))")
            }
            let delta = try number(allowStale: false)
            guard peek() == UInt8(ascii: "x") else { throw fail("expected x<count> after the increment") }
            i += 1
            let n = try repeatCount()
            var out: [SequenceValue] = []
            out.reserveCapacity(n + 1)
            var v = first
            for _ in 0...n {
                out.append(.float(v))
                v += delta
            }
            return out
        }

        mutating func histogramText() throws(TestFormatError) -> String {
            let start = i
            i += 2
            while i + 1 < b.count && !(b[i] == UInt8(ascii: "}") && b[i + 1] == UInt8(ascii: "}")) { i += 1 }
            guard i + 1 < b.count else { throw fail("unterminated native histogram {{...}}") }
            i += 2
            return String(decoding: b[start..<i], as: UTF8.self)
        }

        mutating func repeatCount() throws(TestFormatError) -> Int {
            let start = i
            var n = 0
            while let c = peek(), c >= 0x30 && c <= 0x39 {
                n = n &* 10 &+ Int(c - 0x30)
                i += 1
                guard n < 10_000_000 else { throw fail("repeat count too large") }
            }
            guard i > start else { throw fail("expected a repeat count after x") }
            return n
        }

        /// A signed float: digits with optional fraction and exponent, `Inf`, `NaN`, or `stale`.
        mutating func number(allowStale: Bool) throws(TestFormatError) -> Double {
            var negative = false
            if let c = peek(), c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                negative = c == UInt8(ascii: "-")
                i += 1
            }
            if let c = peek(), Scanner.isNameStart(c) {
                let word = identifier()
                switch word.lowercased() {
                case "inf", "infinity": return negative ? -.infinity : .infinity
                case "nan": return .nan
                case "stale" where allowStale && !negative: return Sample.staleNaN
                default: throw fail("invalid value \"\(word)\"")
                }
            }
            let start = i
            while let c = peek(), (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: ".") { i += 1 }
            if let c = peek(), c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                var k = 1
                if let s = peek(1), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { k = 2 }
                if let d = peek(k), d >= 0x30 && d <= 0x39 {
                    i += k
                    while let c = peek(), c >= 0x30 && c <= 0x39 { i += 1 }
                }
            }
            let text = String(decoding: b[start..<i], as: UTF8.self)
            guard !text.isEmpty, let v = Double(text) else { throw fail("invalid number \"\(text)\"") }
            return negative ? -v : v
        }
    }
}

/// Go string literals: `"..."` and `'...'` with escapes, `` `raw` ``.
package enum GoString {
    package static func unquote(_ b: [UInt8]) -> String? {
        guard b.count >= 2, let q = b.first, b.last == q else { return nil }
        let body = b[1..<(b.count - 1)]
        if q == UInt8(ascii: "`") { return String(decoding: body, as: UTF8.self) }
        var out: [UInt8] = []
        var i = body.startIndex
        func hex(_ n: Int) -> UInt32? {
            guard i + n <= body.endIndex else { return nil }
            var v: UInt32 = 0
            for k in 0..<n {
                let c = body[i + k]
                let d: UInt8
                switch c {
                case 0x30...0x39: d = c - 0x30
                case 0x61...0x66: d = c - 0x61 + 10
                case 0x41...0x46: d = c - 0x41 + 10
                default: return nil
                }
                v = v << 4 | UInt32(d)
            }
            i += n
            return v
        }
        while i < body.endIndex {
            let c = body[i]
            i += 1
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                continue
            }
            guard i < body.endIndex else { return nil }
            let e = body[i]
            i += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "a"): out.append(0x07)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "v"): out.append(0x0B)
            case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): out.append(e)
            case UInt8(ascii: "x"):
                guard let v = hex(2) else { return nil }
                out.append(UInt8(v))
            case UInt8(ascii: "u"), UInt8(ascii: "U"):
                guard let v = hex(e == UInt8(ascii: "u") ? 4 : 8), let sc = Unicode.Scalar(v) else { return nil }
                out += Array(String(Character(sc)).utf8)
            case 0x30...0x37:
                guard i + 2 <= body.endIndex else { return nil }
                let v = (UInt32(e - 0x30) << 6) | (UInt32(body[i] &- 0x30) << 3) | UInt32(body[i + 1] &- 0x30)
                guard v <= 255 else { return nil }
                out.append(UInt8(v))
                i += 2
            default: return nil
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
