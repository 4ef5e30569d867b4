import StrataEncoding

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A storage operation failed: a system call, a corrupt file, or a held lock.
///
/// Every case names the file it is about, so the one-line `description` can be shown
/// to an operator as is:
///
/// ```
/// fsync of /db/metrics/wal/00000003.wal failed: Input/output error (errno 5)
/// corrupt file /db/metrics/MANIFEST at offset 40: checksum mismatch: stored 0x..., computed 0x...
/// database /db is locked by another process (pid 1234)
/// ```
public enum StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A system call on `path` failed with `errno`; `offset` is the file offset for positional I/O.
    case io(operation: String, path: String, offset: Int?, errno: Int32)
    /// The bytes of `path` at `offset` are not valid (see `init(path:_:)` for decoder errors).
    case corrupt(path: String, offset: Int, detail: String)
    /// The directory `path` is locked by the process `pid` (nil when the lock file did not say).
    case locked(path: String, pid: Int32?)
    /// The object cannot do what was asked: it failed earlier, was closed, or the request contradicts its state.
    case invalidState(path: String, detail: String)

    /// Wraps a decoder error found in the file `path`.
    public init(path: String, _ error: FormatError) {
        self = .corrupt(path: path, offset: error.offset, detail: error.explanation)
    }

    /// The file or directory the error is about.
    public var path: String {
        switch self {
        case .io(_, let path, _, _), .corrupt(let path, _, _), .locked(let path, _), .invalidState(let path, _):
            return path
        }
    }

    /// The file offset the error is about, when there is one (corrupt bytes, positional I/O).
    public var offset: Int? {
        switch self {
        case .io(_, _, let offset, _): return offset
        case .corrupt(_, let offset, _): return offset
        case .locked, .invalidState: return nil
        }
    }

    /// What is wrong, without the path and offset ("checksum mismatch", "Input/output error (errno 5)").
    public var detail: String {
        switch self {
        case .io(let operation, _, _, let e): return "\(operation) failed: \(String(cString: strerror(e))) (errno \(e))"
        case .corrupt(_, _, let detail), .invalidState(_, let detail): return detail
        case .locked(_, let pid): return "locked by another process (pid \(pid.map(String.init) ?? "unknown"))"
        }
    }

    /// The `errno` of a failed system call, nil for other cases.
    public var errno: Int32? {
        if case .io(_, _, _, let e) = self { return e }
        return nil
    }

    /// True when another process (or handle) holds the database lock.
    public var isLocked: Bool {
        if case .locked = self { return true }
        return false
    }

    /// True when a system call failed because the file does not exist.
    public var isNotFound: Bool { errno == ENOENT }

    public var description: String {
        switch self {
        case .io(let operation, let path, let offset, let e):
            let at = offset.map { " at offset \($0)" } ?? ""
            return "\(operation) of \(path)\(at) failed: \(String(cString: strerror(e))) (errno \(e))"
        case .corrupt(let path, let offset, let detail):
            return "corrupt file \(path) at offset \(offset): \(detail)"
        case .locked(let path, let pid):
            guard let pid else { return "database \(path) is locked by another process (pid unknown)" }
            if pid == getpid() {
                return "database \(path) is locked by another handle in this process (pid \(pid))"
            }
            return "database \(path) is locked by another process (pid \(pid))"
        case .invalidState(let path, let detail):
            return "\(path): \(detail)"
        }
    }
}

extension StorageError {
    /// `error` as a `StorageError`: itself, a decoder's `FormatError` found in `path`, or any other
    /// error (a replay callback's) as an invalid state of `path` with its description.
    package init(_ error: any Error, path: String) {
        switch error {
        case let e as StorageError: self = e
        case let e as FormatError: self.init(path: path, e)
        default: self = .invalidState(path: path, detail: "\(error)")
        }
    }
}

extension StorageError {
    /// A full disk (ENOSPC, EDQUOT) said with the space the segment being written needed; any
    /// other error as it is.
    package func withSpaceNeeded(_ needed: Int) -> StorageError {
        guard case .io(let operation, let path, let offset, let e) = self, e == ENOSPC || e == EDQUOT else { return self }
        return .invalidState(
            path: path,
            detail: "\(operation) failed at offset \(offset.map(String.init) ?? "-"): no space left on the device; "
                + "the segment being written needed \(needed) bytes free (errno \(e)); nothing was published")
    }
}
