import StrataStorage
import StrataEncoding

/// A Bloom filter over the base_ids of a segment: "certainly not here" for most absent traces.
///
/// 10 bits per trace and 7 probes (about 1% false positives), double hashing on
/// `TraceID.mixedHash`.
struct BaseIDFilter: Sendable {
    var words: [UInt64]
    let probes: Int

    init(count: Int) {
        let bits = max(64, (count * 10 + 63) / 64 * 64)
        words = [UInt64](repeating: 0, count: bits / 64)
        probes = 7
    }

    init(words: [UInt64], probes: Int) {
        self.words = words
        self.probes = probes
    }

    mutating func insert(_ id: TraceID) {
        let n = UInt64(words.count * 64)
        let h = id.mixedHash
        let h1 = h & 0xFFFF_FFFF, h2 = (h >> 32) | 1
        for i in 0..<UInt64(probes) {
            let bit = (h1 &+ i &* h2) % n
            words[Int(bit / 64)] |= 1 << (bit % 64)
        }
    }

    func mayContain(_ id: TraceID) -> Bool {
        let n = UInt64(words.count * 64)
        guard n > 0 else { return false }
        let h = id.mixedHash
        let h1 = h & 0xFFFF_FFFF, h2 = (h >> 32) | 1
        for i in 0..<UInt64(probes) {
            let bit = (h1 &+ i &* h2) % n
            if words[Int(bit / 64)] & (1 << (bit % 64)) == 0 { return false }
        }
        return true
    }

    func encode(into w: inout ByteWriter) {
        w.appendVarint(UInt64(words.count))
        w.appendUInt8(UInt8(probes))
        for x in words { w.appendUInt64(x) }
    }

    static func decode(_ r: inout RawBufferReader) throws(FormatError) -> BaseIDFilter {
        let n = try r.count(limit: r.remaining / 8 + 1, "filter words")
        let k = Int(try r.uint8())
        guard k >= 1 && k <= 16 else { throw FormatError(.invalid, at: r.position - 1, "filter probe count \(k)") }
        var words = [UInt64](repeating: 0, count: n)
        for i in 0..<n { words[i] = try r.uint64() }
        return BaseIDFilter(words: words, probes: k)
    }
}

/// Version 3's base_id filter: a `PagedKeyFilter` (StrataStorage) of the segment's base_ids,
/// hashed with `TraceID.mixedHash`, stored between the blocks and the index.
enum PagedBaseIDFilter {
    static func encode(_ ids: [TraceID], lines: Int) -> [UInt8] { PagedKeyFilter.encode(ids.map(\.mixedHash), lines: lines) }
}
