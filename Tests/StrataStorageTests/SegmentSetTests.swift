import StrataStorage
import Testing

/// Writes a segment file of `size` bytes and describes it.
func makeSegment(_ set: SegmentSet, size: Int = 100, minTime: Int64 = 0) throws -> SegmentEntry {
    let name = set.nextSegmentName(ext: "block")
    try SystemFileSystem().put(Array(repeating: 7, count: size), at: set.path(of: name))
    return SegmentEntry(
        name: name, kind: 1, minTime: minTime, maxTime: minTime + 999, sizeBytes: UInt64(size), recordCount: 10)
}

@Suite struct SegmentSetTests {
    let fs = SystemFileSystem()

    @Test func newDirectoryGetsAnEmptyManifest() throws {
        let dir = TemporaryDirectory()
        let set = try SegmentSet.open(directory: dir.child("metrics"))
        #expect(set.generation == 0)
        #expect(set.entries.isEmpty)
        #expect(try fs.listDirectory(dir.child("metrics")) == [FileNames.manifest])
    }

    @Test func publishPersistsAndNamesAreNeverReused() throws {
        let dir = TemporaryDirectory()
        var set = try SegmentSet.open(directory: dir.path)
        let a = try makeSegment(set)
        let b = try makeSegment(set, minTime: 1000)
        try set.publish(adding: [a, b], removing: [])
        #expect(set.generation == 1)
        let c = try makeSegment(set, size: 50)
        try set.publish(adding: [c], removing: [a.name, b.name])
        #expect(set.generation == 2)
        #expect(try !fs.exists(set.path(of: a.name)))

        set = try SegmentSet.open(directory: dir.path)
        #expect(set.generation == 2)
        #expect(set.entries == [c])
        #expect(set.nextSegmentName(ext: "block") == "000004.block")
    }

    @Test func snapshotKeepsRetiredFilesUntilReleased() throws {
        let dir = TemporaryDirectory()
        let set = try SegmentSet.open(directory: dir.path)
        let a = try makeSegment(set)
        try set.publish(adding: [a], removing: [])

        let first = set.snapshot()
        var second: SegmentSnapshot? = set.snapshot()
        let b = try makeSegment(set)
        try set.publish(adding: [b], removing: [a.name])
        #expect(first.entries == [a])
        #expect(set.entries == [b])
        #expect(try fs.exists(first.path(of: a)))
        #expect(set.retiredSegmentNames == [a.name])

        first.release()
        first.release()  // idempotent: must not drop the other snapshot's hold
        #expect(try fs.exists(first.path(of: a)))
        second = nil  // deinit releases
        #expect(second == nil)
        #expect(try !fs.exists(first.path(of: a)))
        #expect(set.retiredSegmentNames.isEmpty)
        #expect(try fs.exists(set.path(of: b.name)))
    }

    @Test func holdsFollowGenerationsNotReleaseOrder() throws {
        // Snapshots of three generations; files retired at different generations are deleted
        // exactly when the last snapshot that lists them goes.
        let dir = TemporaryDirectory()
        let set = try SegmentSet.open(directory: dir.path)
        let a = try makeSegment(set), b = try makeSegment(set)
        try set.publish(adding: [a, b], removing: [])
        let old = set.snapshot()  // lists a, b
        let c = try makeSegment(set)
        try set.publish(adding: [c], removing: [a.name])
        let middle = set.snapshot()  // lists b, c
        try set.publish(adding: [], removing: [b.name])
        let new = set.snapshot()  // lists c
        #expect(set.retiredSegmentNames == [a.name, b.name])
        middle.release()  // b is still in old's view
        #expect(try fs.exists(set.path(of: b.name)) && fs.exists(set.path(of: a.name)))
        old.release()
        #expect(try !fs.exists(set.path(of: a.name)) && !fs.exists(set.path(of: b.name)))
        #expect(set.retiredSegmentNames.isEmpty)
        // A removal waits for the newest snapshot too, and for nothing once none is alive.
        try set.publish(adding: [], removing: [c.name])
        #expect(set.retiredSegmentNames == [c.name])  // `new` lists c
        new.release()
        #expect(try !fs.exists(set.path(of: c.name)))
        let d = try makeSegment(set)
        try set.publish(adding: [d], removing: [])
        let latest = set.snapshot()
        try set.publish(adding: [], removing: [d.name])
        #expect(set.retiredSegmentNames == [d.name])
        latest.release()
        #expect(set.retiredSegmentNames.isEmpty)
        try set.publish(adding: [try makeSegment(set)], removing: [])
        #expect(set.retiredSegmentNames.isEmpty)
    }

