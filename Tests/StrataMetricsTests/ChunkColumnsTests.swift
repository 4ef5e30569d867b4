import PropertyBased
import StrataEncoding
import Testing

@testable import StrataMetrics

private typealias S = ChunkTestSupport

@Suite("Chunk columns: round trips and encoding choices")
struct ChunkColumnsTests {
    static let specialBits: [UInt64] = [
        0x7ff8_0000_0000_0000, 0xfff8_0000_0000_0000, 0x7ff0_0000_0000_0002, 0x7ff8_dead_beef_0001,
        0xfff0_0000_0000_0001, 0x7ff0_0000_0000_0000, 0xfff0_0000_0000_0000, 0, 0x8000_0000_0000_0000,
        1, 0x8000_0000_0000_0001, 0x0010_0000_0000_0000, 0x7fef_ffff_ffff_ffff, 0xffef_ffff_ffff_ffff,
        (1e308 as Double).bitPattern, (1.5 as Double).bitPattern, (0.1 + 0.2 as Double).bitPattern,
    ]
    static let specials: [Double] = specialBits.map { Double(bitPattern: $0) }

    static func gen(_ n: Int, _ f: (Int) -> Double) -> [Double] { (0..<n).map(f) }

    static let valueCases: [(String, [Double])] = {
        var c: [(String, [Double])] = []
        c.append(("empty", []))
        c.append(("one sample", [42.5]))
        c.append(("one NaN", [Sample.staleNaN]))
        c.append(("constant", Array(repeating: 3.25, count: 300)))
        c.append(("constant stale markers", Array(repeating: Sample.staleNaN, count: 50)))
        c.append(("constant -0.0", Array(repeating: -0.0, count: 10)))
        c.append(("specials", specials))
        c.append(("specials repeated", Array((0..<20).map { _ in specials }.joined())))
        c.append(("cpu counter 2 decimals", gen(1000) { i in Double(123_456 + i * 997 + (i % 7) * 3) / 100 }))
        c.append(("page gauge", gen(1000) { i in Double(1_000_000 + (i * 37 % 101) - 50) * 4096 }))
        c.append(("load average", gen(500) { i in Double(i % 300 + 100) / 100 }))
        c.append(("decimal with one stale marker", gen(300) { i in i == 150 ? Sample.staleNaN : Double(i) / 10 }))
        c.append(("0.1 + 0.2 style", gen(200) { i in Double(i) * 0.1 + 0.2 }))
        c.append(("random floats", gen(200) { i in (Double(i) + 0.5) / 7.3 * 1e6 }))
        c.append(("huge integers", gen(100) { i in Double(Int64(1) << 62) + Double(i) * 1e5 }))
        c.append(("counter reset", gen(200) { i in Double(i < 100 ? 1000 + i * 5 : i - 100) }))
        c.append(("negative decimals", gen(300) { i in Double(-50_000 + i * i) / 1000 }))
        c.append(("tiny decimals", gen(100) { i in Double(i) / 1e15 }))
        c.append(("mixed magnitudes", [1e-300, 1e300, 1.0, -1.0, 0.5, 1e-10]))
        return c
    }()

    @Test("values round-trip bit for bit", arguments: valueCases)
    func valuesRoundTrip(_ name: String, _ values: [Double]) throws {
        let bytes = S.encode(values)
        let back = try S.decodeValues(bytes, baseOffset: 1000).get()
        #expect(S.bits(back) == S.bits(values), "\(name)")
    }

    @Test("Gorilla chunk round-trips the same values", arguments: valueCases)
    func gorillaRoundTrip(_ name: String, _ values: [Double]) throws {
        let ts = (0..<Int64(values.count)).map { 1_700_000_000_000 + $0 * 10_000 + ($0 % 3) }
        let (t2, v2) = try S.gorillaRoundTrip(ts, values).get()
        #expect(t2 == ts, "\(name)")
        #expect(S.bits(v2) == S.bits(values), "\(name)")
    }

