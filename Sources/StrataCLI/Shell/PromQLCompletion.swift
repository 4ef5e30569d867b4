import Strata
import StrataLabels

/// Tab completion inside a PromQL query: metric names, functions, aggregations and keywords at
/// the top level; label names inside `{...}` and in `by (...)`, `without (...)`, `on (...)`,
/// `ignoring (...)`, `group_left/right (...)`; label values inside a quoted matcher value. Inside
/// `name{...}` only the labels and values of that metric's series are offered.
struct PromQLCompletion {
    var metricNames: () -> [String]
    /// Label names, of one metric's series when given.
    var labelNames: (_ metric: String?) -> [String]
    /// Values of a label, among one metric's series when given.
    var labelValues: (_ metric: String?, _ label: String) -> [String]

    static let keywords = [
        "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or", "unless",
    ]
    static let aggregations = [
        "sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values",
    ]
    static let labelListKeywords: Set<String> = ["by", "without", "on", "ignoring", "group_left", "group_right"]

    func complete(_ text: String) -> Completion {
        let chars = Array(text)
        var quote: Character?
        var quoteStart = 0
        var braceOpen: Int?
        var parens: [Int] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if let q = quote {
                if c == "\\" && q != "`" { i += 2; continue }
                if c == q { quote = nil }
            } else {
                switch c {
                case "\"", "'", "`": quote = c; quoteStart = i
                case "{": braceOpen = i
                case "}": braceOpen = nil
                case "(": parens.append(i)
                case ")": _ = parens.popLast()
                default: break
                }
            }
            i += 1
        }

        if quote != nil {
            // A label value: `name=~"pre`
            guard braceOpen != nil, let label = labelBefore(operatorEndingAt: quoteStart - 1, in: chars) else {
                return .none
            }
            let prefix = String(chars[(quoteStart + 1)...])
            let q = quote!
            let values = labelValues(metric(before: braceOpen!, in: chars), label).compactMap { escape($0, in: q) }
            return Completion.matching(values, prefix: prefix, replaceFrom: quoteStart + 1, suffix: String(q))
        }

        var start = chars.count
        while start > 0 && isNameCharacter(chars[start - 1]) { start -= 1 }
        let word = String(chars[start...])
        if let brace = braceOpen {
            let names = labelNames(metric(before: brace, in: chars)).filter { $0 != "__name__" }
            return Completion.matching(names, prefix: word, replaceFrom: start)
        }
        if let open = parens.last, Self.labelListKeywords.contains(wordBefore(open, in: chars)) {
            return Completion.matching(labelNames(nil).filter { $0 != "__name__" }, prefix: word, replaceFrom: start)
        }
        guard !word.isEmpty, !(word.first!.isNumber) else { return .none }
        let names = Completion.matching(metricNames(), prefix: word, replaceFrom: start)
        let functions = Completion.matching(
            Array(PromQLFunctions.signatures.values.filter { !$0.experimental }.map(\.name)) + Self.aggregations,
            prefix: word, replaceFrom: start, suffix: "(")
        let keywords = Completion.matching(Self.keywords, prefix: word, replaceFrom: start, suffix: " ")
        return names.merged(functions).merged(keywords)
    }

    /// The metric name written right before the brace at `brace`, if any.
    private func metric(before brace: Int, in chars: [Character]) -> String? {
        let name = wordBefore(brace, in: chars)
        return name.isEmpty || name.first!.isNumber ? nil : name
    }

    /// `value` as it must be typed inside `quote`s: backslashes and that quote escaped; nil when a
    /// backtick string cannot hold it.
    private func escape(_ value: String, in quote: Character) -> String? {
        if quote == "`" { return value.contains("`") ? nil : value }
        var out = ""
        for c in value {
            if c == "\\" || c == quote { out.append("\\") }
            if c == "\n" { out += "\\n"; continue }
            out.append(c)
        }
        return out
    }

    private func isNameCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == ":")
    }

    /// The identifier just before position `i` (skipping spaces), e.g. `by` in `by (`.
    private func wordBefore(_ i: Int, in chars: [Character]) -> String {
        var e = i
        while e > 0 && chars[e - 1] == " " { e -= 1 }
        var s = e
        while s > 0 && isNameCharacter(chars[s - 1]) { s -= 1 }
        return String(chars[s..<e])
    }

    /// For `job=~"`, given the index of the last operator character (before the quote), `job`.
    private func labelBefore(operatorEndingAt i: Int, in chars: [Character]) -> String? {
        var j = i
        while j >= 0 && chars[j] == " " { j -= 1 }
        while j >= 0 && (chars[j] == "=" || chars[j] == "~" || chars[j] == "!") { j -= 1 }
        let name = wordBefore(j + 1, in: chars)
        return name.isEmpty ? nil : name
    }
}
