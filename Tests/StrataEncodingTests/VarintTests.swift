import PropertyBased
import StrataEncoding
import Testing

@Suite("Varints and zigzag")
struct VarintTests {
    @Test(
        arguments: [
            (UInt64(0), [0x00] as [UInt8]),
            (1, [0x01]),
            (127, [0x7F]),
            (128, [0x80, 0x01]),
            (300, [0xAC, 0x02]),
            (16_383, [0xFF, 0x7F]),
            (16_384, [0x80, 0x80, 0x01]),
            (UInt64(UInt32.max), [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
            (UInt64.max, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
        ] as [(UInt64, [UInt8])])
    func knownEncodings(_ value: UInt64, _ encoded: [UInt8]) throws {
        var w = ByteWriter()
        w.appendVarint(value)
        #expect(w.bytes == encoded)
        var r = ByteReader(encoded)
        #expect(try r.readVarint() == value)
        #expect(r.isAtEnd)
    }

    @Test(
        arguments: [
            (Int64(0), UInt64(0)), (-1, 1), (1, 2), (-2, 3), (2, 4), (63, 126), (-64, 127),
            (Int64.max, UInt64.max - 1), (Int64.min, UInt64.max),
        ] as [(Int64, UInt64)])
    func zigzagMapping(_ signed: Int64, _ unsigned: UInt64) {
        #expect(zigzag(signed) == unsigned)
        #expect(unzigzag(unsigned) == signed)
    }

    @Test func unsignedRoundTrip() async {
        await propertyCheck(input: Gen.uint64(), Gen.int(in: 0...63)) { raw, shift throws in
            let v = raw >> UInt64(shift)
            var w = ByteWriter()
            w.appendVarint(v)
            // LEB128 length: one byte per started group of 7 significant bits.
            let bits = 64 - v.leadingZeroBitCount
            #expect(w.count == max(1, (bits + 6) / 7))
            var r = ByteReader(w.bytes)
            #expect(try r.readVarint() == v)
            #expect(r.isAtEnd)
        }
    }

    @Test func signedRoundTrip() async {
        await propertyCheck(input: Gen.int64(), Gen.int(in: 0...63)) { raw, shift throws in
            let v = raw >> Int64(shift)  // arithmetic shift: small magnitudes of both signs
            #expect(unzigzag(zigzag(v)) == v)
            #expect(zigzag(v) == (v >= 0 ? UInt64(v) * 2 : UInt64(-(v + 1)) * 2 + 1))
            var w = ByteWriter()
            w.appendSignedVarint(v)
            w.appendSignedVarint(Int64.min)
            w.appendSignedVarint(Int64.max)
            var r = ByteReader(w.bytes)
            #expect(try r.readSignedVarint() == v)
            #expect(try r.readSignedVarint() == Int64.min)
            #expect(try r.readSignedVarint() == Int64.max)
            #expect(r.isAtEnd)
        }
    }

    @Test func sequencesOfVarintsRoundTrip() async {
        await propertyCheck(input: Gen.int64().array(of: 0...50)) { values throws in
            var w = ByteWriter()
            for v in values {
                w.appendSignedVarint(v)
                w.appendVarint(UInt64(bitPattern: v))
            }
            var r = ByteReader(w.bytes)
            for v in values {
                #expect(try r.readSignedVarint() == v)
                #expect(try r.readVarint() == UInt64(bitPattern: v))
            }
            #expect(r.isAtEnd)
        }
    }

    @Test(arguments: 10...16)
    func tooManyContinuationBytes(_ continuations: Int) {
        let bytes = [UInt8](repeating: 0x80, count: continuations) + [0x00]
        var r = ByteReader(bytes, baseOffset: 7)
        let e = expectFormatError(.badVarint) { () throws(FormatError) in try r.readVarint() }
        #expect(e?.offset == 7)
    }

    /// The tenth byte carries bit 63 only; anything above it overflows 64 bits.
    @Test(arguments: [0x02, 0x03, 0x40, 0x7F, 0x81, 0xFF] as [UInt8])
    func overflowInTenthByte(_ last: UInt8) {
        let bytes = [UInt8](repeating: 0xFF, count: 9) + [last]
        var r = ByteReader(bytes)
        expectFormatError(.badVarint) { () throws(FormatError) in try r.readVarint() }
    }

    @Test func tenthByteMayCarryBit63() throws {
        var r = ByteReader([UInt8](repeating: 0x80, count: 9) + [0x01])
        #expect(try r.readVarint() == 1 << 63)
    }

    @Test func truncatedVarints() throws {
        var w = ByteWriter()
        w.appendVarint(UInt64.max)
        for cut in 0..<w.count {
            var r = ByteReader(Array(w.bytes.prefix(cut)), baseOffset: 3)
            let e = expectFormatError(.truncated, "cut \(cut)") { () throws(FormatError) in try r.readVarint() }
            #expect(e?.offset == 3)
        }
        var r = ByteReader([0x80, 0x80])
        expectFormatError(.truncated) { () throws(FormatError) in try r.readSignedVarint() }
    }

    @Test func randomBytesNeverTrap() async {
        await propertyCheck(input: Gen.uint8().array(of: 0...24)) { bytes throws in
            var r = ByteReader(bytes)
            while !r.isAtEnd {
                do throws(FormatError) {
                    _ = try r.readVarint()
                } catch {
                    #expect(error.kind == .truncated || error.kind == .badVarint)
                    break
                }
            }
        }
    }
}
