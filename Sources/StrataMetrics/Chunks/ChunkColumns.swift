import StrataEncoding

/// How a chunk's timestamp column is coded; the raw value is the column's first byte on disk.
public enum TimestampEncoding: UInt8, Sendable, CaseIterable {
    /// Every interval equal: first timestamp and step only.
    case regular = 1
    /// Offsets from the line `start + i * step` (scrapes with jitter), packed as an integer column.
    case grid = 2
    /// Deltas of deltas (irregular timestamps), packed as an integer column.
    case deltaOfDelta = 3
}

/// How a chunk's value column is coded; the raw value is the column's first byte on disk.
public enum ValueEncoding: UInt8, Sendable, CaseIterable {
    /// Raw little-endian Float64 bit patterns (random floats).
    case raw = 0
    /// Every value has the same bit pattern: stored once.
    case constant = 1
    /// Gorilla XOR, as Prometheus codes values; any bit pattern.
    case gorilla = 2
    /// Short decimals as integer mantissas with a scale, a common factor, and delta coding.
    case decimal = 3
}

/// Encodes and decodes the two columns of a metric chunk: timestamps and values, separately.
///
/// Each column is self-describing: an encoding byte, the sample count, and a payload. The
/// encoder picks the smallest encoding for the data it is given; the decoder accepts any of
/// them. Timestamp columns are byte-for-byte equal whenever the timestamps are equal, so a
/// block writer can store the column of a scrape target once for all of its series.
///
/// Decoders never trap and never allocate more than `maxSamples` elements: garbage throws
/// `FormatError` with a file offset (`baseOffset` plus the position in `bytes`). On error
/// nothing is appended.
///
/// ```swift
/// let tsBytes = ts.withUnsafeBufferPointer { ChunkColumns.encodeTimestamps($0) }
/// let vBytes = vs.withUnsafeBufferPointer { ChunkColumns.encodeValues($0) }
/// var ts2: [Int64] = [], vs2: [Double] = []
/// try tsBytes.withUnsafeBytes { b throws(FormatError) in try ChunkColumns.decodeTimestamps(b, into: &ts2) }
/// try vBytes.withUnsafeBytes { b throws(FormatError) in try ChunkColumns.decodeValues(b, into: &vs2) }
/// ```
public enum ChunkColumns {
    /// The largest sample count of one chunk column (encoders require it, decoders enforce it).
    public static let maxSamples = 1 << 17

    /// Appends the timestamp column of `ts` to `out`.
    ///
    /// Any Int64 sequence round-trips (arithmetic wraps); strictly increasing ones pack best.
    /// - Precondition: `ts.count <= maxSamples`.
    public static func encodeTimestamps(_ ts: UnsafeBufferPointer<Int64>, into out: inout ByteWriter) {
        precondition(ts.count <= maxSamples, "chunk of \(ts.count) samples exceeds \(maxSamples)")
        TimestampColumn.encode(ts, into: &out)
    }

    /// The timestamp column of `ts`; see `encodeTimestamps(_:into:)`.
    public static func encodeTimestamps(_ ts: UnsafeBufferPointer<Int64>) -> [UInt8] {
        var w = ByteWriter(capacity: 16)
        encodeTimestamps(ts, into: &w)
        return w.bytes
    }

    /// Appends the value column of `vs` to `out`; every bit pattern round-trips.
    ///
    /// - Precondition: `vs.count <= maxSamples`.
    public static func encodeValues(_ vs: UnsafeBufferPointer<Double>, into out: inout ByteWriter) {
        precondition(vs.count <= maxSamples, "chunk of \(vs.count) samples exceeds \(maxSamples)")
        let n = vs.count
        if n == 0 {
            out.appendUInt8(ValueEncoding.raw.rawValue)
            out.appendVarint(0)
            return
        }
        let first = vs[0].bitPattern
        if vs.allSatisfy({ $0.bitPattern == first }) {
            out.appendUInt8(ValueEncoding.constant.rawValue)
            out.appendVarint(UInt64(n))
            out.appendUInt64(first)
            return
        }
        var decimal = ByteWriter(capacity: n * 2)
        if DecimalValues.encode(vs, into: &decimal), decimal.count <= n * 2 {
            out.append(contentsOf: decimal.bytes)
            return
        }
        var bits = BitWriter(capacity: n * 4)
        XORValues.encode(vs, into: &bits)
        let best = min(decimal.count == 0 ? Int.max : decimal.count, bits.byteCount + 4, n * 8 + 4)
        if best == decimal.count {
            out.append(contentsOf: decimal.bytes)
        } else if best == bits.byteCount + 4 {
            out.appendUInt8(ValueEncoding.gorilla.rawValue)
            out.appendVarint(UInt64(n))
            bits.append(to: &out)
        } else {
            out.appendUInt8(ValueEncoding.raw.rawValue)
            out.appendVarint(UInt64(n))
            for v in vs { out.appendFloat64(v) }
        }
    }

