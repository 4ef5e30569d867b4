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

/// Version 3's base_id filter: a blocked Bloom filter stored uncompressed between the blocks
/// and the index, so that a lookup reads one page of it and decodes nothing else of a segment
/// that does not hold the trace.
///
/// 10 bits per trace in lines of 512 bits (64 bytes); the 7 probes of an id fall in one line
/// (about 1 % false positives). Lines are stored in pages of up to 64 lines (4 KiB), each page
/// followed by the CRC32C of its bytes (Docs/format/span-segment.md).
struct PagedBaseIDFilter: Sendable {
    static let lineBytes = 64
    static let linesPerPage = 64
    static let probes = 7

    /// Lines for `traces` ids: 10 bits each, at least one line.
    static func lineCount(traces: Int) -> Int { max(1, (traces * 10 + 511) / 512) }

    /// Bytes of the region that holds `lines` lines (their pages and CRCs).
    static func regionSize(lines: Int) -> Int { lines * lineBytes + pageCount(lines: lines) * 4 }

    static func pageCount(lines: Int) -> Int { (lines + linesPerPage - 1) / linesPerPage }

    /// Where page `p` of the region starts, from the region's start.
    static func pageOffset(_ p: Int) -> Int { p * (linesPerPage * lineBytes + 4) }

    /// Lines in page `p` of a region of `lines` lines.
    static func linesIn(page p: Int, lines: Int) -> Int { min(linesPerPage, lines - p * linesPerPage) }

    /// The line of `id` among `lines`, and its 7 bit positions in the line.
    @inline(__always)
    static func probe(_ id: TraceID, lines: Int) -> (line: Int, bits: UInt64) {
        let h = id.mixedHash
        let line = Int((((h &* 0x9E37_79B9_7F4A_7C15) >> 32) &* UInt64(lines)) >> 32)
        return (line, h)
    }

    /// The `i`th bit position (0..<512) of a probe hash.
    @inline(__always)
    static func bit(_ h: UInt64, _ i: Int) -> Int { Int((h >> UInt64(9 * i)) & 511) }

    /// The region for `ids` in `lines` lines, pages and CRCs included.
    static func encode(_ ids: [TraceID], lines: Int) -> [UInt8] {
        var bits = [UInt8](repeating: 0, count: lines * lineBytes)
        for id in ids {
            let (line, h) = probe(id, lines: lines)
            for i in 0..<probes {
                let b = bit(h, i)
                bits[line * lineBytes + b / 8] |= 1 << UInt8(b % 8)
            }
        }
        var w = ByteWriter(capacity: regionSize(lines: lines))
        for p in 0..<pageCount(lines: lines) {
            let from = p * linesPerPage * lineBytes
            let start = w.count
            w.append(contentsOf: bits[from..<(from + linesIn(page: p, lines: lines) * lineBytes)])
            w.appendCRC32C(from: start)
        }
        return w.bytes
    }

    /// Whether `line` (64 bytes) has every probe bit of `h` set.
    static func lineHolds(_ line: UnsafeRawBufferPointer, _ h: UInt64) -> Bool {
        for i in 0..<probes {
            let b = bit(h, i)
            if line[b / 8] & (1 << UInt8(b % 8)) == 0 { return false }
        }
        return true
    }
}
