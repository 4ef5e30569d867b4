/// The top-level members of a one-line JSON object, values as text (strings unescaped).
enum JSONObjectScanner {
    struct Member {
        var key: String
        var value: String
    }

    static func members(_ p: UnsafeBufferPointer<UInt8>) -> [Member]? {
        var i = 0
        skipSpace(p, &i)
        guard i < p.count, p[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var out: [Member] = []
        skipSpace(p, &i)
        if i < p.count, p[i] == UInt8(ascii: "}") { return out }
        while true {
            skipSpace(p, &i)
            guard let key = string(p, &i) else { return nil }
            skipSpace(p, &i)
            guard i < p.count, p[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace(p, &i)
            guard i < p.count else { return nil }
            let value: String
            switch p[i] {
            case UInt8(ascii: "\""):
                guard let s = string(p, &i) else { return nil }
                value = s
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let s = i
                guard skipComposite(p, &i) else { return nil }
                value = LogBytes.text(p, s, i)
            default:
                let s = i
                while i < p.count, p[i] != UInt8(ascii: ","), p[i] != UInt8(ascii: "}"), p[i] > 0x20 { i += 1 }
                guard i > s else { return nil }
                value = LogBytes.text(p, s, i)
                if value == "null" {
                    skipSpace(p, &i)
                    if !separator(p, &i, &out) { return out }
                    continue
                }
            }
            out.append(Member(key: key, value: value))
            skipSpace(p, &i)
            if !separator(p, &i, &out) { return i <= p.count ? out : nil }
        }
    }

    /// Consumes `,` (true: more members) or `}` (false: done); anything else ends the scan.
    private static func separator(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ out: inout [Member]) -> Bool {
        guard i < p.count else {
            i = p.count + 1
            return false
        }
        if p[i] == UInt8(ascii: ",") {
            i += 1
            return true
        }
        if p[i] != UInt8(ascii: "}") { i = p.count + 1 }
        return false
    }

    private static func skipSpace(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int) {
        while i < p.count, p[i] == 0x20 || p[i] == 0x09 || p[i] == 0x0D { i += 1 }
    }

    /// A JSON string at `i` (the opening quote), unescaped; `i` ends after the closing quote.
    static func string(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> String? {
        guard i < p.count, p[i] == UInt8(ascii: "\"") else { return nil }
        var j = i + 1
        let start = j
        var escaped = false
        while j < p.count, p[j] != UInt8(ascii: "\"") {
            if p[j] == UInt8(ascii: "\\") {
                escaped = true
                j += 1
            }
            j += 1
        }
        guard j < p.count else { return nil }
        i = j + 1
        guard escaped else { return LogBytes.text(p, start, j) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(j - start)
        var k = start
        while k < j {
            let c = p[k]
            k += 1
            guard c == UInt8(ascii: "\\"), k < j else {
                bytes.append(c)
                continue
            }
            let e = p[k]
            k += 1
            switch e {
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "u"):
                guard k + 4 <= j else { return nil }
                var v: UInt32 = 0
                for q in k..<(k + 4) {
                    let c = p[q]
                    let d: UInt32
                    switch c {
                    case 48...57: d = UInt32(c - 48)
                    case 65...70: d = UInt32(c - 55)
                    case 97...102: d = UInt32(c - 87)
                    default: return nil
                    }
                    v = v * 16 + d
                }
                k += 4
                // A surrogate pair.
                if (0xD800..<0xDC00).contains(v), k + 6 <= j, p[k] == UInt8(ascii: "\\"), p[k + 1] == UInt8(ascii: "u") {
                    var low: UInt32 = 0
                    var ok = true
                    for q in (k + 2)..<(k + 6) {
                        let c = p[q]
                        switch c {
                        case 48...57: low = low * 16 + UInt32(c - 48)
                        case 65...70: low = low * 16 + UInt32(c - 55)
                        case 97...102: low = low * 16 + UInt32(c - 87)
                        default: ok = false
                        }
                    }
                    if ok, (0xDC00..<0xE000).contains(low) {
                        v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                        k += 6
                    }
                }
                bytes.append(contentsOf: String(Unicode.Scalar(v) ?? "\u{FFFD}").utf8)
            default: bytes.append(e)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Skips a balanced `{...}` or `[...]` (strings inside may hold brackets).
    private static func skipComposite(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Bool {
        var depth = 0
        while i < p.count {
            let c = p[i]
            if c == UInt8(ascii: "\"") {
                guard string(p, &i) != nil else { return false }
                continue
            }
            if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
            if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                depth -= 1
                if depth == 0 {
                    i += 1
                    return true
                }
            }
            i += 1
        }
        return false
    }
}
