import StrataStorage
import StrataTestSupport
import Testing

@testable import StrataTraces

@Suite struct TraceSegmentTests {
    /// Spans of `traces` traces with varied shapes: errors, flags, explicit parents, odd info.
    func sampleSpans(_ traces: Int) -> [Span] {
        var out: [Span] = []
        for t in 0..<traces {
            var spans = TraceFixture.spans(trace: UInt64(t), spans: 2 + t % 9, start: 1_574_079_545_000_000 + Int64(t) * 7_000_000, error: t % 5 == 0)
            if t % 7 == 0 {
                spans[spans.count - 1].parentID = TraceFixture.id(99_999, UInt64(t))  // a parent not in the trace
                spans[spans.count - 1].status = [.incomplete]
                spans[spans.count - 1].info.extra = "{\"thread\":\(t)}"
            }
            if t % 11 == 3 {
                // Ids in text, repeated, in capitals, bare hex, and the token bytes themselves.
                spans[0].info.requestPath = "/v2.1/c5c66d8ab9aa0441484a7d96880ce86c/servers/\(spans[0].baseID)/\(spans[0].baseID)"
                spans[0].info.errorMessage = "x\u{01}\u{02}\u{00}y 8F6FF588-FCB6-4983-883C-282F78922756 \(spans[0].traceID)z"
            }
            if t % 13 == 4 {
                // A parent cycle (bad input) must still round-trip.
                spans[0].parentID = spans[1].traceID
                spans[1].parentID = spans[0].traceID
            }
            out += spans
        }
        return out
    }

    func key(_ s: Span) -> String { "\(s.baseID) \(s.traceID)" }

    /// Every version the readers take: 1 (the filter in the index), 3 (a paged filter region,
    /// the index decoded on first use). Version 2 is version 1 with a completed list.
    @Test(arguments: [UInt8(1), 3])
    func everySpanComesBackExactly(version: UInt8) throws {
        let spans = sampleSpans(300)
        let dir = TemporaryDirectory()
        let (bytes, stats) = TraceSegmentWriter.encode(spans, blockSpans: 64, version: version)
        #expect(stats.spanCount == spans.count && stats.traceCount == 300)
        let path = dir.child("000001.spans")
        try dir.fs.put(bytes, at: path)
        let r = try TraceSegmentReader(path: path, fs: dir.fs)
        #expect(r.version == version)
        if version >= 3 {
            // The filter answers from its pages alone: about 1 % of absent ids pass it.
            #expect(!r.indexIsDecoded, "opening reads header and footer only")
            var rejected = 0
            for n in 0..<1000 where try !r.mayContain(TraceFixture.id(5_000_000 + UInt64(n), 9)) { rejected += 1 }
            #expect(rejected >= 970, "\(rejected) of 1000 absent ids rejected")
            for s in spans.prefix(50) { #expect(try r.mayContain(s.baseID)) }
            #expect(!r.indexIsDecoded, "the filter is read without the index")
            try r.verifyFilter()
        }
        #expect(try r.blocks.count > 3)
        var back: [Span] = []
        for b in 0..<(try r.blocks.count) { back += try r.spans(inBlock: b) }
        let want = Dictionary(uniqueKeysWithValues: spans.map { (key($0), $0) })
        #expect(back.count == spans.count)
        for s in back { #expect(want[key(s)] == s) }
        // Every base_id is found through the filter and the block table; an absent one is not.
        for s in spans { #expect(try r.blockHolding(s.baseID) != nil) }
        // Absent ids: the filter lets about 1% through, the block's own base_ids never.
        var passedFilter = 0
        for n in 0..<3000 {
            let id = TraceFixture.id(1_000_000 + UInt64(n), 77)
            if try r.block(containing: id) != nil { passedFilter += 1 }
            #expect(try r.blockHolding(id) == nil)
        }
        #expect(passedFilter < 300)
    }

    @Test func aFlippedByteAnywhereIsDetectedNeverTrapped() throws {
        let spans = sampleSpans(40)
        let dir = TemporaryDirectory()
        let (bytes, _) = TraceSegmentWriter.encode(spans, blockSpans: 32)
        let path = dir.child("000001.spans")
        var detected = 0
        var positions = Array(stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)))
        positions.append(bytes.count - 1)
        for at in positions {
            var damaged = bytes
            damaged[at] ^= 0x5A
            try dir.fs.put(damaged, at: path)
            do {
                let r = try TraceSegmentReader(path: path, fs: dir.fs)
                for b in 0..<(try r.blocks.count) { _ = try r.spans(inBlock: b) }
                try r.verifyFilter()
            } catch {
                detected += 1
                #expect("\(error)".contains(path))
            }
        }
        // The 3 reserved header bytes are the only bytes not covered by a checksum or a check.
        #expect(detected >= positions.count - 3)
    }
}
