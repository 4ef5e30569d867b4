import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive lock on a database directory, so that one process at a time owns it.
///
/// The lock is `flock(LOCK_EX|LOCK_NB)` on `<directory>/LOCK`, which also holds the owner's
/// pid as decimal text. It belongs to the open file, so a second `acquire` of the same
/// directory fails even within one process. The kernel drops it when the process dies, so a
/// stale LOCK file left by a crash does not block anyone. The LOCK file itself is never
/// deleted (deleting it would let two processes lock two different files).
///
/// ```swift
/// let lock = try DatabaseLock.acquire(directory: "/var/lib/strata")
/// defer { lock.release() }
/// ```
public final class DatabaseLock: Sendable {
    /// The locked directory.
    public let directory: String
    let fs: any FileSystem
    let file: Mutex<OpenFile?>

    init(directory: String, fs: any FileSystem, file: OpenFile) {
        self.directory = directory
        self.fs = fs
        self.file = Mutex(file)
    }

    /// Locks `directory`, creating it and its LOCK file if needed.
    ///
    /// - Throws: `StorageError.locked(path: directory, pid:)` naming the holder's pid when the
    ///   lock is held, or `StorageError.io` when the directory or file cannot be made.
    public static func acquire(directory: String, fs: any FileSystem = SystemFileSystem()) throws(StorageError)
        -> DatabaseLock
    {
        try fs.createDirectory(directory)
        let path = FileNames.join(directory, FileNames.lock)
        let file = try fs.open(path, mode: .readWrite)
        do throws(StorageError) {
            guard try fs.tryLockExclusive(file) else {
                throw StorageError.locked(path: directory, pid: holderPid(file, fs: fs))
            }
            let text = Array("\(getpid())\n".utf8)
            try fs.truncate(file, to: 0)
            let failure: StorageError? = text.withUnsafeBytes { b in
                do throws(StorageError) {
                    try fs.pwrite(file, b, at: 0)
                    return nil
                } catch { return error }
            }
            if let failure { throw failure }
        } catch {
            fs.close(file)
            throw error
        }
        return DatabaseLock(directory: directory, fs: fs, file: file)
    }

    /// The pid written in the lock file, or nil if it holds none.
    static func holderPid(_ file: OpenFile, fs: any FileSystem) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { (try? fs.pread(file, into: $0, at: 0)) ?? 0 }
        let digits = buffer[0..<n].prefix { $0 >= 0x30 && $0 <= 0x39 }
        return Int32(String(decoding: digits, as: UTF8.self))
    }

    /// True until `release()` is called.
    public var isHeld: Bool { file.withLock { $0 != nil } }

    /// Releases the lock; later calls do nothing. Also done on deinit.
    public func release() {
        if let f = file.withLock({ f -> OpenFile? in
            defer { f = nil }
            return f
        }) {
            // Unlock first: a child process another thread is spawning right now may hold a
            // copy of the descriptor until it execs, and would keep the lock past our close.
            fs.unlock(f)
            fs.close(f)
        }
    }

    deinit { release() }
}
