import Testing

@testable import StrataIngest

/// The JSON scanner shared by the osprofiler parser (strict) and the JSON-lines log parser (lenient).
@Suite struct JSONScannerTests {
    /// Runs `body` on a scanner over `text`.
    func scan<R>(_ text: String, _ strictness: JSONScanner.Strictness = .strict, _ body: (inout JSONScanner) throws(JSONError) -> R)
        -> Result<R, JSONError>
    {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { b in
            var s = JSONScanner(b, strictness: strictness)
            do throws(JSONError) { return .success(try body(&s)) } catch { return .failure(error) }
        }
    }

    @Test func stringsEndAtTheFirstUnescapedQuoteWhereverItFalls() throws {
        // A quote, an escape or a control character at every offset across two 8-byte words.
        for length in 0..<24 {
            let body = String(repeating: "a", count: length)
            for (text, escaped) in [("\(body)\"", false), ("\(body)\\\"x\"", true), ("\(body)\\\\\"", true)] {
                let got = scan("\"" + text + " tail") { s throws(JSONError) in (try s.rawString(), s.lastStringEscaped) }
                let expected = text.utf8.count - 1
                #expect(try got.get().0 == 1..<(1 + expected), "length \(length): \(text)")
                #expect(try got.get().1 == escaped)
            }
            // A control character: refused when strict, taken as it is when lenient.
            let control = "\"" + body + "\u{01}\""
            #expect(throws: JSONError.self) { try scan(control) { s throws(JSONError) in try s.rawString() }.get() }
            #expect(try scan(control, .lenient) { s throws(JSONError) in try s.rawString() }.get() == 1..<(2 + length))
            let open = scan("\"" + body) { s throws(JSONError) in try s.rawString() }
            switch open {
            case .success: Issue.record("an unterminated string was accepted")
            case .failure(let error): #expect(error.kind == .truncated)
            }
        }
    }

    @Test(arguments: [
        (#""plain""#, "plain"),
        (#""q\"b\\s\/n\nt\tr\rb\bf\f""#, "q\"b\\s/n\nt\tr\rb\u{8}f\u{C}"),
        (#""\u00e9\u20AC \ud83d\ude00""#, "é€ 😀"),
        (#""lone \ud800 high, \udc00 low""#, "lone \u{FFFD} high, \u{FFFD} low"),
    ])
    func stringsDecodeTheirEscapes(_ json: String, _ text: String) throws {
        #expect(try scan(json) { s throws(JSONError) in try s.string() }.get() == text)
        #expect(try scan(json, .lenient) { s throws(JSONError) in try s.string() }.get() == text)
    }

    @Test(arguments: [#""\q""#, #""\u12""#, #""\uZZZZ""#, #""\ud800\uZZZZ""#])
    func badEscapesAreErrors(_ json: String) {
        #expect(throws: JSONError.self) { try scan(json) { s throws(JSONError) in try s.string() }.get() }
    }

    @Test func lenientReadsWhatShippersWrite() throws {
        // An unknown escape reads as the character; \u errors stay errors.
        #expect(try scan(#""a\qb""#, .lenient) { s throws(JSONError) in try s.string() }.get() == "aqb")
        #expect(throws: JSONError.self) { try scan(#""\uZZZZ""#, .lenient) { s throws(JSONError) in try s.string() }.get() }
        // Bare words up to ',', '}' or a space; brackets counted outside strings.
        let values = scan(#"{"a": NaN, "b": -Infinity , "c": [1 2 {"]"}], "d": {"e"}, "f": 1]}"#, .lenient) {
            s throws(JSONError) -> [String] in
            var out: [String] = []
            if try s.beginObject() {
                repeat {
                    _ = try s.key()
                    out.append(JSONScanner.text(s.bytes, try s.skipValue()))
                } while try s.nextMember()
            }
            return out
        }
        #expect(try values.get() == ["NaN", "-Infinity", #"[1 2 {"]"}]"#, #"{"e"}"#, "1]"])
        // Strict: none of that is JSON.
        for json in ["NaN", "[1 2]", #"{"e"}"#] {
            #expect(throws: JSONError.self, "\(json)") { try scan(json) { s throws(JSONError) in try s.skipValue() }.get() }
        }
        #expect(throws: JSONError.self) { try scan("[1, [2", .lenient) { s throws(JSONError) in try s.skipValue() }.get() }
    }

    @Test func skipValueReturnsTheValuesBytes() throws {
        let json = #" {"a": [1, -2.5e3, true, false, null, "x\"y", {"b": {}}], "c": []} tail"#
        let r = try scan(json) { s throws(JSONError) in try s.skipValue() }.get()
        #expect(String(decoding: Array(json.utf8)[r], as: UTF8.self) == String(json.dropFirst().dropLast(5)))
        // Too deep is an error, not a crash.
        let deep = String(repeating: "[", count: JSONScanner.maxDepth + 1) + String(repeating: "]", count: JSONScanner.maxDepth + 1)
        #expect(throws: JSONError.self) { try scan(deep) { s throws(JSONError) in try s.skipValue() }.get() }
    }
}
