/// Finds what to highlight in a log line: every occurrence of the search literals (`|= "error"`),
/// as merged, sorted UTF-8 byte ranges, and applies a painter to them.
package enum TextHighlight {
    /// Byte ranges of `needles` in `text` (overlapping and touching ranges merged). ASCII letters
    /// compare without case when `caseInsensitive`.
    package static func ranges(of needles: [String], in text: String, caseInsensitive: Bool = false) -> [Range<Int>] {
        let hay = Array(text.utf8)
        func fold(_ b: UInt8) -> UInt8 { caseInsensitive && b >= 65 && b <= 90 ? b + 32 : b }
        var found: [Range<Int>] = []
        for needle in needles {
            let n = Array(needle.utf8)
            guard !n.isEmpty, n.count <= hay.count else { continue }
            var i = 0
            while i + n.count <= hay.count {
                var k = 0
                while k < n.count && fold(hay[i + k]) == fold(n[k]) { k += 1 }
                if k == n.count {
                    found.append(i..<(i + n.count))
                    i += n.count
                } else {
                    i += 1
                }
            }
        }
        found.sort { $0.lowerBound < $1.lowerBound }
        var merged: [Range<Int>] = []
        for r in found {
            if let last = merged.last, r.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        return merged
    }

    /// `text` with each range passed through `paint` (ranges from `ranges(of:in:)`).
    package static func apply(_ ranges: [Range<Int>], to text: String, paint: (String) -> String) -> String {
        let bytes = Array(text.utf8)
        var out = ""
        var at = 0
        for r in ranges where r.lowerBound >= at && r.upperBound <= bytes.count {
            out += String(decoding: bytes[at..<r.lowerBound], as: UTF8.self)
            out += paint(String(decoding: bytes[r], as: UTF8.self))
            at = r.upperBound
        }
        return out + String(decoding: bytes[at...], as: UTF8.self)
    }
}
