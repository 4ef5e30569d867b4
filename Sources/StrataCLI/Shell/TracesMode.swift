import Strata
import StrataCLIKit

/// Trace queries over the span store, plus `\trace <base_id>` (a waterfall) and `\services`.
///
/// A search (`{service="glance", duration > 2s}`) lists matching traces, newest first, over the
/// time setting (a range, or the hour up to an instant); a statistic (`span_count(...)`,
/// `span_errors(...)`, `span_duration_quantile(q, ...)`) answers like PromQL and is charted over a
/// range. `\trace N` opens trace N of the last search.
final class TracesMode: ShellMode {
    let name = "traces"
    private let db: Database
    private let engine: TraceQueryEngine
    /// The traces of the last search, numbered from 1 as shown.
    private var lastFound: [TraceSummary] = []
    /// Traces a search shows at most.
    var traceLimit = 20

    init(db: Database, cancellation: QueryCancellation) {
        self.db = db
        var engine = TraceQueryEngine(store: db.traces)
        engine.options.cancellation = cancellation
        self.engine = engine
    }

    let examples: [(query: String, meaning: String)] = [
        ("{service=\"glance\", duration > 2s}", "traces with a slow glance span (service, project, name, host)"),
        ("{error=true}", "traces with a failed span"),
        ("{project=\"nova\", name=\"rpc\", duration >= 500ms}", "slow RPC calls of nova"),
        ("span_count({project=\"neutron\"})", "spans per service and point (a metric result)"),
        ("span_duration_quantile(0.99, {name=\"wsgi\"})", "p99 latency of API calls, charted over a range"),
        ("sum by (project) (span_errors({}[5m])) / sum by (project) (span_count({}[5m]))", "error ratio per service (PromQL on top)"),
    ]

    var commands: [ShellModeCommand] {
        [
            ShellModeCommand(
                name: "trace", usage: "\\trace <base_id | #>",
                help: "one trace as a waterfall with its critical path (# = a row of the last search)",
                run: { [unowned self] arg, ctx throws(ShellError) in try self.trace(arg, ctx) }),
            ShellModeCommand(
                name: "services", usage: "\\services",
                help: "traced services and their points over the time setting: spans, errors, p50/p99",
                run: { [unowned self] _, ctx throws(ShellError) in try self.services(ctx) }),
        ]
    }

    func complete(_ textBeforeCursor: String) -> Completion {
        let keys = ["service", "project", "name", "host", "duration", "error"]
        let functions = ["span_count", "span_errors", "span_duration_quantile"]
        var i = textBeforeCursor.endIndex
        while i > textBeforeCursor.startIndex {
            let p = textBeforeCursor.index(before: i)
            let c = textBeforeCursor[p]
            guard c.isLetter || c.isNumber || c == "_" else { break }
            i = p
        }
        let word = String(textBeforeCursor[i...])
        let from = textBeforeCursor.distance(from: textBeforeCursor.startIndex, to: i)
        let inBraces = textBeforeCursor.lastIndex(of: "{").map { open in
            textBeforeCursor.lastIndex(of: "}").map { $0 < open } ?? true
        } ?? false
        return Completion.matching(inBraces ? keys : functions, prefix: word, replaceFrom: from)
    }

    func run(_ query: String, context ctx: ShellContext) throws(ShellError) -> ShellResult {
        let parsed: TraceQuery
        do { parsed = try TraceQuery.parse(query) } catch { throw ShellError(error.description) }
        switch parsed {
        case .search(let search): return try self.search(search, ctx)
        case .statistic, .expression:
            let result: QueryResult
            do {
                switch (parsed, ctx.time) {
                case (.statistic(let stat, let search, let window), .instant(let t)):
                    result = try engine.instant(stat, search, window: window, at: t)
                case (.statistic(let stat, let search, let window), .range(let s, let e, let step)):
                    result = try engine.range(stat, search, window: window, start: s, end: e, step: step)
                case (.expression(let expr), .instant(let t)): result = try engine.instant(expr, query: query, at: t)
                case (.expression(let expr), .range(let s, let e, let step)):
                    result = try engine.range(expr, query: query, start: s, end: e, step: step)
                case (.search, _): preconditionFailure("searches are handled above")
                }
            } catch { throw ShellError(error.kind == .cancelled ? "query cancelled (Ctrl-C)" : error.description) }
            var view = MetricResultView(result: result, style: ctx.style, width: ctx.width)
            if case .range(let s, let e, let step) = ctx.time { view.window = (s, e, step) }
            return ShellResult(text: view.render(ctx.format))
        }
    }

