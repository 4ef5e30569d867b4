import StrataStorage
import StrataTestSupport
import Testing

@testable import StrataTraces

/// The pieces of the packed ingest path: the TraceID map, the 8-at-a-time UUID parser, the
/// interners, and parsed batches in the head.
@Suite struct PackedHeadTests {
    /// A deterministic generator (SplitMix64), so a failure repeats.
    struct Mix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func traceIDMapAgreesWithDictionaryUnderInsertsAndRemovals() {
        var rng = Mix(state: 7)
        // A small pool of keys, so runs collide, wrap around the table and get removed from the middle.
        let pool = (0..<300).map { _ in TraceID(high: rng.next(), low: rng.next()) }
        var map = TraceIDMap<Int>()
        var reference: [TraceID: Int] = [:]
        for step in 0..<60_000 {
            let k = pool[Int(rng.next() % UInt64(pool.count))]
            switch rng.next() % 4 {
            case 0, 1:
                map.insert(k, step)
                reference[k] = step
            case 2:
                #expect(map.removeValue(forKey: k) == reference.removeValue(forKey: k))
            default:
                #expect(map[k] == reference[k])
            }
            #expect(map.count == reference.count)
            if step % 5_000 == 0 {
                var seen: [TraceID: Int] = [:]
                map.forEach { key, value in seen[key] = value }
                #expect(seen == reference)
                for key in pool { #expect(map[key] == reference[key]) }
            }
        }
        map.removeAll()
        #expect(map.count == 0 && map[pool[0]] == nil)
    }

    /// The byte-at-a-time parser the 8-at-a-time one replaced.
    static func referenceID(_ b: [UInt8]) -> TraceID? {
        guard b.count == 36 || b.count == 32 else { return nil }
        var hi: UInt64 = 0, lo: UInt64 = 0, digits = 0
        for (i, c) in b.enumerated() {
            if b.count == 36 && (i == 8 || i == 13 || i == 18 || i == 23) {
                guard c == UInt8(ascii: "-") else { return nil }
                continue
            }
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x61...0x66: v = c - 0x61 + 10
            case 0x41...0x46: v = c - 0x41 + 10
            default: return nil
            }
            if digits < 16 { hi = hi << 4 | UInt64(v) } else { lo = lo << 4 | UInt64(v) }
            digits += 1
        }
        return TraceID(high: hi, low: lo)
    }

    @Test func uuidParsingAgreesWithTheByteAtATimeParser() {
        var rng = Mix(state: 11)
        let hex = Array("0123456789abcdefABCDEF".utf8)
        // Bytes next to the hex ranges, and ones that only look like hex once case-folded.
        let near = Array("/:@`gG-\u{7F} \"\\".utf8) + [0x10, 0x80, 0xC3, 0xE6, 0xFF, 0x06]
        for round in 0..<40_000 {
            let dashed = round % 2 == 0
            var b = (0..<32).map { _ in hex[Int(rng.next() % UInt64(hex.count))] }
            if dashed { for p in [8, 13, 18, 23] { b.insert(UInt8(ascii: "-"), at: p) } }
            // Spoil one byte in most rounds, anywhere (dashes included).
            if round % 4 != 0 {
                b[Int(rng.next() % UInt64(b.count))] = near[Int(rng.next() % UInt64(near.count))]
            }
            let got = b.withUnsafeBytes { TraceID(bytes: $0) }
            #expect(got == PackedHeadTests.referenceID(b), "\(String(decoding: b, as: UTF8.self))")
        }
        let canonical = "8f6ff588-fcb6-4983-883c-282f78922756"
        #expect(TraceID(parsing: canonical)?.description == canonical)
        #expect(TraceID(parsing: canonical.uppercased())?.description == canonical)
        #expect(TraceID(parsing: String(canonical.filter { $0 != "-" }))?.description == canonical)
        #expect(TraceID(parsing: String(canonical.dropLast())) == nil)
    }

