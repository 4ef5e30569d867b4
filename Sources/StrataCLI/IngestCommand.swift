import ArgumentParser
import Strata

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Load files into a database (created if absent).",
        discussion: """
            Metric formats: OpenMetrics 1.0 and Prometheus text 0.0.4 (with or without sample
            timestamps; samples without one get the ingest start time), and Glances CSV (series
            glances_<column>{host=...}; host from --host or the file name). Directories are walked.
            Traces: osprofiler events (one JSON object per line, or a JSON array) and reports of
            `osprofiler trace show --json`, detected by their trace_id/base_id keys or forced with
            --format osprofiler. Starts and stops pair across files; spans still open at the end
            are kept, flagged incomplete.
            Each file is parsed and stored in full, then published as blocks.

            Examples:
              strata ingest ./db node-exporter.om
              strata ingest ./db glances_out.csv --host wally113
              strata ingest ./db ./dumps --strict
              strata ingest ./db /tmp/sim/traces/osprofiler.jsonl
            """)

    @Argument(help: "The database directory.") var db: String
    @Argument(help: "Files or directories to ingest.") var paths: [String]
    @Option(help: "auto, openmetrics, prometheus, glances or osprofiler.") var format: String = "auto"
    @Option(help: "Host label for Glances CSV files.") var host: String?
    @Flag(help: "Ingest nothing from a file that has any bad line.") var strict = false
    @Option(help: "Width of the time-partitioned blocks written (e.g. 2h, 24h).") var blockRange: String = "24h"

    func run() throws {
        let fmt: MetricFileFormat?
        if format == "auto" || format == TraceIngestRun.formatName {
            fmt = nil
        } else if let f = MetricFileFormat(rawValue: format) {
            fmt = f
        } else {
            throw ValidationError(
                "unknown --format '\(format)': this build ingests auto, openmetrics, prometheus, glances, osprofiler (logs arrive with their store)")
        }
        guard let range = TimeSpec.parseDuration(blockRange), range >= 60_000 else {
            throw ValidationError("invalid --block-range '\(blockRange)' (a duration of at least 1m)")
        }
        var files: [String] = []
        for p in paths {
            guard let found = FileWalker.files(at: p) else { throw CLIFailure.io("\(p): no such file or directory") }
            files += found
        }
        var options = DatabaseOptions()
        options.metrics.durability = .none  // each file is published as blocks when done
        options.metrics.blockRange = range
        options.metrics.outOfOrderWindow = .max / 4  // bulk files may run in any order; history is fine
        options.traces.durability = .none  // spans are published as segments when the ingest ends
        let db = try openDatabase(self.db, options: options)
        var traceRun = TraceIngestRun(forced: format == TraceIngestRun.formatName)
        let start = TimeSpec.nowMilliseconds()
        let clockStart = Clock.now()
        var totals = (accepted: 0, linesRejected: 0, samplesRejected: 0, duplicates: 0, bytes: 0)
        var anyProblem = false
        let totalBytes = files.reduce(0) { $0 + FileWalker.size($1) }
        var progress = ProgressLine(total: totalBytes, enabled: stderrIsTerminal)
        for file in files {
            var ingester = MetricFileIngester(defaultTimestamp: start)
            ingester.strict = strict
            ingester.host = host
            let base = totals.bytes
            if try traceRun.ingestIfTraces(file, into: db, progress: &progress, offset: base) {
                totals.bytes = base + (traceRun.files.last?.bytesRead ?? 0)
                continue
            }
            let f: MetricFileFormat
            if let fmt { f = fmt } else {
                guard let d = MetricFileIngester.detectFormat(path: file, head: FileWalker.head(file)) else {
                    progress.clear()
                    printError("\(file): cannot tell the format; pass --format")
                    anyProblem = true
                    continue
                }
                f = d
            }
            ingester.progress = { progress.update(base + $0) }
            let report: FileIngestReport
            do {
                report = try ingester.ingest(path: file, format: f, into: db.metrics)
                try db.metrics.flush()
            } catch {
                progress.clear()
                throw CLIFailure.io("\(error)")
            }
            progress.clear()
            for r in report.rejectedLines {
                printError("\(file):\(r.line): \(r.reason): \(r.text.prefix(200))")
            }
            if report.linesRejected > report.rejectedLines.count {
                printError("\(file): \(report.linesRejected - report.rejectedLines.count) more rejected lines not shown")
            }
            for r in report.storeRejections { printError("\(file): rejected sample \(r)") }
            if report.discarded { printError("\(file): --strict: file not ingested because of rejected lines") }
            if report.linesRejected > 0 || report.samplesRejected > 0 { anyProblem = true }
            totals.accepted += report.discarded ? 0 : report.samplesAccepted
            totals.linesRejected += report.linesRejected
            totals.samplesRejected += report.samplesRejected
            totals.duplicates += report.duplicatesIgnored
            totals.bytes += report.bytesRead
        }
        try traceRun.finish(db)
        do { try db.close() } catch { throw CLIFailure.io("\(error)") }
        let seconds = Double((Clock.now() - clockStart)) / 1e9
        let rate = seconds > 0 ? Double(totals.accepted) / seconds : 0
        var rows: [[String]] = []
        if traceRun.files.count < files.count || files.isEmpty {
            rows.append([
                "metrics", "\(totals.accepted) samples",
                "\(totals.samplesRejected) samples, \(totals.linesRejected) lines", "\(totals.duplicates)",
                formatBytes(totals.bytes - traceRun.bytesRead), String(format3: seconds), formatRate(rate, unit: "samples/s"),
            ])
        }
        if !traceRun.files.isEmpty { rows.append(traceRun.summaryRow(seconds: seconds)) }
        print(
            Table(header: ["store", "accepted", "rejected", "duplicates", "bytes read", "seconds", "rate"], rows: rows)
                .render())
        if anyProblem || traceRun.anyProblem { throw ExitCode(1) }
    }
}

/// Monotonic nanoseconds.
enum Clock {
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