    /// The window searches and `\services` look at (ms, end inclusive).
    private static func window(_ ctx: ShellContext) -> (start: Int64, end: Int64) {
        switch ctx.time {
        case .instant(let t): (t - 3_600_000, t)
        case .range(let s, let e, _): (s, e)
        }
    }

    private func search(_ search: TraceSearch, _ ctx: ShellContext) throws(ShellError) -> ShellResult {
        let w = Self.window(ctx)
        let found: [TraceSummary]
        do { found = try engine.search(search, start: .milliseconds(w.start), end: .milliseconds(w.end + 1), limit: traceLimit) } catch {
            throw ShellError(error.description)
        }
        lastFound = found
        var notes: [String] = []
        if case .instant = ctx.time { notes.append("info: searched the hour up to the evaluation time; \\time A..B sets a range") }
        switch ctx.format {
        case .json: return ShellResult(text: TraceOutput.searchJSON(found), notes: notes)
        case .csv: return ShellResult(text: TraceOutput.searchCSV(found).trimmingTrailingNewline(), notes: notes)
        case .table:
            guard !found.isEmpty else { return ShellResult(text: "no trace matches", notes: notes) }
            let lines = TraceOutput.searchTable(found).trimmingTrailingNewline().split(separator: "\n").map(String.init)
            var text = "     " + ctx.style.bold(lines[0])
            for (i, line) in lines.dropFirst().enumerated() {
                let number = String(i + 1)
                let row = String(repeating: " ", count: max(0, 3 - number.count)) + number + "  " + line
                text += "\n" + (found[i].errorCount > 0 ? ctx.style.red(row) : row)
            }
            if found.count == traceLimit { notes.append("info: the newest \(traceLimit) traces; narrow the query or \\time for others") }
            notes.append("info: \\trace <#> draws one of them")
            return ShellResult(text: text, notes: notes, readSummary: "\(found.count) traces")
        }
    }

    private func trace(_ argument: String, _ ctx: ShellContext) throws(ShellError) -> ShellResult {
        let arg = argument.trimmingWhitespace()
        let id: TraceID
        if let n = Int(arg) {
            guard n >= 1, n <= lastFound.count else {
                throw ShellError(lastFound.isEmpty ? "no search yet: run one, then \\trace <#>" : "choose 1 to \(lastFound.count)")
            }
            id = lastFound[n - 1].baseID
        } else if let parsed = TraceID(parsing: arg) {
            id = parsed
        } else {
            throw ShellError("\\trace needs a base_id (a UUID) or the number of a row of the last search")
        }
        let spans: [Span]
        do { spans = try db.traces.trace(id) } catch { throw ShellError("\(error)") }
        guard !spans.isEmpty else { throw ShellError("no trace with base_id \(id)") }
        let tree = TraceTree(baseID: id, spans: spans)
        if ctx.format == .json { return ShellResult(text: TraceOutput.json(tree)) }
        let barWidth = max(10, min(60, ctx.width - 80))
        var text = TraceOutput.tree(tree, barWidth: barWidth, color: ctx.style.enabled)
        text += TraceOutput.criticalPath(tree)
        let logs = TraceLogContext(spans: spans)
        text += "logs: \\logs then \(logs.logQL)  (\\time \(TimeSpec.formatRFC3339(logs.start / 1_000_000))..\(TimeSpec.formatRFC3339(logs.end / 1_000_000)))"
        return ShellResult(text: text.trimmingTrailingNewline(), readSummary: "\(spans.count) spans")
    }

    private func services(_ ctx: ShellContext) throws(ShellError) -> ShellResult {
        let w = Self.window(ctx)
        var spans: [Span] = []
        let query = TraceSearch(start: w.start * 1000, end: (w.end + 1) * 1000, limit: 0)
        do { try db.traces.forEachMatchingSpan(query) { spans.append($0) } } catch { throw ShellError("\(error)") }
        let stats = SpanStatistics(spans: spans, start: query.start, end: query.end)
        guard !stats.rows.isEmpty else {
            throw ShellError("no spans between \(TimeSpec.formatRFC3339(w.start)) and \(TimeSpec.formatRFC3339(w.end)); \\time sets the window")
        }
        var rows: [[String]] = []
        for key in stats.rows.keys.sorted() {
            guard let r = stats.rows[key]?[0] else { continue }
            rows.append([
                key.project, key.service, key.name, String(r.count), String(r.errors),
                TraceOutput.duration(r.p50), TraceOutput.duration(r.p99),
            ])
        }
        let table = Table(header: ["project", "service", "point", "spans", "errors", "p50", "p99"], rows: rows).render()
        return ShellResult(text: ctx.style.header(table), readSummary: "\(spans.count) spans")
    }
}
