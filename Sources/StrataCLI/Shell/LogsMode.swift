import Strata
import StrataLabels

/// LogQL over the log store, plus `\streams`, `\context`, and `\labels`/`\values` of stream labels.
///
/// A log query (`{...} |= "x"`) lists the newest matching lines over the time setting (a range, or
/// the hour up to an instant), with counts per bucket drawn above them; a metric query over logs
/// (`count_over_time(...)`) gives numbers, charted as bars over a range. `\context N` shows the lines
/// around hit N of the last log query.
final class LogsMode: ShellMode {
    let name = "logs"
    private let db: Database
    private let engine: LogQLEngine
    /// The hits of the last log query, numbered from 1 as shown.
    private var lastHits: [LogHit] = []
    private var cachedLabels: [String]?
    private var cachedValues: [String: [String]] = [:]
    /// Lines a log query shows at most.
    var lineLimit = 50

    init(db: Database, cancellation: QueryCancellation) {
        self.db = db
        var options = PromQLEngineOptions()
        options.cancellation = cancellation
        engine = LogQLEngine(store: db.logs, options: options)
    }

    let examples: [(query: String, meaning: String)] = [
        ("{program=\"nova-api\"}", "the newest lines of a stream (=, !=, =~, !~ on host, program, level, file)"),
        ("{level=~\"ERROR|CRITICAL\"} |= \"ovs\"", "lines containing a string (|=, !=, |~ regex, !~)"),
        ("{program=\"nova-api\"} | http_status >= 500", "a parsed field compared (request_id, http_status, ...)"),
        ("sum by (program) (count_over_time({level=\"ERROR\"}[5m]))", "errors per service, charted over a range"),
        ("rate({host=\"wally113\"}[1m])", "lines per second"),
    ]

    var commands: [ShellModeCommand] {
        [
            ShellModeCommand(
                name: "streams", usage: "\\streams [selector]", help: "list log streams and their labels",
                completeArgument: { [unowned self] in self.complete($0) },
                run: { [unowned self] arg, _ throws(ShellError) in try self.streams(arg) }),
            ShellModeCommand(
                name: "context", usage: "\\context <hit#> [lines]",
                help: "the lines around a hit of the last log query (5 before and after by default)",
                run: { [unowned self] arg, ctx throws(ShellError) in try self.context(arg, ctx) }),
            ShellModeCommand(
                name: "labels", usage: "\\labels", help: "list stream label names and how many values each has",
                run: { [unowned self] _, ctx throws(ShellError) in
                    let rows = self.labelNames().map { [$0, String(self.labelValues($0).count)] }
                    return ShellResult(text: ctx.style.header(Table(header: ["label", "values"], rows: rows).render()))
                }),
            ShellModeCommand(
                name: "values", usage: "\\values <label>", help: "list the values of one stream label",
                completeArgument: { [unowned self] in Completion.matching(self.labelNames(), prefix: $0, replaceFrom: 0) },
                run: { [unowned self] arg, _ throws(ShellError) in
                    let values = self.labelValues(arg.trimmingWhitespace())
                    guard !values.isEmpty else { throw ShellError("no stream has a label '\(arg)'; \\labels lists them") }
                    return ShellResult(text: values.joined(separator: "\n"))
                }),
        ]
    }

    func complete(_ textBeforeCursor: String) -> Completion {
        PromQLCompletion(
            metricNames: { [] },
            labelNames: { [unowned self] _ in self.labelNames() },
            labelValues: { [unowned self] _, label in self.labelValues(label) }
        ).complete(textBeforeCursor)
    }

    func run(_ query: String, context: ShellContext) throws(ShellError) -> ShellResult {
        let parsed: LogQLExpr
        do { parsed = try LogQL.parse(query) } catch { throw ShellError(error.description) }
        switch parsed {
        case .metric: return try metricQuery(query, context)
        case .logs(let selector): return try logQuery(query, selector, context)
        }
    }

    // MARK: Queries

    private func metricQuery(_ query: String, _ ctx: ShellContext) throws(ShellError) -> ShellResult {
        let result: QueryResult
        do {
            switch ctx.time {
            case .instant(let t): result = try engine.instantQuery(query, at: t)
            case .range(let s, let e, let step): result = try engine.rangeQuery(query, start: s, end: e, step: step)
            }
        } catch {
            throw ShellError(error.kind == .cancelled ? "query cancelled (Ctrl-C)" : error.description)
        }
        var view = LogResultView(style: ctx.style, width: ctx.width)
        if case .range(let s, let e, let step) = ctx.time { view.window = (s, e, step) }
        return ShellResult(
            text: view.renderMetric(result, ctx.format),
            notes: result.warnings.map { "warning: " + $0 } + result.infos.map { "info: " + $0 })
    }

