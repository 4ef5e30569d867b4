#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A read-only memory map of a whole immutable file: how every store reads its published
/// segments (metric blocks, log segments, span segments).
///
/// Published files are never modified, so one mapping can be shared between threads. The map
/// is released when the last reference goes away, which is what lets a reader keep a retired
/// segment readable until it lets go. Obtain one through `FileSystem.map(_:)`, so tests can
/// inject a failure.
///
/// ```swift
/// let file = try fs.map("/db/logs/000001.logs")
/// let magic = file.bytes.prefix(8)
/// ```
public final class MappedFile: @unchecked Sendable {
    /// The path the file was mapped from (for error messages).
    public let path: String
    /// The file's bytes; empty for an empty file.
    public let bytes: UnsafeRawBufferPointer
    private let base: UnsafeMutableRawPointer?

    /// Maps `path` read-only; an empty file maps to an empty buffer.
    /// - Throws: `StorageError.io` naming the failed call (open, fstat or mmap) and the path.
    public init(path: String) throws(StorageError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError.io(operation: "open", path: path, offset: nil, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StorageError.io(operation: "fstat", path: path, offset: nil, errno: errno) }
        let size = Int(st.st_size)
        if size == 0 {
            base = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED else {
            throw StorageError.io(operation: "mmap", path: path, offset: nil, errno: errno)
        }
        base = p
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    /// The bytes `offset ..< offset + count`, or a `StorageError.corrupt` naming the file and
    /// the offset at which it ends when the range runs past it.
    public func bytes(at offset: Int, count: Int) throws(StorageError) -> UnsafeRawBufferPointer {
        guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else {
            throw StorageError.corrupt(
                path: path, offset: min(max(offset, 0), bytes.count),
                detail: "file of \(bytes.count) bytes ends inside a section of \(count) bytes at offset \(offset)")
        }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    deinit {
        if let base { munmap(base, bytes.count) }
    }
}
