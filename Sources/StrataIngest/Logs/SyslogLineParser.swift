import StrataLogs

/// Syslog lines: RFC 5424 (`<165>1 2019-11-19T21:00:01.003Z wally113 sshd 2345 - - message`) and
/// RFC 3164 / BSD (`[<PRI>]Nov 19 21:00:01 wally113 CROND[23456]: message`, as in /var/log/messages,
/// secure and haproxy.log).
///
/// The tag (APP-NAME) names the program, `[pid]` (PROCID) is field `pid`, `<PRI>` gives the level
/// (severity = PRI mod 8); without PRI there is no level. RFC 3164 has no year: `year` supplies it.
/// haproxy's httplog messages also yield `http_method`, `http_path`, `http_status`, `http_bytes`,
/// `http_time` (seconds, from Ta) and `backend`.
enum SyslogLineParser {
    static func parse(_ p: UnsafeBufferPointer<UInt8>, year: Int) -> ParsedLogLine? {
        var i = 0
        var severity: Int?
        if p.count > 2, p[0] == UInt8(ascii: "<") {
            var j = 1
            var pri = 0
            while j < p.count, j < 5, LogBytes.isDigit(p[j]) {
                pri = pri * 10 + Int(p[j] - 48)
                j += 1
            }
            guard j > 1, j < p.count, p[j] == UInt8(ascii: ">"), pri < 192 else { return nil }
            severity = pri % 8
            i = j + 1
        }
        if i + 2 < p.count, p[i] == UInt8(ascii: "1"), p[i + 1] == LogBytes.space {
            return rfc5424(p, i + 2, severity: severity)
        }
        guard let (ns, afterTime) = LogTimestamp.bsdSyslog(p, i, year: year), afterTime < p.count,
            p[afterTime] == LogBytes.space
        else { return nil }
        let hostStart = afterTime + 1
        let hostEnd = LogBytes.find(LogBytes.space, p, from: hostStart)
        guard hostEnd < p.count, hostEnd > hostStart else { return nil }
        // TAG[pid]: or TAG:
        let tagStart = hostEnd + 1
        var j = tagStart
        while j < p.count, p[j] != UInt8(ascii: "["), p[j] != UInt8(ascii: ":"), p[j] != LogBytes.space { j += 1 }
        guard j < p.count, j > tagStart else { return nil }
        let tagEnd = j
        var pid: (Int, Int)?
        if p[j] == UInt8(ascii: "[") {
            let close = LogBytes.find(UInt8(ascii: "]"), p, from: j)
            guard close < p.count else { return nil }
            pid = (j + 1, close)
            j = close + 1
        }
        guard j < p.count, p[j] == UInt8(ascii: ":") else { return nil }
        var m = j + 1
        if m < p.count, p[m] == LogBytes.space { m += 1 }
        var line = ParsedLogLine(
            timestamp: ns, level: severity.map(LogLevelName.syslogSeverity), messageStart: min(m, p.count))
        line.host = LogBytes.text(p, hostStart, hostEnd)
        line.program = LogBytes.text(p, tagStart, tagEnd)
        if let (a, b) = pid { line.fields.append(LogField("pid", LogBytes.text(p, a, b))) }
        if line.program == "haproxy" { HAProxyLog.parse(p, from: m, into: &line.fields) }
        return line
    }

