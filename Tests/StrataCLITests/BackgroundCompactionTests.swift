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

    @Test func theBackgroundPassAppliesTheStoredPolicy() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        var options = DatabaseOptions()
        options.logs.durability = .none
        options.compactionInterval = .milliseconds(20)
        let db = try Database(path: dir.path + "/db", options: options)
        try db.setPolicy("retention:\n  logs: 1h\n")
        let stream = try Labels(validating: ["host": "h1", "program": "nova-api"])
        let t0: Int64 = 1_700_000_000
        // Three hours, one record a minute.
        let records = (0..<180).map { i in LogRecord(time: .seconds(t0 + Int64(i) * 60), stream: stream, line: Array("minute \(i)".utf8)) }
        try db.logs.append(records)
        try db.logs.flush()
        let newest = Int64(t0 + 179 * 60) * 1_000_000_000
        let cut = newest - 3_600 * 1_000_000_000
        let kept = records.filter { $0.timestamp >= cut }.count
        let deadline = ContinuousClock.now + .seconds(10)
        while try db.logs.count(LogQuery()) > kept && ContinuousClock.now < deadline { usleep(20_000) }
        #expect(try db.logs.count(LogQuery()) == kept)
        var q = LogQuery()
        q.limit = 1
        q.direction = .forward
        #expect(try db.logs.search(q).hits.first?.record.timestamp == cut)
        if case .failure(let e) = db.lastBackgroundMaintenance { Issue.record("background maintenance failed: \(e)") }
        try db.close()
    }
}
