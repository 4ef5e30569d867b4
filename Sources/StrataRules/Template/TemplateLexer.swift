/// A token of Go's text/template syntax: its kind and its bytes in the source.
struct TemplateToken {
    enum Kind: UInt8 {
        case text, leftDelim, rightDelim, space, identifier, field, variable, bool, number, charConstant, complex
        case string, rawString, pipe, leftParen, rightParen, declare, assign, char, dot, eof, error
        // Keywords.
        case keywordBlock, keywordBreak, keywordContinue, keywordDefine, keywordElse, keywordEnd, keywordIf
        case keywordNil, keywordRange, keywordTemplate, keywordWith
    }
    var kind: Kind
    var start: Int
    var end: Int

    var isKeyword: Bool { kind.rawValue >= Kind.keywordBlock.rawValue }
}

/// The lexer of text/template (`text/template/parse/lex.go`): text, `{{ }}` actions with the
/// `{{- ` and ` -}}` trim markers, `{{/* */}}` comments, and the tokens inside actions.
/// The whole source is lexed up front; a lexical error ends the tokens with an `.error` token
/// whose message is `errorMessage`.
struct TemplateLexer {
    let src: [UInt8]
    var tokens: [TemplateToken] = []
    var errorMessage = ""
    private var parenDepth = 0

    init(_ src: [UInt8]) {
        self.src = src
        tokens.reserveCapacity(src.count / 4 + 4)
        run()
    }

    private static func isSpace(_ c: UInt8) -> Bool {
        c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") || c == UInt8(ascii: "\n")
    }

    private func hasPrefix(_ p: StaticString, at i: Int) -> Bool {
        let n = p.utf8CodeUnitCount
        if i < 0 || i + n > src.count { return false }
        return p.withUTF8Buffer { buf in
            for k in 0..<n where src[i + k] != buf[k] { return false }
            return true
        }
    }

    private func hasLeftTrimMarker(_ i: Int) -> Bool {
        i + 1 < src.count && src[i] == UInt8(ascii: "-") && Self.isSpace(src[i + 1])
    }

    private func hasRightTrimMarker(_ i: Int) -> Bool {
        i + 1 < src.count && Self.isSpace(src[i]) && src[i + 1] == UInt8(ascii: "-")
    }

    /// Whether a right delimiter starts at `i`, and whether it carries the trim marker.
    private func atRightDelim(_ i: Int) -> (delim: Bool, trim: Bool) {
        if hasRightTrimMarker(i) && hasPrefix("}}", at: i + 2) { return (true, true) }
        if hasPrefix("}}", at: i) { return (true, false) }
        return (false, false)
    }

    private mutating func emit(_ kind: TemplateToken.Kind, _ start: Int, _ end: Int) {
        tokens.append(TemplateToken(kind: kind, start: start, end: end))
    }

    private mutating func fail(_ message: String, at start: Int) {
        errorMessage = message
        emit(.error, start, start)
    }

    private func skipSpaces(from i: Int) -> Int {
        var j = i
        while j < src.count && Self.isSpace(src[j]) { j += 1 }
        return j
    }

    /// The rune at `i` (nil at the end) and its length in bytes.
    private func rune(at i: Int) -> (Unicode.Scalar?, Int) {
        if i >= src.count { return (nil, 0) }
        let (r, n) = GoText.decodeRune(src, at: i)
        return (r, n)
    }

