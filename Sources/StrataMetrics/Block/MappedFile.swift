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

/// Bounds-checked reads over a raw buffer, for decoding mapped files.
struct RawCursor {
    let buffer: UnsafeRawBufferPointer
    var position: Int

    init(_ buffer: UnsafeRawBufferPointer, at position: Int = 0) {
        self.buffer = buffer
        self.position = position
    }

    mutating func varint() throws(FormatError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = position
        while true {
            guard position < buffer.count else { throw FormatError(.truncated, at: start, "varint runs past the end") }
            let b = buffer[position]
            position += 1
            if shift == 63 && b > 1 { throw FormatError(.badVarint, at: start, "varint overflows 64 bits") }
            result |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { throw FormatError(.badVarint, at: start, "varint longer than 10 bytes") }
        }
    }

    mutating func count(limit: Int) throws(FormatError) -> Int {
        let at = position
        let v = try varint()
        guard v <= UInt64(limit) else { throw FormatError(.invalid, at: at, "count \(v) exceeds \(limit)") }
        return Int(v)
    }

    mutating func signedVarint() throws(FormatError) -> Int64 { unzigzag(try varint()) }

    mutating func uint32() throws(FormatError) -> UInt32 {
        guard position + 4 <= buffer.count else { throw FormatError(.truncated, at: position, "need 4 bytes") }
        defer { position += 4 }
        return buffer.loadUnaligned(fromByteOffset: position, as: UInt32.self).littleEndian
    }

    mutating func uint64() throws(FormatError) -> UInt64 {
        guard position + 8 <= buffer.count else { throw FormatError(.truncated, at: position, "need 8 bytes") }
        defer { position += 8 }
        return buffer.loadUnaligned(fromByteOffset: position, as: UInt64.self).littleEndian
    }

    mutating func string() throws(FormatError) -> String {
        let n = try count(limit: buffer.count - position)
        defer { position += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[position..<position + n]), as: UTF8.self)
    }

    /// A `[length varint][payload][crc32c]` record at `offset`: checks the checksum and returns the payload.
    static func record(in buffer: UnsafeRawBufferPointer, at offset: Int, limit: Int) throws(FormatError)
        -> UnsafeRawBufferPointer
    {
        guard offset >= 0 && offset < limit else {
            throw FormatError(.invalid, at: offset, "record offset outside the data region (limit \(limit))")
        }
        var c = RawCursor(UnsafeRawBufferPointer(rebasing: buffer[0..<limit]), at: offset)
        let n = try c.count(limit: limit)
        let start = c.position
        guard start + n + 4 <= limit else {
            throw FormatError(.truncated, at: offset, "record of \(n) bytes runs past offset \(limit)")
        }
        let payload = UnsafeRawBufferPointer(rebasing: buffer[start..<start + n])
        let stored = buffer.loadUnaligned(fromByteOffset: start + n, as: UInt32.self).littleEndian
        let actual = CRC32C.checksum(payload)
        guard stored == actual else {
            throw FormatError(.checksumMismatch, at: offset, "record checksum mismatch")
        }
        return payload
    }
}
