/// The string functions of Prometheus's templates: case mapping, host/port splitting, URL paths.
enum StringFunctions {
    /// Go's `strings.ToUpper`: per code point, with the single-code-point mapping (Go has no
    /// `ß` → `SS`).
    static func upper(_ s: String) -> String { mapScalars(s, upper: true) }
    static func lower(_ s: String) -> String { mapScalars(s, upper: false) }

    private static func mapScalars(_ s: String, upper: Bool) -> String {
        var out = String.UnicodeScalarView()
        for r in s.unicodeScalars {
            if r.value < 0x80 {
                let c = UInt8(r.value)
                if upper && c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") {
                    out.append(Unicode.Scalar(c - 32))
                } else if !upper && c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") {
                    out.append(Unicode.Scalar(c + 32))
                } else {
                    out.append(r)
                }
                continue
            }
            out.append(single(upper ? r.properties.uppercaseMapping : r.properties.lowercaseMapping) ?? r)
        }
        return String(out)
    }

    private static func single(_ s: String) -> Unicode.Scalar? {
        var it = s.unicodeScalars.makeIterator()
        guard let first = it.next(), it.next() == nil else { return nil }
        return first
    }

    private static func isLetterOrDigit(_ r: Unicode.Scalar) -> Bool {
        if r.value < 0x80 { return TemplateLexer.isAlphaNumeric(r) && r != "_" }
        switch r.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber, .letterNumber,
            .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark:
            return true
        default: return false
        }
    }

    /// `cases.Title(language.AmericanEnglish, cases.NoLower)`, approximated: the first letter of
    /// each word goes to title case, the rest is kept. Words are runs of letters, digits and `_`,
    /// held together by `'`, `’`, `.` or `:` between two such characters (so `don't` and
    /// `host.example` are one word each, as Unicode word breaking has it).
    static func title(_ s: String) -> String {
        let scalars = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        var inWord = false
        for (k, r) in scalars.enumerated() {
            if isLetterOrDigit(r) || r == "_" {
                if !inWord, let t = single(r.properties.titlecaseMapping) {
                    out.append(t)
                } else if !inWord {
                    out.append(contentsOf: r.properties.titlecaseMapping.unicodeScalars)
                } else {
                    out.append(r)
                }
                inWord = true
                continue
            }
            let joins = r == "'" || r == "\u{2019}" || r == "." || r == ":"
            inWord = inWord && joins && k + 1 < scalars.count && isLetterOrDigit(scalars[k + 1])
            out.append(r)
        }
        return String(out)
    }

    /// Go's `net.SplitHostPort`; nil where it returns an error.
    static func splitHostPort(_ hostport: String) -> (host: String, port: String)? {
        let b = Array(hostport.utf8)
        guard let i = b.lastIndex(of: UInt8(ascii: ":")) else { return nil }
        var host: ArraySlice<UInt8>
        var j = 0
        var k = 0
        if b[0] == UInt8(ascii: "[") {
            guard let end = b.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            if end + 1 == b.count { return nil }
            if end + 1 != i { return nil }
            host = b[1..<end]
            j = 1
            k = end + 1
        } else {
            host = b[..<i]
            if host.contains(UInt8(ascii: ":")) { return nil }
        }
        if b[j...].contains(UInt8(ascii: "[")) { return nil }
        if b[k...].contains(UInt8(ascii: "]")) { return nil }
        return (String(decoding: host, as: UTF8.self), String(decoding: b[(i + 1)...], as: UTF8.self))
    }

    static func stripDomain(_ hostPort: String) -> String {
        var host = hostPort
        var port = ""
        if let (h, p) = splitHostPort(hostPort) {
            host = h
            port = p
        }
        if isIP(host) { return hostPort }
        host = String(host.prefix { $0 != "." })
        if !port.isEmpty { return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
        return host
    }

    /// Whether Go's `net.ParseIP` accepts `s` (IPv4 dotted decimal without leading zeros, or
    /// IPv6 with an optional `::` and trailing IPv4).
    static func isIP(_ s: String) -> Bool {
        if isIPv4(Substring(s)) { return true }
        guard s.contains(":") else { return false }
        var parts = s.split(separator: ":", omittingEmptySubsequences: false).map { Substring($0) }
        var groups = 0
        var ellipsis = false
        if s.hasPrefix("::") {
            parts.removeFirst(2)
            ellipsis = true
            if parts == [""] { return true }
        } else if s.hasPrefix(":") {
            return false
        }
        for (n, p) in parts.enumerated() {
            if p.isEmpty {
                if ellipsis || n == parts.count - 1 { return false }
                ellipsis = true
                if n == parts.count - 2 && parts[n + 1].isEmpty { return groups < 8 }  // trailing "::"
                continue
            }
            if n == parts.count - 1 && p.contains(".") {
                if !isIPv4(p) { return false }
                groups += 2
                continue
            }
            if p.count > 4 || !p.allSatisfy(\.isHexDigit) { return false }
            groups += 1
        }
        return ellipsis ? groups < 8 : groups == 8
    }

    private static func isIPv4(_ s: Substring) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(p), v <= 255 else { return false }
            if p.count > 1 && p.first == "0" { return false }
        }
        return true
    }

    /// The path of a URL (`https://host:9090/prometheus?x` → `/prometheus`), as `url.URL.Path`.
    static func urlPath(_ url: String) -> String {
        var rest = Substring(url)
        if let schemeEnd = rest.firstRange(of: "://") {
            rest = rest[schemeEnd.upperBound...]
            rest = rest.drop { $0 != "/" && $0 != "?" && $0 != "#" }
        }
        let path = rest.prefix { $0 != "?" && $0 != "#" }
        return percentDecode(path)
    }

    private static func percentDecode(_ s: Substring) -> String {
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "%"), i + 2 < b.count, let v = UInt8(String(decoding: b[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                out.append(v)
                i += 3
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A Go (RE2) regular expression on Swift's `Regex`, matched on Unicode scalars: `match`
/// (unanchored search) and `reReplaceAll` (`ReplaceAllString` with `$1`, `${1}`, `$name`,
/// `${name}` and `$$` in the replacement).
struct GoRegex {
    let regex: Regex<AnyRegexOutput>

    /// `panicStyle`: word the error as `regexp.MustCompile`'s panic (what `reReplaceAll` reports).
    init(_ pattern: String, panicStyle: Bool) throws(FunctionFailure) {
        func fail(_ why: String) -> FunctionFailure {
            let quoted = GoText.canBackquote(pattern) ? "`" + pattern + "`" : GoText.quote(pattern)
            return FunctionFailure(panicStyle ? "regexp: Compile(\(quoted)): error parsing regexp: \(why)" : "error parsing regexp: \(why)")
        }
        for bad in ["(?=", "(?!", "(?<=", "(?<!", "(?>"] where pattern.contains(bad) {
            throw fail("invalid or unsupported Perl syntax: `\(bad)`")
        }
        var prevBackslash = false
        for c in pattern.unicodeScalars {
            if prevBackslash, ("1"..."9").contains(c) { throw fail("invalid escape sequence: `\\\(c)`") }
            prevBackslash = c == "\\" && !prevBackslash
        }
        do {
            regex = try Regex(pattern.replacing("(?P<", with: "(?<")).matchingSemantics(.unicodeScalar)
        } catch {
            throw fail("\(error)")
        }
    }

    func matches(_ s: String) -> Bool { (try? regex.firstMatch(in: s)) != nil }

    func replaceAll(in text: String, with template: String) -> String {
        var out = ""
        var last = text.startIndex
        var previousEnd: String.Index? = nil
        for m in text.matches(of: regex) {
            let r = m.range
            // Go ignores an empty match right after the previous match.
            if r.isEmpty, let previousEnd, r.lowerBound == previousEnd { continue }
            out.unicodeScalars.append(contentsOf: text.unicodeScalars[last..<r.lowerBound])
            expand(template, m, into: &out)
            last = r.upperBound
            previousEnd = r.upperBound
        }
        out.unicodeScalars.append(contentsOf: text.unicodeScalars[last...])
        return out
    }

    /// Go's `Regexp.Expand`.
    private func expand(_ template: String, _ m: Regex<AnyRegexOutput>.Match, into out: inout String) {
        let t = Array(template.unicodeScalars)
        var i = 0
        while i < t.count {
            guard t[i] == "$" else {
                out.unicodeScalars.append(t[i])
                i += 1
                continue
            }
            if i + 1 < t.count && t[i + 1] == "$" {
                out.append("$")
                i += 2
                continue
            }
            // $name, ${name}
            let brace = i + 1 < t.count && t[i + 1] == "{"
            let start = i + (brace ? 2 : 1)
            var j = start
            while j < t.count && (TemplateLexer.isAlphaNumeric(t[j])) { j += 1 }
            if j == start || (brace && (j >= t.count || t[j] != "}")) {
                out.append("$")
                i += 1
                continue
            }
            let name = String(String.UnicodeScalarView(t[start..<j]))
            i = brace ? j + 1 : j
            var num = 0
            for c in name.unicodeScalars {
                if c < "0" || c > "9" || num >= 100_000_000 {
                    num = -1
                    break
                }
                num = num * 10 + Int(c.value - 48)
            }
            if name.count > 1 && name.hasPrefix("0") { num = -1 }
            if num >= 0 {
                if num < m.output.count, let sub = m.output[num].substring { out.append(contentsOf: sub) }
            } else if let group = m.output[name], let sub = group.substring {
                out.append(contentsOf: sub)
            }
        }
    }
}
