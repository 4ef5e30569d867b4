/// Splits a line into a template and its variables, and puts it back together byte for byte.
///
/// The template is the line with every variable replaced by a one-byte placeholder:
/// - `0x01` a lowercase UUID `8-4-4-4-12` (every occurrence, wherever it is): 16 bytes in the ids stream;
/// - `0x02` 32 lowercase hex digits with no letter, digit or UUID right after them and no letter or
///   digit before them (OpenStack user and project ids): 16 bytes in the ids stream;
/// - `0x03` a run of ASCII digits (stopping where a UUID starts): `[length varint][digits]` in the
///   numbers stream.
/// - `0x05` (segment version 2) a run of 8 or more lowercase hex digits holding both a digit and a
///   letter, with no letter or digit on either side (or right after `0x`): audit ids, SHA1s,
///   pointers. `[length varint][the hex text]` in the numbers stream, like a number, so each such
///   id does not make a template of its own.
/// Bytes `0x01`-`0x05` of the line itself are written `0x04 <byte>`. Lines of the same shape share
/// one template, so a segment keeps a small dictionary of templates and, per row, a template id.
enum LineTemplate {
    static let uuid: UInt8 = 1
    static let hex32: UInt8 = 2
    static let number: UInt8 = 3
    static let escape: UInt8 = 4
    static let hexRun: UInt8 = 5
    /// Shortest `hexRun`.
    static let minHexRun = 8

    /// 0-15 for `0-9a-f`, 255 otherwise.
    static let hexValue: [UInt8] = (0..<256).map { b in
        switch b {
        case 0x30...0x39: UInt8(b - 0x30)
        case 0x61...0x66: UInt8(b - 0x61 + 10)
        default: 255
        }
    }
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    @inline(__always)
    static func isAlnum(_ b: UInt8) -> Bool {
        (b &- 0x30) < 10 || (b | 0x20) &- 0x61 < 26
    }

    /// True when a lowercase UUID starts at `i`.
    @inline(__always)
    static func isUUID(_ p: UnsafeRawBufferPointer, _ i: Int) -> Bool {
        guard i &+ 36 <= p.count else { return false }
        if p[i &+ 8] != 0x2D || p[i &+ 13] != 0x2D || p[i &+ 18] != 0x2D || p[i &+ 23] != 0x2D { return false }
        return hexValue.withUnsafeBufferPointer { hv in
            for k in 0..<36 where k != 8 && k != 13 && k != 18 && k != 23 {
                if hv[Int(p[i &+ k])] == 255 { return false }
            }
            return true
        }
    }

    /// True when 32 lowercase hex digits start at `i` with the boundaries `hex32` needs.
    @inline(__always)
    static func isHex32(_ p: UnsafeRawBufferPointer, _ i: Int) -> Bool {
        guard i &+ 32 <= p.count else { return false }
        if i > 0 && isAlnum(p[i &- 1]) { return false }
        if i &+ 32 < p.count && isAlnum(p[i &+ 32]) { return false }
        let ok = hexValue.withUnsafeBufferPointer { hv in
            for k in 0..<32 where hv[Int(p[i &+ k])] == 255 { return false }
            return true
        }
        return ok && !isUUID(p, i &+ 24)
    }

    /// Appends 16 bytes for the hex digits at `i` (`count` digits, dashes skipped for a UUID).
    @inline(__always)
    static func appendBinary(_ p: UnsafeRawBufferPointer, _ i: Int, uuid: Bool, to ids: inout [UInt8]) {
        hexValue.withUnsafeBufferPointer { hv in
            var k = i
            var hi: UInt8 = 0
            var half = false
            let end = i &+ (uuid ? 36 : 32)
            while k < end {
                let v = hv[Int(p[k])]
                k &+= 1
                if v == 255 { continue }  // a dash
                if half { ids.append(hi << 4 | v) } else { hi = v }
                half.toggle()
            }
        }
    }

