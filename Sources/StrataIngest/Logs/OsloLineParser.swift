import StrataLogs

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// oslo.log lines (OpenStack services):
///
/// `2019-11-19 21:00:04.500 2931 INFO nova.compute.manager [req-<g> req-<r> <user> <project> - - -] [instance: <uuid>] message`
///
/// - Context: `[req-<global> req-<request> user project domain ...]` (services called on a request's
///   behalf), `[req-<request> user project - - -]` (the API the request entered), `[-]` (none);
///   `-` means absent. Fields `global_request_id`, `request_id`, `user`, `project`.
/// - `[instance: <uuid>] ` before the message: field `instance`.
/// - Fields `pid`, `logger`; the level is the stream label `level`.
/// - wsgi access messages: nova/neutron `10.11.10.1 "GET /path HTTP/1.1" status: 200 len: 1893 time: 0.2477829`,
///   glance/eventlet `10.11.10.1 - - [19/Nov/2019 21:00:03] "PUT /path HTTP/1.1" 204 0 5.512345`:
///   fields `http_method`, `http_path`, `http_status`, `http_bytes`, `http_time` (seconds).
/// - Loghub's files prefix every line with the file it came from (`nova-api.log.1.2017-05-16_13:53:08 2017-...`):
///   that word names the program (`nova-api`).
enum OsloLineParser {
    static func parse(_ p: UnsafeBufferPointer<UInt8>) -> ParsedLogLine? {
        var cache: (bytes: [UInt8], name: String) = ([], "")
        return parse(p, programCache: &cache)
    }

    /// - Parameter programCache: the last prefix's program, reused while the prefix repeats.
    static func parse(_ p: UnsafeBufferPointer<UInt8>, programCache: inout (bytes: [UInt8], name: String)) -> ParsedLogLine? {
        var i = 0
        var program: String?
        if p.count > 0, !LogBytes.isDigit(p[0]) {
            // A Loghub file-name prefix: `<program>.log<anything> ` then the date.
            let sp = LogBytes.find(LogBytes.space, p, from: 0)
            guard sp < p.count, let dot = LogBytes.firstIndex(of: ".log", in: p, from: 0, to: sp), dot > 0 else {
                return nil
            }
            let cached = programCache.bytes.count == dot && programCache.bytes.withUnsafeBufferPointer {
                memcmp($0.baseAddress!, p.baseAddress!, dot) == 0
            }
            if !cached { programCache = (Array(p[0..<dot]), LogBytes.text(p, 0, dot)) }
            program = programCache.name
            i = sp + 1
        }
        guard let (ns, afterTime) = LogTimestamp.isoDateTime(p, i), afterTime < p.count, p[afterTime] == LogBytes.space
        else { return nil }
        // pid
        var j = afterTime + 1
        let pidStart = j
        while j < p.count, LogBytes.isDigit(p[j]) { j += 1 }
        guard j > pidStart, j < p.count, p[j] == LogBytes.space else { return nil }
        let pidEnd = j
        // level
        let levelStart = j + 1
        j = LogBytes.find(LogBytes.space, p, from: levelStart)
        guard let level = LogLevelName.canonical(p, levelStart, j), j < p.count else { return nil }
        // logger
        let loggerStart = j + 1
        j = LogBytes.find(LogBytes.space, p, from: loggerStart)
        guard j > loggerStart else { return nil }
        var line = ParsedLogLine(timestamp: ns, level: level, messageStart: min(j + 1, p.count))
        line.program = program
        line.fields.reserveCapacity(8)
        line.fields.append(LogField("pid", LogBytes.text(p, pidStart, pidEnd)))
        line.fields.append(LogField("logger", LogBytes.text(p, loggerStart, j)))
        var m = j + 1
        if m < p.count, p[m] == UInt8(ascii: "[") {
            let close = LogBytes.find(UInt8(ascii: "]"), p, from: m)
            guard close < p.count else { return line }
            requestContext(p, m + 1, close, into: &line.fields)
            m = close + 1
            if m < p.count, p[m] == LogBytes.space { m += 1 }
        }
        if LogBytes.hasPrefix(p, m, "[instance: ") {
            let close = LogBytes.find(UInt8(ascii: "]"), p, from: m)
            if close < p.count {
                line.fields.append(LogField("instance", LogBytes.text(p, m + 11, close)))
            }
        }
        line.messageStart = min(m, p.count)
        WSGIAccess.parse(p, from: m, into: &line.fields)
        return line
    }

