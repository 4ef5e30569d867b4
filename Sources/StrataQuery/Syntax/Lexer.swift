/// Splits a query into tokens, working on its UTF-8 bytes.
///
/// A port of Prometheus's `promql/parser/lex.go` (same token boundaries, same error messages),
/// written as a plain scanner: it tracks whether it is inside `{...}` (where every word is a label
/// name), inside `[...]` (durations only) and how deep the parentheses are. The keyword table is a
/// parameter so that other dialects can reuse the scanner with their own words.
///
/// Lexing stops at the first error: the last token is then `.error` with the message in `text`.
///
/// With `logQL`, it also lexes LogQL's pipeline operators outside braces: `|`, `|=`, `|~`, and
/// `=~` / `!~` (line filters and label filters).
package struct Lexer {
    /// PromQL's keywords (matched after lowercasing the word).
    package static let promQLKeywords: [String: Keyword] = Dictionary(
        uniqueKeysWithValues: Keyword.allCases.map { ($0.rawValue, $0) })

    private let bytes: [UInt8]
    private let keywords: [String: Keyword]
    private let logQL: Bool
    /// A dialect option: inside `{...}` also accept `<`, `<=`, `>`, `>=` and numbers or durations
    /// (trace selectors: `{service="glance", duration > 2s}`). PromQL leaves it off.
    private var comparisonsInBraces = false
    private var pos = 0
    private var start = 0
    private var parenDepth = 0
    private var braceOpen = false
    private var bracketOpen = false
    private var gotColon = false

    private init(_ query: String, keywords: [String: Keyword], logQL: Bool) {
        self.bytes = Array(query.utf8)
        self.keywords = keywords
        self.logQL = logQL
    }

    /// All tokens of `query` (comments dropped), ending with `.eof` or `.error`.
    /// - Parameter comparisonsInBraces: the trace-selector dialect's comparisons inside `{...}`.
    package static func tokenize(
        _ query: String, keywords: [String: Keyword] = promQLKeywords, logQL: Bool = false,
        comparisonsInBraces: Bool = false
    ) -> [Token] {
        var lexer = Lexer(query, keywords: keywords, logQL: logQL)
        lexer.comparisonsInBraces = comparisonsInBraces
        var tokens: [Token] = []
        while true {
            guard let token = lexer.next() else { continue }
            tokens.append(token)
            if token.kind == .eof || token.kind == .error { return tokens }
        }
    }

    // MARK: - Scanner state

    private var current: UInt8? { pos < bytes.count ? bytes[pos] : nil }
    private func peek(_ offset: Int = 0) -> UInt8? { pos + offset < bytes.count ? bytes[pos + offset] : nil }

    private mutating func accept(_ set: (UInt8) -> Bool) -> Bool {
        if let c = current, set(c) {
            pos += 1
            return true
        }
        return false
    }

    private mutating func accept(_ c: UInt8) -> Bool { accept { $0 == c } }

    private mutating func emit(_ kind: TokenKind) -> Token {
        let token = Token(kind, SourceRange(start, pos), String(decoding: bytes[start..<pos], as: UTF8.self))
        start = pos
        return token
    }

    private func error(_ message: String) -> Token {
        Token(.error, SourceRange(start, bytes.count), message)
    }

    /// The scalar starting at `at` (the input is valid UTF-8: it came from a `String`).
    private func scalar(at index: Int) -> (Unicode.Scalar, Int) {
        guard index < bytes.count else { return ("\u{FFFD}", 0) }
        var it = bytes[index...].makeIterator()
        var decoder = UTF8()
        if case .scalarValue(let s) = decoder.decode(&it) { return (s, UTF8.width(s)) }
        return ("\u{FFFD}", 1)
    }

    // MARK: - Top level

    /// The next token, or nil when only whitespace or a comment was skipped.
    private mutating func next() -> Token? {
        start = pos
        if braceOpen { return insideBraces() }
        guard let c = current else {
            if parenDepth != 0 { return error("unclosed left parenthesis") }
            if bracketOpen { return error("unclosed left bracket") }
            return emit(.eof)
        }
        if c == UInt8(ascii: "#") {
            skipComment()
            return nil
        }
        pos += 1
        switch c {
        case UInt8(ascii: ","): return emit(.comma)
        case _ where ASCII.isSpace(c):
            while let s = current, ASCII.isSpace(s) { pos += 1 }
            return nil
        case UInt8(ascii: "*"): return emit(.mul)
        case UInt8(ascii: "/"): return emit(.div)
        case UInt8(ascii: "%"): return emit(.mod)
        case UInt8(ascii: "+"): return emit(.add)
        case UInt8(ascii: "-"): return emit(.sub)
        case UInt8(ascii: "^"): return emit(.pow)
        case UInt8(ascii: "@"): return emit(.at)
        case UInt8(ascii: "="):
            if accept(UInt8(ascii: "=")) { return emit(.eqlc) }
            if logQL && accept(UInt8(ascii: "~")) { return emit(.eqlRegex) }
            if current == UInt8(ascii: "~") { return error("unexpected character after '=': '~'") }
            return emit(.assign)
        case UInt8(ascii: "|") where logQL:
            if accept(UInt8(ascii: "=")) { return emit(.pipeExact) }
            if accept(UInt8(ascii: "~")) { return emit(.pipeMatch) }
            return emit(.pipe)
        case UInt8(ascii: "!"):
            if logQL && accept(UInt8(ascii: "~")) { return emit(.neqRegex) }
            guard accept(UInt8(ascii: "=")) else {
                return error("unexpected character after '!': \(quotedRune(at: pos))")
            }
            return emit(.neq)
        case UInt8(ascii: "<"): return emit(accept(UInt8(ascii: "=")) ? .lte : .lss)
        case UInt8(ascii: ">"): return emit(accept(UInt8(ascii: "=")) ? .gte : .gtr)
        case _ where ASCII.isDigit(c) || (c == UInt8(ascii: ".") && peek().map(ASCII.isDigit) == true):
            pos -= 1
            return numberOrDuration()
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return quotedString(quote: c)
        case UInt8(ascii: "`"):
            return rawString()
        case _ where ASCII.isAlpha(c) || c == UInt8(ascii: ":"):
            if !bracketOpen {
                pos -= 1
                return keywordOrIdentifier()
            }
            if c == UInt8(ascii: ":") {
                if gotColon { return error("unexpected colon ':'") }
                gotColon = true
                return emit(.colon)
            }
            // Duration expressions may call step(), range(), min_of() and max_of() in brackets.
            var end = pos
            while end < bytes.count, ASCII.isAlpha(bytes[end]) || ASCII.isDigit(bytes[end]) || bytes[end] == UInt8(ascii: "_") {
                end += 1
            }
            let word = String(decoding: bytes[start..<end], as: UTF8.self).lowercased()
            if ["step", "range", "min_of", "max_of"].contains(word) {
                pos = end
                return emit(.identifier)
            }
            return error("unexpected character: \(quotedRune(at: start)), expected ':'")
        case UInt8(ascii: "("):
            parenDepth += 1
            return emit(.leftParen)
        case UInt8(ascii: ")"):
            parenDepth -= 1
            if parenDepth < 0 { return error("unexpected right parenthesis ')'") }
            return emit(.rightParen)
        case UInt8(ascii: "{"):
            braceOpen = true
            return emit(.leftBrace)
        case UInt8(ascii: "["):
            if bracketOpen { return error("unexpected left bracket '['") }
            gotColon = false
            bracketOpen = true
            return emit(.leftBracket)
        case UInt8(ascii: "]"):
            if !bracketOpen { return error("unexpected right bracket ']'") }
            bracketOpen = false
            return emit(.rightBracket)
        default:
            return error("unexpected character: \(quotedRune(at: start))")
        }
    }

    private mutating func skipComment() {
        while let c = current, c != UInt8(ascii: "\n"), c != UInt8(ascii: "\r") { pos += 1 }
    }

    /// Inside `{...}`: every word is an identifier (keywords included), only matchers and strings.
    private mutating func insideBraces() -> Token? {
        guard let c = current else { return error("unexpected end of input inside braces") }
        if c == UInt8(ascii: "#") {
            skipComment()
            return nil
        }
        pos += 1
        switch c {
        case _ where ASCII.isSpace(c):
            while let s = current, ASCII.isSpace(s) { pos += 1 }
            return nil
        case _ where ASCII.isAlpha(c):
            while let s = current, ASCII.isAlpha(s) || ASCII.isDigit(s) { pos += 1 }
            return emit(.identifier)
        case UInt8(ascii: ","): return emit(.comma)
        case UInt8(ascii: "\""), UInt8(ascii: "'"): return quotedString(quote: c)
        case UInt8(ascii: "`"): return rawString()
        case UInt8(ascii: "="): return emit(accept(UInt8(ascii: "~")) ? .eqlRegex : .assign)
        case UInt8(ascii: "!"):
            if accept(UInt8(ascii: "~")) { return emit(.neqRegex) }
            if accept(UInt8(ascii: "=")) { return emit(.neq) }
            return error("unexpected character after '!' inside braces: \(quotedRune(at: pos))")
        case UInt8(ascii: "<") where comparisonsInBraces: return emit(accept(UInt8(ascii: "=")) ? .lte : .lss)
        case UInt8(ascii: ">") where comparisonsInBraces: return emit(accept(UInt8(ascii: "=")) ? .gte : .gtr)
        case _ where comparisonsInBraces && ASCII.isDigit(c):
            pos -= 1
            return numberOrDuration()
        case UInt8(ascii: "{"): return error("unexpected left brace '{'")
        case UInt8(ascii: "}"):
            braceOpen = false
            return emit(.rightBrace)
        default:
            return error("unexpected character inside braces: \(quotedRune(at: start))")
        }
    }

    private mutating func keywordOrIdentifier() -> Token {
        while let c = current, ASCII.isAlpha(c) || ASCII.isDigit(c) || c == UInt8(ascii: ":") { pos += 1 }
        let word = String(decoding: bytes[start..<pos], as: UTF8.self)
        let lower = word.lowercased()
        if let keyword = keywords[lower] { return emit(.keyword(keyword)) }
        if lower == "inf" || lower == "nan" { return emit(.number) }
        return emit(word.utf8.contains(UInt8(ascii: ":")) ? .metricIdentifier : .identifier)
    }

    // MARK: - Numbers and durations

    private mutating func numberOrDuration() -> Token {
        if scanNumber() { return emit(.number) }
        if acceptRemainingDuration() {
            pos -= 1  // acceptRemainingDuration read one byte past the duration
            return emit(.duration)
        }
        let text = String(decoding: bytes[start..<min(pos, bytes.count)], as: UTF8.self)
        return error("bad number or duration syntax: \(GoQuote.string(text))")
    }

    /// After the digits: a unit, then optionally more digit-unit pairs (`1h30m`), and no letter or digit after.
    private mutating func acceptRemainingDuration() -> Bool {
        guard accept({ "smhdwy".utf8.contains($0) }) else { return false }
        _ = accept(UInt8(ascii: "s"))
        while accept(ASCII.isDigit) {
            while accept(ASCII.isDigit) {}
            guard accept({ "smhdw".utf8.contains($0) }) else { return false }
            _ = accept(UInt8(ascii: "s"))
        }
        // Read one more byte (like Go's l.next()); at the end of input nothing is read.
        guard let c = current else {
            pos += 1
            return true
        }
        pos += 1
        return !(ASCII.isAlpha(c) || ASCII.isDigit(c))
    }

    /// Prometheus's `scanNumber`: decimal, hex, exponent and `_` separators; the result is checked later.
    private mutating func scanNumber() -> Bool {
        let initial = pos
        var hex = false
        if accept(UInt8(ascii: "0")) && accept({ $0 == UInt8(ascii: "x") || $0 == UInt8(ascii: "X") }) {
            _ = accept(UInt8(ascii: "_"))
            hex = true
        }
        let isDigitOfBase: (UInt8) -> Bool = { hex ? ASCII.isHexDigit($0) : ASCII.isDigit($0) }
        let isExponent: (UInt8) -> Bool = { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let dot = UInt8(ascii: "."), underscore = UInt8(ascii: "_")
        _ = accept(dot)
        _ = accept(isDigitOfBase)
        var dotConsumed = false
        var exponentConsumed = false
        while let c = current, isDigitOfBase(c) || c == dot || c == underscore || isExponent(c) {
            if c == dot && dotConsumed {
                pos += 1
                return false
            }
            if isExponent(c) && exponentConsumed {
                pos += 1
                return false
            }
            if accept(dot) {
                dotConsumed = true
                if accept({ $0 == underscore || $0 == dot }) { return false }
                if hex { return false }
                continue
            }
            if accept(isExponent) {
                exponentConsumed = true
                _ = accept({ $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") })
                if accept({ $0 == dot || $0 == underscore || isExponent($0) }) || current == nil { return false }
                continue
            }
            if accept(underscore) {
                if accept({ $0 == dot || $0 == underscore || isExponent($0) }) || current == nil { return false }
                continue
            }
            while accept(isDigitOfBase) {}
        }
        if pos == initial { return false }
        if let c = current, ASCII.isAlpha(c) || ASCII.isDigit(c) { return false }
        return true
    }

    // MARK: - Strings

    private mutating func quotedString(quote: UInt8) -> Token {
        while true {
            guard let c = current, c != UInt8(ascii: "\n") else { return error("unterminated quoted string") }
            if c == quote {
                pos += 1
                return emit(.string)
            }
            if c == UInt8(ascii: "\\") {
                pos += 1
                if let message = escape(quote: quote) { return error(message) }
                continue
            }
            let (s, width) = scalar(at: pos)
            if s == "\u{FFFD}" { return error("invalid UTF-8 rune") }
            pos += width
        }
    }

    /// Checks one escape sequence (the backslash is consumed); returns the error message, if any.
    private mutating func escape(quote: UInt8) -> String? {
        guard let c = current else { return "escape sequence not terminated" }
        let digits: Int, base: UInt32, maxValue: UInt32
        switch c {
        case UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"),
            UInt8(ascii: "t"), UInt8(ascii: "v"), UInt8(ascii: "\\"), quote:
            pos += 1
            return nil
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            (digits, base, maxValue) = (3, 8, 255)
        case UInt8(ascii: "x"):
            pos += 1
            (digits, base, maxValue) = (2, 16, 255)
        case UInt8(ascii: "u"):
            pos += 1
            (digits, base, maxValue) = (4, 16, 0x10FFFF)
        case UInt8(ascii: "U"):
            pos += 1
            (digits, base, maxValue) = (8, 16, 0x10FFFF)
        default:
            let (s, width) = scalar(at: pos)
            pos += width
            return "unknown escape sequence \(GoQuote.unicode(s))"
        }
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let d = current else { return "escape sequence not terminated" }
            let v = ASCII.hexValue(d)
            guard v < base else {
                let (s, width) = scalar(at: pos)
                pos += width
                return "illegal character \(GoQuote.unicode(s)) in escape sequence"
            }
            value = value * base + v
            pos += 1
        }
        if value > maxValue || (0xD800..<0xE000).contains(value) {
            return "escape sequence is an invalid Unicode code point"
        }
        return nil
    }

    private mutating func rawString() -> Token {
        while true {
            guard let c = current else { return error("unterminated raw string") }
            if c == UInt8(ascii: "`") {
                pos += 1
                return emit(.string)
            }
            let (s, width) = scalar(at: pos)
            if s == "\u{FFFD}" { return error("invalid UTF-8 rune") }
            pos += width
        }
    }

    private func quotedRune(at index: Int) -> String {
        index < bytes.count ? GoQuote.rune(scalar(at: index).0) : "EOF"
    }
}

/// Prometheus's character classes: ASCII only.
enum ASCII {
    @inline(__always) static func isSpace(_ c: UInt8) -> Bool {
        c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r")
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    @inline(__always) static func isAlpha(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "_") || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
            || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
    }

    @inline(__always) static func isHexDigit(_ c: UInt8) -> Bool { hexValue(c) < 16 }

    /// 0-15 for a hex digit, 16 otherwise.
    @inline(__always) static func hexValue(_ c: UInt8) -> UInt32 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(c - UInt8(ascii: "A") + 10)
        default: 16
        }
    }
}
