import Testing

@testable import StrataIngest

/// The osprofiler parser's JSON scanner.
@Suite struct JSONScannerTests {
    /// Runs `body` on a scanner over `text`.
    func scan<R>(_ text: String, _ body: (inout JSONScanner) throws(JSONError) -> R) -> Result<R, JSONError> {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { b in
            var s = JSONScanner(b)
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
            let control = "\"" + body + "\u{01}\""
            #expect(throws: JSONError.self) { try scan(control) { s throws(JSONError) in try s.rawString() }.get() }
            let open = scan("\"" + body) { s throws(JSONError) in try s.rawString() }
            switch open {
            case .success: Issue.record("an unterminated string was accepted")
            case .failure(let error): #expect(error.kind == .truncated)
            }
        }
    }
}
