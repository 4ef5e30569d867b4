/// Go-style string literals: `"..."` and `'...'` with escapes, `` `...` `` raw.
package enum StringLiteral {
    /// The value of a string token the lexer accepted (quotes included in `text`).
    ///
    /// Escapes: `\a \b \f \n \r \t \v \\`, the quote itself, `\ooo` and `\xhh` (one byte each),
    /// `\uhhhh` and `\Uhhhhhhhh` (one scalar). Bytes that do not form valid UTF-8 (`"\xff"`) become
    /// U+FFFD, since a Swift `String` cannot hold them; the literal's source range still has the original.
    package static func unquote(_ text: String) -> String {
        let b = Array(text.utf8)
        guard b.count >= 2 else { return "" }
        if b[0] == UInt8(ascii: "`") { return String(decoding: b[1..<(b.count - 1)], as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 1
        let end = b.count - 1
        while i < end {
            let c = b[i]
            guard c == UInt8(ascii: "\\"), i + 1 < end else {
                out.append(c)
                i += 1
                continue
            }
            let e = b[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "a"): out.append(0x07)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "v"): out.append(0x0B)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var v = UInt32(e - UInt8(ascii: "0"))
                for _ in 0..<2 where i < end {
                    v = v * 8 + ASCII.hexValue(b[i])
                    i += 1
                }
                out.append(UInt8(truncatingIfNeeded: v))
            case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                let n = e == UInt8(ascii: "x") ? 2 : e == UInt8(ascii: "u") ? 4 : 8
                var v: UInt32 = 0
                for _ in 0..<n where i < end {
                    v = v &* 16 &+ ASCII.hexValue(b[i])
                    i += 1
                }
                if e == UInt8(ascii: "x") {
                    out.append(UInt8(truncatingIfNeeded: v))
                } else {
                    out.append(contentsOf: Array(String(Unicode.Scalar(v).map(Character.init) ?? "\u{FFFD}").utf8))
                }
            default: out.append(e)  // \\ and the quote
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
