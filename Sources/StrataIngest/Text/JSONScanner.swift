/// A small byte-level JSON reader over a buffer: what osprofiler events (`OsprofilerParser`)
/// and JSON-lines logs (`JSONLineParser`) need.
///
/// It never builds a document tree: callers walk objects member by member, read strings
/// and skip what they do not want, so a value costs one pass over its bytes. Every error
/// names the byte offset in the buffer; nothing traps on bad input.
///
/// ```swift
/// var s = JSONScanner(bytes)
/// if try s.beginObject() {
///     repeat {
///         let key = try s.key()
///         if s.equals(key, "name") { name = try s.string() } else { try s.skipValue() }
///     } while try s.nextMember()
/// }
/// ```
struct JSONScanner {
    /// How much of RFC 8259 a scanner insists on.
    enum Strictness {
        /// RFC 8259: errors for control characters in strings, unknown escapes and any value
        /// that is not JSON.
        case strict
        /// What log shippers write too: raw control characters in strings, unknown escapes
        /// (`\q` reads `q`), and `skipValue` takes any bare word up to `,`, `}` or a space
        /// (`NaN`, `Infinity`) and any bracketed `{...}` or `[...]` (brackets counted outside
        /// strings, whose escapes must decode; nothing else checked).
        case lenient
    }

    let bytes: UnsafeRawBufferPointer
    var position: Int
    let strictness: Strictness
    /// True when the last string `rawString` read had a backslash escape.
    var lastStringEscaped = false
    /// Nesting depth limit for `skipValue`, so hostile input cannot exhaust the stack.
    static let maxDepth = 512

    init(_ bytes: UnsafeRawBufferPointer, at position: Int = 0, strictness: Strictness = .strict) {
        self.bytes = bytes
        self.position = position
        self.strictness = strictness
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < bytes.count {
            let c = bytes[position]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { position &+= 1 } else { return }
        }
    }

