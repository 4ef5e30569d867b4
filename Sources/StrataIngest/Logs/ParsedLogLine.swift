import StrataLogs

/// What a format's line parser read from one line (the caller builds the `LogRecord`).
struct ParsedLogLine {
    /// Nanoseconds since the epoch, UTC.
    var timestamp: Int64
    /// The canonical level (`LogLevelName`), nil when the format has none.
    var level: String?
    var fields: [LogField] = []
    /// The program named by the line itself (syslog tag, Loghub file prefix), overriding the file's.
    var program: String?
    /// The host named by the line (syslog HOSTNAME, JSON `Hostname`), used when the source has none.
    var host: String?
    /// Where the message starts (after timestamp, pid, level, logger and request context).
    var messageStart: Int

    init(timestamp: Int64, level: String? = nil, messageStart: Int) {
        self.timestamp = timestamp
        self.level = level
        self.messageStart = messageStart
    }
}

/// Small byte helpers for the log line parsers.
enum LogBytes {
    static let space = UInt8(ascii: " ")

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- 48 < 10 }

    /// The text of `p[a..<b]` (invalid UTF-8 repaired with U+FFFD).
    @inline(__always)
    static func text(_ p: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: p[a..<b]), as: UTF8.self)
    }

    /// The index of the first `c` at or after `i`, or `p.count`.
    @inline(__always)
    static func find(_ c: UInt8, _ p: UnsafeBufferPointer<UInt8>, from i: Int) -> Int {
        var j = i
        while j < p.count && p[j] != c { j &+= 1 }
        return j
    }

    /// Whether `p[i...]` starts with `s`.
    @inline(__always)
    static func hasPrefix(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i >= 0, i + n <= p.count else { return false }
        let q = s.utf8Start
        for k in 0..<n where p[i + k] != q[k] { return false }
        return true
    }

    /// The first index of `s` in `p[from..<to]`, or nil.
    static func firstIndex(of s: StaticString, in p: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        let n = s.utf8CodeUnitCount
        guard n > 0, to - from >= n else { return nil }
        let first = s.utf8Start[0]
        var i = from
        while i + n <= to {
            if p[i] == first && hasPrefix(p, i, s) { return i }
            i += 1
        }
        return nil
    }

    /// A non-negative decimal integer in `p[a..<b]` (at most 18 digits).
    static func integer(_ p: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> Int? {
        guard b > a, b - a <= 18 else { return nil }
        var v = 0
        for i in a..<b {
            guard isDigit(p[i]) else { return nil }
            v = v * 10 + Int(p[i] - 48)
        }
        return v
    }

    /// Whether `p[a..<b]` is a decimal number (`123`, `0.25`, `-1`).
    static func isNumber(_ p: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> Bool {
        var i = a
        if i < b, p[i] == UInt8(ascii: "-") { i += 1 }
        var digits = 0, dots = 0
        while i < b {
            if isDigit(p[i]) { digits += 1 } else if p[i] == UInt8(ascii: ".") { dots += 1 } else { return false }
            i += 1
        }
        return digits > 0 && dots <= 1
    }
}

/// Level names as stream labels: every format's levels map onto oslo.log's words.
///
/// | written | label |
/// |---|---|
/// | DEBUG, debug, DBG, Note (mysqld) | DEBUG / NOTE |
/// | INFO, info, System (mysqld 8) | INFO |
/// | WARNING, Warning, WARN, warn | WARNING |
/// | ERROR, Error, ERR, err | ERROR |
/// | CRITICAL, EMER, crit, alert, emerg, FATAL | CRITICAL |
/// | TRACE, AUDIT, NOTICE | as written, uppercased |
enum LogLevelName {
    static func canonical(_ p: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int) -> String? {
        let n = b - a
        guard n >= 3, n <= 8 else { return nil }
        var key: UInt64 = 0
        for i in a..<b {
            let c = p[i]
            guard (c >= 65 && c <= 90) || (c >= 97 && c <= 122) else { return nil }
            key = key << 8 | UInt64(c | 0x20)
        }
        switch key {
        case 0x6465_6275_67: return "DEBUG"  // debug
        case 0x6462_67: return "DEBUG"  // dbg
        case 0x696E_666F: return "INFO"  // info
        case 0x7379_7374_656D: return "INFO"  // system
        case 0x6E6F_7465: return "NOTE"  // note
        case 0x7761_726E_696E_67: return "WARNING"  // warning
        case 0x7761_726E: return "WARNING"  // warn
        case 0x6572_726F_72: return "ERROR"  // error
        case 0x6572_72: return "ERROR"  // err
        case 0x6372_6974_6963_616C: return "CRITICAL"  // critical
        case 0x6372_6974: return "CRITICAL"  // crit
        case 0x656D_6572: return "CRITICAL"  // emer
        case 0x656D_6572_67: return "CRITICAL"  // emerg
        case 0x616C_6572_74: return "CRITICAL"  // alert
        case 0x6661_7461_6C: return "CRITICAL"  // fatal
        case 0x7472_6163_65: return "TRACE"  // trace
        case 0x6175_6469_74: return "AUDIT"  // audit
        case 0x6E6F_7469_6365: return "NOTICE"  // notice
        default: return nil
        }
    }

    /// Syslog severity 0-7 → label.
    static func syslogSeverity(_ s: Int) -> String {
        switch s {
        case 0, 1, 2: "CRITICAL"
        case 3: "ERROR"
        case 4: "WARNING"
        case 5: "NOTICE"
        case 6: "INFO"
        default: "DEBUG"
        }
    }
}
