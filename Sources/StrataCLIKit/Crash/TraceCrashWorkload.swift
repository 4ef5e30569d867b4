import StrataTraces

/// The trace crash test's deterministic data, shared by `strata _crash-writer --store traces`
/// and the test that checks it.
///
/// Batch b appends the start events of trace b's spans and the stop events of trace b - 1's,
/// so spans stay open across flushes and the WAL checkpoint must carry them. Once batch b is
/// acknowledged, trace b - 1 is whole and trace b has its starts.
package enum TraceCrashWorkload {
    package static let spansPerTrace = 4

    package static func baseID(_ batch: Int) -> TraceID { TraceID(high: 0xC0FF_EE00_0000_0000 | UInt64(batch), low: 0xB) }

    package static func span(batch: Int, _ k: Int) -> Span {
        let base = baseID(batch)
        let start = 1_700_000_000_000_000 + Int64(batch) * 1_000_000 + Int64(k) * 1000
        return Span(
            baseID: base, traceID: TraceID(high: UInt64(batch), low: UInt64(k) + 1),
            parentID: k == 0 ? base : TraceID(high: UInt64(batch), low: 1), name: k == 0 ? "wsgi" : "db",
            service: "api", project: "glance", host: "wally113", start: start, duration: 500 + Int64(k),
            status: k == 3 && batch % 5 == 0 ? .error : [])
    }

    /// The events of batch b: starts of trace b, stops of trace b - 1.
    package static func events(batch b: Int) -> [SpanEvent] {
        var out: [SpanEvent] = []
        for k in 0..<spansPerTrace {
            var s = span(batch: b, k)
            s.status = .incomplete
            s.duration = 0
            out.append(SpanEvent(kind: .start, span: s))
        }
        if b > 0 {
            for k in 0..<spansPerTrace {
                let whole = span(batch: b - 1, k)
                var s = whole
                s.start = whole.start + whole.duration
                s.duration = 0
                s.status = .missingStart
                if whole.isError { s.info.errorType = "Crash" }
                out.append(SpanEvent(kind: .stop, span: s))
            }
        }
        return out
    }
}
