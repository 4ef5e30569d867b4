import PropertyBased
import StrataEncoding
import Testing

@Suite("CRC32C")
struct CRC32CTests {
    /// The check value of the CRC catalogue and the iSCSI test vectors of RFC 3720, B.4.
    @Test(
        arguments: [
            (Array("123456789".utf8), UInt32(0xE306_9283)),
            ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),
            ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
            (Array(0...31), 0x46DD_794E),
            (Array((0...31).reversed()), 0x113F_DB5C),
            ([], 0),
            (Array("a".utf8), 0xC1D0_4330),
        ] as [([UInt8], UInt32)])
    func knownVectors(_ bytes: [UInt8], _ crc: UInt32) {
        #expect(CRC32C.checksum(bytes) == crc)
        #expect(bytes.withUnsafeBytes { CRC32C.checksum($0) } == crc)
    }

    /// Every length from 0 to 100 crosses the 16-byte main loop and the byte tail at a different point.
    @Test func matchesBitwiseReferenceAtEveryLength() {
        let data = TestData.random(count: 100, seed: 1)
        for n in 0...data.count {
            let prefix = Array(data.prefix(n))
            #expect(CRC32C.checksum(prefix) == bitwiseCRC32C(prefix), "length \(n)")
        }
    }

    @Test func incrementalUpdateEqualsOneShot() async {
        await propertyCheck(input: Gen.int(in: 0...2000), Gen.int(in: 0...2000), Gen.uint64()) { n, cut, seed throws in
            let data = TestData.random(count: n, seed: seed)
            let cut = min(cut, n)
            let whole = CRC32C.checksum(data)
            let parts = data.withUnsafeBytes { all in
                let first = CRC32C.update(0, UnsafeRawBufferPointer(rebasing: all[0..<cut]))
                return CRC32C.update(first, UnsafeRawBufferPointer(rebasing: all[cut...]))
            }
            #expect(parts == whole)
        }
    }

    @Test func manySmallUpdatesEqualOneShot() {
        let data = TestData.logLines(count: 5000, seed: 2)
        var crc: UInt32 = 0
        var i = 0
        var step = 1
        data.withUnsafeBytes { all in
            while i < all.count {
                let j = min(all.count, i + step)
                crc = CRC32C.update(crc, UnsafeRawBufferPointer(rebasing: all[i..<j]))
                i = j
                step = step % 37 + 1
            }
        }
        #expect(crc == CRC32C.checksum(data))
    }

    @Test func nonContiguousCollectionsAndSlices() {
        let data = TestData.random(count: 300, seed: 3)
        #expect(CRC32C.checksum(data[17..<250]) == CRC32C.checksum(Array(data[17..<250])))
        let lazy = data.lazy.map { $0 }  // no contiguous storage
        #expect(CRC32C.checksum(lazy) == CRC32C.checksum(data))
    }

    @Test func writerAndReaderChecksums() throws {
        var w = ByteWriter()
        w.appendUInt32(0x5354_5241)
        let start = w.count
        w.appendLengthPrefixed("payload")
        w.appendCRC32C(from: start)
        #expect(Array(w.bytes.suffix(4)) == littleEndian(CRC32C.checksum(w.bytes[start..<w.count - 4])))

        var r = ByteReader(w.bytes)
        _ = try r.readUInt32()
        let covered = r.position
        _ = try r.readLengthPrefixedString()
        try r.verifyCRC32C(from: covered)
        #expect(r.isAtEnd)
    }

    @Test func everyFlippedBitIsDetected() throws {
        var w = ByteWriter()
        w.append(contentsOf: TestData.random(count: 40, seed: 4))
        w.appendCRC32C()
        for i in 0..<w.count * 8 {
            var bad = w.bytes
            bad[i / 8] ^= 1 << UInt8(i % 8)
            var r = ByteReader(bad, baseOffset: 1000)
            try r.skip(40)
            let e = expectFormatError(.checksumMismatch, "bit \(i)") { () throws(FormatError) in
                try r.verifyCRC32C(from: 0)
            }
            #expect(e?.offset == 1040)
        }
    }

    @Test func checksumRangeOutsideTheReaderThrows() throws {
        var r = ByteReader([1, 2, 3, 4, 5, 6])
        try r.skip(2)
        expectFormatError(.invalid) { () throws(FormatError) in try r.verifyCRC32C(from: 3) }
        expectFormatError(.invalid) { () throws(FormatError) in try r.verifyCRC32C(from: -1) }
        var short = ByteReader([1, 2, 3])
        try short.skip(1)
        expectFormatError(.truncated) { () throws(FormatError) in try short.verifyCRC32C(from: 0) }
    }
}

/// Bit-at-a-time CRC32C, the definition the table-driven code must match.
private func bitwiseCRC32C(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
    }
    return ~c
}

private func littleEndian(_ v: UInt32) -> [UInt8] {
    [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]
}
