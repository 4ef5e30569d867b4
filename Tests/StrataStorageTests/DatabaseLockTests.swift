import StrataStorage
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite struct DatabaseLockTests {
    @Test func secondAcquirerSeesHolderPid() throws {
        let dir = TemporaryDirectory()
        let db = dir.child("db")
        let lock = try DatabaseLock.acquire(directory: db)
        #expect(lock.isHeld)
        #expect(try SystemFileSystem().readFile(FileNames.join(db, FileNames.lock)) == Array("\(getpid())\n".utf8))

        let error = #expect(throws: StorageError.self) { try DatabaseLock.acquire(directory: db) }
        #expect(error == .locked(path: db, pid: getpid()))
        #expect(error?.description.contains("database \(db) is locked") == true)
        #expect(error?.description.contains("(pid \(getpid()))") == true)

        lock.release()
        #expect(!lock.isHeld)
        let again = try DatabaseLock.acquire(directory: db)
        again.release()
    }

    @Test func releasedOnDeinit() throws {
        let dir = TemporaryDirectory()
        do {
            _ = try DatabaseLock.acquire(directory: dir.path)
        }
        let lock = try DatabaseLock.acquire(directory: dir.path)
        #expect(lock.isHeld)
    }

    @Test func otherProcessMessage() {
        let e = StorageError.locked(path: "/x", pid: 1234)
        #expect(e.description == "database /x is locked by another process (pid 1234)")
    }

    @Test func pidFromAStaleFileIsReplaced() throws {
        let dir = TemporaryDirectory()
        try SystemFileSystem().put(Array("999999999\n".utf8), at: dir.child(FileNames.lock))
        let lock = try DatabaseLock.acquire(directory: dir.path)
        #expect(try SystemFileSystem().readFile(dir.child(FileNames.lock)) == Array("\(getpid())\n".utf8))
        lock.release()
    }
}
