import StrataLabels
import StrataMetrics

/// Parses a PromQL series selector: `name`, `name{l="v", l2=~"re"}` or `{l!="v"}`.
///
/// Until the PromQL parser lands this serves `strata export`; errors point at the column.
package enum SeriesSelector {
    /// A selector the parser refused, with the 1-based column of the problem.
    package struct ParseError: Error, CustomStringConvertible {
        package var selector: String
        package var column: Int
        package var reason: String
        package var description: String {
            "parse error at column \(column): \(reason)\n  \(selector)\n  " + String(repeating: " ", count: column - 1) + "^"
        }
    }

    package static func parse(_ text: String) throws(ParseError) -> [LabelMatcher] {
        let b = Array(text.utf8)
        var i = 0
        func fail(_ r: String) -> ParseError { ParseError(selector: text, column: i + 1, reason: r) }
        func skipSpace() { while i < b.count && (b[i] == 32 || b[i] == 9) { i += 1 } }
        func isNameStart(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 }
        func ident(allowColon: Bool) -> String? {
            let s = i
            guard i < b.count, isNameStart(b[i]) || (allowColon && b[i] == 58) else { return nil }
            i += 1
            while i < b.count, isNameStart(b[i]) || (b[i] >= 48 && b[i] <= 57) || (allowColon && b[i] == 58) { i += 1 }
            return String(decoding: b[s..<i], as: UTF8.self)
        }
        var matchers: [LabelMatcher] = []
        skipSpace()
        if let name = ident(allowColon: true) { matchers.append(.equal("__name__", name)) }
        skipSpace()
        if i < b.count && b[i] == 123 {
            i += 1
            while true {
                skipSpace()
                if i < b.count && b[i] == 125 { i += 1; break }
                var name: String
                if i < b.count && b[i] == 34 {
                    name = try quoted()
                } else {
                    guard let n = ident(allowColon: false) else { throw fail("expected a label name") }
                    name = n
                }
                skipSpace()
                let kind: LabelMatcher.Kind
                if i + 1 < b.count && b[i] == 61 && b[i + 1] == 126 { kind = .regex; i += 2 }
                else if i + 1 < b.count && b[i] == 33 && b[i + 1] == 61 { kind = .notEqual; i += 2 }
                else if i + 1 < b.count && b[i] == 33 && b[i + 1] == 126 { kind = .notRegex; i += 2 }
                else if i < b.count && b[i] == 61 { kind = .equal; i += 1 }
                else { throw fail("expected one of =, !=, =~, !~") }
                skipSpace()
                let valueAt = i
                let value = try quoted()
                do { matchers.append(try LabelMatcher(kind, name, value)) } catch {
                    throw ParseError(selector: text, column: valueAt + 1, reason: error.description)
                }
                skipSpace()
                if i < b.count && b[i] == 44 { i += 1; continue }
                if i < b.count && b[i] == 125 { i += 1; break }
                throw fail("expected , or }")
            }
        }
        skipSpace()
        guard i == b.count else { throw fail("unexpected text after the selector") }
        guard matchers.contains(where: { !$0.matchesEmpty }) else {
            i = 0
            throw fail("a selector needs a metric name or a matcher that does not match the empty string")
        }
        return matchers

        func quoted() throws(ParseError) -> String {
            guard i < b.count, b[i] == 34 || b[i] == 39 || b[i] == 96 else { throw fail("expected a quoted string") }
            let q = b[i]
            i += 1
            var out: [UInt8] = []
            while i < b.count && b[i] != q {
                if b[i] == 92 && q != 96 {
                    i += 1
                    guard i < b.count else { break }
                    switch b[i] {
                    case 110: out.append(10)
                    case 116: out.append(9)
                    case 114: out.append(13)
                    default: out.append(b[i])
                    }
                } else {
                    out.append(b[i])
                }
                i += 1
            }
            guard i < b.count else { throw fail("unterminated string") }
            i += 1
            return String(decoding: out, as: UTF8.self)
        }
    }
}
