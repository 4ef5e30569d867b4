import PropertyBased
import StrataEncoding
import StrataStorage
import Testing

/// A record as replayed: type and payload copied out.
struct WALRecord: Equatable, Sendable {
    var type: UInt8
    var payload: [UInt8]
}

/// `count` deterministic records of varied sizes (0...300 bytes).
func sampleRecords(_ count: Int, seed: UInt64 = 1) -> [WALRecord] {
    var state = seed
    func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 33
    }
    return (0..<count).map { _ in
        let n = Int(next() % 301)
        return WALRecord(type: UInt8(1 + next() % 255), payload: (0..<n).map { _ in UInt8(truncatingIfNeeded: next()) })
    }
}

/// Opens the WAL in `directory`, returning it and everything it replayed.
func openAndReplay(_ directory: String, segmentSize: Int = 64 << 20, fs: any FileSystem = SystemFileSystem()) throws
    -> (WriteAheadLog, [WALRecord])
{
    var seen: [WALRecord] = []
    let wal = try WriteAheadLog.open(directory: directory, fs: fs, segmentSize: segmentSize) { type, payload in
        seen.append(WALRecord(type: type, payload: Array(payload)))
    }
    return (wal, seen)
}

@Suite struct WALRoundTripTests {
    @Test func emptyLogReplaysNothing() throws {
        let dir = TemporaryDirectory()
        let (wal, seen) = try openAndReplay(dir.child("wal"))
        #expect(seen.isEmpty)
        #expect(wal.recovery == nil)
        #expect(wal.segmentIndices == [1])
        try wal.close()
        // Reopening an empty log reuses the empty segment instead of piling up new ones.
        let (again, _) = try openAndReplay(dir.child("wal"))
        #expect(again.segmentIndices == [1])
    }

    @Test func recordsRoundTrip() throws {
        let dir = TemporaryDirectory()
        let records = sampleRecords(500)
        let (wal, _) = try openAndReplay(dir.path)
        for (i, r) in records.enumerated() {
            if i % 3 == 0 {
                try wal.append(type: r.type) { w in w.append(contentsOf: r.payload) }
            } else {
                try wal.append(type: r.type, payload: r.payload)
            }
            if i % 100 == 0 { try wal.flush() }
        }
        try wal.sync()
        let (reopened, seen) = try openAndReplay(dir.path)
        #expect(seen == records)
        #expect(reopened.recovery == nil)
        #expect(reopened.segmentIndices == [1, 2])
    }

    @Test func appendsAfterReopenFollowOldRecords() throws {
        let dir = TemporaryDirectory()
        let records = sampleRecords(60)
        var (wal, _) = try openAndReplay(dir.path)
        for r in records[..<20] { try wal.append(type: r.type, payload: r.payload) }
        try wal.close()
        (wal, _) = try openAndReplay(dir.path)
        for r in records[20..<40] { try wal.append(type: r.type, payload: r.payload) }
        try wal.sync()
        (wal, _) = try openAndReplay(dir.path)
        for r in records[40...] { try wal.append(type: r.type, payload: r.payload) }
        try wal.sync()
        let (_, seen) = try openAndReplay(dir.path)
        #expect(seen == records)
    }

    @Test func rotatesAtSegmentSize() throws {
        let dir = TemporaryDirectory()
        let records = sampleRecords(300)
        let (wal, _) = try openAndReplay(dir.path, segmentSize: 4096)
        for r in records { try wal.append(type: r.type, payload: r.payload) }
        try wal.sync()
        #expect(wal.segmentIndices.count > 5)
        #expect(wal.currentSegmentIndex == wal.segmentIndices.last)
        let fs = SystemFileSystem()
        for i in wal.segmentIndices {
            #expect(try fs.fileSize(wal.segmentPath(i)) <= 4096)
        }
        let (_, seen) = try openAndReplay(dir.path, segmentSize: 4096)
        #expect(seen == records)
    }

    @Test func oversizedRecordGetsASegmentOfItsOwn() throws {
        let dir = TemporaryDirectory()
        let (wal, _) = try openAndReplay(dir.path, segmentSize: 64)
        let big = WALRecord(type: 7, payload: Array(repeating: 9, count: 1000))
        try wal.append(type: 1, payload: [1])
        try wal.append(type: big.type, payload: big.payload)
        try wal.append(type: 2, payload: [2])
        try wal.sync()
        #expect(wal.segmentIndices == [1, 2, 3])
        let (_, seen) = try openAndReplay(dir.path, segmentSize: 64)
        #expect(seen == [WALRecord(type: 1, payload: [1]), big, WALRecord(type: 2, payload: [2])])
    }

    @Test func cutAndRemoveSegmentsCheckpoint() throws {
        let dir = TemporaryDirectory()
        let records = sampleRecords(30)
        let (wal, _) = try openAndReplay(dir.path)
        for r in records[..<10] { try wal.append(type: r.type, payload: r.payload) }
        let k = try wal.cut()
        #expect(k == 2)
        #expect(try wal.cut() == 2)  // nothing appended since: no new segment
        for r in records[10...] { try wal.append(type: r.type, payload: r.payload) }
        try wal.removeSegments(before: k)
        #expect(wal.segmentIndices == [2])
        try wal.removeSegments(before: 99)  // never removes the current segment
        #expect(wal.segmentIndices == [2])
        try wal.sync()
        let (_, seen) = try openAndReplay(dir.path)
        #expect(seen == Array(records[10...]))
    }

    @Test func failedSyncBreaksTheLog() throws {
        let dir = TemporaryDirectory()
        let fs = FaultInjectingFileSystem()
        let (wal, _) = try openAndReplay(dir.path, fs: fs)
        try wal.append(type: 1, payload: [1, 2, 3])
        fs.inject(.fsync)
        let first = #expect(throws: StorageError.self) { try wal.sync() }
        let second = #expect(throws: StorageError.self) { try wal.append(type: 1, payload: [4]) }
        #expect(first != nil && first == second)
        // The write reached the file before the fsync failed, so a reopen finds the record.
        let (_, seen) = try openAndReplay(dir.path)
        #expect(seen == [WALRecord(type: 1, payload: [1, 2, 3])])
    }

    @Test func replayErrorsPropagate() throws {
        struct Stop: Error {}
        let dir = TemporaryDirectory()
        let (wal, _) = try openAndReplay(dir.path)
        try wal.append(type: 1, payload: [1])
        try wal.close()
        #expect(throws: Stop.self) { _ = try WriteAheadLog.open(directory: dir.path) { _, _ in throw Stop() } }
    }

    @Test func propertyRoundTrip() async {
        await propertyCheck(count: 10, input: Gen.int(in: 0...150), Gen.int(in: 40...2000)) { count, segmentSize in
            let dir = TemporaryDirectory()
            let records = sampleRecords(count, seed: UInt64(count * 7919 + segmentSize))
            let (wal, _) = try openAndReplay(dir.path, segmentSize: segmentSize)
            for r in records { try wal.append(type: r.type, payload: r.payload) }
            try wal.close()
            let (_, seen) = try openAndReplay(dir.path, segmentSize: segmentSize)
            #expect(seen == records)
        }
    }
}
