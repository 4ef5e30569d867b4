import PropertyBased
import StrataEncoding
import Testing

@testable import StrataMetrics

private typealias S = ChunkTestSupport

/// Damaged chunk bytes must throw `FormatError`, never trap, loop or allocate absurdly.
@Suite("Chunk columns: corrupt input")
struct ChunkCorruptionTests {
    static func samples() -> [(String, [UInt8])] {
        let n = 300
        var out: [(String, [UInt8])] = []
        let cpu: [Double] = (0..<n).map { (i: Int) -> Double in Double(100_000 + i * 97 + i % 13) / 100 }
        let pages: [Double] = (0..<n).map { (i: Int) -> Double in Double(i * i) * 4096 }
        let floats: [Double] = (0..<n).map { (i: Int) -> Double in (Double(i) + 0.5) / 7.3 }
        out.append(("decimal delta", S.encode(cpu)))
        out.append(("decimal dod", S.encode(pages)))
        out.append(("gorilla", S.encode(floats)))
        out.append(("raw", S.encode((0..<n).map { Double(bitPattern: UInt64($0) &* 0x9E37_79B9_7F4A_7C15) })))
        out.append(("constant", S.encode([Double](repeating: 7, count: n))))
        out.append(("regular ts", S.encode((0..<Int64(n)).map { $0 * 10_000 })))
        out.append(("grid ts", S.encode((0..<Int64(n)).map { $0 * 10_000 + ($0 * 7 % 5) })))
        out.append(("dod ts", S.encode((0..<Int64(n)).map { $0 * $0 })))
        return out
    }

    /// Decodes `bytes` both ways; returns normally whatever happens unless the decoder traps.
    static func decodeBoth(_ bytes: [UInt8]) -> (values: Result<[Double], FormatError>, timestamps: Result<[Int64], FormatError>) {
        (S.decodeValues(bytes), S.decodeTimestamps(bytes))
    }

    @Test("every truncation throws")
    func truncations() {
        for (name, bytes) in Self.samples() {
            for cut in 0..<bytes.count {
                let r = Self.decodeBoth(Array(bytes[..<cut]))
                if name.hasSuffix(" ts") {
                    if case .success = r.timestamps { Issue.record("\(name) cut at \(cut) decoded") }
                } else {
                    if case .success = r.values { Issue.record("\(name) cut at \(cut) decoded") }
                }
            }
        }
    }

    @Test("trailing bytes are rejected")
    func trailing() {
        for (name, bytes) in Self.samples() {
            let r = Self.decodeBoth(bytes + [0, 0])
            if name.hasSuffix(" ts") {
                if case .success = r.timestamps { Issue.record("\(name) with trailing bytes decoded") }
            } else {
                if case .success = r.values { Issue.record("\(name) with trailing bytes decoded") }
            }
        }
    }

    @Test("flipped bytes never trap")
    func flips() async {
        let samples = Self.samples()
        await propertyCheck(input: Gen.int(in: 0...7), Gen.uint64(), Gen.uint8(in: 1...255)) { which, where_, mask in
            var bytes = samples[which].1
            let i = Int(where_ % UInt64(bytes.count))
            bytes[i] ^= mask
            let r = Self.decodeBoth(bytes)
            // Whatever decodes is at most maxSamples long.
            if case .success(let v) = r.values { #expect(v.count <= ChunkColumns.maxSamples) }
            if case .success(let t) = r.timestamps { #expect(t.count <= ChunkColumns.maxSamples) }
        }
    }

    @Test("random bytes never trap")
    func randomBytes() async {
        await propertyCheck(input: Gen.uint8().array(of: 0...64)) { bytes in
            _ = Self.decodeBoth(bytes)
            for first: UInt8 in 0...4 { _ = Self.decodeBoth([first] + bytes) }
            _ = S.gorillaDecode(bytes)
        }
    }

    @Test("absurd counts are refused before allocating")
    func absurdCounts() {
        var w = ByteWriter()
        w.appendUInt8(ValueEncoding.constant.rawValue)
        w.appendVarint(UInt64(ChunkColumns.maxSamples) + 1)
        w.appendFloat64(1)
        #expect(throws: FormatError.self) { try S.decodeValues(w.bytes).get() }

        var t = ByteWriter()
        t.appendUInt8(TimestampEncoding.regular.rawValue)
        t.appendVarint(UInt64.max)
        t.appendSignedVarint(0)
        t.appendSignedVarint(1)
        #expect(throws: FormatError.self) { try S.decodeTimestamps(t.bytes).get() }

        // A Gorilla value column claiming more values than its bits can hold.
        var g = ByteWriter()
        g.appendUInt8(ValueEncoding.gorilla.rawValue)
        g.appendVarint(1000)
        g.appendFloat64(1)
        #expect(throws: FormatError.self) { try S.decodeValues(g.bytes).get() }

        // A Gorilla chunk claiming 65,535 samples in 10 bytes.
        #expect(throws: FormatError.self) { try S.gorillaDecode([0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]).get() }
    }

    @Test("unknown encodings name the offset")
    func unknownEncoding() {
        let e = try? #require(throws: FormatError.self) { try S.decodeValues([0x7f, 1, 0], baseOffset: 4096).get() }
        #expect(e?.offset == 4096)
        let t = try? #require(throws: FormatError.self) { try S.decodeTimestamps([0, 1, 0], baseOffset: 77).get() }
        #expect(t?.offset == 77)
    }
}
