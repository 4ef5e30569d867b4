import StrataLogs

/// Which JSON keys hold a record's timestamp, level, message, host and program; the first key of
/// each list that a line has wins. Every other top-level key with a scalar value becomes a field
/// (nested objects and arrays are kept as their JSON text). The defaults cover the seed testbed's
/// Elasticsearch export (`Hostname, @timestamp, log_level, programname, python_module, Payload,
/// http_status, http_method, http_url`) and common shippers.
public struct JSONLogMapping: Sendable {
    public var timestamp: [String] = ["@timestamp", "timestamp", "time", "ts", "asctime"]
    public var level: [String] = ["log_level", "level", "levelname", "severity", "loglevel"]
    public var message: [String] = ["Payload", "message", "msg", "log"]
    public var host: [String] = ["Hostname", "hostname", "host"]
    public var program: [String] = ["programname", "program", "service", "app"]
    public init() {}
}

/// JSON lines: one object per line.
///
/// Timestamps: an RFC 3339 string (zone optional, UTC if absent) or a number of seconds,
/// milliseconds, microseconds or nanoseconds since the epoch (told apart by magnitude: below 1e11
/// seconds, below 1e14 ms, below 1e17 µs, else ns; read exactly from the digits). A line that is not a JSON object, or whose
/// timestamp key is absent or unreadable, does not parse (the caller's fallback rules apply).
enum JSONLineParser {
    static func parse(_ p: UnsafeBufferPointer<UInt8>, mapping: JSONLogMapping) -> ParsedLogLine? {
        guard let members = JSONObjectScanner.members(p) else { return nil }
        func lookup(_ keys: [String]) -> (String, String)? {
            for k in keys {
                if let m = members.first(where: { $0.key == k }) { return (m.key, m.value) }
            }
            return nil
        }
        guard let (timeKey, timeText) = lookup(mapping.timestamp), let ns = timestamp(timeText) else { return nil }
        let level = lookup(mapping.level)
        let host = lookup(mapping.host)
        let program = lookup(mapping.program)
        let message = lookup(mapping.message)
        var line = ParsedLogLine(timestamp: ns, messageStart: 0)
        if let level {
            let bytes = Array(level.1.utf8)
            line.level = bytes.withUnsafeBufferPointer { LogLevelName.canonical($0, 0, $0.count) } ?? level.1.uppercased()
        }
        line.host = host?.1
        line.program = program?.1
        let taken: Set<String> = [timeKey, level?.0, host?.0, program?.0, message?.0].reduce(into: []) {
            if let k = $1 { $0.insert(k) }
        }
        for m in members where !taken.contains(m.key) {
            line.fields.append(LogField(m.key, m.value))
        }
        return line
    }

    static func timestamp(_ text: String) -> Int64? {
        var t = text
        return t.withUTF8 { p -> Int64? in
            if let (ns, end) = LogTimestamp.iso8601(p, 0), end == p.count { return ns }
            // Exact decimal: integer digits, optional fraction (no float rounding).
            var i = 0
            var whole: Int64 = 0
            while i < p.count, LogBytes.isDigit(p[i]) {
                guard i < 19 else { return nil }
                whole = whole * 10 + Int64(p[i] - 48)
                i += 1
            }
            guard i > 0 else { return nil }
            var fraction = [UInt8]()
            if i < p.count, p[i] == UInt8(ascii: ".") {
                i += 1
                while i < p.count, LogBytes.isDigit(p[i]) {
                    fraction.append(p[i] - 48)
                    i += 1
                }
            }
            guard i == p.count else { return nil }
            let digits: Int  // fraction digits that make up whole nanoseconds
            let scale: Int64
            switch whole {
            case ..<100_000_000_000: (digits, scale) = (9, 1_000_000_000)
            case ..<100_000_000_000_000: (digits, scale) = (6, 1_000_000)
            case ..<100_000_000_000_000_000: (digits, scale) = (3, 1_000)
            default: (digits, scale) = (0, 1)
            }
            guard whole <= Int64.max / scale else { return nil }
            var frac: Int64 = 0
            for k in 0..<digits { frac = frac * 10 + Int64(k < fraction.count ? fraction[k] : 0) }
            return whole * scale + frac
        }
    }
}

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