    /// The next non-space byte without consuming it; nil at the end.
    @inline(__always)
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < bytes.count ? bytes[position] : nil
    }

    @inline(__always)
    mutating func expect(_ c: UInt8, _ what: StaticString) throws(JSONError) {
        skipWhitespace()
        guard position < bytes.count else { throw JSONError(.truncated, at: position, "expected \(what)") }
        guard bytes[position] == c else { throw JSONError(.syntax, at: position, "expected \(what)") }
        position &+= 1
    }

    /// Consumes `{`; false when the object is empty (its `}` consumed too), true when a member follows.
    mutating func beginObject() throws(JSONError) -> Bool {
        try expect(UInt8(ascii: "{"), "'{'")
        if peek() == UInt8(ascii: "}") {
            position &+= 1
            return false
        }
        return true
    }

    /// After a member's value: consumes `,` (true: another member follows) or `}` (false).
    mutating func nextMember() throws(JSONError) -> Bool {
        skipWhitespace()
        guard position < bytes.count else { throw JSONError(.truncated, at: position, "expected ',' or '}'") }
        let c = bytes[position]
        position &+= 1
        if c == UInt8(ascii: ",") { return true }
        if c == UInt8(ascii: "}") { return false }
        throw JSONError(.syntax, at: position &- 1, "expected ',' or '}' in an object")
    }

    /// Reads a member's key and its `:`; returns the key's raw bytes (between the quotes).
    mutating func key() throws(JSONError) -> Range<Int> {
        let r = try rawString()
        try expect(UInt8(ascii: ":"), "':' after a key")
        return r
    }

    /// Reads a string and returns the range of its raw bytes between the quotes (escapes left as written).
    mutating func rawString() throws(JSONError) -> Range<Int> {
        try expect(UInt8(ascii: "\""), "a string")
        let start = position
        let n = bytes.count
        lastStringEscaped = false
        while position < n {
            // Eight bytes at a time to the first quote, backslash or control character.
            if let base = bytes.baseAddress {
                while position &+ 8 <= n {
                    let v = base.loadUnaligned(fromByteOffset: position, as: UInt64.self).littleEndian
                    let special = JSONScanner.specialBytes(v)
                    if special == 0 {
                        position &+= 8
                    } else {
                        position &+= special.trailingZeroBitCount >> 3
                        break
                    }
                }
            }
            guard position < n else { break }
            let c = bytes[position]
            if c == UInt8(ascii: "\"") {
                position &+= 1
                return start..<(position &- 1)
            }
            if c == UInt8(ascii: "\\") {
                lastStringEscaped = true
                position &+= 2
                continue
            }
            if c < 0x20 && strictness == .strict { throw JSONError(.syntax, at: position, "control character in a string") }
            position &+= 1
        }
        throw JSONError(.truncated, at: start, "unterminated string")
    }

    /// Bit 7 set in the bytes of `v` (loaded little-endian) that may be `"`, `\` or below
    /// 0x20: the lowest set bit is always a true one (borrows only run upwards).
    @inline(__always)
    static func specialBytes(_ v: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101, high: UInt64 = 0x8080_8080_8080_8080
        let quote = v ^ (0x22 &* ones), slash = v ^ (0x5C &* ones)
        let zeroQuote = (quote &- ones) & ~quote
        let zeroSlash = (slash &- ones) & ~slash
        let control = (v &- 0x20 &* ones) & ~v
        return (zeroQuote | zeroSlash | control) & high
    }

    /// Reads a string value and decodes its escapes.
    mutating func string() throws(JSONError) -> String {
        let r = try rawString()
        return lastStringEscaped ? try decoded(r) : JSONScanner.text(bytes, r)
    }

    /// True when the raw string bytes contain a backslash.
    @inline(__always)
    func hasEscape(_ r: Range<Int>) -> Bool {
        var i = r.lowerBound
        while i < r.upperBound {
            if bytes[i] == UInt8(ascii: "\\") { return true }
            i &+= 1
        }
        return false
    }

    /// Decodes the JSON escapes of a raw string range into a String.
    func decoded(_ r: Range<Int>) throws(JSONError) -> String {
        guard hasEscape(r) else { return JSONScanner.text(bytes, r) }
        var out: [UInt8] = []
        out.reserveCapacity(r.count)
        _ = try decodedBytes(r, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of `r` in `b` as text (invalid UTF-8 repaired with U+FFFD).
    static func text(_ b: UnsafeRawBufferPointer, _ r: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: b[r]), as: UTF8.self)
    }

    /// Appends the decoded bytes of a raw string range to `out`; returns where they are in it.
    /// `\uXXXX` escapes become UTF-8 (a surrogate pair one scalar, a lone surrogate U+FFFD).
    func decodedBytes(_ r: Range<Int>, into out: inout [UInt8]) throws(JSONError) -> Range<Int> {
        let start = out.count
        var i = r.lowerBound
        while i < r.upperBound {
            // Copy the run up to the next backslash in one go.
            var j = i
            while j < r.upperBound && bytes[j] != UInt8(ascii: "\\") { j &+= 1 }
            if j > i { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<j])) }
            i = j
            guard i < r.upperBound else { break }
            guard i &+ 1 < r.upperBound else { throw JSONError(.syntax, at: i, "dangling backslash") }
            let e = bytes[i &+ 1]
            i &+= 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try JSONScanner.hex4(bytes, i, r.upperBound)
                i &+= 4
                if scalar >= 0xD800 && scalar < 0xDC00, i &+ 6 <= r.upperBound, bytes[i] == UInt8(ascii: "\\"),
                    bytes[i &+ 1] == UInt8(ascii: "u")
                {
                    let low = try JSONScanner.hex4(bytes, i &+ 2, r.upperBound)
                    if low >= 0xDC00 && low < 0xE000 {
                        scalar = 0x10000 &+ ((scalar &- 0xD800) << 10) &+ (low &- 0xDC00)
                        i &+= 6
                    }
                }
                let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                guard strictness == .lenient else { throw JSONError(.syntax, at: i &- 1, "invalid escape") }
                out.append(e)
            }
        }
        return start..<out.count
    }

    static func hex4(_ bytes: UnsafeRawBufferPointer, _ at: Int, _ end: Int) throws(JSONError) -> UInt32 {
        guard at &+ 4 <= end else { throw JSONError(.syntax, at: at, "short \\u escape") }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = bytes[at &+ k]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c &- 0x30)
            case 0x61...0x66: d = UInt32(c &- 0x61 &+ 10)
            case 0x41...0x46: d = UInt32(c &- 0x41 &+ 10)
            default: throw JSONError(.syntax, at: at &+ k, "bad hex digit in \\u escape")
            }
            v = v << 4 | d
        }
        return v
    }

    /// Skips one value of any type and returns the range of its bytes (leniently when
    /// `strictness` is `.lenient`: see `Strictness`).
    @discardableResult
    mutating func skipValue(depth: Int = 0) throws(JSONError) -> Range<Int> {
        guard depth < JSONScanner.maxDepth else { throw JSONError(.syntax, at: position, "nesting deeper than 512") }
        skipWhitespace()
        let start = position
        guard position < bytes.count else { throw JSONError(.truncated, at: position, "expected a value") }
        if strictness == .lenient && bytes[position] != UInt8(ascii: "\"") {
            try skipLenientValue()
            return start..<position
        }
        switch bytes[position] {
        case UInt8(ascii: "\""):
            _ = try rawString()
        case UInt8(ascii: "{"):
            if try beginObject() {
                repeat {
                    _ = try key()
                    try skipValue(depth: depth + 1)
                } while try nextMember()
            }
        case UInt8(ascii: "["):
            position &+= 1
            if peek() == UInt8(ascii: "]") {
                position &+= 1
            } else {
                repeat {
                    try skipValue(depth: depth + 1)
                    skipWhitespace()
                    guard position < bytes.count else { throw JSONError(.truncated, at: position, "expected ',' or ']'") }
                    let c = bytes[position]
                    position &+= 1
                    if c == UInt8(ascii: "]") { break }
                    guard c == UInt8(ascii: ",") else {
                        throw JSONError(.syntax, at: position &- 1, "expected ',' or ']' in an array")
                    }
                } while true
            }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), 0x30...0x39:
            position &+= 1
            while position < bytes.count {
                let c = bytes[position]
                if (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
                    || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
                {
                    position &+= 1
                } else {
                    break
                }
            }
            // A number that runs to the end of the buffer may continue in the next chunk.
            if position == bytes.count { throw JSONError(.truncated, at: start, "number at the end of input") }
        default:
            throw JSONError(.syntax, at: position, "unexpected character '\(Character(Unicode.Scalar(bytes[position])))'")
        }
        return start..<position
    }

    /// Lenient `skipValue` of anything but a string: a `{...}` or `[...]` by counting brackets
    /// outside strings (whose escapes must decode), else a bare word up to `,`, `}` or a space.
    private mutating func skipLenientValue() throws(JSONError) {
        let start = position
        let c = bytes[position]
        if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
            var depth = 0
            while position < bytes.count {
                let c = bytes[position]
                if c == UInt8(ascii: "\"") {
                    let r = try rawString()
                    if lastStringEscaped {
                        var decoded: [UInt8] = []
                        _ = try decodedBytes(r, into: &decoded)  // bad \u escapes are errors here too
                    }
                    continue
                }
                if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                    depth &+= 1
                } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                    depth &-= 1
                    if depth == 0 {
                        position &+= 1
                        return
                    }
                }
                position &+= 1
            }
            throw JSONError(.truncated, at: start, "unterminated object or array")
        }
        while position < bytes.count {
            let c = bytes[position]
            if c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c <= 0x20 { break }
            position &+= 1
        }
        guard position > start else { throw JSONError(.syntax, at: start, "expected a value") }
    }

    /// Consumes `word` (`true`, `false`, `null`).
    mutating func literal(_ word: StaticString) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        guard position &+ n <= bytes.count else { throw JSONError(.truncated, at: position, "expected \(word)") }
        let p = word.utf8Start
        for k in 0..<n where bytes[position &+ k] != p[k] {
            throw JSONError(.syntax, at: position &+ k, "expected \(word)")
        }
        position &+= n
    }

    /// True when the raw bytes in `r` end with `suffix`.
    @inline(__always)
    func endsWith(_ r: Range<Int>, _ suffix: StaticString) -> Bool {
        let n = suffix.utf8CodeUnitCount
        guard r.count > n else { return false }
        return equals((r.upperBound - n)..<r.upperBound, suffix)
    }

    /// True when the raw bytes in `r` equal `word`.
    @inline(__always)
    func equals(_ r: Range<Int>, _ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard r.count == n else { return false }
        let p = word.utf8Start
        var k = 0
        while k < n {
            if bytes[r.lowerBound &+ k] != p[k] { return false }
            k &+= 1
        }
        return true
    }
}

/// A JSON syntax problem at a byte offset.
struct JSONError: Error, Sendable {
    enum Kind: Sendable { case syntax, truncated }
    var kind: Kind
    var offset: Int
    var message: String
    init(_ kind: Kind, at offset: Int, _ message: String) {
        self.kind = kind
        self.offset = offset
        self.message = message
    }
}
