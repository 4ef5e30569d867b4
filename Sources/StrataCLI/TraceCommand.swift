import ArgumentParser
import Strata
import StrataCLIKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Colours only when stdout is a terminal.
let stdoutIsTerminal = isatty(1) == 1

struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Show one trace (osprofiler base_id) as a tree with timings.",
        discussion: """
            Draws the call tree of a request across services: each span's start offset,
            duration, project/service, point (wsgi, db, rpc, ...) with its request path, db
            statement or function, host, and a timing bar on the trace's time axis (a waterfall).
            Errors (etype: message) and flags (incomplete, no start, orphan) follow the bar.
            Top-level spans are those whose parent_id is the base_id; a span whose parent is
            not in the trace is shown as an orphan at the top level, never hidden.

            --format json prints the tree: every span with trace_id, parent_id, times in µs,
            info payload, and its children nested under it.
            --critical-path adds the chain of spans that determined the trace's duration.
            --logs adds the log query of the trace's hosts, services and time window.

            Examples:
              strata trace ./db 8f6ff588-fcb6-4983-883c-282f78922756
              strata trace ./db 8f6ff588-fcb6-4983-883c-282f78922756 --format json | jq .spans[0]

            Exit status: 0 shown; 1 no such trace or a damaged segment; 2 usage or I/O error.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case tree, json }

    @Argument(help: "The database directory.") var db: String
    @Argument(help: "The trace's base_id (a UUID).") var baseID: String
    @Option(help: "Output format: tree or json.") var format: Format = .tree
    @Flag(help: "Also print the critical path.") var criticalPath = false
    @Flag(help: "Also print the log records of the trace's hosts and services in its window (and its request ids).")
    var logs = false
    @Option(help: "Most log records --logs prints.") var logLimit = 50

    func validate() throws {
        guard TraceID(parsing: baseID) != nil else {
            throw ValidationError("base_id '\(baseID)' is not a UUID (8-4-4-4-12 hex digits)")
        }
    }

    func run() throws {
        guard let id = TraceID(parsing: baseID) else { throw ValidationError("base_id '\(baseID)' is not a UUID") }
        let db = try openDatabase(self.db, readOnly: true)
        defer { try? db.close() }
        let spans: [Span]
        do { spans = try db.traces.trace(id) } catch { throw CLIFailure.problem("\(error)") }
        guard !spans.isEmpty else { throw CLIFailure.problem("no trace with base_id \(id) in \(self.db)") }
        let tree = TraceTree(baseID: id, spans: spans)
        var out = OutputBuffer()
        switch format {
        case .json:
            out.write(TraceOutput.json(tree))
            out.write("\n")
        case .tree:
            out.write(TraceOutput.tree(tree, color: stdoutIsTerminal))
            if criticalPath { out.write(TraceOutput.criticalPath(tree)) }
            if logs { try writeLogs(of: spans, db: db, into: &out) }
        }
        out.flush()
    }
}

extension TraceCommand {
    /// The trace's log context: the LogQL query, then the records it finds (at most --log-limit).
    func writeLogs(of spans: [Span], db: Database, into out: inout OutputBuffer) throws {
        let context = TraceLogContext(spans: spans)
        let from = TimeSpec.formatRFC3339(context.start / 1_000_000), to = TimeSpec.formatRFC3339(context.end / 1_000_000)
        out.write("\nlogs: strata query \(self.db) '\(context.logQL)' --store logs --start \(from) --end \(to) --direction forward\n")
        var query = context.requestQuery ?? context.windowQuery
        query.limit = logLimit
        let found: LogSearchResult
        do { found = try db.logs.search(query) } catch { throw CLIFailure.problem("\(error)") }
        if found.hits.isEmpty { out.write("(no log records of these hosts and services in the window)\n") }
        for hit in found.hits { out.write(LogQueryOutput.text(hit.record) + "\n") }
        if found.hits.count == logLimit { out.write("(the first \(logLimit) records; --log-limit shows more)\n") }
    }
}
