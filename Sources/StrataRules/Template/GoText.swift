extension GoPrinter {
    /// `fmt.Sprintf`.
    static func sprintf(_ format: String, _ args: [TemplateValue]) -> String {
        var p = GoPrinter()
        p.doPrintf(Array(format.utf8), args)
        return p.string
    }

    private static func tooLarge(_ x: Int) -> Bool { x > 1_000_000 || x < -1_000_000 }

    private static func parseNumber(_ f: [UInt8], _ start: Int) -> (num: Int, isNum: Bool, next: Int) {
        var i = start
        var num = 0
        var isNum = false
        while i < f.count && f[i] >= UInt8(ascii: "0") && f[i] <= UInt8(ascii: "9") {
            if tooLarge(num) { return (0, false, f.count) }
            num = num * 10 + Int(f[i] - UInt8(ascii: "0"))
            isNum = true
            i += 1
        }
        return (num, isNum, i)
    }

    private mutating func doPrintf(_ f: [UInt8], _ a: [TemplateValue]) {
        let end = f.count
        var argNum = 0
        var afterIndex = false
        var reordered = false
        var goodArgNum = true
        var i = 0

        func argNumber(_ argNum: Int, _ i: Int) -> (argNum: Int, i: Int, found: Bool) {
            guard i < end, f[i] == UInt8(ascii: "[") else { return (argNum, i, false) }
            reordered = true
            // [n]: find the closing bracket.
            var j = i + 1
            while j < end && f[j] != UInt8(ascii: "]") { j += 1 }
            if j >= end || j - i < 2 {
                goodArgNum = false
                return (argNum, i + 1, false)
            }
            let (n, ok, next) = GoPrinter.parseNumber(f, i + 1)
            if !ok || next != j {
                goodArgNum = false
                return (argNum, j + 1, false)
            }
            if n - 1 >= 0 && n - 1 < a.count { return (n - 1, j + 1, true) }
            goodArgNum = false
            return (argNum, j + 1, true)
        }

        func intFromArg(_ argNum: Int) -> (num: Int, isInt: Bool, next: Int) {
            guard argNum < a.count else { return (0, false, argNum) }
            if case .int(let n) = a[argNum], !GoPrinter.tooLarge(n) { return (n, true, argNum + 1) }
            return (0, false, argNum + 1)
        }

        formatLoop: while i < end {
            goodArgNum = true
            let lasti = i
            while i < end && f[i] != UInt8(ascii: "%") { i += 1 }
            if i > lasti { buf.append(contentsOf: f[lasti..<i]) }
            if i >= end { break }
            i += 1
            clearFlags()
            simple: while i < end {
                let c = f[i]
                switch c {
                case UInt8(ascii: "#"): sharp = true
                case UInt8(ascii: "0"): zero = true
                case UInt8(ascii: "+"): plus = true
                case UInt8(ascii: "-"): minus = true
                case UInt8(ascii: " "): space = true
                default:
                    if c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") && argNum < a.count {
                        if c == UInt8(ascii: "v") {
                            sharpV = sharp
                            sharp = false
                            plusV = plus
                            plus = false
                        }
                        printArg(a[argNum], Unicode.Scalar(c))
                        argNum += 1
                        i += 1
                        continue formatLoop
                    }
                    break simple
                }
                i += 1
            }
            (argNum, i, afterIndex) = argNumber(argNum, i)
            if i < end && f[i] == UInt8(ascii: "*") {
                i += 1
                (wid, widPresent, argNum) = intFromArg(argNum)
                if !widPresent { buf.append(contentsOf: "%!(BADWIDTH)".utf8) }
                if wid < 0 {
                    wid = -wid
                    minus = true
                    zero = false
                }
                afterIndex = false
            } else {
                (wid, widPresent, i) = GoPrinter.parseNumber(f, i)
                if afterIndex && widPresent { goodArgNum = false }
            }
            if i + 1 < end && f[i] == UInt8(ascii: ".") {
                i += 1
                if afterIndex { goodArgNum = false }
                (argNum, i, afterIndex) = argNumber(argNum, i)
                if i < end && f[i] == UInt8(ascii: "*") {
                    i += 1
                    (prec, precPresent, argNum) = intFromArg(argNum)
                    if prec < 0 {
                        prec = 0
                        precPresent = false
                    }
                    if !precPresent { buf.append(contentsOf: "%!(BADPREC)".utf8) }
                    afterIndex = false
                } else {
                    (prec, precPresent, i) = GoPrinter.parseNumber(f, i)
                    if !precPresent {
                        prec = 0
                        precPresent = true
                    }
                }
            }
            if !afterIndex { (argNum, i, afterIndex) = argNumber(argNum, i) }
            if i >= end {
                buf.append(contentsOf: "%!(NOVERB)".utf8)
                break
            }
            let (verb, size) = GoText.decodeRune(f, at: i)
            i += size
            if verb == "%" {
                buf.append(UInt8(ascii: "%"))
            } else if !goodArgNum {
                buf.append(contentsOf: "%!".utf8)
                buf.append(contentsOf: String(Character(verb)).utf8)
                buf.append(contentsOf: "(BADINDEX)".utf8)
            } else if argNum >= a.count {
                buf.append(contentsOf: "%!".utf8)
                buf.append(contentsOf: String(Character(verb)).utf8)
                buf.append(contentsOf: "(MISSING)".utf8)
            } else {
                if verb == "v" {
                    sharpV = sharp
                    sharp = false
                    plusV = plus
                    plus = false
                }
                printArg(a[argNum], verb)
                argNum += 1
            }
        }
        if !reordered && argNum < a.count {
            clearFlags()
            buf.append(contentsOf: "%!(EXTRA ".utf8)
            for (k, arg) in a[argNum...].enumerated() {
                if k > 0 { buf.append(contentsOf: ", ".utf8) }
                if case .null = arg {
                    buf.append(contentsOf: "<nil>".utf8)
                } else {
                    buf.append(contentsOf: arg.goTypeName.utf8)
                    buf.append(UInt8(ascii: "="))
                    printArg(arg, "v")
                }
            }
            buf.append(UInt8(ascii: ")"))
        }
    }
}

