/// Go's `fmt` printing of template values: `Sprint`, `Sprintln`, `Sprintf` with flags `+ - # 0`
/// and space, width, precision, `*` and `[n]` argument indexes, and Go's `%!d(string=x)` for a
/// verb that does not fit its operand.
struct GoPrinter {
    var buf: [UInt8] = []
    var plus = false, minus = false, sharp = false, space = false, zero = false
    var plusV = false, sharpV = false
    var wid = 0, widPresent = false, prec = 0, precPresent = false
    var erroring = false

    init() { buf.reserveCapacity(32) }

    var string: String { String(decoding: buf, as: UTF8.self) }

    /// `fmt.Sprint`: spaces between operands when neither is a string.
    static func sprint(_ args: [TemplateValue]) -> String {
        if args.count == 1, case .string(let s) = args[0] { return s }
        var p = GoPrinter()
        var prevString = false
        for (i, arg) in args.enumerated() {
            let isString = arg.stringKindValue != nil
            if i > 0 && !isString && !prevString { p.buf.append(UInt8(ascii: " ")) }
            p.printArg(arg, "v")
            prevString = isString
        }
        return p.string
    }

    /// `fmt.Sprintln`: spaces between all operands, and a newline.
    static func sprintln(_ args: [TemplateValue]) -> String {
        var p = GoPrinter()
        for (i, arg) in args.enumerated() {
            if i > 0 { p.buf.append(UInt8(ascii: " ")) }
            p.printArg(arg, "v")
        }
        p.buf.append(UInt8(ascii: "\n"))
        return p.string
    }

    /// What an action `{{ x }}` prints: Go's `printableValue` and `fmt.Fprint`. A missing value
    /// is `<no value>`; a pointer to a struct prints as the struct.
    static func actionText(_ v: TemplateValue) -> String {
        switch v {
        case .string(let s), .html(let s): return s
        case .float(let f): return GoFloat.format(f, UInt8(ascii: "g"), -1)
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "<no value>"
        case .sample(let s):
            var p = GoPrinter()
            p.printValue(.record(s.fields), "v", depth: 0)
            return p.string
        default: return sprint([v])
        }
    }

    mutating func clearFlags() {
        plus = false; minus = false; sharp = false; space = false; zero = false
        plusV = false; sharpV = false
        wid = 0; widPresent = false; prec = 0; precPresent = false
    }

    // MARK: - Padding

    mutating func writePadding(_ n: Int) {
        if n <= 0 { return }
        buf.append(contentsOf: repeatElement(zero && !minus ? UInt8(ascii: "0") : UInt8(ascii: " "), count: n))
    }

    mutating func pad(_ b: [UInt8]) {
        if !widPresent || wid == 0 {
            buf.append(contentsOf: b)
            return
        }
        let width = wid - b.reduce(0) { $0 + (($1 & 0xC0) == 0x80 ? 0 : 1) }
        if !minus {
            writePadding(width)
            buf.append(contentsOf: b)
        } else {
            buf.append(contentsOf: b)
            writePadding(width)
        }
    }

    mutating func padString(_ s: String) { pad(Array(s.utf8)) }

    // MARK: - Operands

    mutating func printArg(_ arg: TemplateValue, _ verb: Unicode.Scalar) {
        if case .null = arg {
            if verb == "T" || verb == "v" { padString("<nil>") } else { badVerb(verb, arg) }
            return
        }
        if verb == "T" {
            fmtS(arg.goTypeName)
            return
        }
        if case .sample(let s) = arg {
            buf.append(UInt8(ascii: "&"))
            printValue(.record(s.fields), verb, depth: 1)
            return
        }
        printValue(arg, verb, depth: 0)
    }

