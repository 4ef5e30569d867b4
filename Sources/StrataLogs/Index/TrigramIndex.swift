import StrataEncoding

/// Trigrams of the template dictionary → the templates containing them.
///
/// Only the literal text of templates is indexed (ids and numbers are placeholders, so they never
/// put their trigrams everywhere), folded to ASCII lowercase so one index serves case-sensitive and
/// case-insensitive filters. A trigram is three consecutive literal bytes with no placeholder
/// between them. Encoded: `[count varint]` then per trigram, ascending:
/// `[trigram u24 LE][templates varint][first template varint][deltas varint]*`.
struct TrigramIndex: Sendable {
    /// Trigram (`b0 | b1 << 8 | b2 << 16`) → sorted template ids.
    var postings: [UInt32: [UInt32]] = [:]

    static func key(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt32 {
        UInt32(asciiLower(a)) | UInt32(asciiLower(b)) << 8 | UInt32(asciiLower(c)) << 16
    }

    static func build(_ templates: [[UInt8]]) -> TrigramIndex {
        var idx = TrigramIndex()
        for (tid, t) in templates.enumerated() {
            var seen = Set<UInt32>()
            let tokens = LineTemplate.tokens(t)
            var i = 0
            while i + 2 < tokens.count {
                let a = tokens[i], b = tokens[i + 1], c = tokens[i + 2]
                if a >= 0 && b >= 0 && c >= 0 {
                    let k = key(UInt8(a), UInt8(b), UInt8(c))
                    if seen.insert(k).inserted { idx.postings[k, default: []].append(UInt32(tid)) }
                }
                i += 1
            }
        }
        return idx
    }

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: postings.count * 8 + 8)
        w.appendVarint(UInt64(postings.count))
        for k in postings.keys.sorted() {
            let list = postings[k]!
            w.appendUInt8(UInt8(k & 0xFF))
            w.appendUInt8(UInt8(k >> 8 & 0xFF))
            w.appendUInt8(UInt8(k >> 16 & 0xFF))
            w.appendVarint(UInt64(list.count))
            var previous: UInt32 = 0
            for (i, t) in list.enumerated() {
                w.appendVarint(UInt64(i == 0 ? t : t &- previous))
                previous = t
            }
        }
        return w.bytes
    }

    init() {}

    init(decoding p: UnsafeRawBufferPointer, templateCount: Int, baseOffset: Int) throws(FormatError) {
        var r = RawBufferReader(p, baseOffset: baseOffset)
        let n = try r.count(limit: p.count, "trigram count")
        postings.reserveCapacity(n)
        for _ in 0..<n {
            let a = try r.uint8(), b = try r.uint8(), c = try r.uint8()
            let m = try r.count(limit: templateCount, "templates of a trigram")
            var list: [UInt32] = []
            list.reserveCapacity(m)
            var t: UInt64 = 0
            for i in 0..<m {
                let at = r.fileOffset
                let d = try r.varint()
                t = i == 0 ? d : t &+ d
                guard t < UInt64(templateCount) else {
                    throw FormatError(.invalid, at: at, "template \(t) of \(templateCount)")
                }
                list.append(UInt32(t))
            }
            postings[UInt32(a) | UInt32(b) << 8 | UInt32(c) << 16] = list
        }
        try r.expectEnd("trigram index")
    }

    /// Templates containing every trigram in `keys` (nil = no constraint: every template).
    func templates(containingAll keys: [UInt32]) -> Set<UInt32>? {
        guard !keys.isEmpty else { return nil }
        var result: Set<UInt32>? = nil
        for k in keys {
            let list = postings[k] ?? []
            if let r = result { result = r.intersection(list) } else { result = Set(list) }
            if result!.isEmpty { break }
        }
        return result
    }
}
