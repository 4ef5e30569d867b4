import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The server's own counters and latencies, exposed at `/metrics` in Prometheus's text format
/// (what `promtool check metrics` accepts).
final class ServerMetrics: Sendable {
    static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

    struct Histogram {
        var counts = [UInt64](repeating: 0, count: ServerMetrics.buckets.count)
        var sum = 0.0
        var count: UInt64 = 0
        mutating func observe(_ v: Double) {
            for (i, b) in ServerMetrics.buckets.enumerated() where v <= b { counts[i] += 1 }
            sum += v
            count += 1
        }
    }

    struct State {
        var requests: [String: [Int: UInt64]] = [:]
        var durations: [String: Histogram] = [:]
        var counters: [String: [String: UInt64]] = [:]
        var queriesInFlight = 0
        var fsyncs: UInt64 = 0
        var fsyncedRequests: UInt64 = 0
    }

    let state = Mutex(State())
    let startTime: Double

    /// The counters with their help text and label name (empty for none).
    static let counterHelp: [(name: String, label: String, help: String)] = [
        ("strata_samples_ingested_total", "", "Samples stored from remote_write."),
        ("strata_samples_rejected_total", "reason", "Samples refused, by reason."),
        ("strata_log_entries_ingested_total", "", "Log entries stored from Loki pushes."),
        ("strata_log_bytes_ingested_total", "", "Bytes of log lines stored from Loki pushes."),
        ("strata_log_entries_rejected_total", "", "Log entries refused (bad labels, lines over the limit)."),
        ("strata_spans_ingested_total", "", "Spans (or osprofiler events) stored."),
        ("strata_metadata_received_total", "", "Metric metadata entries received."),
        ("strata_exemplars_dropped_total", "", "Exemplars received and not stored."),
        ("strata_limit_refusals_total", "limit", "Requests refused by a limit, by limit."),
        ("strata_auth_failures_total", "code", "Requests refused for authentication (401) or scope (403)."),
        ("strata_rule_evaluations_total", "rule_group", "Rule evaluations, by rule group (file;name)."),
        ("strata_rule_evaluation_failures_total", "rule_group", "Rule evaluations that failed, by rule group."),
        ("strata_rule_group_iterations_missed_total", "rule_group", "Rule group evaluations skipped because one ran too long."),
        ("strata_rule_reloads_total", "result", "Readings of the rule files after the first (SIGHUP, /-/reload), by result."),
        ("strata_notifications_sent_total", "alertmanager", "Alerts POSTed to each Alertmanager, answered or not."),
        ("strata_notifications_errors_total", "alertmanager", "POSTs to each Alertmanager that failed."),
        ("strata_notifications_dropped_total", "", "Alerts lost: to a full queue, or in a batch no Alertmanager took."),
    ]

    init() {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        startTime = Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func request(_ handler: String, code: Int, seconds: Double) {
        state.withLock { s in
            s.requests[handler, default: [:]][code, default: 0] += 1
            s.durations[handler, default: Histogram()].observe(seconds)
        }
    }

    func add(_ counter: String, _ label: String = "", _ n: Int) {
        guard n > 0 else { return }
        state.withLock { s in s.counters[counter, default: [:]][label, default: 0] += UInt64(n) }
    }

    func queryStarted() { state.withLock { $0.queriesInFlight += 1 } }
    func queryEnded() { state.withLock { $0.queriesInFlight -= 1 } }
    func synced(requests: Int) {
        state.withLock { s in
            s.fsyncs += 1
            s.fsyncedRequests += UInt64(requests)
        }
    }

    static func escape(_ v: String) -> String {
        var out = ""
        for c in v.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }

    /// The exposition text.
    func render(extra: [(name: String, type: String, help: String, value: Double)]) -> String {
        let s = state.withLock { $0 }
        var out = ""
        out += "# HELP strata_http_requests_total HTTP requests answered, by handler and status code.\n"
        out += "# TYPE strata_http_requests_total counter\n"
        for (h, codes) in s.requests.sorted(by: { $0.key < $1.key }) {
            for (code, n) in codes.sorted(by: { $0.key < $1.key }) {
                out += "strata_http_requests_total{code=\"\(code)\",handler=\"\(Self.escape(h))\"} \(n)\n"
            }
        }
        out += "# HELP strata_http_request_duration_seconds Time to answer HTTP requests, by handler.\n"
        out += "# TYPE strata_http_request_duration_seconds histogram\n"
        for (h, hist) in s.durations.sorted(by: { $0.key < $1.key }) {
            let label = "handler=\"\(Self.escape(h))\""
            for (i, b) in Self.buckets.enumerated() {
                out += "strata_http_request_duration_seconds_bucket{\(label),le=\"\(Self.number(b))\"} \(hist.counts[i])\n"
            }
            out += "strata_http_request_duration_seconds_bucket{\(label),le=\"+Inf\"} \(hist.count)\n"
            out += "strata_http_request_duration_seconds_sum{\(label)} \(hist.sum)\n"
            out += "strata_http_request_duration_seconds_count{\(label)} \(hist.count)\n"
        }
        for c in Self.counterHelp {
            out += "# HELP \(c.name) \(c.help)\n# TYPE \(c.name) counter\n"
            let values = s.counters[c.name] ?? [:]
            if c.label.isEmpty {
                out += "\(c.name) \(values[""] ?? 0)\n"
            } else {
                for (l, n) in values.sorted(by: { $0.key < $1.key }) {
                    out += "\(c.name){\(c.label)=\"\(Self.escape(l))\"} \(n)\n"
                }
            }
        }
        out += "# HELP strata_wal_fsyncs_total Group-commit fsyncs of the write-ahead logs.\n# TYPE strata_wal_fsyncs_total counter\n"
        out += "strata_wal_fsyncs_total \(s.fsyncs)\n"
        out += "# HELP strata_wal_fsynced_requests_total Write requests acknowledged by those fsyncs.\n# TYPE strata_wal_fsynced_requests_total counter\n"
        out += "strata_wal_fsynced_requests_total \(s.fsyncedRequests)\n"
        out += "# HELP strata_queries_in_flight Queries running now.\n# TYPE strata_queries_in_flight gauge\n"
        out += "strata_queries_in_flight \(s.queriesInFlight)\n"
        out += "# HELP process_start_time_seconds Start time of the process since the Unix epoch in seconds.\n# TYPE process_start_time_seconds gauge\n"
        out += "process_start_time_seconds \(startTime)\n"
        out += "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\n"
        out += "process_resident_memory_bytes \(Self.residentBytes())\n"
        for e in extra {
            out += "# HELP \(e.name) \(e.help)\n# TYPE \(e.name) \(e.type)\n\(e.name) \(Self.number(e.value))\n"
        }
        return out
    }

    /// Resident set size from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let f = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(f) }
        var buf = [CChar](repeating: 0, count: 128)
        guard fgets(&buf, 128, f) != nil else { return 0 }
        // "size resident shared ...", in pages.
        let parts = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ")
        guard parts.count >= 2, let resident = Int(parts[1]) else { return 0 }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
