import StrataEncoding

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole immutable file.
///
/// Segments are never modified after they are published, so the mapping can be shared
/// between threads. The map is released when the last reference goes away.
final class MappedFile: @unchecked Sendable {
    let path: String
    let bytes: UnsafeRawBufferPointer
    private let base: UnsafeMutableRawPointer?

    /// Maps `path`; an empty file maps to an empty buffer.
    init(path: String) throws(MappedFileError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw MappedFileError(path: path, errno: errno, operation: "open") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw MappedFileError(path: path, errno: errno, operation: "stat") }
        let size = Int(st.st_size)
        if size == 0 {
            base = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED else {
            throw MappedFileError(path: path, errno: errno, operation: "mmap")
        }
        base = p
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    deinit {
        if let base { munmap(base, bytes.count) }
    }
}

/// A file could not be opened or mapped.
struct MappedFileError: Error, CustomStringConvertible {
    var path: String
    var errno: Int32
    var operation: String
    var description: String { "\(path): \(operation) failed: \(String(cString: strerror(errno)))" }
}
