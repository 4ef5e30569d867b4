import ArgumentParser
import Strata
import StrataCLIKit
import StrataQuery

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Evaluate PromQL over the metrics, LogQL over the logs, or a trace query over the spans.",
        discussion: """
            An instant query at --time (default: now), or a range query when
            --start/--end/--step are given (end defaults to now, step to the
            span / 250, at least 1s). Semantics are Prometheus 3.x: 5-minute
            lookback, staleness, rate extrapolation.

            --format json prints exactly the body of Prometheus's /api/v1/query
            (or query_range), e.g.
              {"status":"success","data":{"resultType":"vector","result":[...]}}
            --format csv prints one row per sample: the label columns, the
            timestamp (Unix seconds), the value.
            --limit N keeps the first N series (JSON then carries Prometheus's
            truncation warning).

            Trace queries (Docs/trace-queries.md): a selector with a duration or
            error condition, or a span_* function, or any query with --store traces:
              strata query ./db '{service="glance", duration > 2s}' --start now-1h
              strata query ./db '{host=~"compute-.*", name!="db", error=true}'
              strata query ./db 'span_duration_quantile(0.99, {project="glance"})' \\
                --start now-6h --end now --step 5m --format json

            Examples:
              strata query ./db 'node_load1' --time 2024-09-04T11:23:00Z
              strata query ./db 'topk(5, node_memory_MemFree_bytes)' --format csv
              strata query ./db \\
                'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))' \\
                --start now-1h --end now --step 1m --format json

            Logs (LogQL, Docs/logql.md): a query with a pipeline (`|=`, `!=`,
            `|~`, `!~` after the selector, or `| field op value`) or a LogQL-only
            function (bytes_over_time, bytes_rate) goes to the log store; so does
            any query with --store logs (needed for a bare `{...}` selector or
            count_over_time/rate over logs without a filter). Everything else is
            PromQL. A log query prints matching records newest first (--direction
            forward for oldest first), at most --limit (default 100), within
            --start/--end (default: all time); matched text is highlighted on a
            terminal. --context N adds N records of the same stream before and
            after each hit. --format json prints Loki's query_range body:
              {"status":"success","data":{"resultType":"streams",...}}
            Metric queries over logs (count_over_time, rate, bytes_over_time,
            bytes_rate, with sum/avg/topk/... on top) answer like PromQL.

            Examples:
              strata query ./db '{program="nova-api"} |= "ERROR"'
              strata query ./db '{host="wally113"} | request_id="req-3f1c"' \\
                --context 3
              strata query ./db '{program="haproxy"}' --store logs --limit 20
              strata query ./db \\
                'sum by (program) (count_over_time({level="ERROR"} |= "" [5m]))' \\
                --start 2019-11-19T21:00:00Z --end 2019-11-19T22:00:00Z --step 5m

            Exit status: 0 success; 1 the query is invalid or failed (parse
            errors point at the column); 2 usage or I/O error.
            """)

    enum Store: String, ExpressibleByArgument, CaseIterable { case metrics, logs, traces }
    enum Direction: String, ExpressibleByArgument, CaseIterable { case backward, forward }

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    @Argument(help: "The database directory.") var db: String
    @Argument(help: "A PromQL, LogQL or trace expression, e.g. 'rate(http_requests_total[5m])'.") var expr: String
    @Option(help: "Evaluation time of an instant query (RFC 3339, Unix seconds, now, now-1h). Default: now.")
    var time: String?
    @Option(help: "Start of a range query.") var start: String?
    @Option(help: "End of a range query. Default: now.") var end: String?
    @Option(help: "Resolution of a range query: a duration (15s, 1m) or seconds.") var step: String?
    @Option(help: "Output format: table, json or csv.") var format: Format = .table
    @Option(help: "Print at most N series (metrics) or N records (logs; default 100).") var limit: Int?
    @Option(help: "The store to query: metrics, logs or traces. Default: decided by the query (see above).")
    var store: Store?
    @Option(help: "Order of log records: backward (newest first) or forward.") var direction: Direction = .backward
    @Option(help: "Records of the same stream to show before and after each log hit.") var context: Int?

    func validate() throws {
        let isRange = start != nil || end != nil || step != nil
        if isRange && time != nil { throw ValidationError("--time cannot be combined with --start/--end/--step") }
        if isRange && start == nil { throw ValidationError("a range query needs --start") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let context, context < 0 || context > 1000 { throw ValidationError("--context must be between 0 and 1000") }
    }

    func run() throws {
        if store == .traces || (store == nil && TraceQuery.looksLikeTraceQuery(expr)) {
            return try TraceQueryRun(self).run()
        }
        let now = TimeSpec.nowMilliseconds()
        let isRange = start != nil || end != nil || step != nil
        var window: (start: Int64, end: Int64, step: Int64)?
        var at = now
        if isRange {
            let s = try parseTime(start, flag: "--start", default: now)
            let e = try parseTime(end, flag: "--end", default: now)
            guard e >= s else { throw ValidationError("--end is before --start") }
            var st = max(1000, (e - s) / 250)
            if let step {
                guard let d = Self.parseStep(step), d > 0 else {
                    throw ValidationError("invalid --step '\(step)' (use a duration such as 15s or 1m, or seconds)")
                }
                st = d
            }
            guard (e - s) / st <= 11_000 else {
                throw ValidationError("exceeded maximum resolution of 11,000 points per series; use a larger --step")
            }
            window = (s, e, st)
        } else {
            at = try parseTime(time, flag: "--time", default: now)
        }

        let db = try openDatabase(self.db, readOnly: true)
        defer { try? db.close() }
        if store == .logs || (store == nil && LogQL.looksLikeLogQL(expr)) {
            try runLogQL(db, window: window, at: at)
            return
        }
        let engine = PromQLEngine(store: db.metrics)
        let result: QueryResult
        do {
            if let w = window {
                result = try engine.rangeQuery(expr, start: w.start, end: w.end, step: w.step)
            } else {
                result = try engine.instantQuery(expr, at: at)
            }
        } catch {
            throw CLIFailure(status: error.kind == .storage ? 2 : 1, lines: error.description.split(separator: "\n").map(String.init))
        }

        var out = OutputBuffer()
        switch format {
        case .json:
            out.write(QueryOutput.prometheusJSON(result, limit: limit))
            out.write("\n")
        case .csv:
            out.write(QueryOutput.csv(result, limit: limit))
        case .table:
            out.write(QueryOutput.table(result, limit: limit))
            out.write("\n")
        }
        out.flush()
        printNotes(result)
    }

    func printNotes(_ result: QueryResult) {
        if format != .json {
            for w in result.warnings { writeStderr("warning: \(w)\n") }
            for i in result.infos { writeStderr("info: \(i)\n") }
            if let limit, let n = Self.seriesCount(result.value), n > limit {
                writeStderr("showing \(limit) of \(n) series (--limit)\n")
            }
        }
    }

    /// A step as a Prometheus duration (`15s`, `1m30s`) or a number of seconds (`15`, `0.5`).
    static func parseStep(_ s: String) -> Int64? {
        if let d = TimeSpec.parseDuration(s), d > 0 { return d }
        guard let v = Double(s), v.isFinite, v > 0, v < 1e12 else { return nil }
        return Int64((v * 1000).rounded())
    }

    static func seriesCount(_ v: QueryValue) -> Int? {
        switch v {
        case .vector(let e): e.count
        case .matrix(let m): m.count
        default: nil
        }
    }
}