    static func isAlphaNumeric(_ r: Unicode.Scalar?) -> Bool {
        guard let r else { return false }
        if r.value < 0x80 {
            let c = UInt8(r.value)
            return c == UInt8(ascii: "_") || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
                || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
        }
        switch r.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber: return true
        default: return false
        }
    }

    /// Go's `%#U`: `U+0029 ')'`.
    static func describeRune(_ r: Unicode.Scalar?) -> String {
        guard let r else { return "U+FFFFFFFFFFFFFFFF" }  // Go's eof rune is -1
        let hex = String(r.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        return GoText.isPrint(r) ? code + " '" + String(Character(r)) + "'" : code
    }

    private mutating func run() {
        var pos = 0
        while true {
            // Text up to the next "{{".
            var x = pos
            while x + 1 < src.count && !(src[x] == UInt8(ascii: "{") && src[x + 1] == UInt8(ascii: "{")) { x += 1 }
            if x + 1 >= src.count {
                if src.count > pos { emit(.text, pos, src.count) }
                emit(.eof, src.count, src.count)
                return
            }
            let trimLeft = hasLeftTrimMarker(x + 2)
            var textEnd = x
            if trimLeft {
                while textEnd > pos && Self.isSpace(src[textEnd - 1]) { textEnd -= 1 }
            }
            if textEnd > pos { emit(.text, pos, textEnd) }
            let afterMarker = x + 2 + (trimLeft ? 2 : 0)
            if hasPrefix("/*", at: afterMarker) {
                guard let next = comment(start: x, body: afterMarker + 2) else { return }
                pos = next
                continue
            }
            emit(.leftDelim, x, x + 2)
            parenDepth = 0
            guard let next = insideAction(from: afterMarker, actionStart: x) else { return }
            pos = next
        }
    }

    /// A comment; returns where the text after it starts, or nil after an error.
    private mutating func comment(start: Int, body: Int) -> Int? {
        var i = body
        while i + 1 < src.count && !(src[i] == UInt8(ascii: "*") && src[i + 1] == UInt8(ascii: "/")) { i += 1 }
        if i + 1 >= src.count {
            fail("unclosed comment", at: start)
            return nil
        }
        i += 2
        let (delim, trim) = atRightDelim(i)
        if !delim {
            fail("comment ends before closing delimiter", at: start)
            return nil
        }
        i += (trim ? 2 : 0) + 2
        return trim ? skipSpaces(from: i) : i
    }

    /// The tokens of one action; returns where the text after it starts, or nil after an error.
    private mutating func insideAction(from start: Int, actionStart: Int) -> Int? {
        var i = start
        while true {
            let (delim, trim) = atRightDelim(i)
            if delim {
                if parenDepth != 0 {
                    fail("unclosed left paren", at: i)
                    return nil
                }
                let d = i + (trim ? 2 : 0)
                emit(.rightDelim, d, d + 2)
                return trim ? skipSpaces(from: d + 2) : d + 2
            }
            let (r, _) = rune(at: i)
            guard let r else {
                fail("unclosed action", at: actionStart)
                return nil
            }
            let c: UInt8 = r.value < 0x80 ? UInt8(r.value) : 0
            switch c {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                var j = skipSpaces(from: i)
                // A run of spaces ending in " -}}": its last space belongs to the delimiter.
                if hasRightTrimMarker(j - 1) && hasPrefix("}}", at: j + 1) {
                    j -= 1
                    if j == i { continue }
                }
                emit(.space, i, j)
                i = j
            case UInt8(ascii: "="):
                emit(.assign, i, i + 1)
                i += 1
            case UInt8(ascii: ":"):
                if i + 1 >= src.count || src[i + 1] != UInt8(ascii: "=") {
                    fail("expected :=", at: i)
                    return nil
                }
                emit(.declare, i, i + 2)
                i += 2
            case UInt8(ascii: "|"):
                emit(.pipe, i, i + 1)
                i += 1
            case UInt8(ascii: "\""), UInt8(ascii: "`"), UInt8(ascii: "'"):
                guard let j = quoted(from: i, quote: c) else { return nil }
                emit(c == UInt8(ascii: "\"") ? .string : c == UInt8(ascii: "`") ? .rawString : .charConstant, i, j)
                i = j
            case UInt8(ascii: "$"):
                guard let j = fieldOrVariable(from: i, isVariable: true) else { return nil }
                i = j
            case UInt8(ascii: "."):
                if i + 1 < src.count && !(src[i + 1] >= UInt8(ascii: "0") && src[i + 1] <= UInt8(ascii: "9")) {
                    guard let j = fieldOrVariable(from: i, isVariable: false) else { return nil }
                    i = j
                } else {
                    guard let j = number(from: i) else { return nil }
                    i = j
                }
            case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard let j = number(from: i) else { return nil }
                i = j
            case UInt8(ascii: "("):
                emit(.leftParen, i, i + 1)
                parenDepth += 1
                i += 1
            case UInt8(ascii: ")"):
                parenDepth -= 1
                if parenDepth < 0 {
                    fail("unexpected right paren U+0029 ')'", at: i)
                    return nil
                }
                emit(.rightParen, i, i + 1)
                i += 1
            default:
                if Self.isAlphaNumeric(r) {
                    guard let j = identifier(from: i) else { return nil }
                    i = j
                } else if c >= 0x20 && c < 0x7F {
                    emit(.char, i, i + 1)
                    i += 1
                } else {
                    fail("unrecognized character in action: \(Self.describeRune(r))", at: i)
                    return nil
                }
            }
        }
    }

    /// Whether what follows an identifier may end it.
    private func atTerminator(_ i: Int) -> Bool {
        if i >= src.count { return true }
        switch src[i] {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: "."), UInt8(ascii: ","),
            UInt8(ascii: "|"), UInt8(ascii: ":"), UInt8(ascii: ")"), UInt8(ascii: "("), UInt8(ascii: "}"):
            return true
        default: return false
        }
    }

    private func scanAlphaNumeric(from i: Int) -> Int {
        var j = i
        while true {
            let (r, n) = rune(at: j)
            if !Self.isAlphaNumeric(r) { return j }
            j += n
        }
    }

    private mutating func identifier(from i: Int) -> Int? {
        let j = scanAlphaNumeric(from: i)
        if !atTerminator(j) {
            fail("bad character \(Self.describeRune(rune(at: j).0))", at: i)
            return nil
        }
        let kind: TemplateToken.Kind
        switch String(decoding: src[i..<j], as: UTF8.self) {
        case "block": kind = .keywordBlock
        case "break": kind = .keywordBreak
        case "continue": kind = .keywordContinue
        case "define": kind = .keywordDefine
        case "else": kind = .keywordElse
        case "end": kind = .keywordEnd
        case "if": kind = .keywordIf
        case "nil": kind = .keywordNil
        case "range": kind = .keywordRange
        case "template": kind = .keywordTemplate
        case "with": kind = .keywordWith
        case "true", "false": kind = .bool
        default: kind = .identifier
        }
        emit(kind, i, j)
        return j
    }

    /// `.Field`, `.`, `$name` or `$` (the `.` or `$` at `i`).
    private mutating func fieldOrVariable(from i: Int, isVariable: Bool) -> Int? {
        if atTerminator(i + 1) {
            emit(isVariable ? .variable : .dot, i, i + 1)
            return i + 1
        }
        let j = scanAlphaNumeric(from: i + 1)
        if !atTerminator(j) {
            fail("bad character \(Self.describeRune(rune(at: j).0))", at: i)
            return nil
        }
        emit(isVariable ? .variable : .field, i, j)
        return j
    }

    /// A quoted string, raw string or character constant; returns the index after it.
    private mutating func quoted(from i: Int, quote: UInt8) -> Int? {
        var j = i + 1
        while true {
            if j >= src.count || (quote != UInt8(ascii: "`") && src[j] == UInt8(ascii: "\n")) {
                let what =
                    quote == UInt8(ascii: "\"") ? "unterminated quoted string"
                    : quote == UInt8(ascii: "`") ? "unterminated raw quoted string" : "unterminated character constant"
                fail(what, at: i)
                return nil
            }
            let c = src[j]
            if c == UInt8(ascii: "\\") && quote != UInt8(ascii: "`") {
                if j + 1 >= src.count || src[j + 1] == UInt8(ascii: "\n") {
                    fail(quote == UInt8(ascii: "\"") ? "unterminated quoted string" : "unterminated character constant", at: i)
                    return nil
                }
                j += 2
                continue
            }
            j += 1
            if c == quote { return j }
        }
    }

    private func accept(_ j: inout Int, _ valid: String) -> Bool {
        if j < src.count && valid.utf8.contains(src[j]) {
            j += 1
            return true
        }
        return false
    }

    private func acceptRun(_ j: inout Int, _ valid: String) {
        while j < src.count && valid.utf8.contains(src[j]) { j += 1 }
    }

    /// Go's deliberately loose number scanner; the parser checks the syntax.
    private func scanNumber(_ j: inout Int) -> Bool {
        _ = accept(&j, "+-")
        var digits = "0123456789_"
        if accept(&j, "0") {
            if accept(&j, "xX") {
                digits = "0123456789abcdefABCDEF_"
            } else if accept(&j, "oO") {
                digits = "01234567_"
            } else if accept(&j, "bB") {
                digits = "01_"
            }
        }
        acceptRun(&j, digits)
        if accept(&j, ".") { acceptRun(&j, digits) }
        if digits.utf8.count == 11 && accept(&j, "eE") {
            _ = accept(&j, "+-")
            acceptRun(&j, "0123456789_")
        }
        if digits.utf8.count == 23 && accept(&j, "pP") {
            _ = accept(&j, "+-")
            acceptRun(&j, "0123456789_")
        }
        _ = accept(&j, "i")
        if Self.isAlphaNumeric(rune(at: j).0) {
            j += max(rune(at: j).1, 1)
            return false
        }
        return true
    }

    private mutating func number(from i: Int) -> Int? {
        var j = i
        if !scanNumber(&j) {
            fail("bad number syntax: \(GoText.quote(String(decoding: src[i..<j], as: UTF8.self)))", at: i)
            return nil
        }
        if j < src.count && (src[j] == UInt8(ascii: "+") || src[j] == UInt8(ascii: "-")) {
            if !scanNumber(&j) || src[j - 1] != UInt8(ascii: "i") {
                fail("bad number syntax: \(GoText.quote(String(decoding: src[i..<j], as: UTF8.self)))", at: i)
                return nil
            }
            emit(.complex, i, j)
            return j
        }
        emit(.number, i, j)
        return j
    }
}
