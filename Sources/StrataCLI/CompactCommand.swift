import ArgumentParser
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
            Metric blocks merge as Prometheus merges them: overlapping blocks (a
            backfill) into one, then neighbours into aligned windows of 6 h, 18 h,
            54 h, 162 h and 486 h, except the newest window (MetricStoreOptions
            .compactionRanges). Log segments merge in time order while an output
            stays under 256 MiB of raw text and one day of time (LogStoreOptions
            .compactionTargetBytes, .compactionWindow), span segments while an
            output holds at most 4 million spans within one day (TraceStoreOptions
            .compactionTargetSpans, .compactionWindow).

            Each merge replaces its inputs in one atomic manifest write: an
            interrupted compaction leaves the inputs or the output, never both.
            Readers take no lock, so strata query runs meanwhile; a strata shell
            opened before the compaction may be told that data was "merged away"
            and to open the database again. strata ingest needs the database
            lock, which this command holds.

            Prints one row per merge: inputs, samples or records, bytes before
            and after, seconds, rate. A progress bar is drawn on a terminal,
            nothing in a pipe.

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
        let metricPlan: MetricCompactionReport
        let logPlan: LogCompactionReport
        let tracePlan: TraceCompactionReport
        do {
            metricPlan = try db.metrics.compact(dryRun: true)
            logPlan = try db.logs.compact(dryRun: true)
            tracePlan = try db.traces.compact(dryRun: true)
        } catch { throw CLIFailure.problem("\(error)") }
        var metricReport = metricPlan
        var logReport = logPlan
        var traceReport = tracePlan
        if !dryRun {
            let metricBytes = metricPlan.steps.map(\.inputBytes).reduce(0, +)
            let logBytes = logPlan.steps.map(\.rawBytes)
            let traceBytes = tracePlan.steps.map(\.inputBytes).reduce(0, +)
            var bar = ProgressLine(total: metricBytes + logBytes.reduce(0, +) + traceBytes, enabled: isatty(2) == 1 && !json)
            do {
                metricReport = try db.metrics.compact()
                bar.update(metricBytes)
                logReport = try db.logs.compact { done, _ in bar.update(metricBytes + logBytes.prefix(done).reduce(0, +)) }
                traceReport = try db.traces.compact()
            } catch {
                bar.clear()
                throw CLIFailure.problem("\(error)")
            }
            bar.clear()
        }
        if json {
            print(Self.json(metrics: metricReport, logs: logReport, traces: traceReport, dryRun: dryRun))
            return
        }
        var rows: [[String]] = []
        for (k, s) in metricReport.steps.enumerated() {
            rows.append([
                "metrics", "\(k + 1)", "\(s.inputs.count) blocks (\(s.kind.rawValue))", "\(s.samples)", formatBytes(s.inputBytes),
                dryRun ? "-" : formatBytes(s.outputBytes), dryRun ? "-" : String(format3: s.seconds),
                dryRun || s.seconds <= 0 ? "-" : formatRate(Double(s.samples) / s.seconds, unit: "samples/s"),
            ])
        }
        for (k, s) in logReport.steps.enumerated() {
            rows.append([
                "logs", "\(k + 1)", "\(s.inputs.count) segments", "\(s.records)", formatBytes(s.inputBytes),
                dryRun ? "-" : formatBytes(s.outputBytes), dryRun ? "-" : String(format3: s.seconds),
                dryRun || s.seconds <= 0 ? "-" : formatBytes(Int(Double(s.rawBytes) / s.seconds)) + "/s raw",
            ])
        }
        for (k, s) in traceReport.steps.enumerated() {
            rows.append([
                "traces", "\(k + 1)", "\(s.inputs.count) segments", "\(s.spans)", formatBytes(s.inputBytes),
                dryRun ? "-" : formatBytes(s.outputBytes), dryRun ? "-" : String(format3: s.seconds),
                dryRun || s.seconds <= 0 ? "-" : formatRate(Double(s.spans) / s.seconds, unit: "spans/s"),
            ])
        }
        if !rows.isEmpty {
            print(
                Table(
                    header: ["store", "step", "inputs", "samples/records/spans", "bytes before", "bytes after", "seconds", "rate"], rows: rows
                ).render())
        }
        let verb = dryRun ? "would go" : "went"
        print("metrics: \(metricReport.blocksBefore) blocks \(verb) to \(metricReport.blocksAfter)\(metricReport.steps.isEmpty ? " (nothing to merge)" : "")")
        print("logs: \(logReport.segmentsBefore) segments \(verb) to \(logReport.segmentsAfter)\(logReport.steps.isEmpty ? " (nothing to merge)" : "")")
        print("traces: \(traceReport.segmentsBefore) segments \(verb) to \(traceReport.segmentsAfter)\(traceReport.steps.isEmpty ? " (nothing to merge)" : "")")
    }

    static func json(metrics m: MetricCompactionReport, logs r: LogCompactionReport, traces t: TraceCompactionReport, dryRun: Bool) -> String {
        func quoted(_ s: String) -> String { QueryOutput.jsonString(s) }
        let metricSteps = m.steps.map { s in
            """
            {"kind":"\(s.kind.rawValue)","inputs":[\(s.inputs.map(quoted).joined(separator: ","))],"samples":\(s.samples),\
            "input_bytes":\(s.inputBytes),"output":\(s.output.map(quoted) ?? "null"),"output_samples":\(s.outputSamples),\
            "output_bytes":\(s.outputBytes),"min_time":\(s.minTime),"max_time":\(s.maxTime),"seconds":\(s.seconds)}
            """
        }
        let logSteps = r.steps.map { s in
            """
            {"inputs":[\(s.inputs.map(quoted).joined(separator: ","))],"records":\(s.records),"input_bytes":\(s.inputBytes),\
            "output":\(s.output.map(quoted) ?? "null"),"output_bytes":\(s.outputBytes),"raw_bytes":\(s.rawBytes),\
            "seconds":\(s.seconds)}
            """
        }
        let traceSteps = t.steps.map { s in
            """
            {"inputs":[\(s.inputs.map(quoted).joined(separator: ","))],"spans":\(s.spans),"input_bytes":\(s.inputBytes),\
            "output":\(s.output.map(quoted) ?? "null"),"output_bytes":\(s.outputBytes),"seconds":\(s.seconds)}
            """
        }
        return """
            {"dry_run":\(dryRun),"metrics":{"blocks_before":\(m.blocksBefore),"blocks_after":\(m.blocksAfter),\
            "peak_extra_bytes":\(m.peakExtraBytes),"steps":[\(metricSteps.joined(separator: ","))]},\
            "logs":{"segments_before":\(r.segmentsBefore),"segments_after":\(r.segmentsAfter),\
            "peak_extra_bytes":\(r.peakExtraBytes),"steps":[\(logSteps.joined(separator: ","))]},\
            "traces":{"segments_before":\(t.segmentsBefore),"segments_after":\(t.segmentsAfter),\
            "peak_extra_bytes":\(t.peakExtraBytes),"steps":[\(traceSteps.joined(separator: ","))]}}
            """
    }
}