    mutating func printValue(_ v: TemplateValue, _ verb: Unicode.Scalar, depth: Int) {
        switch v {
        case .null:
            if verb == "v" { buf.append(contentsOf: "<nil>".utf8) } else { badVerb(verb, v) }
        case .bool(let b):
            if verb == "t" || verb == "v" { padString(b ? "true" : "false") } else { badVerb(verb, v) }
        case .int(let i): fmtInteger(i, verb, v)
        case .float(let f): fmtFloat(f, verb, v)
        case .string(let s), .html(let s): fmtString(s, verb, v)
        case .time(let ns): stringer(GoTime.timeString(unixNanoseconds: ns), verb, v)
        case .duration(let ns): stringer(GoTime.durationString(ns), verb, v)
        case .stringMap(let m):
            buf.append(contentsOf: "map[".utf8)
            for (i, k) in GoSort.keys(m).enumerated() {
                if i > 0 { buf.append(UInt8(ascii: " ")) }
                printValue(.string(k), verb, depth: depth + 1)
                buf.append(UInt8(ascii: ":"))
                printValue(.string(m[k]!), verb, depth: depth + 1)
            }
            buf.append(UInt8(ascii: "]"))
        case .map(let m):
            buf.append(contentsOf: "map[".utf8)
            for (i, k) in GoSort.keys(m).enumerated() {
                if i > 0 { buf.append(UInt8(ascii: " ")) }
                printValue(.string(k), verb, depth: depth + 1)
                buf.append(UInt8(ascii: ":"))
                printValue(m[k]!, verb, depth: depth + 1)
            }
            buf.append(UInt8(ascii: "]"))
        case .list(let l):
            buf.append(UInt8(ascii: "["))
            for (i, e) in l.enumerated() {
                if i > 0 { buf.append(UInt8(ascii: " ")) }
                printValue(e, verb, depth: depth + 1)
            }
            buf.append(UInt8(ascii: "]"))
        case .samples(let l):
            // Go prints the element pointers as addresses; the samples say more.
            buf.append(UInt8(ascii: "["))
            for (i, e) in l.enumerated() {
                if i > 0 { buf.append(UInt8(ascii: " ")) }
                printValue(.sample(e), verb, depth: depth + 1)
            }
            buf.append(UInt8(ascii: "]"))
        case .sample(let s):
            buf.append(UInt8(ascii: "&"))
            printValue(.record(s.fields), verb, depth: depth + 1)
        case .record(let fields):
            buf.append(UInt8(ascii: "{"))
            for (i, f) in fields.enumerated() {
                if i > 0 { buf.append(UInt8(ascii: " ")) }
                if plusV {
                    buf.append(contentsOf: f.name.utf8)
                    buf.append(UInt8(ascii: ":"))
                }
                printValue(f.value, verb, depth: depth + 1)
            }
            buf.append(UInt8(ascii: "}"))
        }
    }

    /// A value with a `String()` method, for the verbs that use it.
    mutating func stringer(_ s: String, _ verb: Unicode.Scalar, _ v: TemplateValue) {
        switch verb {
        case "v", "s", "x", "X", "q": fmtString(s, verb, .string(s))
        default: badVerb(verb, v)
        }
    }

    mutating func badVerb(_ verb: Unicode.Scalar, _ v: TemplateValue) {
        erroring = true
        buf.append(contentsOf: "%!".utf8)
        buf.append(contentsOf: String(Character(verb)).utf8)
        buf.append(UInt8(ascii: "("))
        if case .null = v {
            buf.append(contentsOf: "<nil>".utf8)
        } else {
            buf.append(contentsOf: v.goTypeName.utf8)
            buf.append(UInt8(ascii: "="))
            printArg(v, "v")
        }
        buf.append(UInt8(ascii: ")"))
        erroring = false
    }

    // MARK: - Integers

    mutating func fmtInteger(_ i: Int, _ verb: Unicode.Scalar, _ v: TemplateValue) {
        let u = UInt64(bitPattern: Int64(i))
        switch verb {
        case "v", "d": integer(u, base: 10, verb: verb, upper: false)
        case "b": integer(u, base: 2, verb: verb, upper: false)
        case "o", "O": integer(u, base: 8, verb: verb, upper: false)
        case "x": integer(u, base: 16, verb: verb, upper: false)
        case "X": integer(u, base: 16, verb: verb, upper: true)
        case "c": pad(Array(String(Character(GoText.rune(i))).utf8))
        case "q": pad(Array(GoText.quoteRune(GoText.rune(i), asciiOnly: plus).utf8))
        case "U": unicodeFormat(u)
        default: badVerb(verb, v)
        }
    }

