/// A bounds-checked little-endian reader over borrowed bytes (a memory-mapped file, a chunk).
///
/// The raw-pointer sibling of `ByteReader`: every read checks the remaining length and throws
/// `FormatError` naming `baseOffset + position` instead of trapping. The caller keeps the
/// memory alive while the reader is used.
@frozen
public struct RawBufferReader {
    public let buffer: UnsafeRawBufferPointer
    public var position: Int
    public let baseOffset: Int

    /// A reader over `buffer` starting at `position`; errors report `baseOffset + position`.
    @inlinable
    public init(_ buffer: UnsafeRawBufferPointer, baseOffset: Int = 0, at position: Int = 0) {
        self.buffer = buffer
        self.position = position
        self.baseOffset = baseOffset
    }

    /// Bytes left to read.
    @inlinable public var remaining: Int { buffer.count &- position }
    /// The current position as a file offset.
    @inlinable public var fileOffset: Int { baseOffset &+ position }

    @inlinable
    public mutating func uint8() throws(FormatError) -> UInt8 {
        guard position < buffer.count else { throw FormatError(.truncated, at: fileOffset, "need 1 byte") }
        defer { position &+= 1 }
        return buffer[position]
    }

    @inlinable
    public mutating func uint32() throws(FormatError) -> UInt32 {
        guard remaining >= 4 else { throw FormatError(.truncated, at: fileOffset, "need 4 bytes") }
        defer { position &+= 4 }
        return UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }

    @inlinable
    public mutating func uint64() throws(FormatError) -> UInt64 {
        guard remaining >= 8 else { throw FormatError(.truncated, at: fileOffset, "need 8 bytes") }
        defer { position &+= 8 }
        return UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }

    @inlinable
    public mutating func varint() throws(FormatError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = position
        while true {
            guard position < buffer.count else {
                throw FormatError(.truncated, at: baseOffset &+ start, "varint runs past the end")
            }
            let b = buffer[position]
            position &+= 1
            if shift == 63 && b > 1 { throw FormatError(.badVarint, at: baseOffset &+ start, "varint overflows 64 bits") }
            result |= UInt64(b & 0x7f) &<< shift
            if b < 0x80 { return result }
            shift &+= 7
            if shift > 63 { throw FormatError(.badVarint, at: baseOffset &+ start, "varint longer than 10 bytes") }
        }
    }

    @inlinable
    public mutating func signedVarint() throws(FormatError) -> Int64 { unzigzag(try varint()) }

    /// A varint that must be at most `limit`.
    @inlinable
    public mutating func count(limit: Int, _ what: String = "count") throws(FormatError) -> Int {
        let at = fileOffset
        let v = try varint()
        guard v <= UInt64(max(0, limit)) else { throw FormatError(.invalid, at: at, "\(what) \(v) exceeds \(limit)") }
        return Int(v)
    }

    /// Reads `n` varints, each at most `limit`, as an array: what `count(limit:)` does `n`
    /// times, with a tight loop for one-byte values (most codes in a block).
    @inlinable
    public mutating func counts(_ n: Int, limit: Int, _ what: StaticString) throws(FormatError) -> [Int] {
        guard n > 0 else { return [] }
        guard n <= remaining, let base = buffer.baseAddress else {
            throw FormatError(.truncated, at: fileOffset, "\(n) \(what)s need at least \(n) bytes")
        }
        var out = [Int](repeating: 0, count: n)
        let end = buffer.count
        let small = Swift.min(limit, 0x7F)
        var i = 0
        while i < n {
            // A run of one-byte values, then one longer varint (or one over the limit, which
            // `count` reports), and on.
            let from = i, start = position
            let run = out.withUnsafeMutableBufferPointer { o -> Int in
                var k = from, pos = start
                while k < n && pos < end {
                    let b = Int(base.load(fromByteOffset: pos, as: UInt8.self))
                    if b > small { break }
                    o[k] = b
                    pos &+= 1
                    k &+= 1
                }
                return k &- from
            }
            position &+= run
            i &+= run
            if i < n {
                out[i] = try count(limit: limit, "\(what)")
                i &+= 1
            }
        }
        return out
    }

    /// The next `n` bytes, which must be present.
    @inlinable
    public mutating func bytes(_ n: Int) throws(FormatError) -> UnsafeRawBufferPointer {
        guard n >= 0, n <= remaining else {
            throw FormatError(.truncated, at: fileOffset, "need \(n) bytes, \(remaining) left")
        }
        defer { position &+= n }
        return UnsafeRawBufferPointer(rebasing: buffer[position..<position &+ n])
    }

    /// Throws unless every byte was read.
    @inlinable
    public func expectEnd(_ what: String) throws(FormatError) {
        guard position == buffer.count else {
            throw FormatError(.invalid, at: fileOffset, "\(buffer.count &- position) trailing bytes after \(what)")
        }
    }

    /// A varint length followed by that many bytes of UTF-8.
    @inlinable
    public mutating func string() throws(FormatError) -> String {
        let n = try count(limit: remaining, "string length")
        return String(decoding: try bytes(n), as: UTF8.self)
    }

    /// The payload of a record `[length varint][payload][crc32c(payload) u32]` starting at `offset`
    /// and ending before `limit`, after checking its checksum.
    @inlinable
    public static func record(in buffer: UnsafeRawBufferPointer, at offset: Int, limit: Int, baseOffset: Int = 0)
        throws(FormatError) -> UnsafeRawBufferPointer
    {
        guard offset >= 0 && offset < limit && limit <= buffer.count else {
            throw FormatError(.invalid, at: baseOffset &+ offset, "record offset outside the data region (limit \(limit))")
        }
        var c = RawBufferReader(UnsafeRawBufferPointer(rebasing: buffer[0..<limit]), baseOffset: baseOffset, at: offset)
        let n = try c.count(limit: limit, "record length")
        let start = c.position
        guard start &+ n &+ 4 <= limit else {
            throw FormatError(.truncated, at: baseOffset &+ offset, "record of \(n) bytes runs past offset \(limit)")
        }
        let payload = UnsafeRawBufferPointer(rebasing: buffer[start..<start &+ n])
        let stored = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: start &+ n, as: UInt32.self))
        guard stored == CRC32C.checksum(payload) else {
            throw FormatError(.checksumMismatch, at: baseOffset &+ offset, "record checksum mismatch")
        }
        return payload
    }
}
