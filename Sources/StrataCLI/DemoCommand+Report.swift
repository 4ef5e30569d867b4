import Strata
import StrataCLIKit

/// What `strata demo` shows once the data is in: the KPI chart, the error logs, the shell hints.
struct DemoReport {
    let db: Database
    /// The simulated run (ms).
    let start: Int64, end: Int64
    let style: ShellStyle
    let width: Int

    /// The LogQL selector of error records (oslo's ERROR and CRITICAL; ovs-vswitchd's EMER/ERR map onto them).
    static let errorSelector = #"{level=~"ERROR|CRITICAL"}"#
    /// Words highlighted in the error lines shown.
    static let highlightWords = ["assertion", "failed", "Failed", "dead", "died", "refused", "ERROR", "EMER", "CRITICAL"]

    /// Charts `call_success_rate` over the run and says when it fell, from what to what.
    func kpi() throws -> DemoKPIDrop? {
        let query = "call_success_rate"
        let result: QueryResult
        do { result = try PromQLEngine(store: db.metrics).rangeQuery(query, start: start, end: end, step: 60_000) } catch {
            throw CLIFailure.problem("\(query): \(error.description)")
        }
        guard case .matrix(let series) = result.value, let kpi = series.first else {
            throw CLIFailure.problem("\(query): no series in the database (was metrics/kpi.om ingested?)")
        }
        var chart = BrailleChart(width: min(100, max(30, width - 12)), height: 8)
        chart.minimumLabelWidth = 5
        print(style.dim("$ strata query \(db.path) '\(query)' --start \(Self.rfc(start)) --end \(Self.rfc(end)) --step 1m"))
        print(style.series(0, "● ") + style.bold(kpi.labels.description) + "  " + style.dim(ChartSummary(kpi.values)?.caption ?? ""))
        let lines = chart.render(
            timestamps: kpi.timestamps, values: kpi.values, start: start, end: end, maxGap: 90_000, paint: { style.series(0, $0) })
        print(lines.joined(separator: "\n"))
        guard let drop = DemoKPIDrop.find(timestamps: kpi.timestamps, values: kpi.values) else { return nil }
        var sentence = "call_success_rate fell from \(Self.percent(drop.before.value)) at \(Self.clock(drop.before.time))"
        sentence += " to \(Self.percent(drop.fallen.value)) at \(Self.clock(drop.fallen.time))"
        if drop.lowest.time != drop.fallen.time {
            sentence += " (lowest \(Self.percent(drop.lowest.value)) at \(Self.clock(drop.lowest.time)))"
        }
        if let r = drop.recovered {
            sentence += "; it was back to \(Self.percent(r.value)) at \(Self.clock(r.time))"
            sentence += ", \((r.time - drop.fallen.time) / 60_000) minutes later (usually \(Self.percent(drop.baseline)))."
        } else {
            sentence += "; it had not recovered by the end of the run (usually \(Self.percent(drop.baseline)))."
        }
        print(style.bold(sentence))
        return drop
    }

    /// Errors per minute over the run, errors per service around `fall` (ms), and each service's first error line there.
    func errorLogs(around fall: Int64) throws {
        let from = fall - 3 * 60_000, to = fall + 7 * 60_000
        let histogram: LogHistogram
        do { histogram = try db.logHistogram(Self.errorSelector, start: .milliseconds(start), end: .milliseconds(end), step: .seconds(60)) } catch {
            throw CLIFailure.problem(error.description)
        }
        print("Error records per minute over the run (\(Self.errorSelector)):")
        let bars = BarChart(height: 4, maxWidth: min(100, max(30, width - 12)))
        print(bars.render(counts: histogram.totals.map(Double.init), start: start, end: end - 60_000, paint: { style.red($0) })
            .joined(separator: "\n"))

        let byProgram = "sum by (program) (count_over_time(\(Self.errorSelector)[10m]))"
        print("\nFrom \(Self.clock(from)) to \(Self.clock(to)), by service:")
        print(style.dim("$ strata query \(db.path) '\(byProgram)' --store logs --time \(Self.rfc(to))"))
        let counts: QueryResult
        do { counts = try db.logQL.instantQuery(byProgram, at: to) } catch { throw CLIFailure.problem(error.description) }
        guard case .vector(let elements) = counts.value, !elements.isEmpty else {
            print("(no error records in that window)")
            return
        }
        let sorted = elements.sorted { $0.value > $1.value }
        let top = sorted.first?.value ?? 1
        let rows = sorted.map { e in
            [e.labels["program"] ?? "?", String(Int(e.value)), String(repeating: "█", count: max(1, Int(e.value / top * 30)))]
        }
        print(style.header(Table(header: ["program", "errors", ""], rows: rows).render()))

        let search: LogSearchResult
        do {
            search = try db.searchLogs(Self.errorSelector, start: .milliseconds(from), end: .milliseconds(to), limit: 0, direction: .forward)
        } catch { throw CLIFailure.problem(error.description) }
        var seen: Set<String> = []
        var firsts: [LogHit] = []
        for hit in search.hits where seen.insert(hit.record.stream["program"] ?? "").inserted { firsts.append(hit) }
        print("\nThe first error of each service in that window:")
        for hit in firsts.prefix(8) {
            let program = hit.record.stream["program"] ?? "?"
            var line = String(decoding: hit.record.line, as: UTF8.self)
            let room = max(100, 2 * width - 20)  // two terminal lines at most
            if line.count > room { line = String(line.prefix(room - 1)) + "…" }
            let name = program.count >= 18 ? program : program + String(repeating: " ", count: 18 - program.count)
            print(style.cyan(name) + " " + style.highlighted(line, literals: Self.highlightWords))
        }
    }

