import Foundation
import StrataLabels
import StrataMetrics
import StrataTraces
import Testing

@testable import StrataQuery

@Suite struct TraceQueryTests {
    @Test func selectorsParseIntoSearches() throws {
        let q = try TraceQuery.parse(#"{service="glance", duration > 2s, error=true}"#)
        #expect(q == .search(TraceSearch(service: "glance", minDuration: 2_000_001, error: true)))
        let r = try TraceQuery.parse(#"{ project='nova', name="rpc", host="wally117", duration >= 1.5, duration <= 10s, error=false, }"#)
        #expect(r == .search(TraceSearch(project: "nova", name: "rpc", host: "wally117", minDuration: 1_500_000, maxDuration: 10_000_000, error: false)))
        #expect(try TraceQuery.parse("{}") == .search(TraceSearch()))
        let s = try TraceQuery.parse(#"span_duration_quantile(0.95, {project="glance"}[1h])"#)
        #expect(s == .statistic(.durationQuantile(0.95), TraceSearch(project: "glance"), window: 3_600_000_000))
        #expect(try TraceQuery.parse(#"span_count({name="db"})"#) == .statistic(.count, TraceSearch(name: "db"), window: nil))
        // More than one call, or PromQL around one: an expression whose leaves are the calls.
        let e = try TraceQuery.parse(#"sum by (project) (span_errors({service="glance", duration > 2s}[5m])) / 2"#)
        guard case .expression(let expr) = e else { Issue.record("not an expression: \(e)"); return }
        #expect(expr.description == #"sum by (project) (span_errors({service="glance", duration >= 2.000001s}[300s])) / 2"#)
    }

    @Test func matchersOtherThanEqualityBecomeLabelMatchers() throws {
        let q = try TraceQuery.parse(#"{service="nova", host=~"compute-.*", name!="db", project!~"keystone|glance", duration > 1s}"#)
        var want = TraceSearch(service: "nova", minDuration: 1_000_001)
        want.matchers = [
            try LabelMatcher(.regex, "host", "compute-.*"), try LabelMatcher(.notEqual, "name", "db"),
            try LabelMatcher(.notRegex, "project", "keystone|glance"),
        ]
        #expect(q == .search(want))
        // Repeated matchers on one attribute are allowed, as in PromQL.
        guard case .search(let r) = try TraceQuery.parse(#"{name!="db", name!="rpc"}"#) else { Issue.record("not a search"); return }
        #expect(r.matchers.count == 2)
        let e = try TraceQuery.parse(#"span_count({name=~"db|rpc"}[5m]) + 0"#)
        guard case .expression(let expr) = e else { Issue.record("not an expression: \(e)"); return }
        #expect(expr.description == #"span_count({name=~"db|rpc"}[300s]) + 0"#)
    }

    @Test(arguments: [
        (#"{servce="glance"}"#, 2, "unknown trace attribute \"servce\""),
        (#"{service="glance", duration = 2s}"#, 29, "duration takes >, >=, < or <="),
        (#"{service=glance}"#, 10, "expected a quoted string"),
        (#"{error=maybe}"#, 8, "error takes = true or = false"),
        (#"{host=~"(compute"}"#, 8, "invalid regular expression"),
        (#"{name > "db"}"#, 7, "name takes =, !=, =~ or !~"),
        (#"{service="a", service="b"}"#, 15, "service given twice"),
        (#"span_duration_quantile(2, {})"#, 24, "quantile must be between 0 and 1"),
        (#"{duration > 2s} extra"#, 17, "after the query"),
        (#"{service="glance""#, 18, "unexpected end of input inside braces"),
        (#"sum(span_count({servce="x"}[5m]))"#, 17, "unknown trace attribute \"servce\""),
        (#"sum({service="x"}) + span_count({})"#, 5, "needs a span function around it"),
        (#"span_count({}) / "#, 18, "unexpected end of input"),
        (#"sum(rate(x[5m]))"#, 1, "numbers from span_count, span_errors or span_duration_quantile"),
    ])
    func badQueriesPointAtTheColumn(query: String, column: Int, message: String) {
        do {
            _ = try TraceQuery.parse(query)
            Issue.record("\(query) parsed")
        } catch {
            #expect(error.kind == .parse)
            #expect(error.column == column, "\(error)")
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test(arguments: [
        (#"{service="glance", duration > 2s}"#, true),
        (#"{error=true}"#, true),
        (#"span_count({project="glance"})"#, true),
        (#"sum by (project) (span_errors({}[5m])) / sum by (project) (span_count({}[5m]))"#, true),
        (#"{service="glance"}"#, false),
        (#"up{job="node"} > 1"#, false),
        (#"rate(http_requests_total{code=~"5.."}[5m])"#, false),
        (#"sum by (job) (up)"#, false),
    ])
    func dispatchRule(query: String, isTrace: Bool) {
        #expect(TraceQuery.looksLikeTraceQuery(query) == isTrace)
    }

    @Test func statisticsAreMetricShaped() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-tracequery-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = TraceStoreOptions()
        options.durability = .none
        let store = try TraceStore(directory: dir, options: options)
        // 60 glance db spans, one a minute from t0, durations 1..60 ms; every 10th is an error.
        let t0: Int64 = 1_700_000_000_000_000
        var spans: [Span] = []
        for i in 0..<60 {
            let base = TraceID(high: 1, low: UInt64(i))
            spans.append(
                Span(
                    baseID: base, traceID: TraceID(high: 2, low: UInt64(i)), parentID: base, name: "db", service: "api",
                    project: "glance", host: "wally113", start: t0 + Int64(i) * 60_000_000, duration: Int64(i + 1) * 1000,
                    status: i % 10 == 0 ? .error : []))
        }
        try store.append(spans: spans)
        try store.flush()
        let engine = TraceQueryEngine(store: store)
        let endMs = (t0 + 59 * 60_000_000) / 1000
        let v = try engine.instant(.count, TraceSearch(project: "glance"), window: 3_600_000_000, at: endMs)
        guard case .vector(let els) = v.value else { Issue.record("not a vector"); return }
        #expect(els.count == 1 && els[0].value == 60)
        #expect(els[0].labels.labels.map(\.value) == ["db", "glance", "api"])
        let e = try engine.instant(.errors, TraceSearch(project: "glance"), window: 3_600_000_000, at: endMs)
        if case .vector(let x) = e.value { #expect(x.first?.value == 6) } else { Issue.record("not a vector") }
        let p = try engine.instant(.durationQuantile(0.5), TraceSearch(project: "glance"), window: 3_600_000_000, at: endMs)
        if case .vector(let x) = p.value { #expect(x.first?.value == 0.03) } else { Issue.record("not a vector") }
        // Ten-minute windows, left-open as in PromQL: (t - 10m, t] holds the spans started after
        // t - 10m up to t, so the first holds spans 1...10 (the longest 11 ms), the last 51...59.
        let m = try engine.range(.durationQuantile(1), TraceSearch(service: "glance"), window: nil, start: t0 / 1000 + 600_000, end: endMs + 60_000, step: 600_000)
        guard case .matrix(let series) = m.value else { Issue.record("not a matrix"); return }
        #expect(series.count == 1)
        #expect(series[0].values == [0.011, 0.021, 0.031, 0.041, 0.051, 0.06])
        #expect(series[0].timestamps.first == t0 / 1000 + 600_000)
        // The same statistics as leaves of PromQL expressions.
        func expression(_ text: String) throws -> Expr {
            guard case .expression(let expr) = try TraceQuery.parse(text) else { throw QueryError(.parse, "not an expression") }
            return expr
        }
        let ratio = #"sum(span_errors({project="glance"}[1h])) / sum(span_count({project="glance"}[1h]))"#
        let r = try engine.instant(try expression(ratio), query: ratio, at: endMs)
        if case .vector(let x) = r.value { #expect(x.count == 1 && x.first?.value == 0.1, "\(x)") } else { Issue.record("not a vector") }
        let byProject = #"max by (project) (span_duration_quantile(1, {service="glance"}[10m])) * 1000"#
        let b = try engine.range(try expression(byProject), query: byProject, start: t0 / 1000 + 600_000, end: endMs + 60_000, step: 600_000)
        guard case .matrix(let bs) = b.value else { Issue.record("not a matrix"); return }
        #expect(bs.count == 1 && bs[0].labels.labels.map(\.name) == ["project"])
        #expect(bs[0].values == series[0].values.map { $0 * 1000 }, "\(bs[0].values)")
        #expect(bs[0].timestamps == series[0].timestamps)
        // Searches agree with a plain scan.
        let found = try engine.search(TraceSearch(service: "glance", minDuration: 55_000, limit: 0))
        #expect(found.count == 6 && found.first?.baseID == TraceID(high: 1, low: 59))
    }
}
