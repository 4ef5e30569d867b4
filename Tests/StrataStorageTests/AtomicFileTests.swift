import StrataStorage
import Testing

@Suite struct AtomicFileTests {
    @Test func writesAndReplaces() throws {
        let dir = TemporaryDirectory()
        let fs = SystemFileSystem()
        let path = dir.child("MANIFEST")
        try AtomicFile.write([1, 2, 3], to: path, fs: fs)
        #expect(try fs.readFile(path) == [1, 2, 3])
        try AtomicFile.write([4, 5], to: path, fs: fs)
        #expect(try fs.readFile(path) == [4, 5])
        #expect(try fs.listDirectory(dir.path) == ["MANIFEST"])
    }

    /// Each step of the protocol fails in turn: the file holds either the old or the new bytes,
    /// never a mixture, and no temporary file is left behind.
    @Test(arguments: [
        FaultInjectingFileSystem.Operation.open, .write, .fsync, .rename, .fsyncDirectory,
    ])
    func failureLeavesOldOrNewContent(_ step: FaultInjectingFileSystem.Operation) throws {
        let dir = TemporaryDirectory()
        let fs = FaultInjectingFileSystem()
        let path = dir.child("MANIFEST")
        let old: [UInt8] = Array(repeating: 1, count: 100)
        let new: [UInt8] = Array(repeating: 2, count: 150)
        try AtomicFile.write(old, to: path, fs: fs)

        fs.inject(step, tornPrefix: 70)
        let error = #expect(throws: StorageError.self) { try AtomicFile.write(new, to: path, fs: fs) }
        #expect(error?.errno == 5)
        #expect(error?.description.contains("(injected)") == true)

        let content = try fs.readFile(path)
        if step == .fsyncDirectory {
            #expect(content == new)  // renamed; only the durability of the rename is in doubt
        } else {
            #expect(content == old)
        }
        #expect(try fs.listDirectory(dir.path) == ["MANIFEST"])
    }

    @Test func failedFirstWriteLeavesNoFile() throws {
        let dir = TemporaryDirectory()
        let fs = FaultInjectingFileSystem()
        fs.inject(.fsync)
        #expect(throws: StorageError.self) { try AtomicFile.write([1], to: dir.child("X"), fs: fs) }
        #expect(try fs.listDirectory(dir.path).isEmpty)
    }
}
