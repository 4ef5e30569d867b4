import StrataEncoding

/// Takes UUIDs out of span text (request paths, messages) and into a block's id table.
///
/// OpenStack paths carry ids (`/v2/images/<uuid>/file`, `/v2.1/<project hex>/servers/<uuid>`):
/// as hex text they cost about 20 compressed bytes, as 16 raw bytes in the id section 16, and a
/// repeat costs one small reference. In the text an id becomes `0x01 varint(k + 1)` (a
/// lowercase canonical UUID, table entry k) or `0x02 varint(k + 1)` (32 lowercase hex digits);
/// a literal 0x01 or 0x02 byte is written as that byte followed by 0x00. Lossless for any bytes.
struct TextIDTokens {
    private(set) var table: [TraceID] = []
    private var positions: [TraceID: Int] = [:]

    init() {}

    init(table: [TraceID]) { self.table = table }

    /// Appends the bytes `b` tokenised and length-prefixed.
    mutating func append(_ raw: UnsafeRawBufferPointer, to out: inout ByteWriter) {
        var tokens: [UInt8] = []
        tokens.reserveCapacity(raw.count)
        let b = raw.assumingMemoryBound(to: UInt8.self)
        var i = 0
        while i < b.count {
            let c = b[i]
            if c >= 0x30 && (i + 32 <= b.count) {
                if i + 36 <= b.count, TextIDTokens.isCanonicalUUID(b, i) {
                    if let id = TraceID(bytes: UnsafeRawBufferPointer(rebasing: raw[i..<(i + 36)])) { reference(0x01, id, &tokens) }
                    i += 36
                    continue
                }
                if TextIDTokens.isHex32(b, i) {
                    if let id = TraceID(bytes: UnsafeRawBufferPointer(rebasing: raw[i..<(i + 32)])) { reference(0x02, id, &tokens) }
                    i += 32
                    continue
                }
            }
            tokens.append(c)
            if c == 0x01 || c == 0x02 { tokens.append(0) }
            i += 1
        }
        out.appendVarint(UInt64(tokens.count))
        out.append(contentsOf: tokens)
    }

    private mutating func reference(_ marker: UInt8, _ id: TraceID, _ tokens: inout [UInt8]) {
        let k: Int
        if let p = positions[id] {
            k = p
        } else {
            k = table.count
            positions[id] = k
            table.append(id)
        }
        tokens.append(marker)
        var v = UInt64(k + 1)
        while v >= 0x80 {
            tokens.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        tokens.append(UInt8(v))
    }

    @inline(__always)
    static func isLowerHex(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) }

    static func isCanonicalUUID(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        for k in 0..<36 {
            let c = b[i + k]
            if k == 8 || k == 13 || k == 18 || k == 23 {
                if c != UInt8(ascii: "-") { return false }
            } else if !isLowerHex(c) {
                return false
            }
        }
        return true
    }

    static func isHex32(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        for k in 0..<32 where !isLowerHex(b[i + k]) { return false }
        return true
    }

    /// Reads one tokenised, length-prefixed string.
    func string(_ r: inout RawBufferReader) throws(FormatError) -> String {
        let n = try r.count(limit: r.remaining, "text length")
        let at = r.fileOffset
        return try text(try r.bytes(n), at: at)
    }

    /// The text of one tokenised value's bytes (`at`: their offset, for errors).
    func text(_ b: UnsafeRawBufferPointer, at: Int) throws(FormatError) -> String {
        let n = b.count
        var plain = true
        for c in b where c == 0x01 || c == 0x02 {
            plain = false
            break
        }
        if plain { return String(decoding: b, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(n + 64)
        var i = 0
        while i < n {
            let c = b[i]
            i += 1
            guard c == 0x01 || c == 0x02 else {
                out.append(c)
                continue
            }
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < n, shift < 63 else { throw FormatError(.invalid, at: at + i, "bad id reference in text") }
                let x = b[i]
                i += 1
                v |= UInt64(x & 0x7F) << shift
                shift += 7
                if x < 0x80 { break }
            }
            if v == 0 {
                out.append(c)
                continue
            }
            guard v <= UInt64(table.count) else { throw FormatError(.invalid, at: at + i, "text id reference \(v) past the id table") }
            let text = Array(table[Int(v - 1)].description.utf8)
            if c == 0x01 { out.append(contentsOf: text) } else { out.append(contentsOf: text.filter { $0 != UInt8(ascii: "-") }) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
