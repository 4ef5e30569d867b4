import ArgumentParser
import Strata
import StrataCLIKit

#if canImport(Glibc)
    import Glibc
#endif

struct CompactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Apply the database's policy and merge small segments: deletions, retention, downsampling, merges.",
        discussion: """
            One maintenance pass, in this order:
              1. deletions (strata delete) are removed from the files;
              2. retention (strata policy set): data older than its keep goes, ages
                 counting back from each store's newest data (or --now); a block or
                 segment across a cut is rewritten, never kept whole;
              3. downsampling: metric samples past a level's `after` become
                 count/sum/min/max/counter aggregates per resolution step;
              4. the size budget: still over it, every finite keep is scaled down
                 by one factor until the estimate fits (the data oldest relative to
                 its keep goes first; forever counts as the store's whole span);
              5. merges: metric blocks as Prometheus merges them (overlaps, then
                 aligned windows of 6 h, 18 h, 54 h, 162 h, 486 h except the newest),
                 log segments in time order up to 256 MiB of raw text and one day,
                 span segments up to 4 million spans within one day.

            Each rewrite or merge replaces its inputs in one atomic manifest write:
            an interrupted pass leaves each file old or new, and the next pass
            finishes the job. Readers take no lock, so strata query runs meanwhile;
            a strata shell opened before may be told that data was "merged away" and
            to open the database again. strata ingest needs the database lock, which
            this command holds.

            Prints one row per rewrite, downsampling level and merge, then blocks and
            segments before and after, and the database's bytes. A progress bar is
            drawn on a terminal, nothing in a pipe.

            Examples:
              strata compact ./db --dry-run          # what would be done
              strata compact ./db                    # do it
              strata compact ./db --now 2024-10-01T00:00:00Z --json | jq .retention
            """)

    @Argument(help: "The database directory.") var db: String
    @Flag(name: .customLong("dry-run"), help: "Plan only: print what would be deleted, cut, downsampled and merged; write nothing.") var dryRun = false
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "The time retention and downsampling ages count back from (RFC 3339, Unix seconds, now). Default: each store's newest data.")
    var now: String?

    func run() throws {
        try requireDatabaseDirectory(self.db)
        let nowTime = try now.map { Timestamp.milliseconds(try parseTime($0, flag: "--now", default: 0)) }
        let db = try openDatabase(self.db, mustExist: true)
        defer { try? db.close() }
        var bar = ProgressLine(total: 5, enabled: isatty(2) == 1 && !json && !dryRun, unit: "phases")
        let report: MaintenanceReport
        do {
            report = try db.maintain(now: nowTime, dryRun: dryRun) { phase in bar.update(phase) }
        } catch let e as PolicyError {
            bar.clear()
            throw CLIFailure.problem(e.description)
        } catch {
            bar.clear()
            throw CLIFailure.problem("\(error)")
        }
        bar.clear()
        if json {
            print(Self.json(report, dryRun: dryRun))
            return
        }
        let rows = Self.rows(report, dryRun: dryRun)
        if !rows.isEmpty {
            print(
                Table(
                    header: ["store", "action", "inputs", "samples/records/spans", "bytes before", "bytes after", "seconds", "rate"],
                    rows: rows
                ).render())
        }
        let verb = dryRun ? "would go" : "went"
        let (m, l, t) = (report.metricCompaction, report.logCompaction, report.traceCompaction)
        print("metrics: \(m.blocksBefore) blocks \(verb) to \(m.blocksAfter)\(m.steps.isEmpty ? " (nothing to merge)" : "")")
        print("logs: \(l.segmentsBefore) segments \(verb) to \(l.segmentsAfter)\(l.steps.isEmpty ? " (nothing to merge)" : "")")
        print("traces: \(t.segmentsBefore) segments \(verb) to \(t.segmentsAfter)\(t.steps.isEmpty ? " (nothing to merge)" : "")")
        var size = "database: \(formatBytes(report.bytesBefore)) \(verb) to \(dryRun ? "about " : "")\(formatBytes(report.bytesAfter))"
        if let budget = report.sizeBudget {
            size += " (budget \(formatBytes(Int(budget)))"
            if let f = report.keepScale, f < 1 { size += "; every keep scaled by \(String(format3: f)) to fit" }
            size += ")"
        }
        print(size)
        if dryRun && (report.metricRetention != nil || report.logRetention != nil || report.traceRetention != nil || report.downsample != nil) {
            print("(a dry run plans each phase against the files as they are: downsampling and merges do not see what retention would cut)")
        }
        if let f = report.keepScale, f < 1, let policy = try? db.policy() {
            // What the budget made of each keep (forever: that fraction of the store's span).
            func scaled(_ d: Duration?) -> String {
                guard let d else { return "forever -> \(String(format3: f)) of the span" }
                let ms = Int64(Double(d.policyMilliseconds) * f)
                return "\(PolicyCommand.keep(d)) -> \(PolicyCommand.keep(.seconds(ms / 1000)))"
            }
            var parts = RetentionPolicy.Store.allCases.map { "\($0.rawValue) \(scaled(policy.keep($0)))" }
            parts += policy.rules.map { "\($0.store.rawValue) \($0.text) \(scaled($0.keep))" }
            print("keeps \(dryRun ? "would be" : "were") scaled to fit: " + parts.joined(separator: "; "))
        }
    }

    static func rows(_ r: MaintenanceReport, dryRun: Bool) -> [[String]] {
        func bytes(_ n: Int) -> String { formatBytes(n) }
        func secs(_ s: Double) -> String { dryRun ? "-" : String(format3: s) }
        var rows: [[String]] = []
        /// One row for a rewriting phase of one store, when it rewrote or dropped anything.
        func rewriteRow(
            _ store: String, _ action: String, applied: Int = 0, rewritten: Int, dropped: Int?, removed: Int, _ before: Int, _ after: Int,
            _ seconds: Double
        ) {
            guard applied > 0 || rewritten > 0 || (dropped ?? 0) > 0 else { return }
            let files = "\(rewritten) rewritten" + (dropped.map { ", \($0) dropped" } ?? "")
            rows.append([store, action, files, "-\(removed)", bytes(before), bytes(after), secs(seconds), "-"])
        }
        func retentionRows(_ action: String, _ m: MetricRetentionReport?, _ l: LogRetentionReport?, _ t: TraceRetentionReport?) {
            if let x = m {
                rewriteRow("metrics", action, rewritten: x.blocksRewritten.count, dropped: x.blocksDropped.count, removed: x.samplesDropped, x.bytesBefore, x.bytesAfter, x.seconds)
            }
            if let x = l {
                rewriteRow("logs", action, rewritten: x.rewrites.count, dropped: x.segmentsDropped.count, removed: x.recordsDropped, x.bytesBefore, x.bytesAfter, x.seconds)
            }
            if let x = t {
                rewriteRow("traces", action, rewritten: x.rewritten.count, dropped: x.droppedSegments.count, removed: x.spansDropped, x.bytesBefore, x.bytesAfter, x.seconds)
            }
        }
        if let d = r.metricDeletions {
            rewriteRow("metrics", "delete", applied: d.tombstonesApplied, rewritten: d.blocksRewritten.count, dropped: d.blocksDropped.count, removed: d.samplesDropped, d.bytesBefore, d.bytesAfter, d.seconds)
        }
        if let d = r.logDeletions {
            rewriteRow("logs", "delete", applied: d.tombstonesApplied, rewritten: d.rewrites.count, dropped: d.segmentsDropped.count, removed: d.recordsDropped, d.bytesBefore, d.bytesAfter, d.seconds)
        }
        if let d = r.traceDeletions {
            rewriteRow("traces", "delete", applied: d.tombstones, rewritten: d.rewritten.count, dropped: nil, removed: d.spansRemoved, d.bytesBefore, d.bytesAfter, d.seconds)
        }
        retentionRows("retention", r.metricRetention, r.logRetention, r.traceRetention)
        for b in r.budgetPasses { retentionRows("budget x\(String(format3: b.scale))", b.metrics, b.logs, b.traces) }
        for s in r.downsample?.steps ?? [] {
            rows.append([
                "metrics", "downsample \(PolicyCommand.keep(.milliseconds(s.resolution)))", "\(s.inputs.count) blocks",
                "\(s.aggregatedSamples) -> \(s.steps) steps", bytes(s.inputBytes), dryRun ? "-" : bytes(s.outputBytes), "-", "-",
            ])
        }
        for s in r.metricCompaction.steps {
            rows.append([
                "metrics", "merge", "\(s.inputs.count) blocks (\(s.kind.rawValue))", "\(s.samples)", bytes(s.inputBytes),
                dryRun ? "-" : bytes(s.outputBytes), secs(s.seconds),
                dryRun || s.seconds <= 0 ? "-" : formatRate(Double(s.samples) / s.seconds, unit: "samples/s"),
            ])
        }
        for s in r.logCompaction.steps {
            rows.append([
                "logs", "merge", "\(s.inputs.count) segments", "\(s.records)", bytes(s.inputBytes), dryRun ? "-" : bytes(s.outputBytes),
                secs(s.seconds), dryRun || s.seconds <= 0 ? "-" : formatBytes(Int(Double(s.rawBytes) / s.seconds)) + "/s raw",
            ])
        }
        for s in r.traceCompaction.steps {
            rows.append([
                "traces", "merge", "\(s.inputs.count) segments", "\(s.spans)", bytes(s.inputBytes), dryRun ? "-" : bytes(s.outputBytes),
                secs(s.seconds), dryRun || s.seconds <= 0 ? "-" : formatRate(Double(s.spans) / s.seconds, unit: "spans/s"),
            ])
        }
        return rows
    }

    static func json(_ rep: MaintenanceReport, dryRun: Bool) -> String {
        let (m, r, t) = (rep.metricCompaction, rep.logCompaction, rep.traceCompaction)
        func quoted(_ s: String) -> String { QueryOutput.jsonString(s) }
        func names(_ a: [String]) -> String { "[" + a.map(quoted).joined(separator: ",") + "]" }
        func opt(_ v: Int64?) -> String { v.map(String.init) ?? "null" }
        let metricSteps = m.steps.map { s in
            """
            {"kind":"\(s.kind.rawValue)","inputs":\(names(s.inputs)),"samples":\(s.samples),\
            "input_bytes":\(s.inputBytes),"output":\(s.output.map(quoted) ?? "null"),"output_samples":\(s.outputSamples),\
            "output_bytes":\(s.outputBytes),"min_time":\(s.minTime),"max_time":\(s.maxTime),"seconds":\(s.seconds)}
            """
        }
        let logSteps = r.steps.map { s in
            """
            {"inputs":\(names(s.inputs)),"records":\(s.records),"input_bytes":\(s.inputBytes),\
            "output":\(s.output.map(quoted) ?? "null"),"output_bytes":\(s.outputBytes),"raw_bytes":\(s.rawBytes),\
            "seconds":\(s.seconds)}
            """
        }
        let traceSteps = t.steps.map { s in
            """
            {"inputs":\(names(s.inputs)),"spans":\(s.spans),"input_bytes":\(s.inputBytes),\
            "output":\(s.output.map(quoted) ?? "null"),"output_bytes":\(s.outputBytes),"seconds":\(s.seconds)}
            """
        }
        var retention: [String] = []
        if let x = rep.metricRetention {
            retention.append(
                """
                "metrics":{"reference":\(opt(x.reference)),"dropped":\(names(x.blocksDropped)),\
                "rewritten":\(names(x.blocksRewritten.map(\.input))),"samples_dropped":\(x.samplesDropped),\
                "bytes_before":\(x.bytesBefore),"bytes_after":\(x.bytesAfter)}
                """)
        }
        if let x = rep.logRetention {
            retention.append(
                """
                "logs":{"reference":\(opt(x.reference)),"dropped":\(names(x.segmentsDropped)),\
                "rewritten":\(names(x.rewrites.map(\.input))),"records_dropped":\(x.recordsDropped),\
                "bytes_before":\(x.bytesBefore),"bytes_after":\(x.bytesAfter)}
                """)
        }
        if let x = rep.traceRetention {
            retention.append(
                """
                "traces":{"reference":\(opt(x.reference)),"dropped":\(names(x.droppedSegments)),\
                "rewritten":\(names(x.rewritten.map(\.input))),"spans_dropped":\(x.spansDropped),\
                "bytes_before":\(x.bytesBefore),"bytes_after":\(x.bytesAfter)}
                """)
        }
        let deletions = """
            {"metrics":{"tombstones":\(rep.metricDeletions?.tombstonesApplied ?? 0),"samples_dropped":\(rep.metricDeletions?.samplesDropped ?? 0)},\
            "logs":{"tombstones":\(rep.logDeletions?.tombstonesApplied ?? 0),"records_dropped":\(rep.logDeletions?.recordsDropped ?? 0)},\
            "traces":{"tombstones":\(rep.traceDeletions?.tombstones ?? 0),"spans_dropped":\(rep.traceDeletions?.spansRemoved ?? 0)}}
            """
        let downsample = (rep.downsample?.steps ?? []).map { s in
            """
            {"resolution_ms":\(s.resolution),"input_resolution_ms":\(s.inputResolution),"cut":\(s.cut),"inputs":\(names(s.inputs)),\
            "aggregated_samples":\(s.aggregatedSamples),"steps":\(s.steps),"input_bytes":\(s.inputBytes),"output_bytes":\(s.outputBytes)}
            """
        }
        return """
            {"dry_run":\(dryRun),"bytes_before":\(rep.bytesBefore),"bytes_after":\(rep.bytesAfter),\
            "size_budget":\(opt(rep.sizeBudget)),"keep_scale":\(rep.keepScale.map { "\($0)" } ?? "null"),\
            "budget_passes":[\(rep.budgetPasses.map { b in
                "{\"scale\":\(b.scale),\"samples_dropped\":\(b.metrics?.samplesDropped ?? 0),\"records_dropped\":\(b.logs?.recordsDropped ?? 0),\"spans_dropped\":\(b.traces?.spansDropped ?? 0)}"
            }.joined(separator: ","))],\
            "deletions":\(deletions),"retention":{\(retention.joined(separator: ","))},\
            "downsample":[\(downsample.joined(separator: ","))],\
            "metrics":{"blocks_before":\(m.blocksBefore),"blocks_after":\(m.blocksAfter),\
            "peak_extra_bytes":\(m.peakExtraBytes),"steps":[\(metricSteps.joined(separator: ","))]},\
            "logs":{"segments_before":\(r.segmentsBefore),"segments_after":\(r.segmentsAfter),\
            "peak_extra_bytes":\(r.peakExtraBytes),"steps":[\(logSteps.joined(separator: ","))]},\
            "traces":{"segments_before":\(t.segmentsBefore),"segments_after":\(t.segmentsAfter),\
            "peak_extra_bytes":\(t.peakExtraBytes),"steps":[\(traceSteps.joined(separator: ","))]}}
            """
    }
}