    /// The traces with a failed span between `from` and `to` (ms): a table, then the first one as a
    /// waterfall with its critical path.
    func failedRequests(from: Int64, to: Int64, db dbPath: String) throws {
        let engine = TraceQueryEngine(store: db.traces)
        let found: [TraceSummary]
        do { found = try engine.search(TraceSearch(error: true), start: .milliseconds(from), end: .milliseconds(to + 1), limit: 8) } catch {
            throw CLIFailure.problem(error.description)
        }
        print(style.dim("$ strata query \(dbPath) '{error=true}' --start \(Self.rfc(from)) --end \(Self.rfc(to))"))
        guard let first = found.last else {
            print("(no failed span between \(Self.clock(from)) and \(Self.clock(to)))")
            return
        }
        print(TraceOutput.searchTable(found), terminator: "")
        let spans: [Span]
        do { spans = try db.traces.trace(first.baseID) } catch { throw CLIFailure.problem("\(error)") }
        let tree = TraceTree(baseID: first.baseID, spans: spans)
        print("\nThe earliest of them, \(first.rootName) (\(first.spanCount) spans):")
        print(style.dim("$ strata trace \(dbPath) \(first.baseID) --critical-path"))
        print(TraceOutput.tree(tree, barWidth: max(20, min(50, width - 90)), color: style.enabled), terminator: "")
        print(TraceOutput.criticalPath(tree), terminator: "")
    }


    /// How to open the shell on the demo's database, and queries to try there (each checked by the tests).
    static func shellHints(db: String, around fall: Int64) -> String {
        let from = (fall - 20 * 60_000) / 60_000 * 60_000, to = (fall + 40 * 60_000) / 60_000 * 60_000
        let lines: [(String, String)] = [
            ("\\time \(rfc(from))..\(rfc(to)) step 1m", "an hour around the drop"),
            ("call_success_rate", "the KPI, charted"),
            ("call_failure", "failed calls per minute"),
            ("\\logs", "bare queries now go to the log store"),
            ("sum by (program) (count_over_time({level=~\"ERROR|CRITICAL\"}[5m]))", "errors per service, charted"),
            ("{program=\"ovs-vswitchd\"} |= \"assertion\"", "the crash, highlighted"),
            ("\\context 1", "the lines around that hit"),
            ("\\streams", "every log stream and its labels"),
            ("\\traces", "bare queries now go to the trace store"),
            ("{error=true}", "traces with a failed span in the window"),
            ("\\trace 1", "the first of them as a waterfall"),
            ("\\services", "spans, errors and latency per service"),
        ]
        var out = "strata shell \(db)\n"
        for (query, meaning) in lines {
            out += "  " + query + String(repeating: " ", count: max(2, 66 - query.count)) + "# " + meaning + "\n"
        }
        return out + "(\\help lists every command; Tab completes metric names, labels, values and trace keys)"
    }

    /// The queries of `shellHints`, one per line, as a script for `strata shell` (what the tests pipe in).
    static func shellScript(around fall: Int64) -> [String] {
        shellHints(db: "", around: fall).split(separator: "\n").dropFirst().dropLast().map {
            String($0.dropFirst(2).prefix { $0 != "#" }).trimmingWhitespace()
        }
    }

    static func rfc(_ ms: Int64) -> String { TimeSpec.formatRFC3339(ms) }
    /// `22:31` (UTC).
    static func clock(_ ms: Int64) -> String { String(rfc(ms).dropFirst(11).prefix(5)) }
    static func percent(_ v: Double) -> String { String(format1: v) + "%" }
}
