import PropertyBased
import StrataEncoding
import Testing

@Suite("ByteWriter and ByteReader: fixed-width values")
struct FixedWidthTests {
    @Test func integersAreLittleEndian() throws {
        var w = ByteWriter()
        w.appendUInt8(0xAB)
        w.appendUInt16(0x0102)
        w.appendUInt32(0x0304_0506)
        w.appendUInt64(0x0708_090A_0B0C_0D0E)
        w.appendInt64(-2)
        #expect(
            w.bytes == [
                0xAB, 0x02, 0x01, 0x06, 0x05, 0x04, 0x03, 0x0E, 0x0D, 0x0C, 0x0B, 0x0A, 0x09, 0x08, 0x07,
                0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            ])
        #expect(w.count == 23)
        var r = ByteReader(w.bytes)
        #expect(try r.readUInt8() == 0xAB)
        #expect(try r.readUInt16() == 0x0102)
        #expect(try r.readUInt32() == 0x0304_0506)
        #expect(try r.readUInt64() == 0x0708_090A_0B0C_0D0E)
        #expect(try r.readInt64() == -2)
        #expect(r.isAtEnd)
    }

    @Test func everyWidthRoundTrips() async {
        await propertyCheck(input: Gen.uint64(), Gen.int64(), Gen.int(in: 0...63)) { u, i, shift throws in
            // Shifting spreads values over every magnitude, not only huge ones.
            let u = u >> UInt64(shift)
            var w = ByteWriter()
            w.appendUInt8(UInt8(truncatingIfNeeded: u))
            w.appendUInt16(UInt16(truncatingIfNeeded: u))
            w.appendUInt32(UInt32(truncatingIfNeeded: u))
            w.appendUInt64(u)
            w.appendInt64(i)
            w.appendFloat64(Double(bitPattern: u))
            #expect(w.count == 1 + 2 + 4 + 8 + 8 + 8)
            var r = ByteReader(w.bytes)
            #expect(try r.readUInt8() == UInt8(truncatingIfNeeded: u))
            #expect(try r.readUInt16() == UInt16(truncatingIfNeeded: u))
            #expect(try r.readUInt32() == UInt32(truncatingIfNeeded: u))
            #expect(try r.readUInt64() == u)
            #expect(try r.readInt64() == i)
            #expect(try r.readFloat64().bitPattern == u)
            #expect(r.isAtEnd)
        }
    }

    @Test(arguments: [
        UInt64.min, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x1_0000, 0xFFFF_FFFF, 0x1_0000_0000,
        UInt64(Int64.max), UInt64(Int64.max) + 1, UInt64.max,
    ])
    func extremeUInt64(_ v: UInt64) throws {
        var w = ByteWriter()
        w.appendUInt64(v)
        w.appendInt64(Int64(bitPattern: v))
        var r = ByteReader(w.bytes)
        #expect(try r.readUInt64() == v)
        #expect(try r.readInt64() == Int64(bitPattern: v))
    }

    /// NaN payloads, the Prometheus stale marker, infinities and signed zero keep their bits.
    @Test(
        arguments: [
            0x7FF0_0000_0000_0002, 0x7FF8_0000_0000_0000, 0xFFF8_0000_0000_0001, 0x7FF0_0000_0000_0000,
            0xFFF0_0000_0000_0000, 0x8000_0000_0000_0000, 0x0000_0000_0000_0001, 0x3FF0_0000_0000_0000,
        ] as [UInt64])
    func float64KeepsBitPattern(_ bits: UInt64) throws {
        var w = ByteWriter()
        w.appendFloat64(Double(bitPattern: bits))
        var r = ByteReader(w.bytes)
        #expect(try r.readFloat64().bitPattern == bits)
    }

    @Test func lengthPrefixedStringsAndBytes() throws {
        var w = ByteWriter()
        w.appendLengthPrefixed("")
        w.appendLengthPrefixed("nova-compute ✓")
        w.appendLengthPrefixed(bytes: [1, 2, 3])
        w.appendLengthPrefixed(String(repeating: "x", count: 200))
        var r = ByteReader(w.bytes)
        #expect(try r.readLengthPrefixedString() == "")
        #expect(try r.readLengthPrefixedString() == "nova-compute ✓")
        #expect(try r.readLength(limit: 3) == 3)
        #expect(Array(try r.readBytes(3)) == [1, 2, 3])
        #expect(try r.readLengthPrefixedString() == String(repeating: "x", count: 200))
        #expect(r.isAtEnd)
    }

    @Test func setUInt32PatchesInPlace() throws {
        var w = ByteWriter()
        w.appendUInt32(0)
        w.appendUInt8(9)
        w.setUInt32(0xDEAD_BEEF, at: 0)
        #expect(w.bytes == [0xEF, 0xBE, 0xAD, 0xDE, 9])
    }

    @Test func readLengthRejectsValuesOverTheLimit() throws {
        var w = ByteWriter()
        w.appendVarint(1000)
        var r = ByteReader(w.bytes, baseOffset: 50)
        let e = expectFormatError(.invalid) { () throws(FormatError) in try r.readLength(limit: 999) }
        #expect(e?.offset == 50)
        var r2 = ByteReader(w.bytes)
        expectFormatError(.invalid, "negative limit") { () throws(FormatError) in try r2.readLength(limit: -1) }
    }

    @Test func rangeAndBaseOffsetBoundTheReader() throws {
        let bytes: [UInt8] = [1, 2, 3, 4, 5, 6]
        var r = ByteReader(bytes, range: 2..<4, baseOffset: 100)
        #expect(r.remaining == 2)
        #expect(r.fileOffset == 102)
        #expect(try r.readUInt8() == 3)
        try r.skip(1)
        #expect(r.isAtEnd)
        let e = expectFormatError(.truncated) { () throws(FormatError) in try r.readUInt8() }
        #expect(e?.offset == 104)
        // Ranges outside the array are clamped, never trapped on.
        var wide = ByteReader(bytes, range: 4..<100)
        #expect(wide.remaining == 2)
        expectFormatError(.truncated) { () throws(FormatError) in try wide.readUInt32() }
        let past = ByteReader(bytes, range: 10..<20)
        #expect(past.remaining == 0)
    }

    @Test func negativeCountsThrowInsteadOfTrapping() {
        var r = ByteReader([1, 2, 3])
        expectFormatError(.truncated) { () throws(FormatError) in try r.readBytes(-1) }
        expectFormatError(.truncated) { () throws(FormatError) in try r.skip(-5) }
        #expect(r.position == 0)
    }
}
