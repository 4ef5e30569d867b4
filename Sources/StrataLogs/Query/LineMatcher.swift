#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line filter, compiled for matching raw line bytes.
///
/// Literal filters use a byte search (ASCII case folding for case-insensitive ones);
/// regex filters use `PosixRegex`. Matching is on the whole line, as `grep` does.
struct LineMatcher: Sendable {
    enum Kind: Sendable {
        case literal([UInt8])
        /// Lowercased needle; the haystack is folded on the fly.
        case literalFolded([UInt8])
        case regex(PosixRegex)
    }
    let kind: Kind
    /// True for `!=` and `!~`.
    let negated: Bool
    let filter: LineFilter

    init(_ f: LineFilter) throws(LogStoreError) {
        filter = f
        negated = f.op == .notContains || f.op == .notMatches
        switch f.op {
        case .contains, .notContains:
            let needle = Array(f.pattern.utf8)
            kind = f.caseInsensitive ? .literalFolded(needle.map(asciiLower)) : .literal(needle)
        case .matches, .notMatches:
            kind = .regex(try PosixRegex(f.pattern, caseInsensitive: f.caseInsensitive))
        }
    }

    /// True when `line` passes this filter (negation applied).
    func passes(_ line: UnsafeRawBufferPointer) -> Bool {
        found(line) != negated
    }

    /// True when the positive form matches `line` (negation not applied).
    func found(_ line: UnsafeRawBufferPointer) -> Bool {
        switch kind {
        case .literal(let n): return n.withUnsafeBytes { ByteSearch.contains(line, $0) }
        case .literalFolded(let n): return n.withUnsafeBytes { ByteSearch.containsFolded(line, $0) }
        case .regex(let r): return r.matches(line)
        }
    }
}

@inline(__always)
func asciiLower(_ b: UInt8) -> UInt8 { b &- 65 < 26 ? b | 0x20 : b }

/// Substring search on raw bytes.
enum ByteSearch {
    /// True when `needle` occurs in `hay` (an empty needle always does).
    static func contains(_ hay: UnsafeRawBufferPointer, _ needle: UnsafeRawBufferPointer) -> Bool {
        firstIndex(hay, needle) != nil
    }

    /// The offset of the first occurrence of `needle` in `hay`.
    static func firstIndex(_ hay: UnsafeRawBufferPointer, _ needle: UnsafeRawBufferPointer) -> Int? {
        if needle.isEmpty { return 0 }
        guard hay.count >= needle.count, let h = hay.baseAddress, let n = needle.baseAddress else { return nil }
        let first = Int32(needle[0])
        let rest = needle.count - 1
        var i = 0
        let last = hay.count - needle.count
        while i <= last {
            guard let p = memchr(h + i, first, last - i + 1) else { return nil }
            let at = h.distance(to: UnsafeRawPointer(p))
            if rest == 0 || memcmp(h + at + 1, n + 1, rest) == 0 { return at }
            i = at + 1
        }
        return nil
    }

    /// Case-insensitive (ASCII) search; `needle` must already be lowercase.
    static func containsFolded(_ hay: UnsafeRawBufferPointer, _ needle: UnsafeRawBufferPointer) -> Bool {
        let n = needle.count, h = hay.count
        if n == 0 { return true }
        if n > h { return false }
        let first = needle[0]
        var i = 0
        while i <= h - n {
            if asciiLower(hay[i]) == first {
                var k = 1
                while k < n && asciiLower(hay[i + k]) == needle[k] { k += 1 }
                if k == n { return true }
            }
            i += 1
        }
        return false
    }
}
