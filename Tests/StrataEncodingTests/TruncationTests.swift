import StrataEncoding
import Testing

/// Readers pointed at a prefix of a valid record must throw `.truncated` at every cut point.
@Suite("Truncated input")
struct TruncationTests {
    /// One record using every reader method, with a trailing checksum.
    static let record: [UInt8] = {
        var w = ByteWriter()
        w.appendUInt8(7)
        w.appendUInt16(0xBEEF)
        w.appendUInt32(0x5354_5241)
        w.appendUInt64(.max)
        w.appendInt64(.min)
        w.appendFloat64(.pi)
        w.appendVarint(.max)
        w.appendSignedVarint(-123_456_789)
        w.appendLengthPrefixed("glance-api")
        w.appendLengthPrefixed(bytes: [9, 8, 7])
        w.appendUInt32(0)  // skipped
        w.appendCRC32C()
        return w.bytes
    }()

    static func readRecord(_ reader: inout ByteReader) throws(FormatError) {
        #expect(try reader.readUInt8() == 7)
        #expect(try reader.readUInt16() == 0xBEEF)
        #expect(try reader.readUInt32() == 0x5354_5241)
        #expect(try reader.readUInt64() == .max)
        #expect(try reader.readInt64() == .min)
        #expect(try reader.readFloat64() == .pi)
        #expect(try reader.readVarint() == .max)
        #expect(try reader.readSignedVarint() == -123_456_789)
        #expect(try reader.readLengthPrefixedString() == "glance-api")
        let n = try reader.readLength(limit: 16)
        #expect(Array(try reader.readBytes(n)) == [9, 8, 7])
        try reader.skip(4)
        try reader.verifyCRC32C(from: 0)
    }

    @Test func wholeRecordReads() throws {
        var r = ByteReader(Self.record)
        try Self.readRecord(&r)
        #expect(r.isAtEnd)
    }

    @Test func everyCutPointThrowsTruncated() {
        for cut in 0..<Self.record.count {
            var r = ByteReader(Array(Self.record.prefix(cut)), baseOffset: 4096)
            let e = expectFormatError(.truncated, "cut at \(cut)") { () throws(FormatError) in
                try Self.readRecord(&r)
            }
            if let e { #expect(e.offset >= 4096 && e.offset <= 4096 + cut, "cut at \(cut): \(e)") }
        }
    }

    /// The same cuts through a reader whose range ends early in a longer array.
    @Test func everyCutPointOfARangeThrowsTruncated() {
        let padded = [0xAA, 0xBB] + Self.record + [0xCC]
        for cut in 0..<Self.record.count {
            var r = ByteReader(padded, range: 2..<(2 + cut))
            expectFormatError(.truncated, "cut at \(cut)") { () throws(FormatError) in
                try Self.readRecordFromOffset(&r, start: 2)
            }
        }
    }

    static func readRecordFromOffset(_ reader: inout ByteReader, start: Int) throws(FormatError) {
        _ = try reader.readUInt8()
        _ = try reader.readUInt16()
        _ = try reader.readUInt32()
        _ = try reader.readUInt64()
        _ = try reader.readInt64()
        _ = try reader.readFloat64()
        _ = try reader.readVarint()
        _ = try reader.readSignedVarint()
        _ = try reader.readLengthPrefixedString()
        _ = try reader.readBytes(try reader.readLength(limit: 16))
        try reader.skip(4)
        try reader.verifyCRC32C(from: start)
    }

    /// A length prefix that claims more bytes than remain is truncation, not a trap.
    @Test func lengthPrefixPastTheEnd() {
        var w = ByteWriter()
        w.appendVarint(10)
        w.append(contentsOf: [1, 2, 3])
        var r = ByteReader(w.bytes)
        let e = expectFormatError(.truncated) { () throws(FormatError) in try r.readLengthPrefixedString() }
        #expect(e?.offset == 0)
        var r2 = ByteReader(w.bytes)
        let n = try? r2.readLength(limit: 100)
        #expect(n == 10)
        expectFormatError(.truncated) { () throws(FormatError) in try r2.readBytes(10) }
    }
}