    private func logQuery(_ query: String, _ selector: LogSelectorExpr, _ ctx: ShellContext) throws(ShellError) -> ShellResult {
        let ms: Int64 = 1_000_000
        let (start, end): (Int64, Int64)
        switch ctx.time {
        case .instant(let t): (start, end) = (t - 3_600_000, t)
        case .range(let s, let e, _): (start, end) = (s, e)
        }
        let clock = Clock.now()
        let result: LogSearchResult
        do { result = try engine.logs(query, start: start * ms, end: end * ms + 1, limit: lineLimit) } catch {
            throw ShellError(error.description)
        }
        if ctx.cancellation.isCancelled { throw ShellError("query cancelled (Ctrl-C)") }
        let seconds = Double(Clock.now() - clock) / 1e9
        lastHits = result.hits
        var view = LogResultView(style: ctx.style, width: ctx.width)
        view.window = (start, end, Self.bucket(for: end - start, columns: max(10, min(100, ctx.width - 12))))
        var histogram: LogHistogram?
        if ctx.format == .table, let w = view.window, end > start {
            do { histogram = try db.logHistogram(query, start: .milliseconds(start), end: .milliseconds(end) + .nanoseconds(1), step: .milliseconds(w.step)) } catch {
                throw ShellError(error.description)
            }
        }
        let text = view.renderLines(result, selector: selector, histogram: histogram, format: ctx.format, limit: lineLimit, seconds: seconds)
        var notes: [String] = []
        if case .instant = ctx.time { notes.append("info: searched the hour up to the evaluation time; \\time A..B sets a range") }
        return ShellResult(
            text: text, notes: notes,
            readSummary: "\(MetricsMode.grouped(result.stats.rowsVerified + result.stats.headRecordsScanned)) records checked")
    }

    /// The smallest round bucket width (ms) that fits `span` into `columns` bars.
    static func bucket(for span: Int64, columns: Int) -> Int64 {
        let raw = span / Int64(columns)
        let round: [Int64] = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400].map { $0 * 1000 }
        return round.first { $0 >= raw } ?? (raw + 86_399_999) / 86_400_000 * 86_400_000
    }

    // MARK: Commands

    private func streams(_ argument: String) throws(ShellError) -> ShellResult {
        var matchers: [LabelMatcher] = []
        if !argument.isEmpty {
            do {
                guard case .logs(let s) = try LogQL.parse(argument) else { throw ShellError("\\streams takes a selector such as {host=\"wally113\"}") }
                matchers = s.streams
            } catch let e as QueryError { throw ShellError(e.description) } catch let e as ShellError { throw e } catch {
                throw ShellError("\(error)")
            }
        }
        let found: [Labels]
        do { found = try db.logs.streams(matching: matchers) } catch { throw ShellError("\(error)") }
        let limit = 200
        var text = found.prefix(limit).map(\.description).joined(separator: "\n")
        if found.isEmpty { text = "(no streams)" }
        if found.count > limit { text += "\n... \(found.count - limit) more; narrow the selector" }
        return ShellResult(text: text, readSummary: "\(found.count) streams")
    }

    private func context(_ argument: String, _ ctx: ShellContext) throws(ShellError) -> ShellResult {
        let words = argument.split(separator: " ")
        guard let first = words.first, let n = Int(first) else {
            throw ShellError("\\context needs a hit number from the last log query, e.g. \\context 1")
        }
        guard !lastHits.isEmpty else { throw ShellError("no log query has run yet; run one, then \\context <hit#>") }
        guard n >= 1 && n <= lastHits.count else { throw ShellError("hit \(n) does not exist; the last query showed 1 to \(lastHits.count)") }
        let lines = words.count > 1 ? Int(words[1]) ?? 5 : 5
        let hit = lastHits[n - 1]
        let around: [LogHit]
        do { around = try sourceContext(of: hit, lines: lines) } catch { throw ShellError("\(error)") }
        let view = LogResultView(style: ctx.style, width: ctx.width)
        let text = around.map { ($0.id == hit.id ? "> " : "  ") + view.line($0.record, literals: []) }.joined(separator: "\n")
        return ShellResult(text: text)
    }

    /// The `lines` records before and after `hit` in its source: the same file, host and program at any
    /// level (a stream holds one level, so `LogStore.context` alone would show only lines of the hit's
    /// level). Falls back to the stream's context when the record has no such labels.
    private func sourceContext(of hit: LogHit, lines: Int) throws -> [LogHit] {
        let keys = ["file", "host", "program"].compactMap { k in hit.record.stream[k].map { (k, $0) } }
        guard !keys.isEmpty else { return try db.logContext(of: hit.id, before: lines, after: lines) }
        let t = hit.record.timestamp
        var q = LogQuery(streams: keys.map { LabelMatcher.equal($0.0, $0.1) }, start: t, end: .max, limit: lines + 1, direction: .forward)
        let after = try db.logs.search(q).hits
        q.start = .min
        q.end = t
        q.limit = lines
        q.direction = .backward
        let before = try db.logs.search(q).hits.reversed()
        // Records at the hit's own time: keep the hit and the others in store order after it.
        var result = Array(before)
        if !after.contains(where: { $0.id == hit.id }) { result.append(hit) }
        result += after.prefix(after.contains(where: { $0.id == hit.id }) ? lines + 1 : lines)
        return result
    }

    // MARK: Vocabulary

    private func labelNames() -> [String] {
        if let c = cachedLabels { return c }
        let names = (try? db.logs.labelNames()) ?? []
        cachedLabels = names
        return names
    }

    private func labelValues(_ label: String) -> [String] {
        if let c = cachedValues[label] { return c }
        let v = (try? db.logs.labelValues(label)) ?? []
        cachedValues[label] = v
        return v
    }
}