    mutating func integer(_ value: UInt64, base: UInt64, verb: Unicode.Scalar, upper: Bool) {
        var u = value
        let negative = Int64(bitPattern: u) < 0
        if negative { u = 0 &- u }
        var precision = 0
        if precPresent {
            precision = prec
            if prec == 0 && u == 0 {
                let oldZero = zero
                zero = false
                writePadding(wid)
                zero = oldZero
                return
            }
        } else if zero && !minus && widPresent {
            precision = wid
            if negative || plus || space { precision -= 1 }
        }
        let digits = Array((upper ? "0123456789ABCDEFX" : "0123456789abcdefx").utf8)
        var out: [UInt8] = []
        repeat {
            out.append(digits[Int(u % base)])
            u /= base
        } while u > 0
        while out.count < precision { out.append(UInt8(ascii: "0")) }
        if sharp {
            switch base {
            case 2: out.append(contentsOf: [UInt8(ascii: "b"), UInt8(ascii: "0")])
            case 8: if out.last != UInt8(ascii: "0") { out.append(UInt8(ascii: "0")) }
            case 16: out.append(contentsOf: [digits[16], UInt8(ascii: "0")])
            default: break
            }
        }
        if verb == "O" { out.append(contentsOf: [UInt8(ascii: "o"), UInt8(ascii: "0")]) }
        if negative {
            out.append(UInt8(ascii: "-"))
        } else if plus {
            out.append(UInt8(ascii: "+"))
        } else if space {
            out.append(UInt8(ascii: " "))
        }
        let oldZero = zero
        zero = false
        pad(out.reversed())
        zero = oldZero
    }

    mutating func unicodeFormat(_ value: UInt64) {
        var u = value
        var digits: [UInt8] = []
        let hex = Array("0123456789ABCDEF".utf8)
        repeat {
            digits.append(hex[Int(u & 0xF)])
            u >>= 4
        } while u > 0
        let width = precPresent && prec > 4 ? prec : 4
        while digits.count < width { digits.append(UInt8(ascii: "0")) }
        var out = Array("U+".utf8) + digits.reversed()
        if sharp, value <= 0x10FFFF, let s = Unicode.Scalar(UInt32(value)), GoText.isPrint(s) {
            out.append(contentsOf: " '".utf8)
            out.append(contentsOf: String(Character(s)).utf8)
            out.append(UInt8(ascii: "'"))
        }
        let oldZero = zero
        zero = false
        pad(out)
        zero = oldZero
    }

    // MARK: - Floats

    mutating func fmtFloat(_ f: Double, _ verb: Unicode.Scalar, _ v: TemplateValue) {
        switch verb {
        case "v": float(f, UInt8(ascii: "g"), -1)
        case "b", "g", "G", "x", "X": float(f, UInt8(verb.value), -1)
        case "f", "e", "E": float(f, UInt8(verb.value), 6)
        case "F": float(f, UInt8(ascii: "f"), 6)
        default: badVerb(verb, v)
        }
    }

