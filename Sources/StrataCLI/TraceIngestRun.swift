import Strata

/// The trace side of `strata ingest`: which files are osprofiler JSON, their problems, the summary row.
struct TraceIngestRun {
    static let formatName = "osprofiler"
    /// `--format osprofiler`: every file is read as osprofiler JSON.
    let forced: Bool
    var files: [TraceFileReport] = []
    var spans = 0
    /// Resent events the store ignored (a file ingested again, overlapping files).
    var duplicates = 0
    /// The store's counters before the first file (`spansWritten`, `duplicatesIgnored`).
    var before: (written: Int, duplicates: Int)?
    var anyProblem = false
    var bytesRead: Int { files.reduce(0) { $0 + $1.bytesRead } }

    init(forced: Bool) { self.forced = forced }

    /// Ingests `file` when it is osprofiler JSON (or forced); false leaves it to the metric path.
    mutating func ingestIfTraces(_ file: String, into db: Database, progress: inout ProgressLine, offset: Int) throws -> Bool {
        guard forced || TraceFileIngester.looksLikeOsprofiler(head: FileWalker.head(file)) else { return false }
        if before == nil { before = (db.traces.spansWritten, db.traces.duplicatesIgnored) }
        var ingester = TraceFileIngester()
        var line = progress
        ingester.progress = { line.update(offset + $0) }
        let report: TraceFileReport
        do { report = try ingester.ingest(path: file, into: db.traces) } catch {
            progress.clear()
            throw CLIFailure.io("\(error)")
        }
        progress = line
        progress.clear()
        for p in report.problems { printError("\(p)") }
        if report.rejected > report.problems.count {
            printError("\(file): \(report.rejected - report.problems.count) more rejected values not shown")
        }
        if report.rejected > 0 { anyProblem = true }
        files.append(report)
        return true
    }

    /// Pairs what is left (open spans become flagged incomplete spans) and writes the segment.
    mutating func finish(_ db: Database) throws {
        guard !files.isEmpty else { return }
        do { try db.traces.flush(closingOpenSpans: true) } catch { throw CLIFailure.io("\(error)") }
        // Automatic flushes (every `maxHeadSpans`) wrote spans too.
        spans = db.traces.spansWritten - (before?.written ?? 0)
        duplicates = db.traces.duplicatesIgnored - (before?.duplicates ?? 0)
    }

    func summaryRow(seconds: Double) -> [String] {
        let events = files.reduce(0) { $0 + $1.events }
        let rejected = files.reduce(0) { $0 + $1.rejected }
        return [
            "traces", "\(spans) spans (\(events) events)", "\(rejected) values", "\(duplicates)", formatBytes(bytesRead),
            String(format3: seconds), formatRate(seconds > 0 ? Double(spans) / seconds : 0, unit: "spans/s"),
        ]
    }
}