    @Test("encoding choices follow the data")
    func encodingChoices() {
        #expect(S.encoding(S.encode([Double](repeating: Sample.staleNaN, count: 40))) == .constant)
        #expect(S.encoding(S.encode((0..<400).map { Double(100_000 + $0 * 3) / 100 })) == .decimal)
        #expect(S.encoding(S.encode((0..<400).map { Double(5000 + $0 % 9) * 4096 })) == .decimal)
        // 0.1 * i + 0.2 is not a short decimal for most i: falls back, still exact.
        let noisy = (0..<400).map { Double($0) * 0.1 + 0.2 }
        #expect(S.encoding(S.encode(noisy)) != .decimal)
        // -0.0 is not Double(0) / 10^d: a chunk holding it cannot be decimal.
        #expect(S.encoding(S.encode([1.0, -0.0, 2.0, 3.0])) != .decimal)
        // Random bit patterns: raw or Gorilla, never larger than raw plus a few bytes.
        var g = SystemRandomNumberGenerator()
        let random = (0..<300).map { _ in Double(bitPattern: g.next()) }
        let bytes = S.encode(random)
        #expect(bytes.count <= 300 * 8 + 8)
    }

    @Test("short decimals pack far smaller than Gorilla")
    func decimalsAreSmall() {
        let n = 2000
        var counter = 500_000
        var cpu: [Double] = []
        for i in 0..<n {
            counter += 950 + (i * 7919) % 100
            cpu.append(Double(counter) / 100)
        }
        let ts = (0..<Int64(n)).map { $0 * 10_000 }
        let ours = S.encode(cpu).count
        let gorilla = ts.withUnsafeBufferPointer { t in cpu.withUnsafeBufferPointer { GorillaChunk.encode(timestamps: t, values: $0) } }
        #expect(ours * 4 < gorilla.count, "decimal \(ours) bytes vs Gorilla \(gorilla.count)")
    }

    static func times(_ n: Int, _ f: (Int64) -> Int64) -> [Int64] { (0..<Int64(n)).map(f) }

    static let timestampCases: [(String, [Int64])] = {
        var c: [(String, [Int64])] = []
        let jitter: [Int64] = [0, 3, -2, 1, -3, 2, 0]
        c.append(("empty", []))
        c.append(("one", [1_700_000_000_000]))
        c.append(("one negative", [-5]))
        c.append(("two", [10, 20]))
        c.append(("regular", times(1000) { i in 1_700_000_000_000 + i * 10_000 }))
        c.append(("regular negative", times(100) { i in -1_000_000 + i * 15_000 }))
        c.append(("jittered", times(1000) { i in 1_700_000_000_000 + i * 10_000 + jitter[Int(i % 7)] }))
        c.append(("missed scrapes", times(500) { i in i * 10_000 + (i > 200 ? 10_000 : 0) }))
        c.append(("irregular", times(300) { i in i * i * 17 + i }))
        c.append(("duplicates", [5, 5, 5, 6, 6, 9, 9, 9, 9]))
        c.append(("decreasing", [100, 50, 0, -50, -51]))
        c.append(("extremes", [Int64.min, -1, 0, 1, Int64.max]))
        c.append(("extremes regular", [Int64.min, Int64.min + 1, Int64.min + 2]))
        c.append(("max step", [Int64.min, Int64.max]))
        c.append(("wrapping", [Int64.max - 1, Int64.max, Int64.min, Int64.min + 5]))
        return c
    }()

    @Test("timestamps round-trip", arguments: timestampCases)
    func timestampsRoundTrip(_ name: String, _ ts: [Int64]) throws {
        let bytes = S.encode(ts)
        #expect(try S.decodeTimestamps(bytes).get() == ts, "\(name)")
    }

    @Test("timestamp encoding choices")
    func timestampChoices() {
        let regular = (0..<7200).map { Int64(1_700_000_000_000) + Int64($0) * 10_000 }
        let r = S.encode(regular)
        #expect(S.timestampEncoding(r) == .regular)
        #expect(r.count <= 16)
        var g = SystemRandomNumberGenerator()
        let jittered = regular.map { $0 + Int64.random(in: -3...3, using: &g) }
        let j = S.encode(jittered)
        #expect(S.timestampEncoding(j) == .grid)
        #expect(j.count < 7200 * 3 / 8 + 100, "\(j.count) bytes for ±3 ms jitter")
        let irregular = (0..<500).map { Int64($0) * 10_000 + ($0 > 100 ? 20_000 : 0) }
        #expect(S.timestampEncoding(S.encode(irregular)) == .deltaOfDelta)
    }

    @Test("equal timestamps give equal bytes (the block writer shares them)")
    func deterministic() {
        let ts = (0..<1000).map { Int64($0) * 10_000 + Int64($0 % 5) }
        #expect(S.encode(ts) == S.encode(Array(ts)))
    }

    @Test("random values round-trip")
    func randomValues() async {
        await propertyCheck(input: Gen.uint64().array(of: 0...300)) { seeds in
            let values = seeds.map(S.awkwardValue)
            let back = try? S.decodeValues(S.encode(values)).get()
            #expect(back.map(S.bits) == S.bits(values))
        }
    }

