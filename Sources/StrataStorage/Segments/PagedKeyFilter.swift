import StrataEncoding
/// A blocked Bloom filter stored uncompressed in a file, in checksummed pages, so that a lookup
/// reads one page (or the whole region once) and nothing else of a file that cannot hold the
/// key: span segments keep one over their base_ids, log segments over the ids in their lines.
///
/// 10 bits per key in lines of 512 bits (64 bytes); the 7 probes of a key fall in one line
/// (about 1 % false positives). With `h` the key's 64-bit hash (already mixed), its line is
/// `((h · 0x9E3779B97F4A7C15) >> 32) · lines >> 32` and its bits `(h >> 9i) & 511` for i in
/// 0..<7 (bit b is bit `b % 8` of byte `b / 8` of the line). Lines are stored in pages of up
/// to 64 lines (4 KiB), each followed by the CRC32C of its bytes (Docs/format/encodings.md).
///
/// ```swift
/// let lines = PagedKeyFilter.lineCount(keys: hashes.count)
/// let region = PagedKeyFilter.encode(hashes, lines: lines)
/// let (line, h) = PagedKeyFilter.probe(hashes[0], lines: lines)
/// ```
public enum PagedKeyFilter {
    public static let lineBytes = 64
    public static let linesPerPage = 64
    public static let probes = 7

    /// Lines for `keys` keys: 10 bits each, at least one line.
    public static func lineCount(keys: Int) -> Int { max(1, (keys * 10 + 511) / 512) }

    /// Bytes of the region that holds `lines` lines (their pages and CRCs).
    public static func regionSize(lines: Int) -> Int { lines * lineBytes + pageCount(lines: lines) * 4 }

    /// Pages of a region of `lines` lines.
    public static func pageCount(lines: Int) -> Int { (lines + linesPerPage - 1) / linesPerPage }

    /// Where page `p` of the region starts, from the region's start.
    public static func pageOffset(_ p: Int) -> Int { p * (linesPerPage * lineBytes + 4) }

    /// Lines in page `p` of a region of `lines` lines.
    public static func linesIn(page p: Int, lines: Int) -> Int { min(linesPerPage, lines - p * linesPerPage) }

    /// The line of hash `h` among `lines` (and `h` again, whose bits pick the probes).
    @inline(__always)
    public static func probe(_ h: UInt64, lines: Int) -> (line: Int, bits: UInt64) {
        let line = Int((((h &* 0x9E37_79B9_7F4A_7C15) >> 32) &* UInt64(lines)) >> 32)
        return (line, h)
    }

    /// The `i`th bit position (0..<512) of a probe hash.
    @inline(__always)
    static func bit(_ h: UInt64, _ i: Int) -> Int { Int((h >> UInt64(9 * i)) & 511) }

    /// The region for `hashes` in `lines` lines, pages and CRCs included.
    public static func encode(_ hashes: [UInt64], lines: Int) -> [UInt8] {
        var bits = [UInt8](repeating: 0, count: lines * lineBytes)
        for h in hashes {
            let (line, _) = probe(h, lines: lines)
            for i in 0..<probes {
                let b = bit(h, i)
                bits[line * lineBytes + b / 8] |= 1 << UInt8(b % 8)
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(regionSize(lines: lines))
        for p in 0..<pageCount(lines: lines) {
            let from = p * linesPerPage * lineBytes
            let page = bits[from..<(from + linesIn(page: p, lines: lines) * lineBytes)]
            out.append(contentsOf: page)
            let crc = page.withUnsafeBytes { CRC32C.checksum($0) }
            withUnsafeBytes(of: crc.littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }

    /// Whether `line` (64 bytes) has every probe bit of `h` set.
    public static func lineHolds(_ line: UnsafeRawBufferPointer, _ h: UInt64) -> Bool {
        for i in 0..<probes {
            let b = bit(h, i)
            if line[b / 8] & (1 << UInt8(b % 8)) == 0 { return false }
        }
        return true
    }

    /// Checks every page's CRC of `region` (a whole region of `lines` lines); returns the lines
    /// without the CRCs, or the offset in the region of the first damaged page.
    public static func lines(of region: [UInt8], lines: Int) -> Result<[UInt8], PageDamage> {
        var bits: [UInt8] = []
        bits.reserveCapacity(lines * lineBytes)
        for p in 0..<pageCount(lines: lines) {
            let from = pageOffset(p)
            let n = linesIn(page: p, lines: lines) * lineBytes
            guard from + n + 4 <= region.count else { return .failure(PageDamage(page: p, offset: from)) }
            guard region.withUnsafeBytes({ pageIsIntact(UnsafeRawBufferPointer(rebasing: $0[from..<(from + n + 4)])) }) else {
                return .failure(PageDamage(page: p, offset: from))
            }
            bits.append(contentsOf: region[from..<(from + n)])
        }
        return .success(bits)
    }

    /// Whether `page` (a page's lines followed by their CRC32C) is intact.
    public static func pageIsIntact(_ page: UnsafeRawBufferPointer) -> Bool {
        guard page.count >= 4 else { return false }
        let n = page.count - 4
        return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: page[0..<n])) == UInt32(littleEndian: page.loadUnaligned(fromByteOffset: n, as: UInt32.self))
    }

    /// A page whose CRC does not match, and where it starts in the region.
    public struct PageDamage: Error, Sendable {
        public var page: Int
        public var offset: Int
    }
}
