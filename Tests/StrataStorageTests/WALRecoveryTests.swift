import StrataEncoding
import StrataStorage
import Testing

/// Byte offsets of each record in a single segment holding `records` (12-byte header, 9-byte record headers).
func recordOffsets(_ records: [WALRecord]) -> [Int] {
    var offsets: [Int] = []
    var at = 12
    for r in records {
        offsets.append(at)
        at += 9 + r.payload.count
    }
    offsets.append(at)
    return offsets
}

/// Writes `records` through the WAL into `directory` and returns the bytes of segment 1.
func writeSegment(_ records: [WALRecord], in directory: String) throws -> [UInt8] {
    let wal = try WriteAheadLog.open(directory: directory)
    for r in records { try wal.append(type: r.type, payload: r.payload) }
    try wal.close()
    return try SystemFileSystem().readFile(wal.segmentPath(1))
}

@Suite struct WALRecoveryTests {
    let fs = SystemFileSystem()

    /// A crash can stop the last write at any byte: every cut keeps the earlier records, reports
    /// what was dropped, truncates the file there, and appends continue cleanly after it.
    @Test func tornLastRecordAtEveryByte() throws {
        let records = sampleRecords(6, seed: 3).map { WALRecord(type: $0.type, payload: Array($0.payload.prefix(40))) }
        let source = TemporaryDirectory()
        let segment = try writeSegment(records, in: source.path)
        let offsets = recordOffsets(records)
        let lastStart = offsets[records.count - 1]
        #expect(segment.count == offsets[records.count])

        for cut in lastStart..<segment.count {
            let dir = TemporaryDirectory()
            let path = dir.child(FileNames.walSegment(1))
            try fs.put(Array(segment[..<cut]), at: path)

            let (wal, seen) = try openAndReplay(dir.path)
            #expect(seen == Array(records.dropLast()), "cut at \(cut)")
            if cut == lastStart {
                #expect(wal.recovery == nil)
            } else {
                let report = try #require(wal.recovery, "cut at \(cut)")
                #expect(report.segment == path)
                #expect(report.segmentIndex == 1)
                #expect(report.offset == lastStart)
                #expect(report.bytesDropped == cut - lastStart)
                #expect(report.removedSegments.isEmpty)
                #expect(report.reason.kind == .truncated)
                #expect(report.description.contains("dropped \(cut - lastStart) bytes"))
            }
            #expect(try fs.fileSize(path) == lastStart)

            try wal.append(type: 9, payload: [9, 9])
            try wal.close()
            let (reopened, again) = try openAndReplay(dir.path)
            #expect(again == Array(records.dropLast()) + [WALRecord(type: 9, payload: [9, 9])])
            #expect(reopened.recovery == nil)
        }
    }

    @Test(arguments: [0, 1, 5, 11])
    func tornSegmentHeader(cut: Int) throws {
        let dir = TemporaryDirectory()
        let path = dir.child(FileNames.walSegment(1))
        try fs.put(Array(WALRecordBytes.header(index: 1)[..<cut]), at: path)
        let (wal, seen) = try openAndReplay(dir.path)
        #expect(seen.isEmpty)
        if cut == 0 {
            #expect(wal.recovery == nil)  // created just before a crash: nothing was lost
        } else {
            #expect(wal.recovery?.offset == 0)
            #expect(wal.recovery?.bytesDropped == cut)
            #expect(wal.recovery?.removedSegments == [path])
        }
        #expect(wal.segmentIndices == [1])
        #expect(try fs.fileSize(path) == 12)
    }

    /// A flipped byte inside a record of an older segment drops that record and everything
    /// after it, including later segments, and says so.
    @Test func flippedByteInTheMiddleOfAnOlderSegment() throws {
        let dir = TemporaryDirectory()
        let records = sampleRecords(200, seed: 5)
        let wal = try WriteAheadLog.open(directory: dir.path, segmentSize: 2048)
        for r in records { try wal.append(type: r.type, payload: r.payload) }
        try wal.close()
        let segments = wal.segmentIndices
        #expect(segments.count >= 4)

        // Find which records are in segment 2, and flip a byte inside its third record.
        var inFirst = 0
        let first = try fs.readFile(wal.segmentPath(1))
        var at = 12
        while at < first.count {
            at += 9 + records[inFirst].payload.count
            inFirst += 1
        }
        var second = try fs.readFile(wal.segmentPath(2))
        let offsets = recordOffsets(Array(records[inFirst...]))
        let damaged = offsets[2]
        second[damaged + 4] ^= 0x40  // inside the stored CRC
        try fs.put(second, at: wal.segmentPath(2))
        let laterBytes = try segments.dropFirst(2).reduce(0) { $0 + (try fs.fileSize(wal.segmentPath($1))) }

        let (reopened, seen) = try openAndReplay(dir.path, segmentSize: 2048)
        #expect(seen == Array(records[..<(inFirst + 2)]))
        let report = try #require(reopened.recovery)
        #expect(report.segmentIndex == 2)
        #expect(report.offset == damaged)
        #expect(report.reason.kind == .checksumMismatch)
        #expect(report.bytesDropped == second.count - damaged + laterBytes)
        #expect(report.removedSegments == segments.dropFirst(2).map { wal.segmentPath($0) })
        #expect(try fs.fileSize(wal.segmentPath(2)) == damaged)
        #expect(reopened.segmentIndices == [1, 2, 3])
    }

