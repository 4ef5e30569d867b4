/// The YAML that policy, configuration and rule files are written in: block mappings and sequences
/// (indentation), flow mappings and sequences on one line (`{store: logs, keep: 2d}`, `[a, b]`),
/// plain, 'single' and "double" quoted scalars (which may continue over several lines), literal
/// (`|`, `|-`, `|+`) and folded (`>`, `>-`) block scalars, and `#` comments. Anchors, aliases, tags
/// and several documents are refused with their line and column, never misread.
///
/// Positions: a scalar's `at` is where its text starts; for a block scalar, the first character of
/// its first content line (every content line starts at that column).
///
/// Why not Yams: it imports Foundation, which links Foundation and ICU into the statically linked
/// `strata` (44 -> 97 MB, and 3.7 MB more resident memory for every command) for one small file.
package struct PolicyYAML {
    /// A 1-based line and column (in characters).
    package struct Position: Sendable, Equatable {
        package var line: Int
        package var column: Int
        package init(line: Int, column: Int) {
            self.line = line
            self.column = column
        }
    }

    package indirect enum Node: Sendable {
        case scalar(String, quoted: Bool, at: Position)
        case mapping([(key: String, keyAt: Position, value: Node)], at: Position)
        case sequence([Node], at: Position)

        package var position: Position {
            switch self {
            case .scalar(_, _, let p), .mapping(_, let p), .sequence(_, let p): p
            }
        }
    }

    package struct SyntaxError: Error, Sendable {
        package var at: Position
        package var message: String
    }

    private struct Line {
        var number: Int
        var indent: Int
        /// The line's characters from `indent` on, comment removed and trailing spaces trimmed.
        var text: [Character]
    }

    private var lines: [Line] = []
    private var index = 0
    /// Every line of the document as written (without its line break), for block and multi-line scalars.
    private var raw: [[Character]] = []
    /// Nesting of collections, bounded so that hostile input cannot exhaust the stack.
    private var depth = 0
    private static let maxDepth = 200

    /// Moves `index` past the structural lines up to and including line `number` (consumed by a scalar).
    private mutating func skipLines(through number: Int) {
        while index < lines.count && lines[index].number <= number { index += 1 }
    }

    /// Parses `text` into its root node (an empty mapping for an empty document).
    package static func parse(_ text: String) throws(SyntaxError) -> Node {
        var p = PolicyYAML()
        try p.split(text)
        guard !p.lines.isEmpty else { return .mapping([], at: Position(line: 1, column: 1)) }
        let root = try p.block(indent: p.lines[0].indent)
        if p.index < p.lines.count {
            let l = p.lines[p.index]
            throw SyntaxError(at: Position(line: l.number, column: l.indent + 1), message: "unexpected indentation: this line belongs to nothing above it")
        }
        return root
    }

    private mutating func split(_ text: String) throws(SyntaxError) {
        var number = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var chars = Array(rawLine)
            if chars.last == "\r" { chars.removeLast() }
            raw.append(chars)
            var indent = 0
            while indent < chars.count && chars[indent] == " " { indent += 1 }
            if indent < chars.count && chars[indent] == "\t" {
                throw SyntaxError(at: Position(line: number, column: indent + 1), message: "a tab in indentation (YAML indents with spaces)")
            }
            var body = Array(chars[indent...])
            // Remove a comment: `#` at the start or after a space, outside quotes.
            var quote: Character? = nil
            var k = 0
            while k < body.count {
                let c = body[k]
                if let q = quote {
                    if c == q {
                        if q == "'" && k + 1 < body.count && body[k + 1] == "'" { k += 1 } else { quote = nil }
                    } else if q == "\"" && c == "\\" {
                        k += 1
                    }
                } else if c == "'" || c == "\"" {
                    quote = c
                } else if c == "#" && (k == 0 || body[k - 1] == " " || body[k - 1] == "\t") {
                    body.removeSubrange(k...)
                    break
                }
                k += 1
            }
            while let last = body.last, last == " " || last == "\t" { body.removeLast() }
            if body.isEmpty { continue }
            if lines.isEmpty && body == ["-", "-", "-"] { continue }  // a leading document marker
            if body == ["-", "-", "-"] || body == [".", ".", "."] {
                throw SyntaxError(at: Position(line: number, column: 1), message: "one YAML document only")
            }
            lines.append(Line(number: number, indent: indent, text: body))
        }
    }

    private func isSequenceItem(_ l: Line) -> Bool {
        l.text.first == "-" && (l.text.count == 1 || l.text[1] == " ")
    }

    /// A block node whose first line is `lines[index]`, at `indent`.
    private mutating func block(indent: Int) throws(SyntaxError) -> Node {
        let l = lines[index]
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth {
            throw SyntaxError(at: Position(line: l.number, column: indent + 1), message: "nesting deeper than \(Self.maxDepth) levels")
        }
        if isSequenceItem(l) { return try sequence(indent: indent) }
        if try keyColon(l.text, line: l) != nil { return try mapping(indent: indent) }
        index += 1
        return try scalarValue(l, from: 0, parentIndent: indent - 1)
    }

    private mutating func sequence(indent: Int) throws(SyntaxError) -> Node {
        let start = Position(line: lines[index].number, column: indent + 1)
        var items: [Node] = []
        while index < lines.count, lines[index].indent == indent, isSequenceItem(lines[index]) {
            let l = lines[index]
            var offset = 1
            while offset < l.text.count && l.text[offset] == " " { offset += 1 }
            if offset >= l.text.count {
                // `-` alone: the item is the block below, indented further.
                index += 1
                guard index < lines.count, lines[index].indent > indent else {
                    throw SyntaxError(at: Position(line: l.number, column: indent + 1), message: "an empty sequence item")
                }
                items.append(try block(indent: lines[index].indent))
                continue
            }
            // The rest of the line is the item's first line, indented to where its text starts.
            lines[index] = Line(number: l.number, indent: indent + offset, text: Array(l.text[offset...]))
            items.append(try block(indent: indent + offset))
        }
        return .sequence(items, at: start)
    }

    private mutating func mapping(indent: Int) throws(SyntaxError) -> Node {
        let start = Position(line: lines[index].number, column: indent + 1)
        var pairs: [(key: String, keyAt: Position, value: Node)] = []
        while index < lines.count, lines[index].indent == indent, !isSequenceItem(lines[index]) {
            let l = lines[index]
            guard let (key, after) = try keyColon(l.text, line: l) else {
                throw SyntaxError(at: Position(line: l.number, column: indent + 1), message: "expected `key: value`")
            }
            let keyAt = Position(line: l.number, column: indent + 1)
            if pairs.contains(where: { $0.key == key }) {
                throw SyntaxError(at: keyAt, message: "duplicate key \(key)")
            }
            var rest = after
            while rest < l.text.count && l.text[rest] == " " { rest += 1 }
            index += 1
            if rest < l.text.count {
                pairs.append((key, keyAt, try scalarValue(l, from: rest, parentIndent: indent)))
            } else if index < lines.count, lines[index].indent > indent
                || (lines[index].indent == indent && isSequenceItem(lines[index]))
            {
                pairs.append((key, keyAt, try block(indent: lines[index].indent)))
            } else {
                pairs.append((key, keyAt, .scalar("", quoted: false, at: Position(line: l.number, column: indent + after + 1))))
            }
        }
        if index < lines.count, lines[index].indent > indent {
            let l = lines[index]
            throw SyntaxError(at: Position(line: l.number, column: l.indent + 1), message: "unexpected indentation")
        }
        return .mapping(pairs, at: start)
    }

    /// The key of a `key: value` line and the index just after its colon; nil when the line is not one.
    private func keyColon(_ t: [Character], line l: Line) throws(SyntaxError) -> (String, Int)? {
        if t.first == "'" || t.first == "\"" {
            var i = 0
            let key = try quoted(t, &i, line: l)
            guard i < t.count, t[i] == ":", i + 1 == t.count || t[i + 1] == " " else { return nil }
            return (key, i + 1)
        }
        if t.first == "{" || t.first == "[" { return nil }
        if let f = t.first, f == "&" || f == "*" || f == "!" {
            throw SyntaxError(at: Position(line: l.number, column: l.indent + 1), message: "`\(f)` (anchors, aliases, tags) is not supported; quote the value")
        }
        var i = 0
        while i < t.count {
            if t[i] == ":" && (i + 1 == t.count || t[i + 1] == " ") {
                let key = String(t[..<i])
                return key.isEmpty ? nil : (key, i + 1)
            }
            i += 1
        }
        return nil
    }

    /// The value starting at `l.text[from]` of a line whose node sits at `parentIndent`: a block
    /// scalar (`|`, `>`), a quoted scalar that may continue on the lines below, a plain scalar that
    /// continues on more indented lines, or a one-line value.
    private mutating func scalarValue(_ l: Line, from: Int, parentIndent: Int) throws(SyntaxError) -> Node {
        let t = l.text
        let at = Position(line: l.number, column: l.indent + from + 1)
        switch t[from] {
        case "|", ">":
            return try blockScalar(l, from: from, parentIndent: parentIndent)
        case "\"", "'":
            if !quotedClosesOnLine(t, from: from) { return try multiLineQuoted(l, from: from) }
            return try value(t, from: from, line: l)
        case "{", "[", "&", "*", "!", "%", "@", "`":
            return try value(t, from: from, line: l)
        default:
            let first = try value(t, from: from, line: l)
            // Continuation lines of a plain scalar: more indented than its parent, and not a comment.
            guard case .scalar(var s, _, _) = first, index < lines.count, lines[index].indent > parentIndent,
                !isSequenceItem(lines[index]) || lines[index].indent > parentIndent + 1
            else { return first }
            // (A continuation line may start with `*` or `&`: it is text, not an alias or anchor.)
            if (try? keyColon(lines[index].text, line: lines[index])) != nil { return first }
            var blank = 0
            var n = l.number
            while index < lines.count, lines[index].indent > parentIndent {
                let c = lines[index]
                // Blank lines between continuation lines become line breaks.
                blank = 0
                for k in n..<(c.number - 1) where raw[k].allSatisfy({ $0 == " " || $0 == "\t" }) { blank += 1 }
                s += blank > 0 ? String(repeating: "\n", count: blank) : " "
                s += String(c.text)
                n = c.number
                index += 1
            }
            return .scalar(s, quoted: false, at: at)
        }
    }

    /// Whether the quoted scalar at `t[from]` ends on its line.
    private func quotedClosesOnLine(_ t: [Character], from: Int) -> Bool {
        let q = t[from]
        var i = from + 1
        while i < t.count {
            if t[i] == q {
                if q == "'" && i + 1 < t.count && t[i + 1] == "'" { i += 2; continue }
                return true
            }
            if q == "\"" && t[i] == "\\" { i += 1 }
            i += 1
        }
        return false
    }

    /// A quoted scalar over several lines: each line break folds to a space (an empty line to a
    /// line break), leading and trailing spaces of the lines are dropped, and in double quotes a
    /// `\` at the end of a line joins the lines without a space.
    private mutating func multiLineQuoted(_ l: Line, from: Int) throws(SyntaxError) -> Node {
        let col = l.indent + from  // 0-based column of the opening quote in its raw line
        let at = Position(line: l.number, column: col + 1)
        var row = l.number - 1
        var chars = raw[row]
        let q = chars[col]
        var i = col + 1
        var out = ""
        while true {
            var joinNoSpace = false
            while i < chars.count {
                let c = chars[i]
                if c == q {
                    if q == "'" && i + 1 < chars.count && chars[i + 1] == "'" {
                        out.append("'")
                        i += 2
                        continue
                    }
                    // Closed: only a comment may follow.
                    var k = i + 1
                    while k < chars.count && (chars[k] == " " || chars[k] == "\t") { k += 1 }
                    if k < chars.count && chars[k] != "#" {
                        throw SyntaxError(at: Position(line: row + 1, column: k + 1), message: "unexpected text after the value")
                    }
                    skipLines(through: row + 1)
                    return .scalar(out, quoted: true, at: at)
                }
                if q == "\"" && c == "\\" {
                    if i + 1 == chars.count {
                        joinNoSpace = true
                        i += 1
                        continue
                    }
                    guard let e = Self.unescape(chars[i + 1]) else {
                        throw SyntaxError(at: Position(line: row + 1, column: i + 1), message: "unknown escape \\\(chars[i + 1]) in a double-quoted string")
                    }
                    out.append(e)
                    i += 2
                    continue
                }
                out.append(c)
                i += 1
            }
            if !joinNoSpace { while let last = out.last, last == " " || last == "\t" { out.removeLast() } }
            var breaks = 0
            repeat {
                row += 1
                guard row < raw.count else { throw SyntaxError(at: at, message: "a quoted string not closed before the end of the file") }
                chars = raw[row]
                i = 0
                while i < chars.count && (chars[i] == " " || chars[i] == "\t") { i += 1 }
                if i == chars.count { breaks += 1 }
            } while i == chars.count
            if joinNoSpace {
            } else if breaks > 0 {
                out += String(repeating: "\n", count: breaks)
            } else {
                out += " "
            }
        }
    }

    /// The character a double-quoted escape `\e` stands for; nil for an unknown escape.
    private static func unescape(_ e: Character) -> Character? {
        switch e {
        case "\\", "\"", "/": e
        case "n": "\n"
        case "t": "\t"
        case "r": "\r"
        case "0": "\0"
        case " ": " "
        default: nil
        }
    }

    /// A literal (`|`) or folded (`>`) block scalar with optional chomping (`-`, `+`) and
    /// indentation indicator, whose content is the raw lines below indented past `parentIndent`.
    private mutating func blockScalar(_ l: Line, from: Int, parentIndent: Int) throws(SyntaxError) -> Node {
        let t = l.text
        let literal = t[from] == "|"
        var chomp: Character = " "
        var explicitIndent: Int? = nil
        var i = from + 1
        while i < t.count, t[i] != " " {
            switch t[i] {
            case "-" where chomp == " ", "+" where chomp == " ": chomp = t[i]
            case "1"..."9" where explicitIndent == nil: explicitIndent = Int(String(t[i]))
            default:
                throw SyntaxError(at: Position(line: l.number, column: l.indent + i + 1), message: "unexpected `\(t[i])` in a block scalar header")
            }
            i += 1
        }
        while i < t.count && t[i] == " " { i += 1 }
        if i < t.count {
            throw SyntaxError(at: Position(line: l.number, column: l.indent + i + 1), message: "unexpected text after a block scalar header")
        }
        // Content lines: blank, or indented past the parent.
        var contentIndent: Int? = explicitIndent.map { max(parentIndent, 0) + $0 }
        var body: [[Character]] = []
        var n = l.number  // 0-based index of the next raw line
        var firstContent: Int? = nil
        while n < raw.count {
            let r = raw[n]
            var ind = 0
            while ind < r.count && r[ind] == " " { ind += 1 }
            if ind == r.count {  // blank
                body.append([])
                n += 1
                continue
            }
            if ind <= parentIndent { break }
            if contentIndent == nil { contentIndent = ind }
            guard let ci = contentIndent, ind >= ci else { break }
            if firstContent == nil { firstContent = n }
            body.append(Array(r[ci...]))
            n += 1
        }
        // Trailing blank lines belong to the scalar only for chomping; they are not content.
        var trailing = 0
        while let last = body.last, last.isEmpty { body.removeLast(); trailing += 1 }
        let lastLine = n - trailing  // 1-based number of the last content line
        skipLines(through: lastLine)
        var s = ""
        if literal {
            s = body.map { String($0) }.joined(separator: "\n")
        } else {
            // Folding: a line break between two lines of text becomes a space; empty lines are
            // line breaks; more indented lines keep their breaks.
            var prevMoreIndented = false
            var prevEmpty = true
            for (k, line) in body.enumerated() {
                let more = line.first == " " || line.first == "\t"
                if line.isEmpty {
                    s += "\n"
                    prevEmpty = true
                    continue
                }
                if k > 0 {
                    if more || prevMoreIndented { s += "\n" } else if !prevEmpty { s += " " }
                }
                s += String(line)
                prevMoreIndented = more
                prevEmpty = false
            }
        }
        if !body.isEmpty {
            switch chomp {
            case "-": break
            case "+": s += String(repeating: "\n", count: 1 + trailing)
            default: s += "\n"
            }
        }
        let at = Position(line: (firstContent ?? (l.number - 1)) + 1, column: (contentIndent ?? 0) + 1)
        return .scalar(s, quoted: true, at: at)
    }

    /// The value starting at `t[from]`: flow collection, quoted or plain scalar, to the end of the line.
    private func value(_ t: [Character], from: Int, line l: Line) throws(SyntaxError) -> Node {
        var i = from
        let node = try flowValue(t, &i, line: l, inFlow: false)
        while i < t.count && t[i] == " " { i += 1 }
        if i < t.count {
            throw SyntaxError(at: Position(line: l.number, column: l.indent + i + 1), message: "unexpected text after the value")
        }
        return node
    }

    private func flowValue(_ t: [Character], _ i: inout Int, line l: Line, inFlow: Bool, depth: Int = 0) throws(SyntaxError) -> Node {
        while i < t.count && t[i] == " " { i += 1 }
        let at = Position(line: l.number, column: l.indent + i + 1)
        if depth > Self.maxDepth { throw SyntaxError(at: at, message: "nesting deeper than \(Self.maxDepth) levels") }
        guard i < t.count else { return .scalar("", quoted: false, at: at) }
        switch t[i] {
        case "{":
            i += 1
            var pairs: [(key: String, keyAt: Position, value: Node)] = []
            while true {
                while i < t.count && t[i] == " " { i += 1 }
                guard i < t.count else { throw SyntaxError(at: at, message: "a flow mapping `{` not closed on its line") }
                if t[i] == "}" { i += 1; break }
                let keyAt = Position(line: l.number, column: l.indent + i + 1)
                let keyNode = try flowScalar(t, &i, line: l, stops: [":", ",", "}"])
                guard case .scalar(let key, _, _) = keyNode, !key.isEmpty else {
                    throw SyntaxError(at: keyAt, message: "expected a key")
                }
                guard i < t.count, t[i] == ":" else { throw SyntaxError(at: keyAt, message: "expected `key: value` in the flow mapping") }
                i += 1
                if pairs.contains(where: { $0.key == key }) { throw SyntaxError(at: keyAt, message: "duplicate key \(key)") }
                pairs.append((key, keyAt, try flowValue(t, &i, line: l, inFlow: true, depth: depth + 1)))
                while i < t.count && t[i] == " " { i += 1 }
                guard i < t.count else { throw SyntaxError(at: at, message: "a flow mapping `{` not closed on its line") }
                if i < t.count && t[i] == "," { i += 1; continue }
                if i < t.count && t[i] == "}" { i += 1; break }
                throw SyntaxError(at: Position(line: l.number, column: l.indent + i + 1), message: "expected `,` or `}`")
            }
            return .mapping(pairs, at: at)
        case "[":
            i += 1
            var items: [Node] = []
            while true {
                while i < t.count && t[i] == " " { i += 1 }
                guard i < t.count else { throw SyntaxError(at: at, message: "a flow sequence `[` not closed on its line") }
                if t[i] == "]" { i += 1; break }
                items.append(try flowValue(t, &i, line: l, inFlow: true, depth: depth + 1))
                while i < t.count && t[i] == " " { i += 1 }
                guard i < t.count else { throw SyntaxError(at: at, message: "a flow sequence `[` not closed on its line") }
                if i < t.count && t[i] == "," { i += 1; continue }
                if i < t.count && t[i] == "]" { i += 1; break }
                throw SyntaxError(at: Position(line: l.number, column: l.indent + i + 1), message: "expected `,` or `]`")
            }
            return .sequence(items, at: at)
        case "&", "*", "!", "%", "@", "`":
            throw SyntaxError(at: at, message: "`\(t[i])` (anchors, aliases, tags) is not supported; quote the value")
        case "|" where inFlow, ">" where inFlow:
            throw SyntaxError(at: at, message: "a block scalar cannot be inside `[...]` or `{...}`")
        default:
            return try flowScalar(t, &i, line: l, stops: inFlow ? [",", "}", "]"] : [])
        }
    }

    private func flowScalar(_ t: [Character], _ i: inout Int, line l: Line, stops: Set<Character>) throws(SyntaxError) -> Node {
        while i < t.count && t[i] == " " { i += 1 }
        let at = Position(line: l.number, column: l.indent + i + 1)
        if i < t.count && (t[i] == "'" || t[i] == "\"") {
            let s = try quoted(t, &i, line: l)
            return .scalar(s, quoted: true, at: at)
        }
        let start = i
        while i < t.count {
            if stops.contains(t[i]) {
                // `:` ends a key only when a space or the end follows it (as in `a: b`); URLs keep theirs.
                if t[i] != ":" || i + 1 == t.count || t[i + 1] == " " || t[i + 1] == "," || t[i + 1] == "}" { break }
            }
            i += 1
        }
        var s = Array(t[start..<i])
        while let last = s.last, last == " " { s.removeLast() }
        return .scalar(String(s), quoted: false, at: at)
    }

    private func quoted(_ t: [Character], _ i: inout Int, line l: Line) throws(SyntaxError) -> String {
        let q = t[i]
        let at = Position(line: l.number, column: l.indent + i + 1)
        i += 1
        var out = ""
        while i < t.count {
            let c = t[i]
            if c == q {
                if q == "'" && i + 1 < t.count && t[i + 1] == "'" {
                    out.append("'")
                    i += 2
                    continue
                }
                i += 1
                return out
            }
            if q == "\"" && c == "\\" {
                guard i + 1 < t.count else { break }
                let e = t[i + 1]
                guard let c = Self.unescape(e) else {
                    throw SyntaxError(at: Position(line: l.number, column: l.indent + i + 1), message: "unknown escape \\\(e) in a double-quoted string")
                }
                out.append(c)
                i += 2
                continue
            }
            out.append(c)
            i += 1
        }
        throw SyntaxError(at: at, message: "a quoted string not closed on its line (multi-line strings are not supported)")
    }
}
