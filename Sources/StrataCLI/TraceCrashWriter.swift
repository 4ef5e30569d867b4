import Strata
import StrataCLIKit

/// `strata _crash-writer --store traces`: appends `TraceCrashWorkload` batches through the
/// durable API, flushing every 7 batches, and prints `ack N` after batch N is acknowledged.
func runTraceCrashWriter(db path: String, from: Int, batches: Int, compactEvery: Int) throws {
    var options = DatabaseOptions()
    options.traces.durability = .fsync
    options.traces.openSpanTimeout = .max / 4  // open spans stay open: the checkpoint must carry them
    let db = try openDatabase(path, options: options)
    for b in from..<(from + batches) {
        try db.traces.append(events: TraceCrashWorkload.events(batch: b))
        if b % 7 == 6 { try db.traces.flush() }
        var line = "ack \(b)\n"
        line.withUTF8 { writeStdout(UnsafeRawBufferPointer($0)) }
        if compactEvery > 0 && (b + 1) % compactEvery == 0 {
            reportCompaction(try db.traces.compact().steps.count)
        }
    }
    try db.close()
}
