import StrataEncoding
import Testing

/// Damaged compressed blocks must throw `FormatError`, never trap or return wrong-sized data.
@Suite("BlockCompression on corrupt input")
struct BlockCompressionCorruptionTests {
    static let raw = TestData.logLines(count: 6000, seed: 42)
    static let compressingCodecs: [BlockCodec] = [.lz4, .zstd]

    /// Decompresses `packed`, accepting only an exact-size result or `.badCompression`.
    /// Bare blocks carry no checksum, so a flip inside LZ4 literals can still decode; the
    /// framed form is what detects those (see `framedPayloadFlipsAreChecksumMismatches`).
    static func decompressOrBadCompression(_ packed: [UInt8], _ codec: BlockCodec, _ size: Int, _ note: String) {
        do {
            let out = try BlockCompression.decompress(packed, codec: codec, decompressedSize: size, offset: 77)
            #expect(out.count == size, "\(note)")
        } catch {
            #expect(error.kind == .badCompression, "\(note): \(error)")
            #expect(error.offset == 77)
        }
    }

    @Test(arguments: compressingCodecs)
    func flippedBytesInBareBlocks(_ codec: BlockCodec) {
        let packed = BlockCompression.compress(Self.raw, codec: codec)
        var rng = SplitMix64(seed: 9)
        for i in 0..<packed.count {
            var bad = packed
            bad[i] ^= UInt8.random(in: 1...255, using: &rng)
            Self.decompressOrBadCompression(bad, codec, Self.raw.count, "byte \(i)")
        }
    }

    @Test(arguments: compressingCodecs)
    func zstdFrameHeaderDamageIsDetected(_ codec: BlockCodec) {
        // Each codec's first bytes are structural (zstd magic; LZ4's first token and literals length).
        let packed = BlockCompression.compress(Self.raw, codec: codec)
        if codec == .zstd {
            for i in 0..<4 {
                var bad = packed
                bad[i] ^= 0xFF
                expectFormatError(.badCompression, "magic byte \(i)") { () throws(FormatError) in
                    try BlockCompression.decompress(bad, codec: codec, decompressedSize: Self.raw.count)
                }
            }
        }
        // Decoding as the other codec fails.
        let other: BlockCodec = codec == .zstd ? .lz4 : .zstd
        expectFormatError(.badCompression) { () throws(FormatError) in
            try BlockCompression.decompress(packed, codec: other, decompressedSize: Self.raw.count)
        }
    }

    @Test(arguments: BlockCompressionTests.codecs)
    func wrongDeclaredSize(_ codec: BlockCodec) {
        let packed = BlockCompression.compress(Self.raw, codec: codec)
        for size in [
            0, 1, Self.raw.count - 1, Self.raw.count + 1, Self.raw.count * 2, -1, Int.min,
            BlockCompression.maxBlockSize + 1, Int.max,
        ] {
            expectFormatError(.badCompression, "\(codec) size \(size)") { () throws(FormatError) in
                try BlockCompression.decompress(packed, codec: codec, decompressedSize: size)
            }
        }
    }

    @Test(arguments: compressingCodecs)
    func truncatedBareBlocks(_ codec: BlockCodec) {
        let packed = BlockCompression.compress(Self.raw, codec: codec)
        for cut in 0..<packed.count {
            expectFormatError(.badCompression, "cut \(cut)") { () throws(FormatError) in
                try BlockCompression.decompress(
                    Array(packed.prefix(cut)), codec: codec, decompressedSize: Self.raw.count)
            }
        }
    }

    @Test(arguments: compressingCodecs)
    func garbageNeverTraps(_ codec: BlockCodec) {
        for seed in 0..<200 as Range<UInt64> {
            var rng = SplitMix64(seed: seed)
            let garbage = TestData.random(count: Int(rng.next() % 300), seed: seed)
            let size = Int(rng.next() % 2000)
            Self.decompressOrBadCompression(garbage, codec, size, "seed \(seed)")
        }
    }

    // MARK: Framed

    static func framed(_ codec: BlockCodec) -> [UInt8] {
        var w = ByteWriter()
        BlockCompression.appendFramed(raw, codec: codec, to: &w)
        return w.bytes
    }

    /// The stored length varint of a frame of `raw` is two bytes here, so the payload starts at 1 + 2 + 2.
    static let payloadStart = 5