    /// The value column of `vs`; see `encodeValues(_:into:)`.
    public static func encodeValues(_ vs: UnsafeBufferPointer<Double>) -> [UInt8] {
        var w = ByteWriter(capacity: vs.count + 16)
        encodeValues(vs, into: &w)
        return w.bytes
    }

    /// Decodes a whole timestamp column and appends its timestamps to `out`.
    ///
    /// - Parameters:
    ///   - bytes: Exactly one column, nothing before or after it.
    ///   - baseOffset: The file offset of `bytes`, for errors.
    /// - Throws: `FormatError` for an unknown encoding, a count over `maxSamples`, a short or
    ///   malformed payload, or trailing bytes.
    public static func decodeTimestamps(
        _ bytes: UnsafeRawBufferPointer, baseOffset: Int = 0, into out: inout [Int64]
    ) throws(FormatError) {
        try TimestampColumn.decode(bytes, baseOffset: baseOffset, into: &out)
    }

    /// Decodes a whole value column and appends its values to `out`.
    ///
    /// - Parameters:
    ///   - bytes: Exactly one column, nothing before or after it.
    ///   - baseOffset: The file offset of `bytes`, for errors.
    /// - Throws: `FormatError` for an unknown encoding, a count over `maxSamples`, a short or
    ///   malformed payload, or trailing bytes.
    public static func decodeValues(
        _ bytes: UnsafeRawBufferPointer, baseOffset: Int = 0, into out: inout [Double]
    ) throws(FormatError) {
        var c = RawBufferReader(bytes, baseOffset: baseOffset)
        let tag = try c.uint8()
        guard let encoding = ValueEncoding(rawValue: tag) else {
            throw FormatError(.invalid, at: baseOffset, "unknown value encoding \(tag)")
        }
        let n = try c.count(limit: maxSamples, "sample count")
        if n == 0 {
            try c.expectEnd("an empty value column")
            return
        }
        switch encoding {
        case .raw:
            let payload = try c.bytes(n * 8)
            try c.expectEnd("a raw value column")
            try out.appendDecoded(n, zero: 0) { dst throws(FormatError) in
                for i in 0..<n {
                    dst[i] = Double(bitPattern: UInt64(littleEndian: payload.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))
                }
            }
        case .constant:
            let v = Double(bitPattern: try c.uint64())
            try c.expectEnd("a constant value column")
            out.append(contentsOf: repeatElement(v, count: n))
        case .gorilla:
            // Every value after the first takes at least one bit.
            guard 64 + (n - 1) <= c.remaining * 8 else {
                throw FormatError(.truncated, at: c.fileOffset, "\(n) XOR values cannot fit \(c.remaining) bytes")
            }
            let stream = try c.bytes(c.remaining)
            var r = BitReader(stream, baseOffset: c.fileOffset - stream.count)
            try out.appendDecoded(n, zero: 0) { dst throws(FormatError) in
                try XORValues.decode(&r, count: n, into: dst, at: baseOffset)
            }
            guard r.bitsRemaining < 8 else {
                out.removeLast(n)
                throw FormatError(.invalid, at: c.fileOffset - r.bitsRemaining / 8, "trailing bytes after XOR values")
            }
        case .decimal:
            try out.appendDecoded(n, zero: 0) { dst throws(FormatError) in
                try DecimalValues.decode(&c, count: n, into: dst)
                try c.expectEnd("a decimal value column")
            }
        }
    }

    /// The encoding named by a value column's first byte, or nil if there is none or it is unknown.
    public static func valueEncoding(of bytes: UnsafeRawBufferPointer) -> ValueEncoding? {
        bytes.first.flatMap { ValueEncoding(rawValue: $0) }
    }

    /// The encoding named by a timestamp column's first byte, or nil if there is none or it is unknown.
    public static func timestampEncoding(of bytes: UnsafeRawBufferPointer) -> TimestampEncoding? {
        bytes.first.flatMap { TimestampEncoding(rawValue: $0) }
    }
}
