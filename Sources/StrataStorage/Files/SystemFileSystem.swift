#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The real file system: thin wrappers over open(2), write(2), fsync(2), rename(2) and friends.
///
/// Interrupted calls (EINTR) are retried and short writes continued. On Darwin, `fsync` does
/// not force the drive cache (F_FULLFSYNC would); Linux is the production target.
public struct SystemFileSystem: FileSystem {
    /// Creates the real file system.
    public init() {}

    public func open(_ path: String, mode: OpenMode) throws(StorageError) -> OpenFile {
        let flags: Int32
        switch mode {
        case .readOnly: flags = O_RDONLY
        case .readWrite: flags = O_RDWR | O_CREAT
        case .createNew: flags = O_WRONLY | O_CREAT | O_EXCL
        case .createOrTruncate: flags = O_WRONLY | O_CREAT | O_TRUNC
        }
        while true {
            let fd = systemOpen(path, flags | O_CLOEXEC, 0o644)
            if fd >= 0 { return OpenFile(descriptor: fd, path: path) }
            if currentErrno != EINTR {
                throw StorageError.io(operation: "open", path: path, offset: nil, errno: currentErrno)
            }
        }
    }

    public func close(_ file: OpenFile) {
        _ = systemClose(file.descriptor)
    }

    public func write(_ file: OpenFile, _ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        var done = 0
        while done < bytes.count {
            let n = systemWrite(file.descriptor, bytes.baseAddress! + done, bytes.count - done)
            if n > 0 {
                done += n
            } else if n < 0 && currentErrno == EINTR {
                continue
            } else {
                throw StorageError.io(
                    operation: "write", path: file.path, offset: nil, errno: n < 0 ? currentErrno : EIO)
            }
        }
    }

