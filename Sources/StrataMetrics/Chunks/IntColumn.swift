import StrataEncoding

/// How a column of zigzag-mapped residuals is packed; the raw value is the packing byte on disk.
@usableFromInline
enum IntPacking: UInt8 {
    /// Blocks of 128 values, each with its own bit width.
    case bitPacked = 0
    /// Unsigned LEB128 varints, then one zstd frame.
    case zstdVarints = 1
    /// Fixed-width little-endian values split into byte planes (all low bytes first), then one zstd frame.
    case zstdBytePlanes = 2
}

/// Packs and unpacks columns of small unsigned integers (zigzag-mapped residuals).
///
/// The encoder tries bit packing always and the zstd packings when the column is long enough,
/// and keeps the smallest. See Docs/format/metric-chunks.md § Integer columns.
@usableFromInline
enum IntColumn {
    @usableFromInline static let blockSize = 128
    /// The zstd level for residual columns: measured, higher levels gain under 2% here.
    @usableFromInline static let zstdLevel: Int32 = 1
    /// Columns shorter than this are only bit-packed (zstd's 9+ byte frame overhead does not pay).
    @usableFromInline static let zstdMinimumCount = 32
    /// A zstd packing must be this many percent smaller than bit-packing to be chosen: bit-packed
    /// columns decode about twice as fast (346 vs 157 M values/s measured), so a small saving is
    /// not worth the decode time.
    @usableFromInline static let zstdMinimumSavingPercent = 8

    @inlinable @inline(__always)
    static func width(_ v: UInt64) -> Int { 64 &- v.leadingZeroBitCount }

    /// Bits a bit-packed column would take (a cost estimate).
    static func bitPackedBits(_ zz: UnsafeBufferPointer<UInt64>) -> Int {
        var total = 0
        var i = 0
        while i < zz.count {
            let end = min(i + blockSize, zz.count)
            var acc: UInt64 = 0
            for j in i..<end { acc |= zz[j] }
            total += 8 + width(acc) * (end - i)
            i = end
        }
        return total
    }

    /// Appends the packing byte and the packed column; `count` is stored by the caller.
    static func encode(_ zz: UnsafeBufferPointer<UInt64>, into out: inout ByteWriter, packings: Set<IntPacking>? = nil) {
        var best = ByteWriter(capacity: zz.count * 2 + 16)
        encodeBitPacked(zz, into: &best)
        let bitPackedSize = best.count
        var zstdBest: ByteWriter? = nil
        defer {
            if let z = zstdBest, z.count * 100 <= bitPackedSize * (100 - zstdMinimumSavingPercent) { best = z }
            out.append(contentsOf: best.bytes)
        }
        if zz.count >= zstdMinimumCount && best.count > 24 {
            let allowed = packings ?? [.zstdVarints, .zstdBytePlanes]
            if allowed.contains(.zstdVarints) {
                var w = ByteWriter(capacity: best.count)
                encodeZstdVarints(zz, into: &w)
                if w.count < (zstdBest?.count ?? Int.max) { zstdBest = w }
            }
            if allowed.contains(.zstdBytePlanes) {
                var w = ByteWriter(capacity: best.count)
                encodeZstdBytePlanes(zz, into: &w)
                if w.count < (zstdBest?.count ?? Int.max) { zstdBest = w }
            }
        }
    }

    static func encodeBitPacked(_ zz: UnsafeBufferPointer<UInt64>, into out: inout ByteWriter) {
        out.appendUInt8(IntPacking.bitPacked.rawValue)
        var widths: [Int] = []
        widths.reserveCapacity(zz.count / blockSize + 1)
        var i = 0
        while i < zz.count {
            let end = min(i + blockSize, zz.count)
            var acc: UInt64 = 0
            for j in i..<end { acc |= zz[j] }
            widths.append(width(acc))
            i = end
        }
        for w in widths { out.appendUInt8(UInt8(w)) }
        var bits = BitWriter(capacity: bitPackedBits(zz) / 8 + 8)
        for (b, w) in widths.enumerated() {
            let start = b * blockSize
            for j in start..<min(start + blockSize, zz.count) { bits.write(zz[j], bits: w) }
        }
        bits.append(to: &out)
    }

    static func encodeZstdVarints(_ zz: UnsafeBufferPointer<UInt64>, into out: inout ByteWriter) {
        var raw = ByteWriter(capacity: zz.count * 2)
        for v in zz { raw.appendVarint(v) }
        let packed = BlockCompression.compress(raw.bytes, codec: .zstd, level: zstdLevel)
        out.appendUInt8(IntPacking.zstdVarints.rawValue)
        out.appendVarint(UInt64(raw.count))
        out.appendVarint(UInt64(packed.count))
        out.append(contentsOf: packed)
    }