    @Test("random short decimals round-trip and stay decimal")
    func randomDecimals() async {
        await propertyCheck(input: Gen.int(in: 0...6), Gen.int64(in: -1_000_000...1_000_000).array(of: 2...300)) {
            scale, mantissas in
            let p = [1.0, 10, 100, 1000, 1e4, 1e5, 1e6][scale]
            let values = mantissas.map { Double($0) / p }
            let bytes = S.encode(values)
            #expect((try? S.decodeValues(bytes).get()).map(S.bits) == S.bits(values))
            let allEqual = values.allSatisfy { $0.bitPattern == values[0].bitPattern }
            let hasNegativeZero = values.contains { $0.bitPattern == (-0.0).bitPattern }
            if !allEqual && !hasNegativeZero { #expect(S.encoding(bytes) == .decimal) }
        }
    }

    @Test("random timestamps round-trip")
    func randomTimestamps() async {
        await propertyCheck(input: Gen.int64().array(of: 0...200), Gen.int64(in: -3...3).array(of: 0...200)) {
            random, jitter in
            let grid = jitter.enumerated().map { Int64($0.offset) * 15_000 - 86_400_000 + $0.element }
            #expect((try? S.decodeTimestamps(S.encode(random)).get()) == random)
            #expect((try? S.decodeTimestamps(S.encode(grid)).get()) == grid)
        }
    }

    @Test("random Gorilla chunks round-trip")
    func randomGorilla() async {
        await propertyCheck(input: Gen.uint64().array(of: 0...200), Gen.int64(in: -1 << 40...1 << 40)) { seeds, start in
            let values = seeds.map(S.awkwardValue)
            let ts = seeds.enumerated().map { start + Int64($0.offset) * 10_000 + Int64($0.element % 7_000_000) }
            let back = try? S.gorillaRoundTrip(ts, values).get()
            #expect(back?.0 == ts)
            #expect(back.map { S.bits($0.1) } == S.bits(values))
        }
    }

    @Test("decoding appends after existing elements")
    func appends() throws {
        var vs: [Double] = [1, 2]
        let bytes = S.encode([3.5, 4.5, 5.5])
        let r1 = bytes.withUnsafeBytes { raw in
            Result { () throws(FormatError) in try ChunkColumns.decodeValues(raw, into: &vs) }
        }
        try r1.get()
        #expect(vs == [1, 2, 3.5, 4.5, 5.5])
        var ts: [Int64] = [0]
        let tb = S.encode([Int64(10), 20, 31])
        let r2 = tb.withUnsafeBytes { raw in
            Result { () throws(FormatError) in try ChunkColumns.decodeTimestamps(raw, into: &ts) }
        }
        try r2.get()
        #expect(ts == [0, 10, 20, 31])
    }
}

@Suite("Bit streams")
struct ChunkBitStreamTests {
    @Test("writes and reads fields of every width")
    func fields() async {
        await propertyCheck(input: Gen.uint64().array(of: 0...200), Gen.int(in: 0...64).array(of: 200)) { values, widths in
            var w = BitWriter()
            for (i, v) in values.enumerated() { w.write(v, bits: widths[i]) }
            w.writeBit(true)
            let bytes = w.bytes
            #expect(bytes.count == w.byteCount)
            let ok = bytes.withUnsafeBytes { raw -> Bool in
                var r = BitReader(raw)
                for (i, v) in values.enumerated() {
                    let n = widths[i]
                    let mask: UInt64 = n == 64 ? ~0 : (1 << UInt64(n)) - 1
                    guard let got = try? r.read(bits: n), got == v & mask else { return false }
                }
                guard (try? r.readBit()) == true else { return false }
                return r.bitsRemaining < 8
            }
            #expect(ok)
        }
    }

    @Test("reading past the end throws truncated")
    func truncated() {
        let bytes: [UInt8] = [0xab, 0xcd, 0xef]
        bytes.withUnsafeBytes { raw in
            var r = BitReader(raw, baseOffset: 10)
            #expect((try? r.read(bits: 20)) == 0xabcde)
            #expect(throws: FormatError.self) { try r.read(bits: 5) }
            var r2 = BitReader(UnsafeRawBufferPointer(start: nil, count: 0))
            #expect(throws: FormatError.self) { try r2.readBit() }
            #expect((try? r2.read(bits: 0)) == 0)
        }
    }
}
