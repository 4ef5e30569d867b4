/// Number literals as Prometheus reads them (Go's `strconv.ParseInt(s, 0, 64)`, then `ParseFloat`),
/// and printed as Prometheus prints them (`strconv.FormatFloat(v, 'f', -1, 64)`).
package enum NumberLiteral {
    /// The value of a number token, or nil when it is not a valid number.
    ///
    /// `0x1f`/`0X1F` hex, `0o17`/`017` octal, `0b101` binary, `_` between digits, decimals with
    /// exponents, and `Inf`/`NaN` in any case.
    package static func parse(_ text: String) -> Double? {
        let lower = text.lowercased()
        if lower == "inf" || lower == "+inf" || lower == "infinity" { return .infinity }
        if lower == "-inf" || lower == "-infinity" { return -.infinity }
        if lower == "nan" { return .nan }
        if let i = parseInteger(lower) { return i }
        guard !lower.hasPrefix("0x"), underscoresValid(lower) else { return nil }
        let plain = lower.filter { $0 != "_" }
        guard !plain.isEmpty, plain.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.e".contains($0)) }) else {
            return nil
        }
        return Double(plain)
    }

    /// Go's `ParseInt` with base 0 (prefix decides the base; a leading `0` means octal).
    private static func parseInteger(_ s: String) -> Double? {
        var digits = Substring(s)
        var base = 10
        if digits.hasPrefix("0x") {
            base = 16
            digits = digits.dropFirst(2)
        } else if digits.hasPrefix("0o") {
            base = 8
            digits = digits.dropFirst(2)
        } else if digits.hasPrefix("0b") {
            base = 2
            digits = digits.dropFirst(2)
        } else if digits.count > 1, digits.hasPrefix("0") {
            base = 8
            digits = digits.dropFirst(1)
        }
        guard underscoresValid(s) else { return nil }
        let clean = digits.filter { $0 != "_" }
        guard !clean.isEmpty, let v = Int64(clean, radix: base) else { return nil }
        return Double(v)
    }

    /// Go's `underscoreOK`: `_` only between digits (or after a base prefix).
    private static func underscoresValid(_ s: String) -> Bool {
        guard s.contains("_") else { return true }
        let b = Array(s.utf8)
        var i = 0
        var saw: UInt8 = UInt8(ascii: "^")
        var hex = false
        if b.count >= 2, b[0] == UInt8(ascii: "0"), "xob".utf8.contains(b[1]) {
            i = 2
            saw = UInt8(ascii: "0")
            hex = b[1] == UInt8(ascii: "x")
        }
        while i < b.count {
            let c = b[i]
            if ASCII.isDigit(c) || (hex && ASCII.isHexDigit(c)) {
                saw = UInt8(ascii: "0")
            } else if c == UInt8(ascii: "_") {
                if saw != UInt8(ascii: "0") { return false }
                saw = c
            } else {
                if saw == UInt8(ascii: "_") { return false }
                saw = UInt8(ascii: "!")
            }
            i += 1
        }
        return saw != UInt8(ascii: "_")
    }

    /// `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest digits that round-trip, never an exponent;
    /// `+Inf`, `-Inf`, `NaN`.
    package static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
        if v == 0 { return v.sign == .minus ? "-0" : "0" }
        // Swift's description is also shortest round-trip, possibly with an exponent: "1.5e-07", "1e+16".
        var text = "\(v.magnitude)"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        var intPart = text
        var fracPart = ""
        if let dot = text.firstIndex(of: ".") {
            intPart = String(text[..<dot])
            fracPart = String(text[text.index(after: dot)...])
        }
        var digits = intPart + fracPart
        var pointPosition = intPart.count + exponent
        // Normalise: drop leading zeros (keeping the point where it is).
        while digits.count > 1, digits.first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.count > 1, digits.last == "0", digits.count > max(pointPosition, 1) { digits.removeLast() }
        var out: String
        if pointPosition <= 0 {
            out = "0." + String(repeating: "0", count: -pointPosition) + digits
        } else if pointPosition >= digits.count {
            out = digits + String(repeating: "0", count: pointPosition - digits.count)
        } else {
            let i = digits.index(digits.startIndex, offsetBy: pointPosition)
            out = digits[..<i] + "." + digits[i...]
        }
        if out.contains(".") {
            while out.last == "0" { out.removeLast() }
            if out.last == "." { out.removeLast() }
        }
        return v < 0 ? "-" + out : out
    }
}
