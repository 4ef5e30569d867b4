import StrataIngest
import StrataTraces

// Fixtures shared by the test targets (a library target: test targets cannot import each other).

/// Deterministic osprofiler-like traces for tests.
public enum TraceFixture {
    public static func id(_ n: UInt64, _ salt: UInt64) -> TraceID {
        TraceID(high: (n &* 0x9E37_79B9_7F4A_7C15) ^ salt, low: n &+ salt &* 31)
    }

    /// A trace of `spans` spans: a keystone wsgi at the top, a glance wsgi with db children.
    public static func spans(trace n: UInt64, spans: Int = 6, start: Int64 = 1_574_079_545_000_000, error: Bool = false) -> [Span] {
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

    public static func wsgi(_ method: String, _ path: String) -> SpanInfo {
        var i = SpanInfo()
        i.requestMethod = method
        i.requestPath = path
        i.requestScheme = "http"
        return i
    }

    /// The two JSON lines of a span as osprofiler's drivers write them.
    public static func eventLines(_ s: Span) -> String {
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
public func parseEvents(_ text: String) -> ([SpanEvent], [OsprofilerProblem]) {
    var parser = OsprofilerParser()
    var events: [SpanEvent] = []
    var problems: [OsprofilerProblem] = []
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { parser.parse($0, final: true, onEvent: { events.append($0) }, onProblem: { problems.append($0) }) }
    return (events, problems)
}

/// Parses `text` into one batch (as `strata ingest` does) and returns it with the problems.
public func parseBatch(_ text: String) -> (SpanEventBatch, [OsprofilerProblem]) {
    var parser = OsprofilerParser()
    var batch = SpanEventBatch()
    var problems: [OsprofilerProblem] = []
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { parser.parse($0, final: true, into: &batch, onProblem: { problems.append($0) }) }
    return (batch, problems)
}
