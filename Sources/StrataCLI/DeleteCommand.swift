import ArgumentParser
import Strata
import StrataCLIKit

struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete metric series, log records or traces: hidden from every query at once.",
        discussion: """
            The selector is the store's own query language:
              metrics  a PromQL series selector      node_load1{host="cmp-3"}
              logs     a LogQL stream selector with  {host="cmp-3"} |= "password"
                       optional line filters
              traces   one or more base_ids          5f1b...,9c0e...
                       or a trace selector           {service="glance", error=true}
            A bare {label="value"} is read as metrics; pass --store logs for the logs.

            The deletion is a durable tombstone in the store's manifest: every query
            hides the data as soon as this command returns, and the next strata
            compact removes it from the files (strata inspect counts then drop by
            exactly what was deleted). --start/--end bound it (inclusive); without
            them all the matching data goes.

            Prints what the selector covers. --dry-run counts and writes nothing.

            Examples:
              strata delete ./db '{host="cmp-3"} |= "password"' --store logs --dry-run
              strata delete ./db 'node_load1{host="cmp-3"}' --start 2024-09-04T00:00:00Z --end now
              strata delete ./db 5f1b7c1e-2a4d-4c55-9d7e-0c6a3b2f1e9d
            """)

    @Argument(help: "The database directory.") var db: String
    @Argument(help: "What to delete: a PromQL series selector, a LogQL selector, base_ids or a trace selector.") var selector: String
    @Option(help: "Delete data from this time on (RFC 3339, Unix seconds, now-1h). Default: the beginning.") var start: String?
    @Option(help: "Delete data up to this time, inclusive. Default: the end.") var end: String?
    @Option(help: "The store: metrics, logs or traces. Default: decided by the selector (see above).") var store: QueryCommand.Store?
    @Flag(name: .customLong("dry-run"), help: "Count what would be deleted; write nothing.") var dryRun = false

    func run() throws {
        let s = try start.map { Timestamp.milliseconds(try parseTime($0, flag: "--start", default: 0)) }
        let e = try end.map { Timestamp.milliseconds(try parseTime($0, flag: "--end", default: 0)) }
        if let s, let e, e < s { throw ValidationError("--end is before --start") }
        let deletion: DatabaseDeletion
        do {
            deletion = try Database.deletion(selector, store: store.flatMap { RetentionPolicy.Store(rawValue: $0.rawValue) }, start: s, end: e)
        } catch {
            throw CLIFailure.problem("\(error)")
        }
        let db = try openDatabase(self.db, mustExist: true)
        defer { try? db.close() }
        let counted: (items: Int?, rows: Int)
        do { counted = try db.delete(deletion, dryRun: dryRun) } catch { throw CLIFailure.problem("\(error)") }
        let (items, rows): (String, String) =
            switch deletion.store {
            case .metrics: ("series", "samples")
            case .logs: ("streams", "records")
            case .traces: ("traces", "spans")
            }
        let verb = dryRun ? "would delete" : "deleted"
        print("\(deletion.store.rawValue): \(verb) \(counted.rows) \(rows)" + (counted.items.map { " in \($0) \(items)" } ?? "")
            + (dryRun ? "" : " (hidden now; strata compact removes them from the files)"))
    }
}
