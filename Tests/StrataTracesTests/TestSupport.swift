import StrataStorage
@testable import StrataTraces

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A fresh directory under /tmp, removed with its contents on deinit.
final class TemporaryDirectory {
    let path: String
    let fs = SystemFileSystem()

    init() {
        var template = Array("/tmp/strata-traces-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func child(_ name: String) -> String { FileNames.join(path, name) }

    deinit { removeTree(path) }

    private func removeTree(_ p: String) {
        guard let names = try? fs.listDirectory(p) else {
            try? fs.unlink(p)
            return
        }
        for n in names {
            let c = FileNames.join(p, n)
            do { try fs.unlink(c) } catch { removeTree(c) }
        }
        try? fs.removeDirectory(p)
    }
}

extension SystemFileSystem {
    /// Writes `bytes` to `path`, replacing it (not atomically; test setup only).
    func put(_ bytes: [UInt8], at path: String) throws {
        let f = try open(path, mode: .createOrTruncate)
        defer { close(f) }
        try write(f, bytes)
    }
}

/// Deterministic osprofiler-like traces for tests.
enum TraceFixture {
    static func id(_ n: UInt64, _ salt: UInt64) -> TraceID {
        TraceID(high: (n &* 0x9E37_79B9_7F4A_7C15) ^ salt, low: n &+ salt &* 31)
    }

    /// A trace of `spans` spans: a keystone wsgi at the top, a glance wsgi with db children.
    static func spans(trace n: UInt64, spans: Int = 6, start: Int64 = 1_574_079_545_000_000, error: Bool = false) -> [Span] {
        let base = id(n, 1)
        var out: [Span] = []
        let glance = id(n * 1000 + 1, 2)
        out.append(
            Span(
                baseID: base, traceID: id(n * 1000, 2), parentID: base, name: "wsgi", service: "public",
                project: "keystone", host: "wally113", start: start, duration: 100_000, info: wsgi("GET", "/v3/auth/tokens")))
        var g = Span(
            baseID: base, traceID: glance, parentID: base, name: "wsgi", service: "api", project: "glance",
            host: "wally113", start: start + 200_000, duration: Int64(spans) * 300_000,
            status: error ? .error : [], info: wsgi("POST", "/v2/images/\(base)"))
        if error {
            g.info.errorType = "CommunicationError"
            g.info.errorMessage = "connection refused"
        }
        out.append(g)
        for k in 2..<max(2, spans) {
            var info = SpanInfo()
            info.dbStatement = "SELECT images.id FROM images WHERE images.id = %(id_1)s"
            info.dbParams = "{\"id_1\": \"\(k)\"}"
            out.append(
                Span(
                    baseID: base, traceID: id(n * 1000 + UInt64(k), 2), parentID: glance, name: "db", service: "api",
                    project: "glance", host: "wally113", start: start + 200_000 + Int64(k) * 250_000, duration: 20_000 + Int64(k),
                    info: info))
        }
        return out
    }

    static func wsgi(_ method: String, _ path: String) -> SpanInfo {
        var i = SpanInfo()
        i.requestMethod = method
        i.requestPath = path
        i.requestScheme = "http"
        return i
    }

    /// The two JSON lines of a span as osprofiler's drivers write them.
    static func eventLines(_ s: Span) -> String {
        var startInfo = "{\"host\": \"\(s.host)\""
        if !s.info.requestPath.isEmpty {
            startInfo += ", \"request\": {\"path\": \"\(s.info.requestPath)\", \"scheme\": \"http\", \"method\": \"\(s.info.requestMethod)\", \"query\": \"\"}"
        }
        startInfo += "}"
        var stopInfo = "{\"host\": \"\(s.host)\""
        if s.isError { stopInfo += ", \"etype\": \"\(s.info.errorType)\", \"message\": \"\(s.info.errorMessage)\"" }
        stopInfo += "}"
        func line(_ info: String, _ suffix: String, _ t: Int64) -> String {
            "{\"info\": \(info), \"name\": \"\(s.name)-\(suffix)\", \"service\": \"\(s.service)\", \"timestamp\": \"\(OsprofilerTimestamp.format(t))\", \"trace_id\": \"\(s.traceID)\", \"project\": \"\(s.project)\", \"parent_id\": \"\(s.parentID)\", \"base_id\": \"\(s.baseID)\"}\n"
        }
        return line(startInfo, "start", s.start) + line(stopInfo, "stop", s.start + s.duration)
    }
}

/// Parses `text` and returns its events and problems.
func parseEvents(_ text: String) -> ([SpanEvent], [OsprofilerProblem]) {
    var parser = OsprofilerParser()
    var events: [SpanEvent] = []
    var problems: [OsprofilerProblem] = []
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { parser.parse($0, final: true, onEvent: { events.append($0) }, onProblem: { problems.append($0) }) }
    return (events, problems)
}
