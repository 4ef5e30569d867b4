import Foundation
import StrataMetrics
import Testing

@testable import StrataLogs

@Suite struct LogDurabilityTests {
    func lines(_ range: Range<Int>, _ t0: Int64) -> [LogRecord] {
        range.map { i in
            LogFixtures.record(t0 + Int64(i), "2017-05-16 00:00:\(i % 60) INFO request req-\(UUID().uuidString.lowercased()) took \(i) ms",
                               fields: [LogField("pid", "\(100 + i % 7)")])
        }
    }

    func segmentFiles(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".logs") }.sorted().map { dir + "/" + $0 }
    }

    /// `flip` for callers that cannot throw (the file exists: a test wrote it).
    func flipForTests(_ path: String, at offset: Int) { try! flip(path, at: offset) }

    func flip(_ path: String, at offset: Int) throws {
        let h = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? h.close() }
        try h.seek(toOffset: UInt64(offset))
        let b = try h.read(upToCount: 1)![0]
        try h.seek(toOffset: UInt64(offset))
        h.write(Data([b ^ 0x5A]))
    }

    @Test func corruptColumnNamesFileAndOffsetWhileOtherSegmentsAnswer() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        let store = try LogStore(directory: dir.path, options: LogFixtures.options())
        try store.append(lines(0..<500, 1_000))
        try store.flush()
        try store.append(lines(0..<500, 100_000))
        try store.flush()
        let files = try segmentFiles(dir.path)
        #expect(files.count == 2)
        // The first block's timestamp column starts right after the 16-byte header; flip a payload byte.
        try flip(files[0], at: 16 + 8)
        let reopened = try LogStore(directory: dir.path, options: LogFixtures.options())
        let problems = reopened.verify()
        #expect(problems.count == 1)
        #expect(problems.first?.path == files[0])
        #expect(problems.first?.offset.map { $0 >= 16 && $0 < 64 } == true, "\(problems)")
        // The damaged segment's rows fail with the file and offset...
        do {
            _ = try reopened.count(LogQuery(start: 1_000, end: 1_100))
            Issue.record("reading the damaged block did not fail")
        } catch {
            let e = error.storageError
            #expect(e?.path == files[0], "\(error)")
            #expect(e?.offset.map { $0 >= 16 && $0 < 64 } == true, "\(error)")
        }
        // ...while the other segment, and blocks of the same segment the query does not need, still answer.
        #expect(try reopened.count(LogQuery(start: 100_000, end: 200_000)) == 500)
        #expect(try reopened.count(LogQuery(start: 1_300, end: 1_500)) == 200)
    }

    @Test func corruptDirectoryFailsOnlyQueriesThatNeedTheSegment() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        let store = try LogStore(directory: dir.path, options: LogFixtures.options())
        try store.append(lines(0..<300, 1_000))
        try store.flush()
        try store.append(lines(0..<300, 100_000))
        try store.flush()
        let files = try segmentFiles(dir.path)
        let size = try FileManager.default.attributesOfItem(atPath: files[1])[.size] as! Int
        try flip(files[1], at: size - 30)  // inside the directory frame, just before the trailer
        let reopened = try LogStore(directory: dir.path, options: LogFixtures.options())
        #expect(try reopened.count(LogQuery(start: 0, end: 2_000)) == 300)
        #expect(throws: LogStoreError.self) { try reopened.count(LogQuery()) }
        let problems = reopened.verify()
        #expect(problems.map(\.path) == [files[1]])
        #expect(problems.first?.offset.map { $0 > 16 && $0 < size } == true)
    }

    @Test func tornWALTailKeepsEveryEarlierBatch() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        var o = LogFixtures.options(durability: .fsync)
        o.maxHeadBytes = 1 << 30
        do {
            let store = try LogStore(directory: dir.path, options: o)
            for b in 0..<20 { try store.append(lines(b * 10..<(b + 1) * 10, 0)) }
            try store.close()
        }
        let walDir = dir.path + "/wal"
        let wal = try FileManager.default.contentsOfDirectory(atPath: walDir).sorted().last!
        let path = walDir + "/" + wal
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        let h = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try h.truncate(atOffset: UInt64(size - 7))  // a crash in the middle of the last record
        try h.close()
        let reopened = try LogStore(directory: dir.path, options: o)
        #expect(!reopened.recoveryReport.isEmpty)
        let n = try reopened.count(LogQuery())
        #expect(n == 190, "the last batch was torn, the 19 before it survive")
        try reopened.append(lines(0..<5, 10_000))
        try reopened.flush()
        #expect(try reopened.count(LogQuery()) == 195)
        #expect(reopened.verify().isEmpty)
    }

    @Test func flippedBytesAnywhereGiveErrorsNeverTraps() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        let store = try LogStore(directory: dir.path, options: LogFixtures.options())
        try store.append(lines(0..<200, 1_000))
        try store.flush()
        let file = try segmentFiles(dir.path)[0]
        let original = try Data(contentsOf: URL(fileURLWithPath: file))
        let queries = [
            LogQuery(limit: 0),
            LogQuery(lineFilters: [LineFilter(.contains, "took 1")]),
            LogQuery(lineFilters: [LineFilter(.matches, "INFO.*ms$")]),
            LogQuery(fieldFilters: [FieldFilter("pid", .equal, .string("103"))]),
        ]
        var rng = SystemRandomNumberGenerator()
        var failures = 0
        for round in 0..<150 {
            var bytes = original
            let at = round < 40 ? bytes.count - 1 - round : Int.random(in: 0..<bytes.count, using: &rng)
            bytes[at] ^= UInt8.random(in: 1...255, using: &rng)
            try bytes.write(to: URL(fileURLWithPath: file))
            var failed = false
            do {
                let seg = try LogSegmentReader(number: 1, path: file)
                var stats = LogSearchStats()
                for q in queries {
                    let cq = try CompiledLogQuery(q)
                    _ = try seg.count(cq, stats: &stats)
                    try seg.scan(cq, stats: &stats) { _ in }
                }
                for (b, block) in try seg.blocks().enumerated() { _ = try LogBlockCursor(seg, b, block).record(0, &stats) }
            } catch let e as LogStoreError {
                guard case .storage(.corrupt(let path, let offset, _)) = e else {
                    Issue.record("flip at \(at): \(e) is not a corruption error")
                    continue
                }
                #expect(path == file)
                #expect(offset >= 0 && offset <= original.count)
                failed = true
            }
            if failed { failures += 1 }
        }
        #expect(failures > 100, "almost every flip is caught by a checksum (\(failures) of 150)")
    }
}
