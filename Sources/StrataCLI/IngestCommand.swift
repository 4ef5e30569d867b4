import ArgumentParser
import Strata
import StrataCLIKit

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
            glances_<column>{host=...}; host from --host or the file name).
            Log formats: oslo (OpenStack services; Loghub's file-name prefix accepted), syslog
            (RFC 3164 and 5424: messages, secure, haproxy), platform (mysqld, rabbitmq, ovs-vswitchd,
            libvirtd), jsonl (one JSON object per line) and plain (one record per line). Log records
            get the labels host (--host, else logs/<host>/... in the path, else the line's host),
            program (from the file name or the line), level and file. A line that does not parse is
            kept as a plain record and counted; see Docs/ingest-formats.md.
            Traces: osprofiler events (one JSON object per line, or a JSON array) and reports of
            `osprofiler trace show --json`, detected by their trace_id/base_id keys or forced with
            --format osprofiler. Starts and stops pair across files; spans still open at the end
            are kept, flagged, and completed when a later ingest brings the other half.
            Spans the database already holds (a file ingested again, files that overlap) are
            stored once; their events are counted under "duplicates".
            Directories are walked; each file's format is detected unless --format is given.

            Examples:
              strata ingest ./db node-exporter.om
              strata ingest ./db glances_out.csv --host wally113
              strata ingest ./db ./generated/logs
              strata ingest ./db OpenStack_2k.log --format oslo --host wally113
              strata ingest ./db ./dumps --strict
              strata ingest ./db /tmp/sim/traces/osprofiler.jsonl
            """)

    @Argument(help: "The database directory.") var db: String
    @Argument(help: "Files or directories to ingest.") var paths: [String]
    @Option(help: "auto, openmetrics, prometheus, glances, oslo, syslog, platform, jsonl, plain or osprofiler.")
    var format: String = "auto"
    @Option(help: "Host label (Glances CSV and log files).") var host: String?
    @Flag(help: "Ingest nothing from a metric file that has any bad line.") var strict = false
    @Option(help: "Width of the time-partitioned blocks written (e.g. 2h, 24h).") var blockRange: String = "24h"
    @Option(
        help: """
            JSON lines keys, e.g. time=ts,level=severity,message=msg,host=node,program=app (each \
            replaces that role's default list; see Docs/ingest-formats.md).
            """)
    var jsonKeys: String?
    @Flag(help: "Parse log files and report what ingest would store, without opening the database (checks formats; times parsing alone).")
    var dryRun = false

    /// What one file is read as.
    enum FileKind {
        case metric(MetricFileFormat)
        case log(LogFormat)
        /// osprofiler JSON (events, arrays of events, or trace reports).
        case traces
    }

    func run() throws {
        var forced: FileKind?
        if format != "auto" {
            if let f = MetricFileFormat(rawValue: format) {
                forced = .metric(f)
            } else if let f = LogFormat(rawValue: format) {
                forced = .log(f)
            } else if format == TraceIngestRun.formatName {
                forced = .traces
            } else {
                throw ValidationError(
                    "unknown --format '\(format)': use auto, openmetrics, prometheus, glances, oslo, syslog, platform, jsonl, plain or osprofiler")
            }
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
        options.logs.durability = .none  // flushed into segments at the end
        options.traces.durability = .none  // spans are published as segments when the ingest ends
        let db: Database? = dryRun ? nil : try openDatabase(self.db, options: options)
        // Forced: the caller has decided (detection or --format) that the file is osprofiler JSON.
        var traceRun = TraceIngestRun(forced: true)
        var traceNanos = UInt64(0)
        let start = TimeSpec.nowMilliseconds()
        var totals = (accepted: 0, linesRejected: 0, samplesRejected: 0, duplicates: 0, bytes: 0, files: 0, nanos: UInt64(0))
        var logTotals = (records: 0, bytes: 0, files: 0, unparsed: 0, fallbacks: 0, continuation: 0, nanos: UInt64(0))
        var anyProblem = false
        let totalBytes = files.reduce(0) { $0 + FileWalker.size($1) }
        var progress = ProgressLine(total: totalBytes, enabled: stderrIsTerminal)
        var logIngester = LogFileIngester(now: start * 1_000_000)
        logIngester.host = host
        if let jsonKeys { logIngester.jsonMapping = try Self.jsonMapping(jsonKeys) }
        var done = 0
        for file in files {
            let kind: FileKind
            if let forced {
                kind = forced
            } else {
                switch Self.detect(path: file, head: FileWalker.head(file), jsonMapping: logIngester.jsonMapping) {
                case .kind(let k): kind = k
                case .skip(let reason):
                    progress.clear()
                    printError("\(file): skipped: \(reason)")
                    done += FileWalker.size(file)
                    continue
                case .unknown:
                    progress.clear()
                    printError("\(file): cannot tell the format; pass --format")
                    anyProblem = true
                    done += FileWalker.size(file)
                    continue
                }
            }
            let base = done
            let clock = Clock.now()
            switch kind {
            case .log(let f):
                logIngester.progress = { progress.update(base + $0) }
                let report: LogFileIngestReport
                do {
                    if let db {
                        report = try logIngester.ingest(path: file, format: f, into: db.logs)
                    } else {
                        report = try logIngester.ingest(path: file, format: f) { _ in }
                    }
                } catch {
                    progress.clear()
                    throw CLIFailure.io("\(error)")
                }
                progress.clear()
                let c = report.counts
                if c.unparsed > 0 {
                    printError("\(file): \(c.unparsed) lines did not parse as \(f.rawValue); kept as plain records (flag unparsed)")
                }
                if c.timestampFallbacks > 0 {
                    printError("\(file): \(c.timestampFallbacks) records without a readable time took the previous record's")
                }
                logTotals.records += report.recordsAccepted
                logTotals.bytes += report.bytesRead
                logTotals.files += 1
                logTotals.unparsed += c.unparsed
                logTotals.fallbacks += c.timestampFallbacks
                logTotals.continuation += c.continuationLines
                logTotals.nanos += Clock.now() - clock
                done += report.bytesRead
            case .traces:
                guard let db else {
                    printError("\(file): skipped: --dry-run parses log files only")
                    continue
                }
                if try traceRun.ingestIfTraces(file, into: db, progress: &progress, offset: base) {
                    done += traceRun.files.last?.bytesRead ?? 0
                }
                traceNanos += Clock.now() - clock
            case .metric(let f):
                guard let db else {
                    printError("\(file): skipped: --dry-run parses log files only")
                    continue
                }
                var ingester = MetricFileIngester(defaultTimestamp: start)
                ingester.strict = strict
                ingester.host = host
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
                totals.files += 1
                totals.nanos += Clock.now() - clock
                done += report.bytesRead
            }
        }
        if let db {
            let traceClock = Clock.now()
            try traceRun.finish(db)
            traceNanos += Clock.now() - traceClock
        }
        let closeClock = Clock.now()
        do {
            if let db {
                if logTotals.files > 0 { _ = try db.logs.flush() }
                try db.close()
            }
        } catch { throw CLIFailure.io("\(error)") }
        logTotals.nanos += Clock.now() - closeClock
        var rows: [[String]] = []
        if totals.files > 0 || (logTotals.files == 0 && traceRun.files.isEmpty) {
            let seconds = Double(totals.nanos) / 1e9
            rows.append([
                "metrics", "\(totals.accepted) samples",
                "\(totals.samplesRejected) samples, \(totals.linesRejected) lines", "\(totals.duplicates)",
                formatBytes(totals.bytes), String(format3: seconds),
                formatRate(seconds > 0 ? Double(totals.accepted) / seconds : 0, unit: "samples/s"),
            ])
        }
        if logTotals.files > 0 {
            let seconds = Double(logTotals.nanos) / 1e9
            let mbps = seconds > 0 ? Double(logTotals.bytes) / seconds / 1e6 : 0
            rows.append([
                dryRun ? "logs (dry run)" : "logs", "\(logTotals.records) records", "0 (\(logTotals.unparsed) unparsed lines kept)", "-",
                formatBytes(logTotals.bytes), String(format3: seconds),
                formatRate(seconds > 0 ? Double(logTotals.records) / seconds : 0, unit: "records/s")
                    + ", \(String(format3: mbps)) MB/s",
            ])
        }
        if !traceRun.files.isEmpty { rows.append(traceRun.summaryRow(seconds: Double(traceNanos) / 1e9)) }
        print(
            Table(
                header: ["store", "accepted", "rejected", "duplicates", "bytes read", "seconds", "rate"], rows: rows
            ).render())
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
