import PropertyBased
import StrataEncoding
import Testing

@Suite("BlockCompression round trips")
struct BlockCompressionTests {
    static let codecs: [BlockCodec] = [.none, .lz4, .zstd]

    @Test func codecBytesAreStable() {
        #expect(BlockCodec.none.rawValue == 0)
        #expect(BlockCodec.lz4.rawValue == 1)
        #expect(BlockCodec.zstd.rawValue == 2)
    }

    @Test(arguments: codecs)
    func randomDataRoundTrips(_ codec: BlockCodec) async {
        await propertyCheck(count: 60, input: Gen.int(in: 0...20_000), Gen.uint64()) { n, seed throws in
            let raw = TestData.random(count: n, seed: seed)
            let packed = BlockCompression.compress(raw, codec: codec)
            let back = try BlockCompression.decompress(packed, codec: codec, decompressedSize: n)
            #expect(back == raw)
        }
    }

    @Test(arguments: codecs)
    func repetitiveDataRoundTripsAndShrinks(_ codec: BlockCodec) async {
        await propertyCheck(count: 40, input: Gen.int(in: 1...40_000), Gen.uint64()) { n, seed throws in
            let raw = TestData.logLines(count: n, seed: seed)
            let packed = BlockCompression.compress(raw, codec: codec)
            if codec != .none && n >= 4096 { #expect(packed.count * 3 < n, "\(codec) \(n) -> \(packed.count)") }
            let back = try BlockCompression.decompress(packed, codec: codec, decompressedSize: n)
            #expect(back == raw)
        }
    }

    @Test(arguments: codecs)
    func degenerateInputs(_ codec: BlockCodec) throws {
        for raw in [[], [0], [UInt8](repeating: 0, count: 100_000), [UInt8](repeating: 0xAB, count: 3)] {
            let packed = BlockCompression.compress(raw, codec: codec)
            #expect(try BlockCompression.decompress(packed, codec: codec, decompressedSize: raw.count) == raw)
        }
    }

    @Test(arguments: [Int32(-5), 1, 3, 9, 19])
    func zstdLevels(_ level: Int32) throws {
        let raw = TestData.logLines(count: 30_000, seed: UInt64(level + 10))
        let packed = BlockCompression.compress(raw, codec: .zstd, level: level)
        #expect(packed.count < raw.count / 3)
        #expect(try BlockCompression.decompress(packed, codec: .zstd, decompressedSize: raw.count) == raw)
    }

    @Test func bufferAndArrayEntryPointsAgree() throws {
        let raw = TestData.logLines(count: 10_000, seed: 5)
        for codec in Self.codecs {
            let fromArray = BlockCompression.compress(raw, codec: codec)
            let fromBuffer = raw.withUnsafeBytes { BlockCompression.compress($0, codec: codec) }
            #expect(fromArray == fromBuffer)
            let back = try fromArray.withUnsafeBytes { (p) throws in
                try BlockCompression.decompress(p, codec: codec, decompressedSize: raw.count)
            }
            #expect(back == raw)
        }
    }

    @Test func reusedZstdContextMatchesOneShot() throws {
        let context = ZstdContext()
        for i in 0..<20 {
            let raw =
                i % 2 == 0
                ? TestData.logLines(count: 500 * i, seed: UInt64(i)) : TestData.random(count: 300 * i, seed: UInt64(i))
            let packed = BlockCompression.compress(raw, codec: .zstd, context: context)
            #expect(packed == BlockCompression.compress(raw, codec: .zstd))
            let back = try BlockCompression.decompress(
                packed, codec: .zstd, decompressedSize: raw.count, context: context)
            #expect(back == raw)
            // A failure must not poison the context for the next block.
            expectFormatError(.badCompression) { () throws(FormatError) in
                try BlockCompression.decompress(
                    packed, codec: .zstd, decompressedSize: raw.count + 1, context: context)
            }
        }
    }

    @Test(arguments: codecs)
    func framedRoundTrip(_ codec: BlockCodec) async {
        await propertyCheck(count: 40, input: Gen.int(in: 0...20_000), Gen.uint64(), Gen.bool) {
            n, seed, repetitive throws in
            let raw = repetitive ? TestData.logLines(count: n, seed: seed) : TestData.random(count: n, seed: seed)
            var w = ByteWriter()
            w.appendUInt32(0xFEED_FACE)  // frames sit inside other structures
            BlockCompression.appendFramed(raw, codec: codec, to: &w)
            w.appendUInt8(0x42)
            var r = ByteReader(w.bytes)
            #expect(try r.readUInt32() == 0xFEED_FACE)
            #expect(try BlockCompression.readFramed(&r, maxRawLength: n) == raw)
            #expect(try r.readUInt8() == 0x42)
            #expect(r.isAtEnd)
            // Header (codec, two varints of at most 3 bytes each here) + payload + CRC never exceeds raw + 11.
            #expect(w.count - 5 <= n + 1 + 3 + 3 + 4)
        }
    }

    @Test func framedLayoutIsAsDocumented() throws {
        let raw = TestData.logLines(count: 5000, seed: 6)
        var w = ByteWriter()
        BlockCompression.appendFramed(raw, codec: .zstd, level: 3, to: &w)
        var r = ByteReader(w.bytes)
        #expect(try r.readUInt8() == BlockCodec.zstd.rawValue)
        #expect(try r.readVarint() == 5000)
        let stored = Int(try r.readVarint())
        let payloadStart = r.position
        let payload = Array(try r.readBytes(stored))
        #expect(payload == BlockCompression.compress(raw, codec: .zstd, level: 3))
        try r.verifyCRC32C(from: payloadStart)
        #expect(r.isAtEnd)
    }

    @Test func incompressibleDataIsStoredAsNone() throws {
        for codec in [BlockCodec.lz4, .zstd] {
            let raw = TestData.random(count: 1000, seed: 7)
            var w = ByteWriter()
            BlockCompression.appendFramed(raw, codec: codec, to: &w)
            #expect(w.bytes[0] == BlockCodec.none.rawValue)
            #expect(w.count == 1 + 2 + 2 + 1000 + 4)
            #expect(Array(w.bytes[5..<1005]) == raw)
        }
        var w = ByteWriter()
        BlockCompression.appendFramed([], codec: .zstd, to: &w)
        #expect(w.bytes == [0, 0, 0, 0, 0, 0, 0])  // codec none, lengths 0, CRC32C of nothing is 0
        var r = ByteReader(w.bytes)
        #expect(try BlockCompression.readFramed(&r, maxRawLength: 0) == [])
    }

    @Test func framedBlocksInSequenceWithSharedContext() throws {
        let context = ZstdContext()
        let blocks = (0..<12).map { i in
            i % 3 == 0
                ? TestData.random(count: i * 100, seed: UInt64(i)) : TestData.logLines(count: i * 700, seed: UInt64(i))
        }
        var w = ByteWriter()
        for (i, b) in blocks.enumerated() {
            BlockCompression.appendFramed(b, codec: i % 2 == 0 ? .zstd : .lz4, to: &w, context: context)
        }
        var r = ByteReader(w.bytes)
        for b in blocks {
            #expect(try BlockCompression.readFramed(&r, maxRawLength: 1 << 20, context: context) == b)
        }
        #expect(r.isAtEnd)
    }
}
