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
        guard let members = members(p) else { return nil }
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

    /// A top-level member of a line's object: its key, and its value as text (a string
    /// unescaped; a number, literal, object or array as written).
    struct Member {
        var key: String
        var value: String
    }

    /// The top-level members of a one-line JSON object, in order, `null` ones left out; nil when
    /// the line is not an object or breaks off.
    ///
    /// Read leniently (`JSONScanner.Strictness.lenient`), as shippers write: raw control
    /// characters and unknown escapes in strings, bare words such as `NaN`, and brackets that
    /// balance are taken as they are. What follows the closing `}` is not read, nor what follows
    /// a `null` member that is not followed by `,` (the members before it are kept).
    static func members(_ p: UnsafeBufferPointer<UInt8>) -> [Member]? {
        var s = JSONScanner(UnsafeRawBufferPointer(p), strictness: .lenient)
        var out: [Member] = []
        do throws(JSONError) {
            guard try s.beginObject() else { return out }
            while true {
                let k = try s.key()
                let key = s.lastStringEscaped ? try s.decoded(k) : JSONScanner.text(s.bytes, k)
                if s.peek() == UInt8(ascii: "\"") {
                    out.append(Member(key: key, value: try s.string()))
                } else {
                    let r = try s.skipValue()
                    if s.equals(r, "null") {
                        guard (try? s.nextMember()) == true else { return out }
                        continue
                    }
                    out.append(Member(key: key, value: JSONScanner.text(s.bytes, r)))
                }
                guard try s.nextMember() else { return out }
            }
        } catch {
            return nil
        }
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
