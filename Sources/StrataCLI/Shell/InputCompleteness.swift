/// Decides whether typed text is a whole query or continues on the next line: a line ending in `\`,
/// an open bracket (`(`, `{`, `[`) or an unterminated string (`"`, `'`, backtick) continues.
/// Shell commands (`\time ...`) are one line, except the per-query overrides (`\m`, `\l`, `\t`).
enum InputCompleteness {
    enum Verdict: Equatable {
        case complete
        /// Wants more lines; `dropTrailingBackslash` when the line ended in a continuation `\`.
        case continues(dropTrailingBackslash: Bool)
    }

    static func check(_ text: String) -> Verdict {
        let trimmed = text.trimmingWhitespace()
        if trimmed.hasSuffix("\\") && !trimmed.hasSuffix("\\\\") && trimmed != "\\" {
            return .continues(dropTrailingBackslash: true)
        }
        if trimmed.hasPrefix("\\") && ShellOverride.split(trimmed) == nil { return .complete }
        var depth = 0
        var quote: UInt8?
        var escaped = false
        var inComment = false
        for b in trimmed.utf8 {
            if inComment {
                if b == UInt8(ascii: "\n") { inComment = false }
                continue
            }
            if let q = quote {
                if escaped {
                    escaped = false
                } else if b == UInt8(ascii: "\\") && q != UInt8(ascii: "`") {
                    escaped = true
                } else if b == q {
                    quote = nil
                }
                continue
            }
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"): quote = b
            case UInt8(ascii: "("), UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: ")"), UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: "#"): inComment = true
            default: break
            }
        }
        return quote != nil || depth > 0 ? .continues(dropTrailingBackslash: false) : .complete
    }
}

/// The per-query store override: `\m <promql>`, `\l <logql>`, `\t <trace query>`.
enum ShellOverride {
    /// The mode name and the query, or nil when `text` does not start with an override.
    /// Each prefix and the mode it sends a query to.
    static let prefixes = ["\\m": "metrics", "\\l": "logs", "\\t": "traces"]

    static func split(_ text: String) -> (mode: String, query: String)? {
        for (prefix, mode) in prefixes {
            if text == prefix { return (mode, "") }
            if text.hasPrefix(prefix + " ") || text.hasPrefix(prefix + "\n") {
                return (mode, String(text.dropFirst(prefix.count)).trimmingWhitespace())
            }
        }
        return nil
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let a = firstIndex(where: { !isSpace($0) }), let b = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[a...b])
    }
}
