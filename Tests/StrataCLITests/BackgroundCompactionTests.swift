import Foundation
import Strata
import Testing

/// `DatabaseOptions.compactionInterval`: a process that embeds Strata stays compacted.
@Suite struct BackgroundCompactionTests {
    @Test func theLogStoreIsCompactedWhileItIsWrittenAndQueried() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        var options = DatabaseOptions()
        options.logs.durability = .none
        options.compactionInterval = .milliseconds(20)
        let db = try Database(path: dir.path + "/db", options: options)
        let stream = try Labels(validating: ["host": "h1", "program": "nova-api"])
        var written = 0
        for piece in 0..<20 {
            let records = (0..<50).map { i in
                LogRecord(time: .seconds(1_700_000_000 + piece * 60 + i), stream: stream, line: Array("piece \(piece) line \(i)".utf8))
            }
            try db.logs.append(records)
            try db.logs.flush()
            written += records.count
            #expect(try db.logs.count(LogQuery()) == written, "every record answers while compactions run")
        }
        // Wait (bounded) for a pass after the last flush.
        let deadline = ContinuousClock.now + .seconds(10)
        while try db.logs.stats().segments > 1 && ContinuousClock.now < deadline { usleep(20_000) }
        #expect(try db.logs.stats().segments == 1)
        #expect(try db.logs.count(LogQuery()) == written)
        if case .failure(let e) = db.lastBackgroundMaintenance { Issue.record("background maintenance failed: \(e)") }
        #expect(db.lastBackgroundMaintenance != nil)
        try db.close()
        let reopened = try Database(path: dir.path + "/db")
        #expect(try reopened.logs.count(LogQuery()) == written)
        #expect(reopened.logs.verify().isEmpty)
        try reopened.close()
    }
}