    /// Masks `line`: `template` is replaced by its template, variables are appended to `numbers`
    /// (`[length varint][digits]` per number) and `ids` (16 bytes per id).
    static func mask(
        _ p: UnsafeRawBufferPointer, template: inout [UInt8], numbers: inout [UInt8], ids: inout [UInt8]
    ) {
        let n = p.count
        template.removeAll(keepingCapacity: true)
        // Written through a pointer (an escaped line is at most twice as long), then resized once.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * n + 1) { out in
            var o = 0
            var i = 0
            var literalStart = 0
            @inline(__always) func flushLiteral(_ end: Int) {
                if end > literalStart {
                    UnsafeMutableRawPointer(out.baseAddress! + o).copyMemory(from: p.baseAddress! + literalStart, byteCount: end - literalStart)
                    o &+= end - literalStart
                }
            }
            while i < n {
                let b = p[i]
                if (b &- 0x30) < 10 || (b &- 0x61) < 6 {
                    if isUUID(p, i) {
                        flushLiteral(i)
                        out[o] = uuid
                        o &+= 1
                        appendBinary(p, i, uuid: true, to: &ids)
                        i &+= 36
                        literalStart = i
                        continue
                    }
                    if (i == 0 || !isAlnum(p[i &- 1])) && isHex32(p, i) {
                        flushLiteral(i)
                        out[o] = hex32
                        o &+= 1
                        appendBinary(p, i, uuid: false, to: &ids)
                        i &+= 32
                        literalStart = i
                        continue
                    }
                    // A hex run must hold a letter: a digit run not followed by one is a number (the
                    // common case, checked without scanning the run twice).
                    if (i == 0 || !isAlnum(p[i &- 1]) || (i >= 2 && p[i &- 1] == 0x78 && p[i &- 2] == 0x30))
                        && ((b &- 0x61) < 6 || startsHexWithLetter(p, i))
                    {
                        let j = hexRunEnd(p, i)
                        if j > i {
                            flushLiteral(i)
                            out[o] = hexRun
                            o &+= 1
                            var len = UInt64(j &- i)
                            while len >= 0x80 {
                                numbers.append(UInt8(truncatingIfNeeded: len) | 0x80)
                                len >>= 7
                            }
                            numbers.append(UInt8(len))
                            numbers.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[i..<j]))
                            i = j
                            literalStart = i
                            continue
                        }
                    }
                    if (b &- 0x30) < 10 {
                        flushLiteral(i)
                        var j = i &+ 1
                        while j < n && (p[j] &- 0x30) < 10 && !isUUID(p, j) { j &+= 1 }
                        out[o] = number
                        o &+= 1
                        var len = UInt64(j &- i)
                        while len >= 0x80 {
                            numbers.append(UInt8(truncatingIfNeeded: len) | 0x80)
                            len >>= 7
                        }
                        numbers.append(UInt8(len))
                        numbers.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[i..<j]))
                        i = j
                        literalStart = i
                        continue
                    }
                } else if b &- 1 < 5 {
                    flushLiteral(i)
                    out[o] = escape
                    out[o &+ 1] = b
                    o &+= 2
                    i &+= 1
                    literalStart = i
                    continue
                }
                i &+= 1
            }
            flushLiteral(n)
            template.append(contentsOf: UnsafeBufferPointer(start: out.baseAddress, count: o))
        }
    }

    /// True when the digits at `i` are followed (within the run of hex digits) by a letter a-f.
    @inline(__always)
    static func startsHexWithLetter(_ p: UnsafeRawBufferPointer, _ i: Int) -> Bool {
        var j = i
        while j < p.count && (p[j] &- 0x30) < 10 { j &+= 1 }
        return j < p.count && (p[j] &- 0x61) < 6
    }

    /// The end of a `hexRun` starting at `i`, or `i` when there is none there: 8+ lowercase hex
    /// digits with at least one digit and one letter, not followed by a letter or digit, and no
    /// UUID starting inside.
    @inline(__always)
    static func hexRunEnd(_ p: UnsafeRawBufferPointer, _ i: Int) -> Int {
        var j = i
        var digits = false, letters = false
        while j < p.count {
            let c = p[j]
            if (c &- 0x30) < 10 {
                digits = true
            } else if (c &- 0x61) < 6 {
                letters = true
            } else {
                break
            }
            j &+= 1
        }
        guard j &- i >= minHexRun, digits, letters else { return i }
        if j < p.count && isAlnum(p[j]) { return i }
        if j < p.count && p[j] == 0x2D { return i }  // a dash: part of a UUID-like or hyphenated name
        return j
    }

    /// Rebuilds one line from its template and the variables `mask` wrote for it (numbers in line
    /// order), advancing the cursors. The reference decoder for `mask`; segments store numbers per
    /// placeholder column and rebuild through `TemplateProgram`.
    /// - Returns: false when a stream runs out or holds a malformed length.
    static func rebuild(
        _ t: UnsafeRawBufferPointer, numbers: UnsafeRawBufferPointer, numberAt: inout Int,
        ids: UnsafeRawBufferPointer, idAt: inout Int, into out: inout [UInt8]
    ) -> Bool {
        var i = 0
        let n = t.count
        while i < n {
            let b = t[i]
            i &+= 1
            switch b {
            case uuid, hex32:
                guard idAt &+ 16 <= ids.count else { return false }
                for k in 0..<16 {
                    let v = ids[idAt &+ k]
                    if b == uuid && (k == 4 || k == 6 || k == 8 || k == 10) { out.append(0x2D) }
                    out.append(hexDigits[Int(v >> 4)])
                    out.append(hexDigits[Int(v & 15)])
                }
                idAt &+= 16
            case number, hexRun:
                var len = 0
                var shift = 0
                while true {
                    guard numberAt < numbers.count, shift < 28 else { return false }
                    let c = numbers[numberAt]
                    numberAt &+= 1
                    len |= Int(c & 0x7F) << shift
                    if c < 0x80 { break }
                    shift &+= 7
                }
                guard len <= numbers.count &- numberAt else { return false }
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: numbers[numberAt..<numberAt &+ len]))
                numberAt &+= len
            case escape:
                guard i < n else { return false }
                out.append(t[i])
                i &+= 1
            default:
                out.append(b)
            }
        }
        return true
    }

    /// The template as tokens for planning: literal bytes, and placeholders as negative kinds.
    static func tokens(_ t: [UInt8]) -> [Int16] {
        var out: [Int16] = []
        out.reserveCapacity(t.count)
        var i = 0
        while i < t.count {
            let b = t[i]
            i += 1
            switch b {
            case uuid, hex32, number, hexRun: out.append(-Int16(b))
            case escape:
                if i < t.count { out.append(Int16(t[i])) }
                i += 1
            default: out.append(Int16(b))
            }
        }
        return out
    }

    /// A version-1 template in version-2 terms: a literal `0x05` byte (which version 1 did not
    /// escape) becomes `0x04 0x05`.
    static func upgradingVersion1(_ t: [UInt8]) -> [UInt8] {
        guard t.contains(hexRun) else { return t }
        var out: [UInt8] = []
        out.reserveCapacity(t.count + 4)
        var i = 0
        while i < t.count {
            let b = t[i]
            if b == escape {
                out.append(b)
                if i + 1 < t.count { out.append(t[i + 1]) }
                i += 2
                continue
            }
            if b == hexRun { out.append(escape) }
            out.append(b)
            i += 1
        }
        return out
    }
}
