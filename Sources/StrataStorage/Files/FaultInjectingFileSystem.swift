import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file system for tests that passes calls to another one and fails chosen calls.
///
/// ```swift
/// let fs = FaultInjectingFileSystem()
/// fs.inject(.rename)                 // the next rename fails with EIO
/// fs.inject(.fsync, skipping: 2)     // the third fsync from now fails
/// #expect(throws: StorageError.self) { try AtomicFile.write(bytes, to: path, fs: fs) }
/// ```
///
/// A fault fires once and then is gone. An injected failure happens before the call reaches
/// the wrapped file system, except for `write`/`pwrite` faults with `tornPrefix`, which first
/// write that many bytes (a torn write). Counts of every operation are kept for assertions.
public final class FaultInjectingFileSystem: FileSystem {
    /// The operations a fault can be attached to; one per `FileSystem` requirement.
    public enum Operation: Sendable, Hashable, CaseIterable {
        case open, close, write, pwrite, pread, map, readFile, fsync, fsyncDirectory, rename, unlink, removeDirectory,
            createDirectory, listDirectory, fileSize, truncate, lock
    }

    struct Fault {
        var skipping: Int
        var errno: Int32
        var tornPrefix: Int
    }

    struct State {
        var faults: [Operation: Fault] = [:]
        var calls: [Operation: Int] = [:]
    }

    /// The file system calls are passed to.
    public let base: any FileSystem
    let state = Mutex(State())

    /// Wraps `base`.
    public init(base: any FileSystem = SystemFileSystem()) {
        self.base = base
    }

    /// Makes a future call of `operation` fail with `errno`.
    ///
    /// - Parameters:
    ///   - operation: which call to fail.
    ///   - skipping: how many calls of `operation` succeed first (0: the next call fails).
    ///   - errno: the error number reported (default EIO).
    ///   - tornPrefix: for `write`/`pwrite`, how many leading bytes reach the file before the failure.
    public func inject(_ operation: Operation, skipping: Int = 0, errno: Int32 = EIO, tornPrefix: Int = 0) {
        state.withLock { $0.faults[operation] = Fault(skipping: skipping, errno: errno, tornPrefix: tornPrefix) }
    }

    /// Removes every pending fault.
    public func clearFaults() {
        state.withLock { $0.faults.removeAll() }
    }

    /// How many times `operation` was called (failed calls included).
    public func calls(_ operation: Operation) -> Int {
        state.withLock { $0.calls[operation, default: 0] }
    }

    /// Counts a call and returns the fault to apply to it, if any.
    func take(_ operation: Operation) -> Fault? {
        state.withLock { s -> Fault? in
            s.calls[operation, default: 0] += 1
            guard var fault = s.faults[operation] else { return nil }
            if fault.skipping > 0 {
                fault.skipping -= 1
                s.faults[operation] = fault
                return nil
            }
            s.faults[operation] = nil
            return fault
        }
    }

    func check(_ operation: Operation, _ path: String, offset: Int? = nil) throws(StorageError) {
        if let fault = take(operation) {
            throw StorageError.io(operation: "\(operation) (injected)", path: path, offset: offset, errno: fault.errno)
        }
    }

    public func open(_ path: String, mode: OpenMode) throws(StorageError) -> OpenFile {
        try check(.open, path)
        return try base.open(path, mode: mode)
    }

    public func close(_ file: OpenFile) {
        _ = take(.close)
        base.close(file)
    }

    public func write(_ file: OpenFile, _ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        if let fault = take(.write) {
            let n = min(fault.tornPrefix, bytes.count)
            if n > 0 { try base.write(file, UnsafeRawBufferPointer(rebasing: bytes[0..<n])) }
            throw StorageError.io(operation: "write (injected)", path: file.path, offset: nil, errno: fault.errno)
        }
        try base.write(file, bytes)
    }

    public func pwrite(_ file: OpenFile, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws(StorageError) {
        if let fault = take(.pwrite) {
            let n = min(fault.tornPrefix, bytes.count)
            if n > 0 { try base.pwrite(file, UnsafeRawBufferPointer(rebasing: bytes[0..<n]), at: offset) }
            throw StorageError.io(operation: "pwrite (injected)", path: file.path, offset: offset, errno: fault.errno)
        }
        try base.pwrite(file, bytes, at: offset)
    }

    public func pread(_ file: OpenFile, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(StorageError)
        -> Int
    {
        try check(.pread, file.path, offset: offset)
        return try base.pread(file, into: buffer, at: offset)
    }

    public func map(_ path: String) throws(StorageError) -> MappedFile {
        try check(.map, path)
        return try base.map(path)
    }

    public func readFile(_ path: String) throws(StorageError) -> [UInt8] {
        try check(.readFile, path)
        return try base.readFile(path)
    }

    public func fsync(_ file: OpenFile) throws(StorageError) {
        try check(.fsync, file.path)
        try base.fsync(file)
    }

    public func fsyncDirectory(_ path: String) throws(StorageError) {
        try check(.fsyncDirectory, path)
        try base.fsyncDirectory(path)
    }

    public func rename(_ from: String, to: String) throws(StorageError) {
        try check(.rename, from)
        try base.rename(from, to: to)
    }

    public func unlink(_ path: String) throws(StorageError) {
        try check(.unlink, path)
        try base.unlink(path)
    }

    public func removeDirectory(_ path: String) throws(StorageError) {
        try check(.removeDirectory, path)
        try base.removeDirectory(path)
    }

    public func createDirectory(_ path: String) throws(StorageError) {
        try check(.createDirectory, path)
        try base.createDirectory(path)
    }

    public func listDirectory(_ path: String) throws(StorageError) -> [String] {
        try check(.listDirectory, path)
        return try base.listDirectory(path)
    }

    public func fileSize(_ path: String) throws(StorageError) -> Int {
        try check(.fileSize, path)
        return try base.fileSize(path)
    }

    public func truncate(_ file: OpenFile, to size: Int) throws(StorageError) {
        try check(.truncate, file.path, offset: size)
        try base.truncate(file, to: size)
    }

    public func tryLockExclusive(_ file: OpenFile) throws(StorageError) -> Bool {
        try check(.lock, file.path)
        return try base.tryLockExclusive(file)
    }

    public func unlock(_ file: OpenFile) { base.unlock(file) }
}
