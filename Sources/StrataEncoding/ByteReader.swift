/// A bounds-checked little-endian reader over a byte array.
///
/// Every read checks the remaining length first and throws `FormatError` with the
/// offset instead of trapping, so a reader can be pointed at any bytes from disk.
/// `offset` counts from the start of `bytes` (plus `baseOffset`, so that errors
/// can report file offsets when the array is a slice of a file).
@frozen
public struct ByteReader: Sendable {
    /// The bytes being read.
    public let bytes: [UInt8]
    /// The current read position in `bytes`.
    public var position: Int
    /// Where the end of the readable range is (exclusive).
    public let end: Int
    /// Added to positions in errors so they name file offsets.
    public let baseOffset: Int

    /// Creates a reader over `bytes[range]`; errors report `baseOffset + position`.
    @inlinable
    public init(_ bytes: [UInt8], range: Range<Int>? = nil, baseOffset: Int = 0) {
        self.bytes = bytes
        let r = range ?? 0..<bytes.count
        self.position = max(0, min(r.lowerBound, bytes.count))
        self.end = max(self.position, min(r.upperBound, bytes.count))
        self.baseOffset = baseOffset
    }

    /// Bytes left to read.
    @inlinable public var remaining: Int { end - position }
    /// True when every byte has been read.
    @inlinable public var isAtEnd: Bool { position >= end }
    /// The current position as a file offset, for error messages.
    @inlinable public var fileOffset: Int { baseOffset + position }

    @inlinable
    func need(_ n: Int) throws(FormatError) {
        if n < 0 || n > end - position {
            throw FormatError(.truncated, at: baseOffset + position, "need \(n) bytes, \(end - position) left")
        }
    }

    @inlinable
    public mutating func readUInt8() throws(FormatError) -> UInt8 {
        try need(1)
        defer { position += 1 }
        return bytes[position]
    }

    @inlinable
    public mutating func readUInt16() throws(FormatError) -> UInt16 {
        try need(2)
        defer { position += 2 }
        return UInt16(bytes[position]) | UInt16(bytes[position + 1]) << 8
    }

    @inlinable
    public mutating func readUInt32() throws(FormatError) -> UInt32 {
        try need(4)
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[position + i]) << (8 * UInt32(i)) }
        position += 4
        return v
    }

    @inlinable
    public mutating func readUInt64() throws(FormatError) -> UInt64 {
        try need(8)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += 8
        return v
    }

    @inlinable
    public mutating func readInt64() throws(FormatError) -> Int64 { Int64(bitPattern: try readUInt64()) }

    @inlinable
    public mutating func readFloat64() throws(FormatError) -> Double { Double(bitPattern: try readUInt64()) }

    /// Reads an unsigned LEB128 varint of at most 10 bytes.
    @inlinable
    public mutating func readVarint() throws(FormatError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = position
        while true {
            guard position < end else {
                throw FormatError(.truncated, at: baseOffset + start, "varint runs past the end")
            }
            let b = bytes[position]
            position += 1
            if shift == 63 && b > 1 {
                throw FormatError(.badVarint, at: baseOffset + start, "varint overflows 64 bits")
            }
            result |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 {
                throw FormatError(.badVarint, at: baseOffset + start, "varint longer than 10 bytes")
            }
        }
    }

    /// Reads a zigzag-mapped signed varint.
    @inlinable
    public mutating func readSignedVarint() throws(FormatError) -> Int64 { unzigzag(try readVarint()) }

    /// Reads a varint that must fit `Int` and be at most `limit` (for lengths and counts).
    @inlinable
    public mutating func readLength(limit: Int) throws(FormatError) -> Int {
        let at = fileOffset
        let v = try readVarint()
        guard limit >= 0, v <= UInt64(limit) else {
            throw FormatError(.invalid, at: at, "length \(v) exceeds limit \(limit)")
        }
        return Int(v)
    }

    /// Reads `n` raw bytes.
    @inlinable
    public mutating func readBytes(_ n: Int) throws(FormatError) -> ArraySlice<UInt8> {
        try need(n)
        defer { position += n }
        return bytes[position..<position + n]
    }

    /// Skips `n` bytes.
    @inlinable
    public mutating func skip(_ n: Int) throws(FormatError) {
        try need(n)
        position += n
    }

    /// Reads a varint length followed by that many bytes of UTF-8.
    ///
    /// A length longer than the bytes left is reported as `.truncated`.
    @inlinable
    public mutating func readLengthPrefixedString() throws(FormatError) -> String {
        let at = fileOffset
        let n = try readVarint()
        guard n <= UInt64(remaining) else {
            throw FormatError(.truncated, at: at, "string of \(n) bytes, \(remaining) left")
        }
        let s = try readBytes(Int(n))
        return String(decoding: s, as: UTF8.self)
    }

    /// Reads a little-endian UInt32 and checks it against the CRC32C of `bytes[from..<position-before]`.
    @inlinable
    public mutating func verifyCRC32C(from start: Int) throws(FormatError) {
        let covered = position
        guard start >= 0, start <= covered else {
            throw FormatError(.invalid, at: baseOffset + covered, "checksum range starts at \(start), after \(covered)")
        }
        let stored = try readUInt32()
        let actual = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<covered])) }
        if stored != actual {
            throw FormatError(
                .checksumMismatch, at: baseOffset + covered,
                "stored \(hex(stored)), computed \(hex(actual)) over bytes \(baseOffset + start)..<\(baseOffset + covered)")
        }
    }
}

@usableFromInline
func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}
