/// The YAML a policy file is written in: block mappings and sequences (indentation), flow
/// mappings and sequences on one line (`{store: logs, keep: 2d}`, `[a, b]`), plain, 'single' and
/// "double" quoted scalars, and `#` comments. Anchors, aliases, tags, multi-line scalars and
/// several documents are refused with their line and column, never misread.
///
/// Why not Yams: it imports Foundation, which links Foundation and ICU into the statically linked
/// `strata` (44 -> 97 MB, and 3.7 MB more resident memory for every command) for one small file.
package struct PolicyYAML {
    /// A 1-based line and column (in characters).
    package struct Position: Sendable, Equatable {
        package var line: Int
        package var column: Int
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
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var chars = Array(raw)
            if chars.last == "\r" { chars.removeLast() }
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
        if isSequenceItem(l) { return try sequence(indent: indent) }
        if try keyColon(l.text, line: l) != nil { return try mapping(indent: indent) }
        index += 1
        return try value(l.text, from: 0, line: l)
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
                pairs.append((key, keyAt, try value(l.text, from: rest, line: l)))
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

    private func flowValue(_ t: [Character], _ i: inout Int, line l: Line, inFlow: Bool) throws(SyntaxError) -> Node {
        while i < t.count && t[i] == " " { i += 1 }
        let at = Position(line: l.number, column: l.indent + i + 1)
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
                pairs.append((key, keyAt, try flowValue(t, &i, line: l, inFlow: true)))
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
                items.append(try flowValue(t, &i, line: l, inFlow: true))
                while i < t.count && t[i] == " " { i += 1 }
                guard i < t.count else { throw SyntaxError(at: at, message: "a flow sequence `[` not closed on its line") }
                if i < t.count && t[i] == "," { i += 1; continue }
                if i < t.count && t[i] == "]" { i += 1; break }
                throw SyntaxError(at: Position(line: l.number, column: l.indent + i + 1), message: "expected `,` or `]`")
            }
            return .sequence(items, at: at)
        case "&", "*", "!", "|", ">", "%", "@", "`":
            throw SyntaxError(at: at, message: "`\(t[i])` (anchors, aliases, tags, block scalars) is not supported in a policy; quote the value")
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
                switch e {
                case "\\", "\"", "/": out.append(e)
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "0": out.append("\0")
                default:
                    throw SyntaxError(at: Position(line: l.number, column: l.indent + i + 1), message: "unknown escape \\\(e) in a double-quoted string")
                }
                i += 2
                continue
            }
            out.append(c)
            i += 1
        }
        throw SyntaxError(at: at, message: "a quoted string not closed on its line (multi-line strings are not supported)")
    }
}
