import ArgumentParser
import Foundation
import Strata
import StrataCLIKit

#if canImport(Glibc)
    import Glibc
#endif

struct CompactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Merge small segments into large ones, so queries open fewer files.",
        discussion: """
            Log segments are merged in time order while an output stays under 256 MiB of raw text
            and one day of time (LogStoreOptions.compactionTargetBytes, .compactionWindow); each
            merge replaces its inputs in one atomic manifest write, so an interrupted compaction
            leaves the inputs or the output, never both. Queries (`strata query`, `strata shell`)
            run meanwhile: readers take no lock; `strata ingest` needs the database lock, which
            this command holds while it runs. Metric blocks and span segments are not compacted
            yet: this command says so and leaves them.

            Prints one row per merge: inputs, records, bytes before and after, seconds. A progress
            bar is drawn on a terminal, nothing in a pipe.

            Examples:
              strata compact ./db --dry-run          # what would be merged
              strata compact ./db                    # merge
              strata compact ./db --json | jq .logs.segments_after
            """)

    @Argument(help: "The database directory.") var db: String
    @Flag(name: .customLong("dry-run"), help: "Plan only: print what would be merged and write nothing.") var dryRun = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try requireDatabaseDirectory(self.db)
        let db = try openDatabase(self.db, mustExist: true)
        defer { try? db.close() }
        let plan: LogCompactionReport
        do { plan = try db.logs.compact(dryRun: true) } catch { throw CLIFailure.problem("\(error)") }
        let report: LogCompactionReport
        if dryRun {
            report = plan
        } else {
            let sizes = plan.steps.map(\.rawBytes)
            var bar = ProgressLine(total: sizes.reduce(0, +), enabled: isatty(2) == 1 && !json)
            do {
                report = try db.logs.compact { done, _ in bar.update(sizes.prefix(done).reduce(0, +)) }
            } catch {
                bar.clear()
                throw CLIFailure.problem("\(error)")
            }
            bar.clear()
        }
        if json {
            print(Self.json(report, dryRun: dryRun))
            return
        }
        var rows: [[String]] = []
        for (k, s) in report.steps.enumerated() {
            rows.append([
                "logs", "\(k + 1)", "\(s.inputs.count) segments", "\(s.records)", formatBytes(s.inputBytes),
                dryRun ? "-" : formatBytes(s.outputBytes), dryRun ? "-" : String(format: "%.3f", s.seconds),
                dryRun || s.seconds <= 0 ? "-" : formatBytes(Int(Double(s.rawBytes) / s.seconds)) + "/s raw",
            ])
        }
        if !rows.isEmpty {
            print(
                Table(
                    header: ["store", "step", "inputs", "records", "bytes before", "bytes after", "seconds", "rate"], rows: rows
                ).render())
        }
        let verb = dryRun ? "would go" : "went"
        print("logs: \(report.segmentsBefore) segments \(verb) to \(report.segmentsAfter)\(report.steps.isEmpty ? " (nothing to merge)" : "")")
        print("metrics, traces: not compacted yet (metric blocks and span segments are left as they are)")
    }

    static func json(_ r: LogCompactionReport, dryRun: Bool) -> String {
        func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        let steps = r.steps.map { s in
            """
            {"inputs":[\(s.inputs.map(quoted).joined(separator: ","))],"records":\(s.records),"input_bytes":\(s.inputBytes),\
            "output":\(s.output.map(quoted) ?? "null"),"output_bytes":\(s.outputBytes),"raw_bytes":\(s.rawBytes),\
            "seconds":\(s.seconds)}
            """
        }
        return """
            {"dry_run":\(dryRun),"logs":{"segments_before":\(r.segmentsBefore),"segments_after":\(r.segmentsAfter),\
            "peak_extra_bytes":\(r.peakExtraBytes),"steps":[\(steps.joined(separator: ","))]},"metrics":null,"traces":null}
            """
    }
}