    /// `TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG` after `<PRI>1 `.
    static func rfc5424(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, severity: Int?) -> ParsedLogLine? {
        var words: [(Int, Int)] = []
        var i = start
        while words.count < 5 {
            let s = i
            i = LogBytes.find(LogBytes.space, p, from: i)
            guard i < p.count, i > s else { return nil }
            words.append((s, i))
            i += 1
        }
        let ns: Int64
        if words[0].1 - words[0].0 == 1, p[words[0].0] == UInt8(ascii: "-") {
            return nil  // NILVALUE time: let the fallback rule decide
        } else {
            guard let (t, end) = LogTimestamp.iso8601(p, words[0].0), end == words[0].1 else { return nil }
            ns = t
        }
        // Structured data: `-` or one or more `[...]` elements (quoted values may hold `]`).
        var m = i
        if m < p.count, p[m] == UInt8(ascii: "-") {
            m += 1
        } else {
            while m < p.count, p[m] == UInt8(ascii: "[") {
                var quoted = false
                m += 1
                while m < p.count {
                    let c = p[m]
                    if c == UInt8(ascii: "\\") {
                        m += 2
                        continue
                    }
                    if c == UInt8(ascii: "\"") { quoted.toggle() }
                    m += 1
                    if c == UInt8(ascii: "]") && !quoted { break }
                }
            }
        }
        if m < p.count, p[m] == LogBytes.space { m += 1 }
        if LogBytes.hasPrefix(p, m, "\u{FEFF}") { m += 3 }
        var line = ParsedLogLine(
            timestamp: ns, level: severity.map(LogLevelName.syslogSeverity), messageStart: min(m, p.count))
        func value(_ w: (Int, Int)) -> String? {
            w.1 - w.0 == 1 && p[w.0] == UInt8(ascii: "-") ? nil : LogBytes.text(p, w.0, w.1)
        }
        line.host = value(words[1])
        line.program = value(words[2])
        if let pid = value(words[3]) { line.fields.append(LogField("pid", pid)) }
        if let msgid = value(words[4]) { line.fields.append(LogField("msgid", msgid)) }
        return line
    }
}

/// haproxy's httplog format:
/// `10.11.10.1:51234 [19/Nov/2019:21:00:01.123] nova_api nova_api/wally113 0/0/0/160/160 200 2018 - - ---- 12/12/4/4/0 0/0 "GET /v2.1/.. HTTP/1.1"`.
enum HAProxyLog {
    static func parse(_ p: UnsafeBufferPointer<UInt8>, from m: Int, into fields: inout [LogField]) {
        guard m < p.count, LogBytes.isDigit(p[m]) else { return }
        var words: [(Int, Int)] = []
        var i = m
        while i < p.count, words.count < 7 {
            while i < p.count, p[i] == LogBytes.space { i += 1 }
            let s = i
            while i < p.count, p[i] != LogBytes.space { i += 1 }
            guard i > s else { break }
            words.append((s, i))
        }
        // words: client, [date], frontend, backend/server, timers, status, bytes
        guard words.count == 7, p[words[1].0] == UInt8(ascii: "["),
            LogBytes.isNumber(p, words[5].0, words[5].1), LogBytes.isNumber(p, words[6].0, words[6].1)
        else { return }
        let q = LogBytes.find(UInt8(ascii: "\""), p, from: i)
        if q < p.count {
            let methodEnd = LogBytes.find(LogBytes.space, p, from: q + 1)
            let close = LogBytes.find(UInt8(ascii: "\""), p, from: q + 1)
            if methodEnd < close, close < p.count {
                let pathEnd = LogBytes.firstIndex(of: " HTTP/", in: p, from: methodEnd, to: close) ?? close
                fields.append(LogField("http_method", LogBytes.text(p, q + 1, methodEnd)))
                fields.append(LogField("http_path", LogBytes.text(p, methodEnd + 1, pathEnd)))
            }
        }
        fields.append(LogField("http_status", LogBytes.text(p, words[5].0, words[5].1)))
        fields.append(LogField("http_bytes", LogBytes.text(p, words[6].0, words[6].1)))
        fields.append(LogField("backend", LogBytes.text(p, words[3].0, words[3].1)))
        // Ta, the last timer, in ms.
        let (ts, te) = words[4]
        var k = te
        while k > ts, p[k - 1] != UInt8(ascii: "/") { k -= 1 }
        if let ms = LogBytes.integer(p, k, te) {
            fields.append(LogField("http_time", String(Double(ms) / 1000)))
        }
    }
}
