/// An open file: its descriptor and the path it was opened with (for error messages).
public struct OpenFile: Sendable, Hashable {
    /// The file descriptor.
    public let descriptor: Int32
    /// The path the file was opened with.
    public let path: String

    /// Wraps an open descriptor.
    public init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }
}

/// How `FileSystem.open(_:mode:)` opens a file.
public enum OpenMode: Sendable, Hashable {
    /// Read only; the file must exist.
    case readOnly
    /// Read and write, created (mode 0644) if missing, contents kept.
    case readWrite
    /// Write only, created (mode 0644); fails with EEXIST if the file exists.
    case createNew
    /// Write only, created (mode 0644) if missing, truncated to zero if present.
    case createOrTruncate
}

/// The few system calls the storage layer makes, behind one seam.
///
/// `SystemFileSystem` makes the real calls; `FaultInjectingFileSystem` wraps another file
/// system and fails a chosen call with an errno, so tests can show what happens when an
/// fsync, a rename or a write fails. Every method throws `StorageError.io` naming the
/// operation and path; writes write all bytes or throw.
public protocol FileSystem: Sendable {
    /// Opens `path`.
    func open(_ path: String, mode: OpenMode) throws(StorageError) -> OpenFile
    /// Closes `file`; errors are ignored (the data was already written or synced, or not).
    func close(_ file: OpenFile)
    /// Writes all of `bytes` at the file's current position.
    func write(_ file: OpenFile, _ bytes: UnsafeRawBufferPointer) throws(StorageError)
    /// Writes all of `bytes` at `offset`, leaving the file position unchanged.
    func pwrite(_ file: OpenFile, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws(StorageError)
    /// Reads up to `buffer.count` bytes at `offset`; returns the count read (less only at end of file).
    func pread(_ file: OpenFile, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(StorageError) -> Int
    /// Maps the whole immutable file at `path` read-only (see `MappedFile`).
    func map(_ path: String) throws(StorageError) -> MappedFile
    /// Reads the whole file at `path`.
    func readFile(_ path: String) throws(StorageError) -> [UInt8]
    /// Flushes the file's data and metadata to stable storage.
    func fsync(_ file: OpenFile) throws(StorageError)
    /// Flushes a directory, making creations, renames and deletions in it durable.
    func fsyncDirectory(_ path: String) throws(StorageError)
    /// Atomically renames `from` to `to`, replacing `to` if it exists.
    func rename(_ from: String, to: String) throws(StorageError)
    /// Removes the file `path`.
    func unlink(_ path: String) throws(StorageError)
    /// Removes the empty directory `path`.
    func removeDirectory(_ path: String) throws(StorageError)
    /// Creates `path` and any missing parents (mode 0755); an existing directory is fine.
    func createDirectory(_ path: String) throws(StorageError)
    /// The names in directory `path`, without "." and "..", in no particular order.
    func listDirectory(_ path: String) throws(StorageError) -> [String]
    /// The size in bytes of the file at `path`.
    func fileSize(_ path: String) throws(StorageError) -> Int
    /// Sets the size of `file` to `size` bytes.
    func truncate(_ file: OpenFile, to size: Int) throws(StorageError)
    /// Tries to take an exclusive advisory lock on `file` (flock LOCK_EX|LOCK_NB).
    ///
    /// The lock belongs to the open file description, so a second `open` of the same file
    /// in the same process conflicts too. It is released when `file` is closed.
    /// - Returns: false when another open file description holds the lock.
    func tryLockExclusive(_ file: OpenFile) throws(StorageError) -> Bool
    /// Releases the lock `tryLockExclusive` took on `file` (flock LOCK_UN). Closing `file` is
    /// not enough while a child process being spawned holds a copy of the descriptor.
    func unlock(_ file: OpenFile)
}

extension FileSystem {
    /// Writes all of `bytes` at the file's current position.
    public func write(_ file: OpenFile, _ bytes: [UInt8]) throws(StorageError) {
        let failure: StorageError? = bytes.withUnsafeBytes { b in
            do throws(StorageError) {
                try write(file, b)
                return nil
            } catch { return error }
        }
        if let failure { throw failure }
    }

    /// True when `path` exists (as anything).
    public func exists(_ path: String) throws(StorageError) -> Bool {
        do throws(StorageError) {
            _ = try fileSize(path)
            return true
        } catch {
            if error.isNotFound { return false }
            throw error
        }
    }
}
