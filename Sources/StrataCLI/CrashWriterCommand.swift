import ArgumentParser
import Strata
import StrataCLIKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A deterministic writer for crash tests: appends batches through the durable API and
/// prints `ack N` after batch N is acknowledged. Tests SIGKILL it at random moments and
/// check that every acknowledged batch survived. Hidden from --help.
struct CrashWriterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "_crash-writer", abstract: "Crash-test writer (internal).", shouldDisplay: false)

    @Argument var db: String
    @Option var from: Int = 0
    @Option var batches: Int = 1_000_000
    @Option var series: Int = 20
    /// `metrics` (a database), `logs` (a LogStore opened directly in the directory) or `traces`.
    @Option var store: String = "metrics"
    /// Run a compaction after every this many batches (0: never); prints `compacted N`, the
    /// number of merge steps it took.
    @Option(name: .customLong("compact-every")) var compactEvery: Int = 0

    func run() throws {
        if store == "traces" { return try runTraceCrashWriter(db: db, from: from, batches: batches, compactEvery: compactEvery) }
        if store == "logs" {
            let logs = try LogStore(directory: self.db, options: LogCrashWorkload.options)
            for b in from..<(from + batches) {
                try logs.append(LogCrashWorkload.records(batch: b))
                var line = "ack \(b)\n"
                line.withUTF8 { writeStdout(UnsafeRawBufferPointer($0)) }
                if compactEvery > 0 && (b + 1) % compactEvery == 0 {
                    reportCompaction(try logs.compact().steps.count)
                }
            }
            try logs.close()
            return
        }
        var options = DatabaseOptions()
        options.metrics.durability = .fsync
        options.metrics.blockRange = 60_000  // cut blocks often so flushes and manifest swaps happen under fire
        options.metrics.compactionRanges = [180_000, 540_000, 1_620_000]  // and merges of them
        let db = try openDatabase(self.db, options: options)
        var refs: [SeriesRef] = []
        for s in 0..<series {
            refs.append(try db.metrics.seriesRef(for: CrashWorkload.labels(s)))
        }
        for b in from..<(from + batches) {
            var batch = SampleBatch(capacity: series)
            for s in 0..<series { batch.append(refs[s], milliseconds: CrashWorkload.timestamp(b), CrashWorkload.value(batch: b, series: s)) }
            _ = try db.metrics.append(batch)
            var line = "ack \(b)\n"
            line.withUTF8 { writeStdout(UnsafeRawBufferPointer($0)) }
            if compactEvery > 0 && (b + 1) % compactEvery == 0 {
                reportCompaction(try db.metrics.compact().steps.count)
            }
        }
        try db.close()
    }
}


/// Prints `compacted N` for the crash tests, which count the merges that ran under fire.
func reportCompaction(_ steps: Int) {
    var done = "compacted \(steps)\n"
    done.withUTF8 { writeStdout(UnsafeRawBufferPointer($0)) }
}