    static func encodeZstdBytePlanes(_ zz: UnsafeBufferPointer<UInt64>, into out: inout ByteWriter) {
        var acc: UInt64 = 0
        for v in zz { acc |= v }
        let planes = max(1, (width(acc) + 7) / 8)
        let n = zz.count
        let raw = [UInt8](unsafeUninitializedCapacity: n * planes) { buf, initialized in
            for p in 0..<planes {
                let shift = UInt64(p * 8)
                let base = p * n
                for i in 0..<n { buf[base + i] = UInt8(truncatingIfNeeded: zz[i] &>> shift) }
            }
            initialized = n * planes
        }
        let packed = BlockCompression.compress(raw, codec: .zstd, level: zstdLevel)
        out.appendUInt8(IntPacking.zstdBytePlanes.rawValue)
        out.appendUInt8(UInt8(planes))
        out.appendVarint(UInt64(packed.count))
        out.append(contentsOf: packed)
    }

    /// Reads a packed column of exactly `count` values into `dst`.
    static func decode(
        _ c: inout RawBufferReader, count n: Int, into dst: UnsafeMutablePointer<UInt64>
    ) throws(FormatError) {
        let at = c.fileOffset
        let tag = try c.uint8()
        switch IntPacking(rawValue: tag) {
        case .bitPacked:
            let blocks = (n + blockSize - 1) / blockSize
            let widthBytes = try c.bytes(blocks)
            var totalBits = 0
            for b in 0..<blocks {
                let w = Int(widthBytes[b])
                guard w <= 64 else { throw FormatError(.invalid, at: at + 1 + b, "bit width \(w) > 64") }
                totalBits += w * (min((b + 1) * blockSize, n) - b * blockSize)
            }
            let stream = try c.bytes((totalBits + 7) / 8)
            var r = BitReader(stream, baseOffset: c.fileOffset - stream.count)
            // Fast path: the stream's length was checked against the widths above, so any value
            // whose 8-byte window lies inside the stream can be read with one unaligned load.
            var bit = 0
            let fastLimit = (stream.count - 8) * 8
            for b in 0..<blocks {
                let w = Int(widthBytes[b])
                let end = min((b + 1) * blockSize, n)
                var i = b * blockSize
                if w == 0 {
                    while i < end { dst[i] = 0; i &+= 1 }
                    continue
                }
                if w <= 56, let base = stream.baseAddress {
                    let shift = UInt64(64 &- w)
                    while i < end && bit <= fastLimit {
                        let word = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: bit &>> 3, as: UInt64.self))
                        dst[i] = (word &<< UInt64(bit & 7)) &>> shift
                        bit &+= w
                        i &+= 1
                    }
                }
                if i < end {
                    // Slow path near the end of the stream, and for widths over 56 bits.
                    r = BitReader(UnsafeRawBufferPointer(rebasing: stream[(bit >> 3)...]), baseOffset: c.fileOffset)
                    _ = try r.read(bits: bit & 7)
                    while i < end {
                        dst[i] = try r.read(bits: w)
                        bit &+= w
                        i &+= 1
                    }
                }
            }
        case .zstdVarints:
            let rawLength = try c.count(limit: n * 10, "varint column length")
            let stored = try c.count(limit: c.remaining, "compressed length")
            let packed = try c.bytes(stored)
            let raw = try BlockCompression.decompress(
                packed, codec: .zstd, decompressedSize: rawLength, offset: c.fileOffset - stored)
            try raw.withUnsafeBufferPointer { (rb: UnsafeBufferPointer<UInt8>) throws(FormatError) in
                var p = 0
                let end = rb.count
                for i in 0..<n {
                    var v: UInt64 = 0
                    var shift: UInt64 = 0
                    while true {
                        guard p < end, shift < 64 else {
                            throw FormatError(.invalid, at: at, "varint column ends early or has a long varint")
                        }
                        let b = rb[p]
                        p &+= 1
                        v |= UInt64(b & 0x7f) &<< shift
                        if b < 0x80 { break }
                        shift &+= 7
                    }
                    dst[i] = v
                }
                guard p == end else { throw FormatError(.invalid, at: at, "\(end - p) trailing bytes in varint column") }
            }
        case .zstdBytePlanes:
            let planes = Int(try c.uint8())
            guard (1...8).contains(planes) else { throw FormatError(.invalid, at: at + 1, "\(planes) byte planes") }
            let stored = try c.count(limit: c.remaining, "compressed length")
            let packed = try c.bytes(stored)
            let raw = try BlockCompression.decompress(
                packed, codec: .zstd, decompressedSize: n * planes, offset: c.fileOffset - stored)
            raw.withUnsafeBufferPointer { rb in
                for i in 0..<n { dst[i] = UInt64(rb[i]) }
                var p = 1
                while p < planes {
                    let base = p * n
                    let shift = UInt64(p * 8)
                    for i in 0..<n { dst[i] |= UInt64(rb[base &+ i]) &<< shift }
                    p += 1
                }
            }
        case nil:
            throw FormatError(.invalid, at: at, "unknown integer packing \(tag)")
        }
    }
}