    @Test func flippedPayloadByteAndHugeLength() throws {
        let records = sampleRecords(5, seed: 9).map { WALRecord(type: $0.type, payload: $0.payload + [1]) }
        let source = TemporaryDirectory()
        let segment = try writeSegment(records, in: source.path)
        let offsets = recordOffsets(records)

        for (where_, kind) in [(offsets[1] + 9, FormatError.Kind.checksumMismatch), (offsets[1] + 3, .truncated)] {
            let dir = TemporaryDirectory()
            var bytes = segment
            bytes[where_] ^= 0xff
            try fs.put(bytes, at: dir.child(FileNames.walSegment(1)))
            let (wal, seen) = try openAndReplay(dir.path)
            #expect(seen == [records[0]])
            #expect(wal.recovery?.offset == offsets[1])
            #expect(wal.recovery?.reason.kind == kind)
        }
    }

    @Test func zeroFilledTailIsDropped() throws {
        let records = sampleRecords(4, seed: 11)
        let dir = TemporaryDirectory()
        let segment = try writeSegment(records, in: dir.path)
        try fs.put(segment + Array(repeating: 0, count: 4096), at: dir.child(FileNames.walSegment(1)))
        let (wal, seen) = try openAndReplay(dir.path)
        #expect(seen == records)
        #expect(wal.recovery?.offset == segment.count)
        #expect(wal.recovery?.bytesDropped == 4096)
    }

    @Test func missingSegmentDropsTheOnesAfterIt() throws {
        let dir = TemporaryDirectory()
        let records = sampleRecords(100, seed: 13)
        let wal = try WriteAheadLog.open(directory: dir.path, segmentSize: 1024)
        for r in records { try wal.append(type: r.type, payload: r.payload) }
        try wal.close()
        #expect(wal.segmentIndices.count >= 4)
        try fs.unlink(wal.segmentPath(2))
        let (reopened, _) = try openAndReplay(dir.path, segmentSize: 1024)
        #expect(reopened.recovery?.segmentIndex == 3)
        #expect(reopened.recovery?.reason.detail.contains("segment 2 is missing") == true)
        #expect(reopened.segmentIndices == [1, 2])
    }

    @Test func newerVersionIsRefusedNotRepaired() throws {
        let dir = TemporaryDirectory()
        var segment = try writeSegment(sampleRecords(3), in: dir.path)
        segment[4] = 2
        let path = dir.child(FileNames.walSegment(1))
        try fs.put(segment, at: path)
        let error = #expect(throws: StorageError.self) { _ = try WriteAheadLog.open(directory: dir.path) }
        #expect(error?.path == path)
        #expect(error?.description.contains("unsupported format version") == true)
        #expect(try fs.readFile(path) == segment)
    }
}

/// Known bytes of the WAL format, written out here so the tests check the documented layout.
enum WALRecordBytes {
    static func header(index: UInt32) -> [UInt8] {
        var w = ByteWriter()
        w.append(contentsOf: Array("SWAL".utf8))
        w.appendUInt8(1)
        w.append(contentsOf: [0, 0, 0])
        w.appendUInt32(index)
        return w.bytes
    }
}

@Suite struct WALFormatLayoutTests {
    @Test func bytesMatchTheDocument() throws {
        let dir = TemporaryDirectory()
        let segment = try writeSegment([WALRecord(type: 3, payload: [0xaa, 0xbb])], in: dir.path)
        var expected = WALRecordBytes.header(index: 1)
        var w = ByteWriter()
        w.appendUInt32(2)
        w.appendUInt32(CRC32C.checksum([3, 0xaa, 0xbb]))
        w.appendUInt8(3)
        w.append(contentsOf: [0xaa, 0xbb])
        expected += w.bytes
        #expect(segment == expected)
    }
}
