/// An append-only little-endian byte buffer.
///
/// All multi-byte integers in Strata's files are little-endian. Varints are unsigned
/// LEB128 (7 bits per byte, low groups first, at most 10 bytes for 64 bits); signed
/// values are zigzag-mapped first (see `zigzag(_:)`).
///
/// ```swift
/// var w = ByteWriter()
/// w.appendUInt32(0x5354_5241)
/// w.appendVarint(300)
/// let bytes = w.bytes
/// ```
@frozen
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public var bytes: [UInt8]

    /// Creates an empty writer, reserving `capacity` bytes.
    @inlinable
    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Number of bytes written so far.
    @inlinable public var count: Int { bytes.count }

    @inlinable
    public mutating func appendUInt8(_ v: UInt8) { bytes.append(v) }

    @inlinable
    public mutating func appendUInt16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v &>> 8))
    }

    @inlinable
    public mutating func appendUInt32(_ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inlinable
    public mutating func appendUInt64(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inlinable
    public mutating func appendInt64(_ v: Int64) { appendUInt64(UInt64(bitPattern: v)) }

    /// Appends the IEEE-754 bit pattern of `v`, so NaN payloads survive.
    @inlinable
    public mutating func appendFloat64(_ v: Double) { appendUInt64(v.bitPattern) }

    /// Appends an unsigned LEB128 varint.
    @inlinable
    public mutating func appendVarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v &>>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    /// Appends a zigzag-mapped signed varint.
    @inlinable
    public mutating func appendSignedVarint(_ v: Int64) { appendVarint(zigzag(v)) }

    /// Appends raw bytes.
    @inlinable
    public mutating func append<S: Sequence>(contentsOf s: S) where S.Element == UInt8 {
        bytes.append(contentsOf: s)
    }

    /// Appends a varint length followed by the UTF-8 bytes of `s`.
    @inlinable
    public mutating func appendLengthPrefixed(_ s: String) {
        var s = s
        s.withUTF8 { u in
            appendVarint(UInt64(u.count))
            bytes.append(contentsOf: u)
        }
    }

    /// Appends a varint length followed by `b`.
    @inlinable
    public mutating func appendLengthPrefixed(bytes b: [UInt8]) {
        appendVarint(UInt64(b.count))
        bytes.append(contentsOf: b)
    }

    /// Overwrites four bytes at `offset` with `v` (little-endian); used to patch lengths.
    @inlinable
    public mutating func setUInt32(_ v: UInt32, at offset: Int) {
        precondition(offset >= 0 && offset + 4 <= bytes.count, "setUInt32 out of range")
        let le = v.littleEndian
        withUnsafeBytes(of: le) { src in
            for i in 0..<4 { bytes[offset + i] = src[i] }
        }
    }

    /// Appends the CRC32C of `bytes[from...]` as a little-endian UInt32.
    @inlinable
    public mutating func appendCRC32C(from start: Int = 0) {
        let c = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        appendUInt32(c)
    }
}

/// Maps a signed integer to an unsigned one so that small magnitudes stay small
/// (0, -1, 1, -2 → 0, 1, 2, 3).
@inlinable @inline(__always)
public func zigzag(_ v: Int64) -> UInt64 {
    UInt64(bitPattern: (v &<< 1) ^ (v &>> 63))
}

/// Inverse of `zigzag(_:)`.
@inlinable @inline(__always)
public func unzigzag(_ v: UInt64) -> Int64 {
    Int64(bitPattern: v &>> 1) ^ -Int64(bitPattern: v & 1)
}