    @Test func orphansAndTemporaryFilesAreRemovedOnOpen() throws {
        let dir = TemporaryDirectory()
        var set = try SegmentSet.open(directory: dir.path)
        let kept = try makeSegment(set)
        try set.publish(adding: [kept], removing: [])
        let orphan = try makeSegment(set)  // written, never published
        try fs.put([1], at: dir.child("MANIFEST.tmp"))
        try fs.put([1], at: dir.child("000099.idx.tmp"))
        try fs.put([1], at: dir.child("notes.txt"))
        try fs.put([1], at: dir.child(FileNames.lock))
        try fs.createDirectory(dir.child(FileNames.walDirectory))
        try fs.put([1], at: FileNames.join(dir.child(FileNames.walDirectory), FileNames.walSegment(1)))

        set = try SegmentSet.open(directory: dir.path)
        #expect(set.entries == [kept])
        let names = Set(try fs.listDirectory(dir.path))
        #expect(names == [FileNames.manifest, kept.name, "notes.txt", FileNames.lock, FileNames.walDirectory])
        #expect(!names.contains(orphan.name))
        #expect(try fs.exists(FileNames.join(dir.child(FileNames.walDirectory), FileNames.walSegment(1))))
    }

    @Test func corruptManifestNamesFileAndOffset() throws {
        let dir = TemporaryDirectory()
        let set = try SegmentSet.open(directory: dir.path)
        try set.publish(adding: [try makeSegment(set)], removing: [])
        var bytes = try fs.readFile(set.manifestPath)
        bytes[30] ^= 1
        try fs.put(bytes, at: set.manifestPath)

        let error = #expect(throws: StorageError.self) { _ = try SegmentSet.open(directory: dir.path) }
        guard case .corrupt(let path, let offset, let detail)? = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))")
            return
        }
        #expect(path == set.manifestPath)
        #expect(offset == bytes.count - 4)
        #expect(detail.hasPrefix("checksum mismatch"))
        #expect(error?.description.hasPrefix("corrupt file \(set.manifestPath) at offset \(offset):") == true)
    }

    @Test func missingManifestWithSegmentsIsAnErrorNotAnEmptySet() throws {
        let dir = TemporaryDirectory()
        let set = try SegmentSet.open(directory: dir.path)
        let a = try makeSegment(set)
        try set.publish(adding: [a], removing: [])
        try fs.unlink(set.manifestPath)
        let error = #expect(throws: StorageError.self) { _ = try SegmentSet.open(directory: dir.path) }
        #expect(error?.path == set.manifestPath)
        #expect(try fs.exists(set.path(of: a.name)))
    }

    @Test func missingOrResizedSegmentIsReported() throws {
        let dir = TemporaryDirectory()
        let set = try SegmentSet.open(directory: dir.path)
        let a = try makeSegment(set)
        try set.publish(adding: [a], removing: [])
        try fs.put([1, 2], at: set.path(of: a.name))
        let resized = #expect(throws: StorageError.self) { _ = try SegmentSet.open(directory: dir.path) }
        #expect(
            resized
                == .corrupt(
                    path: set.path(of: a.name), offset: 2,
                    detail: "MANIFEST generation 1 says 100 bytes, the file has 2"))
        try fs.unlink(set.path(of: a.name))
        let missing = #expect(throws: StorageError.self) { _ = try SegmentSet.open(directory: dir.path) }
        #expect(missing?.path == set.path(of: a.name))
    }

    @Test func publishValidatesItsArguments() throws {
        let dir = TemporaryDirectory()
        let set = try SegmentSet.open(directory: dir.path)
        let a = try makeSegment(set)
        #expect(throws: StorageError.self) { try set.publish(adding: [], removing: ["000001.block"]) }
        var wrongSize = a
        wrongSize.sizeBytes = 5
        #expect(throws: StorageError.self) { try set.publish(adding: [wrongSize], removing: []) }
        var foreign = a
        foreign.name = "000500.block"
        #expect(throws: StorageError.self) { try set.publish(adding: [foreign], removing: []) }
        try set.publish(adding: [a], removing: [])
        #expect(throws: StorageError.self) { try set.publish(adding: [a], removing: []) }
        #expect(set.generation == 1)
    }

    @Test func failedManifestWriteBeforeRenameChangesNothing() throws {
        let dir = TemporaryDirectory()
        let fs = FaultInjectingFileSystem()
        let set = try SegmentSet.open(directory: dir.path, fs: fs)
        let a = try makeSegment(set)
        fs.inject(.rename)
        #expect(throws: StorageError.self) { try set.publish(adding: [a], removing: []) }
        #expect(set.generation == 0)
        try set.publish(adding: [a], removing: [])  // retry works
        #expect(try SegmentSet.open(directory: dir.path).entries == [a])
    }

    @Test func failedDirectorySyncAfterRenameStopsPublishing() throws {
        let dir = TemporaryDirectory()
        let fs = FaultInjectingFileSystem()
        let set = try SegmentSet.open(directory: dir.path, fs: fs)
        let a = try makeSegment(set)
        fs.inject(.fsyncDirectory, skipping: 1)  // the first is before the write, the second after the rename
        #expect(throws: StorageError.self) { try set.publish(adding: [a], removing: []) }
        #expect(throws: StorageError.self) { try set.publish(adding: [], removing: []) }
        #expect(try SegmentSet.open(directory: dir.path).entries == [a])
    }
}
