/// What Tab can insert at the cursor: the text from `replaceFrom` (a character offset into the text
/// before the cursor) is replaced by a candidate; a lone candidate also gets its `suffix`
/// (`(` after a function, a closing quote after a label value, a space after a command).
struct Completion: Equatable {
    struct Candidate: Equatable {
        var text: String
        var suffix: String = ""
    }

    var replaceFrom: Int
    var candidates: [Candidate]

    static let none = Completion(replaceFrom: 0, candidates: [])

    /// Candidates from `words` that start with `prefix` (sorted, without duplicates).
    static func matching(_ words: [String], prefix: String, replaceFrom: Int, suffix: String = "") -> Completion {
        let picked = Set(words.filter { $0.hasPrefix(prefix) }).sorted()
        return Completion(replaceFrom: replaceFrom, candidates: picked.map { Candidate(text: $0, suffix: suffix) })
    }

    /// Joins two completions over the same word.
    func merged(_ other: Completion) -> Completion {
        var seen = Set(candidates.map(\.text))
        var all = candidates
        for c in other.candidates where seen.insert(c.text).inserted { all.append(c) }
        return Completion(replaceFrom: replaceFrom, candidates: all.sorted { $0.text < $1.text })
    }

    /// The longest prefix every candidate shares.
    var commonPrefix: String {
        guard var p = candidates.first.map({ Array($0.text) }) else { return "" }
        for c in candidates.dropFirst() {
            let t = Array(c.text)
            var n = 0
            while n < p.count && n < t.count && p[n] == t[n] { n += 1 }
            p.removeLast(p.count - n)
        }
        return String(p)
    }

    /// Candidates laid out in columns for a terminal `width` wide (at most `limit` shown).
    func listing(width: Int, limit: Int = 120) -> String {
        let shown = candidates.prefix(limit).map(\.text)
        let colWidth = (shown.map(\.count).max() ?? 0) + 2
        let perLine = max(1, width / max(colWidth, 1))
        var lines: [String] = []
        var i = 0
        while i < shown.count {
            let row = shown[i..<min(i + perLine, shown.count)]
            lines.append(
                row.map { $0 + String(repeating: " ", count: colWidth - $0.count) }.joined().trimmingTrailingSpaces())
            i += perLine
        }
        if candidates.count > limit { lines.append("... and \(candidates.count - limit) more") }
        return lines.joined(separator: "\n")
    }
}