/// Go's text helpers: quoting (`strconv.Quote`), escaping for HTML, JavaScript and URL queries,
/// and reading string and character literals (`strconv.Unquote`).
enum GoText {
    /// The rune at `i` in UTF-8 `b`, and its length (U+FFFD and 1 for a bad byte).
    static func decodeRune(_ b: [UInt8], at i: Int) -> (Unicode.Scalar, Int) {
        let c = b[i]
        if c < 0x80 { return (Unicode.Scalar(c), 1) }
        var it = b[i...].makeIterator()
        var decoder = UTF8()
        if case .scalarValue(let s) = decoder.decode(&it) { return (s, s.utf8.count) }
        return ("\u{FFFD}", 1)
    }

    /// Go's `rune(i)` as `%c` and `%q` take it: U+FFFD when not a valid code point.
    static func rune(_ i: Int) -> Unicode.Scalar {
        if i < 0 || i > 0x10FFFF { return "\u{FFFD}" }
        return Unicode.Scalar(UInt32(i)) ?? "\u{FFFD}"
    }

    /// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
    static func isPrint(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 { return s.value >= 0x20 && s.value < 0x7F }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber,
            .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    /// `strconv.Quote` (or `QuoteToASCII`).
    static func quote(_ s: String, asciiOnly: Bool = false) -> String {
        var out = "\""
        for r in s.unicodeScalars { appendEscaped(&out, r, quote: "\"", asciiOnly: asciiOnly) }
        out.append("\"")
        return out
    }

    /// `strconv.QuoteRune` (or `QuoteRuneToASCII`).
    static func quoteRune(_ r: Unicode.Scalar, asciiOnly: Bool = false) -> String {
        var out = "'"
        appendEscaped(&out, r, quote: "'", asciiOnly: asciiOnly)
        out.append("'")
        return out
    }

    private static func appendEscaped(_ out: inout String, _ r: Unicode.Scalar, quote: Unicode.Scalar, asciiOnly: Bool) {
        let hex = Array("0123456789abcdef".unicodeScalars)
        if r == quote || r == "\\" {
            out.unicodeScalars.append("\\")
            out.unicodeScalars.append(r)
            return
        }
        if asciiOnly ? (r.value < 0x80 && isPrint(r)) : isPrint(r) {
            out.unicodeScalars.append(r)
            return
        }
        switch r {
        case "\u{07}": out.append("\\a")
        case "\u{08}": out.append("\\b")
        case "\u{0C}": out.append("\\f")
        case "\n": out.append("\\n")
        case "\r": out.append("\\r")
        case "\t": out.append("\\t")
        case "\u{0B}": out.append("\\v")
        default:
            let v = r.value
            if v < 0x20 || v == 0x7F {
                out.append("\\x")
                out.unicodeScalars.append(hex[Int(v >> 4)])
                out.unicodeScalars.append(hex[Int(v & 0xF)])
            } else {
                let n = v < 0x10000 ? 4 : 8
                out.append(v < 0x10000 ? "\\u" : "\\U")
                for k in stride(from: n - 1, through: 0, by: -1) { out.unicodeScalars.append(hex[Int((v >> (4 * UInt32(k))) & 0xF)]) }
            }
        }
    }

    /// `strconv.CanBackquote`.
    static func canBackquote(_ s: String) -> Bool {
        for r in s.unicodeScalars {
            if r == "\u{FEFF}" || r == "`" || r == "\u{7F}" || (r.value < 0x20 && r != "\t") { return false }
        }
        return true
    }

    /// `%b` of a float: decimal mantissa, `p`, binary exponent (`4503599627370496p-52`).
    static func binaryExponentFloat(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
        let bits = v.bitPattern
        let rawExp = Int((bits >> 52) & 0x7FF)
        var mant = bits & ((1 << 52) - 1)
        var exp = rawExp - 1075
        if rawExp == 0 { exp = -1074 } else { mant |= 1 << 52 }
        return (v.sign == .minus ? "-" : "") + String(mant) + "p" + (exp >= 0 ? "+" : "") + String(exp)
    }

    /// Go's `url.QueryEscape`: unreserved bytes kept, space as `+`, the rest `%XX`.
    static func queryEscape(_ s: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(c)
            case UInt8(ascii: " "): out.append(UInt8(ascii: "+"))
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(c >> 4)])
                out.append(hex[Int(c & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// text/template's `HTMLEscapeString`.
    static func htmlEscape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for r in s.unicodeScalars {
            switch r {
            case "\0": out.append("\u{FFFD}")
            case "\"": out.append("&#34;")
            case "'": out.append("&#39;")
            case "&": out.append("&amp;")
            case "<": out.append("&lt;")
            case ">": out.append("&gt;")
            default: out.unicodeScalars.append(r)
            }
        }
        return out
    }

    /// text/template's `JSEscapeString`.
    static func jsEscape(_ s: String) -> String {
        let hex = Array("0123456789ABCDEF".unicodeScalars)
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for r in s.unicodeScalars {
            switch r {
            case "\\": out.append("\\\\")
            case "'": out.append("\\'")
            case "\"": out.append("\\\"")
            case "<": out.append("\\u003C")
            case ">": out.append("\\u003E")
            case "&": out.append("\\u0026")
            case "=": out.append("\\u003D")
            default:
                if r.value < 0x20 {
                    out.append("\\u00")
                    out.unicodeScalars.append(hex[Int(r.value >> 4)])
                    out.unicodeScalars.append(hex[Int(r.value & 0xF)])
                } else if r.value >= 0x80 && !isPrint(r) {
                    let h = String(r.value, radix: 16, uppercase: true)
                    out.append("\\u" + String(repeating: "0", count: max(0, 4 - h.count)) + h)
                } else {
                    out.unicodeScalars.append(r)
                }
            }
        }
        return out
    }

    /// `strconv.Unquote` of a template string literal (with its quotes): `"..."` with Go's
    /// escapes, or a raw `` `...` `` (carriage returns dropped). nil when malformed.
    static func unquote(_ literal: Substring) -> String? {
        let scalars = Array(literal.unicodeScalars)
        guard scalars.count >= 2, let q = scalars.first, scalars.last == q else { return nil }
        let body = scalars[1..<(scalars.count - 1)]
        if q == "`" {
            if body.contains("`") { return nil }
            var s = String.UnicodeScalarView()
            s.append(contentsOf: body.filter { $0 != "\r" })
            return String(s)
        }
        guard q == "\"" else { return nil }
        var out = String.UnicodeScalarView()
        var i = body.startIndex
        while i < body.endIndex {
            let c = body[i]
            if c == "\"" || c == "\n" { return nil }
            if c != "\\" {
                out.append(c)
                i += 1
                continue
            }
            guard let (r, next) = unescape(body, i, quote: "\"") else { return nil }
            out.append(r)
            i = next
        }
        return String(out)
    }

    /// A character constant `'x'` as its code point, or nil when malformed.
    static func unquoteChar(_ literal: Substring) -> Int? {
        let scalars = Array(literal.unicodeScalars)
        guard scalars.count >= 3, scalars.first == "'", scalars.last == "'" else { return nil }
        let body = scalars[1..<(scalars.count - 1)]
        if body.first != "\\" { return body.count == 1 && body.first != "'" ? Int(body.first!.value) : nil }
        guard let (r, next) = unescape(body, body.startIndex, quote: "'"), next == body.endIndex else { return nil }
        return Int(r.value)
    }

    /// The escape sequence at `i` (a backslash): its rune and the index after it.
    private static func unescape(_ b: ArraySlice<Unicode.Scalar>, _ i: Int, quote: Unicode.Scalar) -> (Unicode.Scalar, Int)? {
        guard i + 1 < b.endIndex else { return nil }
        let c = b[i + 1]
        switch c {
        case "a": return ("\u{07}", i + 2)
        case "b": return ("\u{08}", i + 2)
        case "f": return ("\u{0C}", i + 2)
        case "n": return ("\n", i + 2)
        case "r": return ("\r", i + 2)
        case "t": return ("\t", i + 2)
        case "v": return ("\u{0B}", i + 2)
        case "\\": return ("\\", i + 2)
        case "'", "\"":
            return c == quote ? (c, i + 2) : nil
        case "x", "u", "U":
            let n = c == "x" ? 2 : c == "u" ? 4 : 8
            guard i + 2 + n <= b.endIndex else { return nil }
            var v: UInt32 = 0
            for k in 0..<n {
                guard let d = UInt32(String(b[i + 2 + k]), radix: 16) else { return nil }
                v = v * 16 + d
            }
            // \xHH is a byte; above 0x7F it cannot stand alone in a Swift string.
            if c == "x" && v >= 0x80 { return ("\u{FFFD}", i + 2 + n) }
            guard let s = Unicode.Scalar(v) else { return nil }
            return (s, i + 2 + n)
        case "0"..."7":
            guard i + 4 <= b.endIndex else { return nil }
            var v: UInt32 = 0
            for k in 1...3 {
                guard let d = UInt32(String(b[i + k]), radix: 8) else { return nil }
                v = v * 8 + d
            }
            if v > 255 { return nil }
            if v >= 0x80 { return ("\u{FFFD}", i + 4) }
            return (Unicode.Scalar(v)!, i + 4)
        default:
            return nil
        }
    }
}