    public func pwrite(_ file: OpenFile, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws(StorageError) {
        var done = 0
        while done < bytes.count {
            let n = systemPwrite(file.descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n > 0 {
                done += n
            } else if n < 0 && currentErrno == EINTR {
                continue
            } else {
                throw StorageError.io(
                    operation: "pwrite", path: file.path, offset: offset + done, errno: n < 0 ? currentErrno : EIO)
            }
        }
    }

    public func pread(_ file: OpenFile, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(StorageError)
        -> Int
    {
        var done = 0
        while done < buffer.count {
            let n = systemPread(file.descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n > 0 {
                done += n
            } else if n == 0 {
                break
            } else if currentErrno != EINTR {
                throw StorageError.io(operation: "pread", path: file.path, offset: offset + done, errno: currentErrno)
            }
        }
        return done
    }

    public func map(_ path: String) throws(StorageError) -> MappedFile {
        try MappedFile(path: path)
    }

    public func readFile(_ path: String) throws(StorageError) -> [UInt8] {
        let file = try open(path, mode: .readOnly)
        defer { close(file) }
        var st = stat()
        guard fstat(file.descriptor, &st) == 0 else {
            throw StorageError.io(operation: "fstat", path: path, offset: nil, errno: currentErrno)
        }
        // Read one byte more than the size said, to notice a file that grew meanwhile.
        var capacity = Int(st.st_size) + 1
        var result: [UInt8] = []
        while true {
            var failure: StorageError?
            let start = result.count
            let chunk = [UInt8](unsafeUninitializedCapacity: capacity) { buf, count in
                do throws(StorageError) {
                    count = try pread(file, into: UnsafeMutableRawBufferPointer(buf), at: start)
                } catch {
                    failure = error
                    count = 0
                }
            }
            if let failure { throw failure }
            if start == 0 { result = chunk } else { result += chunk }
            if chunk.count < capacity { return result }
            capacity = max(capacity, 1 << 16)
        }
    }

    public func fsync(_ file: OpenFile) throws(StorageError) {
        while systemFsync(file.descriptor) != 0 {
            if currentErrno != EINTR {
                throw StorageError.io(operation: "fsync", path: file.path, offset: nil, errno: currentErrno)
            }
        }
    }

    public func fsyncDirectory(_ path: String) throws(StorageError) {
        let fd = systemOpen(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        guard fd >= 0 else {
            throw StorageError.io(operation: "open directory", path: path, offset: nil, errno: currentErrno)
        }
        defer { _ = systemClose(fd) }
        while systemFsync(fd) != 0 {
            if currentErrno != EINTR {
                throw StorageError.io(operation: "fsync directory", path: path, offset: nil, errno: currentErrno)
            }
        }
    }

    public func rename(_ from: String, to: String) throws(StorageError) {
        guard systemRename(from, to) == 0 else {
            throw StorageError.io(operation: "rename to \(to)", path: from, offset: nil, errno: currentErrno)
        }
    }

    public func unlink(_ path: String) throws(StorageError) {
        guard systemUnlink(path) == 0 else {
            throw StorageError.io(operation: "unlink", path: path, offset: nil, errno: currentErrno)
        }
    }

    public func removeDirectory(_ path: String) throws(StorageError) {
        guard systemRmdir(path) == 0 else {
            throw StorageError.io(operation: "rmdir", path: path, offset: nil, errno: currentErrno)
        }
    }

    public func createDirectory(_ path: String) throws(StorageError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if systemMkdir(prefix, 0o755) != 0 {
                let e = currentErrno
                var st = stat()
                guard e == EEXIST, stat(prefix, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
                    throw StorageError.io(
                        operation: "mkdir", path: prefix, offset: nil, errno: e == EEXIST ? ENOTDIR : e)
                }
            }
            prefix += "/"
        }
    }

    public func listDirectory(_ path: String) throws(StorageError) -> [String] {
        guard let dir = opendir(path) else {
            throw StorageError.io(operation: "opendir", path: path, offset: nil, errno: currentErrno)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func fileSize(_ path: String) throws(StorageError) -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw StorageError.io(operation: "stat", path: path, offset: nil, errno: currentErrno)
        }
        return Int(st.st_size)
    }

    public func truncate(_ file: OpenFile, to size: Int) throws(StorageError) {
        while systemFtruncate(file.descriptor, off_t(size)) != 0 {
            if currentErrno != EINTR {
                throw StorageError.io(operation: "ftruncate", path: file.path, offset: size, errno: currentErrno)
            }
        }
    }

    public func tryLockExclusive(_ file: OpenFile) throws(StorageError) -> Bool {
        while systemFlock(file.descriptor, LOCK_EX | LOCK_NB) != 0 {
            let e = currentErrno
            if e == EWOULDBLOCK { return false }
            if e != EINTR { throw StorageError.io(operation: "flock", path: file.path, offset: nil, errno: e) }
        }
        return true
    }

    public func unlock(_ file: OpenFile) {
        while systemFlock(file.descriptor, LOCK_UN) != 0 && currentErrno == EINTR {}
    }
}

// The C functions under names that do not collide with the protocol's methods.
private var currentErrno: Int32 { errno }
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
private func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }
private func systemPwrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int, _ o: off_t) -> Int { pwrite(fd, p, n, o) }
private func systemPread(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int, _ o: off_t) -> Int { pread(fd, p, n, o) }
private func systemFsync(_ fd: Int32) -> Int32 { fsync(fd) }
private func systemRename(_ a: String, _ b: String) -> Int32 { rename(a, b) }
private func systemUnlink(_ p: String) -> Int32 { unlink(p) }
private func systemRmdir(_ p: String) -> Int32 { rmdir(p) }
private func systemMkdir(_ p: String, _ m: mode_t) -> Int32 { mkdir(p, m) }
private func systemFtruncate(_ fd: Int32, _ n: off_t) -> Int32 { ftruncate(fd, n) }
private func systemFlock(_ fd: Int32, _ op: Int32) -> Int32 { flock(fd, op) }
