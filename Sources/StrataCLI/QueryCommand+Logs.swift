import ArgumentParser
import Strata
import StrataCLIKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `strata query` for LogQL: log queries (lines) and metric queries over logs.
extension QueryCommand {
    func runLogQL(_ db: Database, window: (start: Int64, end: Int64, step: Int64)?, at: Int64) throws {
        let parsed: LogQLExpr
        do { parsed = try LogQL.parse(expr) } catch { throw queryFailure(error) }
        switch parsed {
        case .metric:
            let engine = db.logQL
            let result: QueryResult
            do {
                if let w = window {
                    result = try engine.rangeQuery(expr, start: w.start, end: w.end, step: w.step)
                } else {
                    result = try engine.instantQuery(expr, at: at)
                }
            } catch { throw queryFailure(error) }
            var out = OutputBuffer()
            switch format {
            case .json: out.write(QueryOutput.prometheusJSON(result, limit: limit) + "\n")
            case .csv: out.write(QueryOutput.csv(result, limit: limit))
            case .table: out.write(QueryOutput.table(result, limit: limit) + "\n")
            }
            out.flush()
            printNotes(result)
        case .logs(let selector):
            if time != nil { throw ValidationError("a log query takes --start/--end (a range), not --time") }
            let ms: Int64 = 1_000_000
            let start = start == nil ? Int64.min : (window?.start ?? 0) * ms
            let end = end == nil ? Int64.max : (window?.end ?? 0) * ms + 1  // --end is inclusive
            let n = limit ?? 100
            let clock = Clock.now()
            let result: LogSearchResult
            do {
                result = try db.logQL.search(
                    selector, start: start, end: end, limit: n, direction: direction == .forward ? .forward : .backward,
                    query: expr)
            } catch { throw queryFailure(error) }
            let seconds = Double(Clock.now() - clock) / 1e9
            try printLogs(result, selector: selector, db: db, seconds: seconds)
            if format != .json && result.hits.count == n {
                writeStderr("showing the first \(n) records (--limit)\n")
            }
        }
    }

    func queryFailure(_ error: QueryError) -> CLIFailure {
        CLIFailure(status: error.kind == .storage ? 2 : 1, lines: error.description.split(separator: "\n").map(String.init))
    }

    private func printLogs(_ result: LogSearchResult, selector: LogSelectorExpr, db: Database, seconds: Double) throws {
        var out = OutputBuffer()
        switch format {
        case .json:
            out.write(LogQueryOutput.lokiStreamsJSON(result, execSeconds: seconds) + "\n")
        case .csv:
            out.write("timestamp,stream,line\n")
            for h in result.hits {
                out.write(LogQueryOutput.formatTimestamp(h.record.timestamp) + "," + Self.csvField(h.record.stream.description))
                out.write("," + Self.csvField(String(decoding: h.record.line, as: UTF8.self)) + "\n")
            }
        case .table:
            // Literal and regex line filters, and the values of `field="value"` filters (a request id).
            let fieldValues = (selector.fieldFilters + selector.alternatives.flatMap { $0.flatMap { $0 } }).compactMap {
                f -> LineFilter? in
                guard f.op == .equal, case .string(let v) = f.value, !v.isEmpty else { return nil }
                return LineFilter(.contains, v)
            }
            let highlight = isatty(1) == 1 ? selector.lineFilters + fieldValues : []
            for (i, h) in result.hits.enumerated() {
                guard let context, context > 0 else {
                    out.write(LogQueryOutput.text(h.record, highlight: highlight) + "\n")
                    continue
                }
                if i > 0 { out.write("--\n") }
                let around: [LogHit]
                do { around = try db.logContext(of: h.id, before: context, after: context) } catch {
                    throw CLIFailure(status: 2, lines: ["\(error)"])
                }
                for c in around {
                    let mark = c.id == h.id ? "> " : "  "
                    out.write(mark + LogQueryOutput.text(c.record, highlight: c.id == h.id ? highlight : []) + "\n")
                }
            }
        }
        out.flush()
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        var out = "\""
        for c in s { out += c == "\"" ? "\"\"" : String(c) }
        return out + "\""
    }
}
