import StrataEncoding

/// The bytes of write-ahead log segments (Docs/format/wal.md).
///
/// ```
/// segment = header record*
/// header  = "SWAL" (4) | version u8 | reserved 3 bytes (0) | segment index u32 LE     12 bytes
/// record  = payload length u32 LE | CRC32C(type, payload) u32 LE | type u8 | payload
/// ```
enum WALFormat {
    /// "SWAL" as it appears on disk, read as a little-endian UInt32.
    static let magic: UInt32 = 0x4C41_5753
    /// The version this build writes and the newest it reads.
    static let version: UInt8 = 1
    static let segmentHeaderSize = 12
    static let recordHeaderSize = 9
    /// The largest payload a record may carry (1 GiB).
    static let maxPayload = 1 << 30

    static func segmentHeader(index: UInt32) -> [UInt8] {
        var w = ByteWriter(capacity: segmentHeaderSize)
        w.appendUInt32(magic)
        w.appendUInt8(version)
        w.append(contentsOf: [0, 0, 0])
        w.appendUInt32(index)
        return w.bytes
    }

    /// Checks a segment header; errors have offsets within the segment.
    static func checkHeader(_ bytes: UnsafeRawBufferPointer, index: UInt32) throws(FormatError) {
        guard bytes.count >= segmentHeaderSize else {
            throw FormatError(
                .truncated, at: 0, "segment header needs \(segmentHeaderSize) bytes, file has \(bytes.count)")
        }
        let magic = UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self))
        guard magic == Self.magic else {
            throw FormatError(
                .badMagic, at: 0, "expected \"SWAL\" (\(hexString(Self.magic))), found \(hexString(magic))")
        }
        let version = bytes[4]
        guard version >= 1 else { throw FormatError(.invalid, at: 4, "version 0 is not a WAL version") }
        guard version <= Self.version else {
            throw FormatError(
                .unsupportedVersion, at: 4, "WAL version \(version), this build reads up to \(Self.version)")
        }
        let stored = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard stored == index else {
            throw FormatError(.invalid, at: 8, "header says segment \(stored), file name says \(index)")
        }
    }

    /// The outcome of scanning one segment.
    struct Scan {
        /// The offset just past the last good record (0 if the header is bad).
        var end: Int
        /// How many good records were passed to the body.
        var records: Int
        /// Why the scan stopped before the end of the bytes, if it did.
        var error: FormatError?
    }

    /// Verifies the header and every record of a segment, passing good records to `body` in order.
    ///
    /// Stops at the first bad byte; everything before it was delivered. Errors thrown by `body`
    /// propagate unchanged.
    static func scan(
        _ bytes: UnsafeRawBufferPointer, index: UInt32, _ body: (UInt8, UnsafeRawBufferPointer) throws -> Void
    ) rethrows -> Scan {
        do {
            try checkHeader(bytes, index: index)
        } catch {
            return Scan(end: 0, records: 0, error: error)
        }
        guard let base = bytes.baseAddress else { return Scan(end: 0, records: 0, error: nil) }
        let n = bytes.count
        var pos = segmentHeaderSize
        var records = 0
        while pos < n {
            guard n - pos >= recordHeaderSize else {
                return Scan(
                    end: pos, records: records,
                    error: FormatError(
                        .truncated, at: pos, "record header needs \(recordHeaderSize) bytes, \(n - pos) left"))
            }
            let length = Int(UInt32(littleEndian: (base + pos).loadUnaligned(as: UInt32.self)))
            let stored = UInt32(littleEndian: (base + pos + 4).loadUnaligned(as: UInt32.self))
            guard length <= n - pos - recordHeaderSize else {
                return Scan(
                    end: pos, records: records,
                    error: FormatError(
                        .truncated, at: pos, "record of \(length) bytes, \(n - pos - recordHeaderSize) left in the file"
                    ))
            }
            let covered = UnsafeRawBufferPointer(start: base + pos + 8, count: 1 + length)
            let actual = CRC32C.checksum(covered)
            guard actual == stored else {
                return Scan(
                    end: pos, records: records,
                    error: FormatError(
                        .checksumMismatch, at: pos,
                        "record of \(length) bytes: stored \(hexString(stored)), computed \(hexString(actual))"))
            }
            let type = covered[0]
            guard type != 0 else {
                return Scan(end: pos, records: records, error: FormatError(.invalid, at: pos + 8, "record type 0"))
            }
            try body(type, UnsafeRawBufferPointer(start: base + pos + recordHeaderSize, count: length))
            records += 1
            pos += recordHeaderSize + length
        }
        return Scan(end: pos, records: records, error: nil)
    }
}

func hexString(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}
