import StrataLogs

/// The platform services' own formats:
///
/// | service | line | fields |
/// |---|---|---|
/// | mysqld / mariadb | `2019-11-19 21:05:05 1234 [Warning] Aborted connection ...` (also `2019-11-19T21:05:05.123456Z 0 [Note] ...`) | `pid` (thread) |
/// | rabbitmq | `2019-11-19 21:00:20.000 [info] <0.1234.0> accepting AMQP connection ...` | `pid` (Erlang pid) |
/// | ovs-vswitchd | `2019-11-19T21:22:13.000Z\|00012\|util\|EMER\|lib/dp-packet.h:570: ...` | `sequence`, `logger` (module) |
/// | libvirtd | `2019-11-19 21:00:14.000+0000: 4321: info : virNetDevTapCreate:246 : ...` | `pid` (thread), `logger` (function) |
enum PlatformLineParser {
    static func parse(_ p: UnsafeBufferPointer<UInt8>) -> ParsedLogLine? {
        guard let (ns, t) = LogTimestamp.iso8601(p, 0), t < p.count else { return nil }
        if p[t] == UInt8(ascii: "|") { return ovs(p, ns, t + 1) }
        if p[t] == UInt8(ascii: ":") { return libvirt(p, ns, t + 1) }
        guard p[t] == LogBytes.space, t + 1 < p.count else { return nil }
        var i = t + 1
        var pid: (Int, Int)?
        if LogBytes.isDigit(p[i]) {
            let s = i
            while i < p.count, LogBytes.isDigit(p[i]) { i += 1 }
            guard i < p.count, p[i] == LogBytes.space else { return nil }
            pid = (s, i)
            i += 1
        }
        // `[Level]`
        guard i < p.count, p[i] == UInt8(ascii: "[") else { return nil }
        let close = LogBytes.find(UInt8(ascii: "]"), p, from: i)
        guard close < p.count, let level = LogLevelName.canonical(p, i + 1, close) else { return nil }
        var m = close + 1
        if m < p.count, p[m] == LogBytes.space { m += 1 }
        if pid == nil, m < p.count, p[m] == UInt8(ascii: "<") {  // rabbitmq's Erlang pid
            let end = LogBytes.find(UInt8(ascii: ">"), p, from: m)
            if end < p.count {
                pid = (m, end + 1)
                m = end + 1
                if m < p.count, p[m] == LogBytes.space { m += 1 }
            }
        }
        var line = ParsedLogLine(timestamp: ns, level: level, messageStart: min(m, p.count))
        if let (a, b) = pid { line.fields.append(LogField("pid", LogBytes.text(p, a, b))) }
        return line
    }

    /// `seq|module|LEVEL|message`
    static func ovs(_ p: UnsafeBufferPointer<UInt8>, _ ns: Int64, _ start: Int) -> ParsedLogLine? {
        let bar = UInt8(ascii: "|")
        let e1 = LogBytes.find(bar, p, from: start)
        guard e1 < p.count, LogBytes.integer(p, start, e1) != nil else { return nil }
        let e2 = LogBytes.find(bar, p, from: e1 + 1)
        guard e2 < p.count else { return nil }
        let e3 = LogBytes.find(bar, p, from: e2 + 1)
        guard e3 < p.count, let level = LogLevelName.canonical(p, e2 + 1, e3) else { return nil }
        var line = ParsedLogLine(timestamp: ns, level: level, messageStart: e3 + 1)
        line.fields.append(LogField("sequence", LogBytes.text(p, start, e1)))
        line.fields.append(LogField("logger", LogBytes.text(p, e1 + 1, e2)))
        return line
    }

    /// ` 4321: info : function:line : message`
    static func libvirt(_ p: UnsafeBufferPointer<UInt8>, _ ns: Int64, _ start: Int) -> ParsedLogLine? {
        var i = start
        while i < p.count, p[i] == LogBytes.space { i += 1 }
        let pidStart = i
        while i < p.count, LogBytes.isDigit(p[i]) { i += 1 }
        guard i > pidStart, i < p.count, p[i] == UInt8(ascii: ":") else { return nil }
        let pidEnd = i
        i += 1
        while i < p.count, p[i] == LogBytes.space { i += 1 }
        let levelStart = i
        while i < p.count, p[i] != LogBytes.space { i += 1 }
        guard let level = LogLevelName.canonical(p, levelStart, i), LogBytes.hasPrefix(p, i, " : ") else { return nil }
        let fnStart = i + 3
        let colon = LogBytes.firstIndex(of: " : ", in: p, from: fnStart, to: p.count)
        var line = ParsedLogLine(timestamp: ns, level: level, messageStart: colon.map { $0 + 3 } ?? fnStart)
        line.fields.append(LogField("pid", LogBytes.text(p, pidStart, pidEnd)))
        if let colon {
            var fnEnd = colon
            if let c = LogBytes.firstIndex(of: ":", in: p, from: fnStart, to: colon) { fnEnd = c }
            line.fields.append(LogField("logger", LogBytes.text(p, fnStart, fnEnd)))
        }
        return line
    }
}
