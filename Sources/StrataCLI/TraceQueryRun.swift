import ArgumentParser
import Strata
import StrataCLIKit

/// `strata query` for trace queries: searches print traces, statistics print metric results.
struct TraceQueryRun {
    let command: QueryCommand
    init(_ command: QueryCommand) { self.command = command }

    func run() throws {
        let c = command
        let query: TraceQuery
        do { query = try TraceQuery.parse(c.expr) } catch {
            throw CLIFailure(status: 1, lines: error.description.split(separator: "\n").map(String.init))
        }
        let now = TimeSpec.nowMilliseconds()
        let db = try openDatabase(c.db, readOnly: true)
        defer { try? db.close() }
        let engine = TraceQueryEngine(store: db.traces)
        var out = OutputBuffer()
        do {
            switch query {
            case .search(let search):
                let start = try c.start.map { try parseTime($0, flag: "--start", default: now) }
                let end = try c.end.map { try parseTime($0, flag: "--end", default: now) }
                let found = try engine.search(
                    search, start: start.map { .milliseconds($0) }, end: end.map { .milliseconds($0 + 1) }, limit: c.limit ?? 20)
                switch c.format {
                case .json: out.write(TraceOutput.searchJSON(found) + "\n")
                case .csv: out.write(TraceOutput.searchCSV(found))
                case .table: out.write(TraceOutput.searchTable(found))
                }
            case .statistic, .expression:
                let result: QueryResult
                if c.start != nil || c.end != nil || c.step != nil {
                    let s = try parseTime(c.start, flag: "--start", default: now)
                    let e = try parseTime(c.end, flag: "--end", default: now)
                    guard e >= s else { throw ValidationError("--end is before --start") }
                    var step = max(1000, (e - s) / 250)
                    if let st = c.step {
                        guard let d = QueryCommand.parseStep(st), d > 0 else { throw ValidationError("invalid --step '\(st)'") }
                        step = d
                    }
                    guard (e - s) / step <= 11_000 else { throw ValidationError("more than 11,000 points; use a larger --step") }
                    switch query {
                    case .statistic(let stat, let search, let window):
                        result = try engine.range(stat, search, window: window, start: s, end: e, step: step)
                    case .expression(let expr): result = try engine.range(expr, query: c.expr, start: s, end: e, step: step)
                    case .search: preconditionFailure("searches are handled above")
                    }
                } else {
                    let at = try parseTime(c.time, flag: "--time", default: now)
                    switch query {
                    case .statistic(let stat, let search, let window): result = try engine.instant(stat, search, window: window, at: at)
                    case .expression(let expr): result = try engine.instant(expr, query: c.expr, at: at)
                    case .search: preconditionFailure("searches are handled above")
                    }
                }
                switch c.format {
                case .json: out.write(QueryOutput.prometheusJSON(result, limit: c.limit) + "\n")
                case .csv: out.write(QueryOutput.csv(result, limit: c.limit))
                case .table: out.write(QueryOutput.table(result, limit: c.limit) + "\n")
                }
            }
        } catch let e as QueryError {
            throw CLIFailure(status: e.kind == .storage ? 2 : 1, lines: e.description.split(separator: "\n").map(String.init))
        }
        out.flush()
    }
}
