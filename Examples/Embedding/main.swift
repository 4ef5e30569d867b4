// Embedding Strata: open a database, append samples, log records and spans, query them back.
// Run: swift run strata-embedding-example /tmp/embedded-db   (the README shows this file verbatim)
import Strata

let path = CommandLine.arguments.dropFirst().first ?? "embedded-db"
let db = try Database(path: path)                       // creates the directory, takes its lock
let t0 = Timestamp.seconds(1_700_000_000)                // the API's one time type (2023-11-14T22:13:20Z)

// Metrics: a series reference per label set, then batches of (ref, time, value).
let up = try Labels(validating: ["__name__": "up", "job": "node", "instance": "wally113"])
let ref = try db.metrics.seriesRef(for: up)
var batch = SampleBatch()
for i in 0..<10 { batch.append(ref, t0 + .seconds(15 * i), i == 7 ? 0 : 1) }
_ = try db.metrics.append(batch)                         // returns once the WAL record is fsynced

// Logs: records in streams (labels), with a line and optional parsed fields.
let stream = try Labels(validating: ["host": "wally113", "program": "nova-api", "level": "ERROR"])
let line = "Unable to establish connection to http://wally113:9292/v2/images: Connection refused"
try db.logs.append([
    LogRecord(time: t0 + .seconds(100), stream: stream, line: Array(line.utf8),
              fields: [LogField("request_id", "req-1")])
])

// Traces: osprofiler spans, found again by base_id and by a trace query.
let request = TraceID(parsing: "8f6ff588-fcb6-4983-883c-282f78922756")!
var upload = SpanInfo()
(upload.requestMethod, upload.requestPath) = ("PUT", "/v2/images/42/file")
try db.traces.append(spans: [
    Span(baseID: request, traceID: TraceID(high: 1, low: 2), parentID: request, name: "wsgi", service: "api",
         project: "glance", host: "wally113", startTime: t0 + .seconds(120), elapsed: .milliseconds(2_400), info: upload)
])
print("trace:", try db.traces.trace(request).map { "\($0.project) \($0.name) \($0.info.requestPath)" })
if case .search(let slow) = try TraceQuery.parse(#"{service="glance", duration > 2s}"#) {
    for t in try db.traces.search(slow) { print("slow request:", t.baseID, t.rootName, t.elapsed, "at", t.startTime) }
}

// PromQL: an instant query (Prometheus 3.x semantics).
let engine = PromQLEngine(store: db.metrics)
let result = try engine.instantQuery("avg_over_time(up[5m])", at: t0 + .seconds(150))
if case .vector(let elements) = result.value {
    for e in elements { print("PromQL:", e.labels, e.value) }
}

// LogQL: a log query (lines) and a metric query over logs (numbers).
let hits = try db.searchLogs(#"{program="nova-api"} |= "refused" | request_id="req-1""#)
for hit in hits.hits { print("LogQL: ", String(decoding: hit.record.line, as: UTF8.self)) }
let errors = try db.logQL.instantQuery(#"sum(count_over_time({level="ERROR"}[5m]))"#, at: t0 + .seconds(150))
if case .vector(let elements) = errors.value { print("errors in the last 5 minutes:", elements.first?.value ?? 0) }

// Retention: a policy (the YAML `strata policy set` takes), applied by one maintenance pass;
// `DatabaseOptions.compactionInterval` runs the same pass in the background.
let debug = try Labels(validating: ["host": "wally113", "program": "nova-api", "level": "DEBUG"])
try db.logs.append([LogRecord(time: t0 + .seconds(10), stream: debug, line: Array("DEBUG oslo_service loopingcall".utf8))])
try db.setPolicy("""
    retention:
      logs: 14d
      rules:
        - {store: logs, selector: '{level="DEBUG"}', keep: 1h}
    """)
let pass = try db.maintain(now: t0 + .seconds(7_200))  // ages count back from `now` (default: the newest data)
print("retention dropped", pass.logRetention?.recordsDropped ?? 0, "DEBUG record(s) older than an hour")

try db.close()