    @Test func internersGiveOneIDPerDistinctValue() {
        var strings = ByteInterner()
        var kinds = KindTable()
        var rng = Mix(state: 3)
        var ids: [String: UInt32] = ["": 0]
        for _ in 0..<20_000 {
            let word = "w\(rng.next() % 3_000)" + String(repeating: "x", count: Int(rng.next() % 20))
            var copy = word
            let id = copy.withUTF8 { strings.intern(UnsafeRawBufferPointer($0)) }
            if let known = ids[word] { #expect(id == known) } else { ids[word] = id }
            #expect(strings.string(id) == word)
        }
        #expect(strings.count == ids.count)
        #expect(strings.intern(UnsafeRawBufferPointer(start: nil, count: 0)) == 0)
        var keys: [KindKey: UInt32] = [:]
        for _ in 0..<20_000 {
            var key = KindKey()
            for c in 0..<SpanTable.columns { key[c] = UInt32(rng.next() % 3) }
            let k = kinds.intern(key)
            if let known = keys[key] { #expect(k == known) } else { keys[key] = k }
            #expect(kinds.key(k) == key)
        }
        #expect(kinds.count == keys.count)
    }

    @Test func aResentStopIsIgnoredInTheHeadAndAfterAFlush() throws {
        let spans = TraceFixture.spans(trace: 21, spans: 4)
        let lines = spans.map(TraceFixture.eventLines)
        func batch(_ text: String) -> SpanEventBatch {
            let (b, problems) = parseBatch(text)
            #expect(problems.isEmpty)
            return b
        }
        // Each line pair is a start then a stop; the stops alone, to resend.
        let stops = lines.map { String($0.split(separator: "\n")[1]) + "\n" }.joined()
        let starts = lines.map { String($0.split(separator: "\n")[0]) + "\n" }.joined()
        let dir = TemporaryDirectory()
        var options = TraceStoreOptions()
        options.durability = .none
        let store = try TraceStore(directory: dir.path, options: options)
        // Stops first (another file read earlier), then the starts: paired all the same.
        try store.append(batch(stops))
        try store.append(batch(starts))
        #expect(try store.trace(spans[0].baseID).count == spans.count)
        // The stops again, while their spans are in the head: resends, ignored.
        try store.append(batch(stops))
        #expect(store.duplicatesIgnored == spans.count)
        #expect(try store.trace(spans[0].baseID).allSatisfy { $0.status.isEmpty })
        // And again after a flush: the segments hold those spans.
        try store.flush(closingOpenSpans: true)
        try store.append(batch(stops))
        try store.flush(closingOpenSpans: true)
        #expect(store.duplicatesIgnored == 2 * spans.count)
        let got = try store.trace(spans[0].baseID)
        #expect(got.count == spans.count && got.allSatisfy { $0.status.isEmpty })
        #expect(Set(got.map(\.traceID)) == Set(spans.map(\.traceID)))
    }

    @Test func batchesAndEventArraysStoreTheSameSpans() throws {
        // One trace's events with escapes, extra members and an error stop, appended through a
        // parsed batch and through `append(events:)`: the same spans come back, also after a flush.
        let spans = TraceFixture.spans(trace: 9, spans: 12, error: true)
        var text = spans.map(TraceFixture.eventLines).joined()
        text += "{\"info\": {\"host\": \"h\\u00e9\", \"zone\": [1, 2]}, \"name\": \"x\\\"y-start\", \"service\": \"s\", \"project\": \"p\", "
            + "\"timestamp\": \"2019-11-18T12:19:05.100000\", \"trace_id\": \"116851fb-890f-46f7-a753-0dac94d55499\", "
            + "\"parent_id\": \"116851FB-890F-46F7-A753-0DAC94D55400\", \"base_id\": \"116851fb890f46f7a7530dac94d55400\"}\n"
        let (batch, problems) = parseBatch(text)
        #expect(problems.isEmpty)
        let events = batch.events
        #expect(events.count == 2 * spans.count + 1)
        let odd = try #require(events.last)
        #expect(odd.span.host == "hé" && odd.span.name == "x\"y" && odd.span.info.extra == "{\"zone\":[1, 2]}")
        let dirA = TemporaryDirectory(), dirB = TemporaryDirectory()
        let a = try TraceStore(directory: dirA.path), b = try TraceStore(directory: dirB.path)
        try a.append(batch)
        try b.append(events: events)
        let base = spans[0].baseID
        let fromBatch = try a.trace(base), fromEvents = try b.trace(base)
        #expect(fromBatch.count == spans.count && fromBatch == fromEvents)
        #expect(fromBatch.filter(\.isError).count == spans.filter(\.isError).count)
        try a.flush(closingOpenSpans: true)
        #expect(try a.trace(base) == fromBatch)
        let odds = try a.trace(odd.span.baseID)
        #expect(odds.count == 1 && odds[0].status == [.incomplete] && odds[0].info.extra == "{\"zone\":[1, 2]}")
    }
}