    @Test(arguments: BlockCompressionTests.codecs)
    func framedPayloadFlipsAreChecksumMismatches(_ codec: BlockCodec) {
        let frame = Self.framed(codec)
        #expect(frame[0] == codec.rawValue)
        for i in Self.payloadStart..<frame.count {
            var bad = frame
            bad[i] ^= 0x10
            var r = ByteReader(bad, baseOffset: 500)
            let e = expectFormatError(.checksumMismatch, "\(codec) byte \(i)") { () throws(FormatError) in
                try BlockCompression.readFramed(&r, maxRawLength: Self.raw.count)
            }
            #expect(e?.offset == 500 + frame.count - 4)
        }
    }

    @Test(arguments: BlockCompressionTests.codecs)
    func framedHeaderFlipsAreDetected(_ codec: BlockCodec) {
        let frame = Self.framed(codec)
        for i in 0..<Self.payloadStart {
            for mask in [0x01, 0x02, 0x80, 0xFF] as [UInt8] {
                var bad = frame
                bad[i] ^= mask
                var r = ByteReader(bad)
                do {
                    let out = try BlockCompression.readFramed(&r, maxRawLength: 1 << 20)
                    Issue.record("\(codec) byte \(i) mask \(mask): decoded \(out.count) bytes")
                } catch {
                    let expected: [FormatError.Kind] = [.badCompression, .truncated, .checksumMismatch, .badVarint]
                    #expect(expected.contains(error.kind), "\(codec) byte \(i) mask \(mask): \(error)")
                }
            }
        }
    }

    @Test(arguments: BlockCompressionTests.codecs)
    func framedTruncatedAtEveryCutPoint(_ codec: BlockCodec) {
        let frame = Self.framed(codec)
        for cut in 0..<frame.count {
            var r = ByteReader(Array(frame.prefix(cut)))
            expectFormatError(.truncated, "\(codec) cut \(cut)") { () throws(FormatError) in
                try BlockCompression.readFramed(&r, maxRawLength: Self.raw.count)
            }
        }
    }

    @Test func framedRawLengthOverTheCallersLimit() {
        let frame = Self.framed(.zstd)
        var r = ByteReader(frame, baseOffset: 10)
        let e = expectFormatError(.badCompression) { () throws(FormatError) in
            try BlockCompression.readFramed(&r, maxRawLength: Self.raw.count - 1)
        }
        #expect(e?.offset == 11)
    }

    @Test func framedUnknownCodec() {
        var frame = Self.framed(.zstd)
        frame[0] = 3
        var r = ByteReader(frame)
        let e = expectFormatError(.badCompression) { () throws(FormatError) in
            try BlockCompression.readFramed(&r, maxRawLength: 1 << 20)
        }
        #expect(e?.offset == 0)
    }

    /// A frame whose checksum is valid but whose raw length lies: caught by the exact-size check.
    @Test(arguments: BlockCompressionTests.codecs)
    func framedWrongRawLengthWithValidChecksum(_ codec: BlockCodec) {
        let packed = BlockCompression.compress(Self.raw, codec: codec)
        for declared in [Self.raw.count - 1, Self.raw.count + 1, 0] {
            var w = ByteWriter()
            w.appendUInt8(codec.rawValue)
            w.appendVarint(UInt64(declared))
            w.appendVarint(UInt64(packed.count))
            let start = w.count
            w.append(contentsOf: packed)
            w.appendCRC32C(from: start)
            var r = ByteReader(w.bytes, baseOffset: 1000)
            let e = expectFormatError(.badCompression, "\(codec) declared \(declared)") { () throws(FormatError) in
                try BlockCompression.readFramed(&r, maxRawLength: 1 << 20)
            }
            if codec != .none { #expect(e?.offset == 1000 + start) }
        }
    }

    @Test func framedOverlongVarintLength() {
        var w = ByteWriter()
        w.appendUInt8(BlockCodec.none.rawValue)
        w.append(contentsOf: [UInt8](repeating: 0xFF, count: 11))
        var r = ByteReader(w.bytes)
        expectFormatError(.badVarint) { () throws(FormatError) in try BlockCompression.readFramed(&r, maxRawLength: 100)
        }
    }
}
