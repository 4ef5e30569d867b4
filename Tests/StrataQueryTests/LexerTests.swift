import Testing

@testable import StrataQuery

@Suite struct LexerTests {
    static func kinds(_ q: String) -> [TokenKind] { Lexer.tokenize(q).map(\.kind) }

    @Test(arguments: [
        ("1", [TokenKind.number]), ("0x1F", [.number]), ("1e-3", [.number]), (".5", [.number]), ("5.", [.number]),
        ("1_000", [.number]), ("Inf", [.number]), ("nAn", [.number]), ("5m", [.duration]), ("1h30m", [.duration]),
        ("100ms", [.duration]), ("1.5h", [.duration]), ("foo", [.identifier]), ("foo:bar", [.metricIdentifier]), ("SUM", [.keyword(.sum)]),
        ("'a'", [.string]), ("\"a\\\"b\"", [.string]), ("`raw\\n`", [.string]),
        ("a >= b", [.identifier, .gte, .identifier]), ("a != b", [.identifier, .neq, .identifier]),
        ("{on=~\"x\"}", [.leftBrace, .identifier, .eqlRegex, .string, .rightBrace]),
        ("x[5m:1m]", [.identifier, .leftBracket, .duration, .colon, .duration, .rightBracket]),
        ("x # comment\n+ 1", [.identifier, .add, .number]),
        ("a @ 5", [.identifier, .at, .number]),
    ])
    func tokens(query: String, expected: [TokenKind]) {
        #expect(Self.kinds(query) == expected + [.eof])
    }

    @Test(arguments: [
        ("\"abc", "unterminated quoted string"),
        ("`abc", "unterminated raw string"),
        ("\"a\\qb\"", "unknown escape sequence U+0071 'q'"),
        ("\"\\xZZ\"", "illegal character U+005A 'Z' in escape sequence"),
        ("\"\\uD800\"", "escape sequence is an invalid Unicode code point"),
        ("'a\\\"'", "unknown escape sequence U+0022 '\"'"),
        ("foo{", "unexpected end of input inside braces"),
        ("(1", "unclosed left parenthesis"),
        ("1)", "unexpected right parenthesis ')'"),
        ("x[5m", "unclosed left bracket"),
        ("x]", "unexpected right bracket ']'"),
        ("a =~ b", "unexpected character after '=': '~'"),
        ("a ! b", "unexpected character after '!': ' '"),
        ("5x", "bad number or duration syntax: \"5\""),
        ("x[5m:1m:]", "unexpected colon ':'"),
        ("x[foo]", "unexpected character: 'f', expected ':'"),
        ("a ; b", "unexpected character: ';'"),
        ("{a;}", "unexpected character inside braces: ';'"),
    ])
    func errors(query: String, message: String) {
        let last = Lexer.tokenize(query).last!
        #expect(last.kind == .error)
        #expect(last.text == message)
    }

    @Test(arguments: [
        ("\"a\\nb\"", "a\nb"), ("'it\\'s'", "it's"), ("\"\\x41\\101\\u00e9\\U0001F600\"", "AAé😀"),
        ("`a\\nb`", "a\\nb"), ("\"tab\\there\"", "tab\there"), ("\"\\\\\"", "\\"), ("\"\\xc3\\xa9\"", "é"),
        ("\"a\\xffz\"", "a\u{FFFD}z"),
    ])
    func unquote(literal: String, value: String) {
        #expect(StringLiteral.unquote(literal) == value)
    }

    @Test(arguments: [
        ("1", 1.0), ("0x1F", 31), ("0X1f", 31), ("010", 8), ("0o17", 15), ("1_000", 1000), ("1e3", 1000), (".5", 0.5),
        ("5.", 5), ("1.5E-2", 0.015), ("Inf", Double.infinity), ("1_000.5", 1000.5),
    ])
    func numbers(text: String, value: Double) {
        #expect(NumberLiteral.parse(text) == value)
    }

    @Test(arguments: [
        ("5m", Int64(300_000)), ("1h30m", 5_400_000), ("1y", 31_536_000_000), ("2w", 1_209_600_000), ("1d", 86_400_000),
        ("100ms", 100), ("1m30s500ms", 90_500), ("0", 0), ("0s", 0),
    ])
    func durations(text: String, ms: Int64) throws {
        #expect(try DurationLiteral.parse(text).get() == ms)
    }

    @Test(arguments: [
        ("1m1h", "not a valid duration string: \"1m1h\""), ("1x", "unknown unit \"x\" in duration \"1x\""),
        ("5hs", "unknown unit \"hs\" in duration \"5hs\""), ("", "empty duration string"),
        ("999999999y", "duration out of range"),
    ])
    func badDurations(text: String, message: String) {
        guard case .failure(let e) = DurationLiteral.parse(text) else {
            Issue.record("\(text) parsed")
            return
        }
        #expect(e.message == message)
    }

    @Test(arguments: [
        (300_000, "5m"), (5_400_000, "1h30m"), (0, "0s"), (7_776_000_000, "90d"), (1_209_600_000, "2w"),
        (31_536_000_000, "1y"), (1500, "1s500ms"), (-300_000, "-5m"),
    ] as [(Int64, String)])
    func formatDurations(ms: Int64, text: String) {
        #expect(DurationLiteral.format(milliseconds: ms) == text)
    }

    @Test(arguments: [
        (1.0, "1"), (-2.5 as Double, "-2.5"), (1e-5, "0.00001"), (1e21, "1000000000000000000000"), (0.1, "0.1"),
        (123456.789, "123456.789"), (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"), (Double.nan, "NaN"), (1.5e-7, "0.00000015"),
    ])
    func formatNumbers(value: Double, text: String) {
        #expect(NumberLiteral.format(value) == text)
    }
}