    mutating func float(_ v: Double, _ verb: UInt8, _ defaultPrecision: Int) {
        let precision = precPresent ? prec : defaultPrecision
        var num: [UInt8] = [UInt8(ascii: "+")]
        if verb == UInt8(ascii: "b") {
            num.append(contentsOf: GoText.binaryExponentFloat(v).utf8)
        } else {
            num.append(contentsOf: GoFloat.formatBytes(v, verb, precision))
        }
        if num[1] == UInt8(ascii: "-") || num[1] == UInt8(ascii: "+") { num.removeFirst() }
        if space && num[0] == UInt8(ascii: "+") && !plus { num[0] = UInt8(ascii: " ") }
        if num[1] == UInt8(ascii: "I") || num[1] == UInt8(ascii: "N") {
            let oldZero = zero
            zero = false
            if num[1] == UInt8(ascii: "N") && !space && !plus { num.removeFirst() }
            pad(num)
            zero = oldZero
            return
        }
        if sharp && verb != UInt8(ascii: "b") {
            var digits = 0
            switch verb {
            case UInt8(ascii: "v"), UInt8(ascii: "g"), UInt8(ascii: "G"), UInt8(ascii: "x"):
                digits = precision == -1 ? 6 : precision
            default: break
            }
            var tail: [UInt8] = []
            var hasPoint = false
            var sawNonZero = false
            var i = 1
            while i < num.count {
                let c = num[i]
                if c == UInt8(ascii: ".") {
                    hasPoint = true
                } else if c == UInt8(ascii: "p") || c == UInt8(ascii: "P")
                    || ((c == UInt8(ascii: "e") || c == UInt8(ascii: "E")) && verb != UInt8(ascii: "x") && verb != UInt8(ascii: "X"))
                {
                    tail = Array(num[i...])
                    num.removeSubrange(i...)
                    break
                } else {
                    if c != UInt8(ascii: "0") { sawNonZero = true }
                    if sawNonZero { digits -= 1 }
                }
                i += 1
            }
            if !hasPoint {
                if num.count == 2 && num[1] == UInt8(ascii: "0") { digits -= 1 }
                num.append(UInt8(ascii: "."))
            }
            while digits > 0 {
                num.append(UInt8(ascii: "0"))
                digits -= 1
            }
            num.append(contentsOf: tail)
        }
        if plus || num[0] != UInt8(ascii: "+") {
            if zero && !minus && widPresent && wid > num.count {
                buf.append(num[0])
                writePadding(wid - num.count)
                buf.append(contentsOf: num[1...])
                return
            }
            pad(num)
            return
        }
        pad(Array(num[1...]))
    }

    // MARK: - Strings

    mutating func fmtString(_ s: String, _ verb: Unicode.Scalar, _ v: TemplateValue) {
        switch verb {
        case "v": if sharpV { fmtQ(s) } else { fmtS(s) }
        case "s": fmtS(s)
        case "x": fmtSx(s, upper: false)
        case "X": fmtSx(s, upper: true)
        case "q": fmtQ(s)
        default: badVerb(verb, v)
        }
    }

    func truncate(_ s: String) -> String {
        guard precPresent else { return s }
        return String(s.unicodeScalars.prefix(max(prec, 0)))
    }

    mutating func fmtS(_ s: String) { padString(truncate(s)) }

    mutating func fmtQ(_ s: String) {
        let t = truncate(s)
        if sharp && GoText.canBackquote(t) {
            padString("`" + t + "`")
        } else {
            padString(GoText.quote(t, asciiOnly: plus))
        }
    }

    mutating func fmtSx(_ s: String, upper: Bool) {
        let bytes = Array(s.utf8)
        let digits = Array((upper ? "0123456789ABCDEFX" : "0123456789abcdefx").utf8)
        var length = bytes.count
        if precPresent && prec < length { length = prec }
        var width = 2 * length
        if width > 0 {
            if space {
                if sharp { width *= 2 }
                width += length - 1
            } else if sharp {
                width += 2
            }
        } else {
            if widPresent { writePadding(wid) }
            return
        }
        if widPresent && wid > width && !minus { writePadding(wid - width) }
        if sharp { buf.append(contentsOf: [UInt8(ascii: "0"), digits[16]]) }
        for i in 0..<length {
            if space && i > 0 {
                buf.append(UInt8(ascii: " "))
                if sharp { buf.append(contentsOf: [UInt8(ascii: "0"), digits[16]]) }
            }
            buf.append(digits[Int(bytes[i] >> 4)])
            buf.append(digits[Int(bytes[i] & 0xF)])
        }
        if widPresent && wid > width && minus { writePadding(wid - width) }
    }
}
