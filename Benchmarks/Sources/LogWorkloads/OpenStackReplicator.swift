/// Replicates Loghub's OpenStack_2k into a large corpus: each copy shifts every timestamp by a
/// whole number of the sample's time spans and gives every UUID (request ids, instance ids, image
/// ids) a fresh value, the same one for every line of that copy that had the same original id.
///
/// Lines look like `<loghub file> 2017-05-16 00:00:00.008 25746 INFO nova... [req-<uuid> ...] ...`.
public struct OpenStackReplicator {
    enum Piece {
        case text([UInt8])
        case timestamp(Int64)  // milliseconds since the epoch of the original
        case uuid(UInt64, UInt64)  // the original's 128 bits
    }
    let lines: [[Piece]]
    /// The span of the sample plus one second, in ms: copy k is shifted by k spans.
    public let spanMillis: Int64
    /// Bytes of one copy.
    public let bytesPerCopy: Int

    public init(sample: [UInt8]) {
        var lines: [[Piece]] = []
        var minT = Int64.max, maxT = Int64.min
        var start = 0
        var total = 0
        while start < sample.count {
            var end = start
            while end < sample.count && sample[end] != 10 { end += 1 }
            let line = Array(sample[start..<end])
            start = end + 1
            if line.isEmpty { continue }
            total += line.count + 1
            var pieces: [Piece] = []
            var text: [UInt8] = []
            var i = 0
            var sawTime = false
            while i < line.count {
                if !sawTime, let t = OpenStackReplicator.parseTimestamp(line, i) {
                    if !text.isEmpty { pieces.append(.text(text)); text = [] }
                    pieces.append(.timestamp(t))
                    minT = min(minT, t)
                    maxT = max(maxT, t)
                    sawTime = true
                    i += 23
                    continue
                }
                if let (hi, lo) = OpenStackReplicator.parseUUID(line, i) {
                    if !text.isEmpty { pieces.append(.text(text)); text = [] }
                    pieces.append(.uuid(hi, lo))
                    i += 36
                    continue
                }
                text.append(line[i])
                i += 1
            }
            if !text.isEmpty { pieces.append(.text(text)) }
            lines.append(pieces)
        }
        self.lines = lines
        spanMillis = (maxT > minT ? maxT - minT : 0) + 1000
        bytesPerCopy = total
    }

    /// Appends copy `k` to `out`.
    public func appendCopy(_ k: Int, to out: inout [UInt8]) {
        for pieces in lines {
            for p in pieces {
                switch p {
                case .text(let t): out.append(contentsOf: t)
                case .timestamp(let t): OpenStackReplicator.appendTimestamp(t + Int64(k) * spanMillis, to: &out)
                case .uuid(let hi, let lo):
                    let (a, b) = OpenStackReplicator.freshUUID(hi, lo, copy: k)
                    OpenStackReplicator.appendUUID(a, b, to: &out)
                }
            }
            out.append(10)
        }
    }

    /// The id that original UUID `uuid` has in copy `k`.
    public static func fresh(_ uuid: String, copy k: Int) -> String {
        let b = Array(uuid.utf8)
        guard let (hi, lo) = parseUUID(b, 0) else { return uuid }
        let (a, c) = freshUUID(hi, lo, copy: k)
        var out: [UInt8] = []
        appendUUID(a, c, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func freshUUID(_ hi: UInt64, _ lo: UInt64, copy k: Int) -> (UInt64, UInt64) {
        if k == 0 { return (hi, lo) }
        let s = mix(hi ^ mix(lo ^ UInt64(k)))
        return (mix(s), mix(s ^ 0x5555))
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func appendUUID(_ hi: UInt64, _ lo: UInt64, to out: inout [UInt8]) {
        for i in 0..<32 {
            if i == 8 || i == 12 || i == 16 || i == 20 { out.append(45) }
            let v = i < 16 ? hi >> UInt64(60 - 4 * i) : lo >> UInt64(60 - 4 * (i - 16))
            out.append(hex[Int(v & 15)])
        }
    }

    static func hexValue(_ b: UInt8) -> UInt64? {
        switch b {
        case 48...57: UInt64(b - 48)
        case 97...102: UInt64(b - 87)
        default: nil
        }
    }

    static func parseUUID(_ l: [UInt8], _ i: Int) -> (UInt64, UInt64)? {
        guard i + 36 <= l.count, l[i + 8] == 45, l[i + 13] == 45, l[i + 18] == 45, l[i + 23] == 45 else { return nil }
        var hi: UInt64 = 0, lo: UInt64 = 0, n = 0
        for k in 0..<36 where k != 8 && k != 13 && k != 18 && k != 23 {
            guard let v = hexValue(l[i + k]) else { return nil }
            if n < 16 { hi = hi << 4 | v } else { lo = lo << 4 | v }
            n += 1
        }
        return (hi, lo)
    }

    /// `YYYY-MM-DD HH:MM:SS.mmm` at `i`, as ms since the epoch (UTC).
    public static func parseTimestamp(_ l: [UInt8], _ i: Int) -> Int64? {
        guard i + 23 <= l.count, l[i + 4] == 45, l[i + 7] == 45, l[i + 10] == 32, l[i + 13] == 58, l[i + 16] == 58,
            l[i + 19] == 46
        else { return nil }
        func num(_ a: Int, _ n: Int) -> Int64? {
            var v: Int64 = 0
            for k in a..<(a + n) {
                let d = l[i + k] &- 48
                guard d < 10 else { return nil }
                v = v * 10 + Int64(d)
            }
            return v
        }
        guard let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2),
            let s = num(17, 2), let ms = num(20, 3)
        else { return nil }
        let days = daysFromCivil(y, mo, d)
        return ((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms
    }

    static func appendTimestamp(_ t: Int64, to out: inout [UInt8]) {
        let days = t / 86_400_000
        var rest = t % 86_400_000
        let (y, mo, d) = civilFromDays(days)
        let h = rest / 3_600_000
        rest %= 3_600_000
        let mi = rest / 60_000
        rest %= 60_000
        func put(_ v: Int64, _ width: Int) {
            var digits = [UInt8](repeating: 48, count: width)
            var x = v
            for k in stride(from: width - 1, through: 0, by: -1) {
                digits[k] = UInt8(48 + x % 10)
                x /= 10
            }
            out.append(contentsOf: digits)
        }
        put(y, 4); out.append(45); put(mo, 2); out.append(45); put(d, 2); out.append(32)
        put(h, 2); out.append(58); put(mi, 2); out.append(58); put(rest / 1000, 2); out.append(46); put(rest % 1000, 3)
    }

    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
