#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An unanchored regular expression over bytes (POSIX extended syntax, as `grep -E` reads it),
/// with the common RE2 spellings translated: a leading `(?i)`, `\d \w \s \D \W \S`, and lazy
/// quantifiers (`*?`, `+?`, `??`, which match the same lines as the greedy ones).
///
/// A line containing a NUL byte is matched up to that byte.
final class PosixRegex: @unchecked Sendable {
    // regexec on a compiled regex_t is safe from several threads (glibc and Darwin lock internally).
    private var compiled = regex_t()
    let pattern: String
    /// True when matching ignores case (REG_ICASE: from the filter or a leading `(?i)`).
    let caseInsensitive: Bool

    /// Compiles `pattern`; `caseInsensitive` adds REG_ICASE (as does a leading `(?i)`).
    init(_ pattern: String, caseInsensitive: Bool) throws(LogStoreError) {
        self.pattern = pattern
        var (translated, icase) = PosixRegex.translate(pattern)
        icase = icase || caseInsensitive
        self.caseInsensitive = icase
        var flags = REG_EXTENDED | REG_NOSUB
        if icase { flags |= REG_ICASE }
        let rc = regcomp(&compiled, translated, flags)
        if rc != 0 {
            var buf = [CChar](repeating: 0, count: 256)
            regerror(rc, &compiled, &buf, buf.count)
            let reason = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            regfree(&compiled)
            throw LogStoreError.invalidRegex(pattern: pattern, reason: reason)
        }
        translated = ""
    }

    deinit { regfree(&compiled) }

    /// True when the pattern matches somewhere in `line`.
    func matches(_ line: UnsafeRawBufferPointer) -> Bool {
        // regexec needs a NUL-terminated string; copy into a small stack-friendly buffer.
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: line.count + 1) { buf in
            if let base = line.baseAddress {
                UnsafeMutableRawPointer(buf.baseAddress!).copyMemory(from: base, byteCount: line.count)
            }
            buf[line.count] = 0
            return regexec(&compiled, buf.baseAddress!, 0, nil, 0) == 0
        }
    }

    /// RE2 spellings to POSIX ERE; returns the pattern and whether it began with `(?i)`.
    static func translate(_ pattern: String) -> (String, Bool) {
        var bytes = Array(pattern.utf8)
        var icase = false
        if bytes.starts(with: Array("(?i)".utf8)) {
            icase = true
            bytes.removeFirst(4)
        }
        var out: [UInt8] = []
        var i = 0
        var inBracket = false
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\\"), i + 1 < bytes.count {
                let n = bytes[i + 1]
                let cls: String? =
                    switch n {
                    case UInt8(ascii: "d"): "0-9"
                    case UInt8(ascii: "w"): "[:alnum:]_"
                    case UInt8(ascii: "s"): "[:space:]"
                    default: nil
                    }
                let neg: String? =
                    switch n {
                    case UInt8(ascii: "D"): "0-9"
                    case UInt8(ascii: "W"): "[:alnum:]_"
                    case UInt8(ascii: "S"): "[:space:]"
                    default: nil
                    }
                if let cls {
                    out += Array((inBracket ? cls : "[" + cls + "]").utf8)
                } else if let neg, !inBracket {
                    out += Array(("[^" + neg + "]").utf8)
                } else {
                    out.append(b)
                    out.append(n)
                }
                i += 2
                continue
            }
            if inBracket {
                if b == UInt8(ascii: "]") { inBracket = false }
                out.append(b)
                i += 1
                continue
            }
            if b == UInt8(ascii: "[") {
                inBracket = true
                out.append(b)
                i += 1
                // A `]` right after `[` or `[^` is literal.
                if i < bytes.count, bytes[i] == UInt8(ascii: "^") { out.append(bytes[i]); i += 1 }
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { out.append(bytes[i]); i += 1 }
                continue
            }
            if b == UInt8(ascii: "?"), let last = out.last,
                last == UInt8(ascii: "*") || last == UInt8(ascii: "+") || last == UInt8(ascii: "?") || last == UInt8(ascii: "}")
            {
                i += 1  // lazy quantifier: same set of matching lines
                continue
            }
            out.append(b)
            i += 1
        }
        return (String(decoding: out, as: UTF8.self), icase)
    }
}
