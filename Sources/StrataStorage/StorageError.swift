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

    /// The `errno` of a failed system call, nil for other cases.
    public var errno: Int32? {
        if case .io(_, _, _, let e) = self { return e }
        return nil
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