    /// The words between the context brackets (no allocation but the field strings).
    static func requestContext(_ p: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int, into fields: inout [LogField]) {
        var i = a
        /// The next word in `[i, b)`, or nil.
        func word() -> (Int, Int)? {
            while i < b, p[i] == LogBytes.space { i += 1 }
            let s = i
            while i < b, p[i] != LogBytes.space { i += 1 }
            return i > s ? (s, i) : nil
        }
        guard let first = word(), LogBytes.hasPrefix(p, first.0, "req-") else { return }
        var request = first
        var next = word()
        if let second = next, LogBytes.hasPrefix(p, second.0, "req-") {
            fields.append(LogField("global_request_id", LogBytes.text(p, first.0, first.1)))
            request = second
            next = word()
        }
        fields.append(LogField("request_id", LogBytes.text(p, request.0, request.1)))
        let isDash = { (w: (Int, Int)) in w.1 - w.0 == 1 && p[w.0] == UInt8(ascii: "-") }
        if let user = next, !isDash(user) { fields.append(LogField("user", LogBytes.text(p, user.0, user.1))) }
        if next != nil, let project = word(), !isDash(project) {
            fields.append(LogField("project", LogBytes.text(p, project.0, project.1)))
        }
    }
}

/// HTTP access lines inside messages (wsgi servers, eventlet, placement's requestlog).
enum WSGIAccess {
    /// Finds `"METHOD /path HTTP/x"` after a client address and the numbers after it.
    static func parse(_ p: UnsafeBufferPointer<UInt8>, from m: Int, into fields: inout [LogField]) {
        // Cheap rejection: an access line starts with a digit (the client address).
        guard m < p.count, LogBytes.isDigit(p[m]) else { return }
        let q = LogBytes.find(UInt8(ascii: "\""), p, from: m)
        guard q < p.count, q - m < 64 else { return }
        let methodStart = q + 1
        let methodEnd = LogBytes.find(LogBytes.space, p, from: methodStart)
        guard methodEnd < p.count, methodEnd - methodStart >= 3, methodEnd - methodStart <= 7 else { return }
        for k in methodStart..<methodEnd where !(p[k] >= 65 && p[k] <= 90) { return }
        let close = LogBytes.find(UInt8(ascii: "\""), p, from: methodEnd)
        guard close < p.count else { return }
        var pathEnd = close
        if let h = LogBytes.firstIndex(of: " HTTP/", in: p, from: methodEnd, to: close) { pathEnd = h }
        var numbers: [(Int, Int)] = []
        var i = close + 1
        while i < p.count, numbers.count < 3 {
            while i < p.count, p[i] == LogBytes.space { i += 1 }
            let s = i
            while i < p.count, p[i] != LogBytes.space { i += 1 }
            guard i > s else { break }
            if p[i - 1] == UInt8(ascii: ":") {  // `status:`, `len:`, `time:`
                continue
            }
            guard LogBytes.isNumber(p, s, i) else { break }
            numbers.append((s, i))
        }
        guard numbers.count >= 2 else { return }
        fields.append(LogField("http_method", LogBytes.text(p, methodStart, methodEnd)))
        fields.append(LogField("http_path", LogBytes.text(p, methodEnd + 1, pathEnd)))
        fields.append(LogField("http_status", LogBytes.text(p, numbers[0].0, numbers[0].1)))
        fields.append(LogField("http_bytes", LogBytes.text(p, numbers[1].0, numbers[1].1)))
        if numbers.count > 2 { fields.append(LogField("http_time", LogBytes.text(p, numbers[2].0, numbers[2].1))) }
    }
}
