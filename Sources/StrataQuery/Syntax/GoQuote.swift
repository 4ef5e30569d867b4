/// Go's quoting (`%q`, `strconv.Quote`, `%#U`), so messages and printed queries read exactly as
/// Prometheus's do.
package enum GoQuote {
    /// `strconv.Quote(s)`: double quotes, Go escapes, non-printable scalars as `\x`, `\u`, `\U`.
    package static func string(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars { appendEscaped(scalar, quote: "\"", to: &out) }
        out.append("\"")
        return out
    }

    /// `%.10q...` for texts over 10 bytes (as Prometheus's `Item.String`), else `%q`.
    package static func truncated(_ s: String) -> String {
        guard s.utf8.count > 10 else { return string(s) }
        return string(String(s.unicodeScalars.prefix(10))) + "..."
    }

    /// `%q` of a rune: `'x'`, `'\n'`, `'\''`.
    package static func rune(_ scalar: Unicode.Scalar) -> String {
        var out = "'"
        appendEscaped(scalar, quote: "'", to: &out)
        out.append("'")
        return out
    }

    /// `%#U` of a rune: `U+0071 'q'` (the quoted form only when printable).
    package static func unicode(_ scalar: Unicode.Scalar) -> String {
        var hex = String(scalar.value, radix: 16, uppercase: true)
        while hex.count < 4 { hex = "0" + hex }
        return isPrintable(scalar) ? "U+\(hex) '\(Character(scalar))'" : "U+\(hex)"
    }

    static func appendEscaped(_ c: Unicode.Scalar, quote: Unicode.Scalar, to out: inout String) {
        switch c {
        case quote, "\\": out.append("\\"); out.unicodeScalars.append(c)
        case "\u{07}": out.append("\\a")
        case "\u{08}": out.append("\\b")
        case "\u{0C}": out.append("\\f")
        case "\n": out.append("\\n")
        case "\r": out.append("\\r")
        case "\t": out.append("\\t")
        case "\u{0B}": out.append("\\v")
        default:
            if isPrintable(c) {
                out.unicodeScalars.append(c)
            } else if c.value < 0x20 || c.value == 0x7F {
                out.append("\\x" + hex(c.value, width: 2))
            } else if c.value < 0x10000 {
                out.append("\\u" + hex(c.value, width: 4))
            } else {
                out.append("\\U" + hex(c.value, width: 8))
            }
        }
    }

    /// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        if c.value < 0x80 { return c.value >= 0x20 && c.value != 0x7F }
        switch c.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
            .spaceSeparator:
            return false
        default:
            return true
        }
    }

    private static func hex(_ v: UInt32, width: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
