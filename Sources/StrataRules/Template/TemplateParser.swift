/// The parse tree: lists of nodes; pipelines of commands; commands of operands. Offsets are byte
/// offsets into the source, for error positions and for the `<context>` of execution errors.
enum TemplateNode: Sendable {
    case text(String)
    case action(TemplatePipe)
    case ifBlock(TemplatePipe, [TemplateNode], [TemplateNode]?)
    case rangeBlock(TemplatePipe, [TemplateNode], [TemplateNode]?)
    case withBlock(TemplatePipe, [TemplateNode], [TemplateNode]?)
    case breakLoop
    case continueLoop
}

struct TemplatePipe: Sendable {
    var declarations: [String]
    var isAssign: Bool
    var commands: [TemplateCommand]
    var start: Int
    var end: Int
}

struct TemplateCommand: Sendable {
    var args: [TemplateOperand]
    var start: Int
    var end: Int
}

struct TemplateOperand: Sendable {
    indirect enum Kind: Sendable {
        case field([String])
        case variable(String, [String])
        case chain(TemplateOperand, [String])
        case function(TemplateFunction)
        case dot
        case nilValue
        case bool(Bool)
        case int(Int)
        case float(Double)
        case string(String)
        case pipe(TemplatePipe)
    }
    var kind: Kind
    var start: Int
    var end: Int

    /// Literals cannot be the later stages of a pipeline.
    var isLiteral: Bool {
        switch kind {
        case .bool, .dot, .nilValue, .int, .float, .string: return true
        default: return false
        }
    }
}

/// The parser of `text/template/parse/parse.go`, over the lexer's tokens.
struct TemplateParser {
    /// Deepest nesting of parentheses and `if`/`range`/`with` blocks accepted.
    static let maxDepth = 1000

    let src: [UInt8]
    let tokens: [TemplateToken]
    let lexError: String
    let functions: Set<String>
    var i = 0
    var vars: [String] = ["$"]
    var rangeDepth = 0
    var depth = 0

    init(source: [UInt8], functions: Set<String>) {
        src = source
        let lexer = TemplateLexer(source)
        tokens = lexer.tokens
        lexError = lexer.errorMessage
        self.functions = functions
    }

    /// What `textOrAction` found: a node, or the `{{end}}` / `{{else}}` that ends a list.
    enum Item {
        case node(TemplateNode)
        case end(Int)
        case elseItem(Int)
    }

    func text(_ t: TemplateToken) -> String { String(decoding: src[t.start..<t.end], as: UTF8.self) }

    // MARK: - Tokens

    /// The token at `i`; past the end, the last one (the EOF or the lexical error), so that
    /// `backup` after reading it stays consistent.
    mutating func next() -> TemplateToken {
        let t = peek()
        i += 1
        return t
    }

    func peek() -> TemplateToken { tokens[min(i, tokens.count - 1)] }

    mutating func nextNonSpace() -> TemplateToken {
        var t = next()
        while t.kind == .space { t = next() }
        return t
    }

    mutating func peekNonSpace() -> TemplateToken {
        while i < tokens.count && tokens[i].kind == .space { i += 1 }
        return peek()
    }

    mutating func backup() { i -= 1 }

    /// Go's `item.String()`: `EOF`, `<end>`, `"text"`, `"0123456789"...`.
    func describe(_ t: TemplateToken) -> String {
        if t.kind == .eof { return "EOF" }
        if t.isKeyword { return "<\(text(t))>" }
        let s = text(t)
        if s.unicodeScalars.count > 10 { return GoText.quote(String(String.UnicodeScalarView(s.unicodeScalars.prefix(10)))) + "..." }
        return GoText.quote(s)
    }

    func failure(_ message: String, _ t: TemplateToken) -> TemplateFailure { TemplateFailure(message, at: t.start) }

    func unexpected(_ t: TemplateToken, _ context: String) -> TemplateFailure {
        if t.kind == .error { return failure(lexError, t) }
        return failure("unexpected \(describe(t)) in \(context)", t)
    }

    mutating func expect(_ kind: TemplateToken.Kind, _ context: String) throws(TemplateFailure) -> TemplateToken {
        let t = nextNonSpace()
        if t.kind != kind { throw unexpected(t, context) }
        return t
    }

    mutating func enter(_ t: TemplateToken) throws(TemplateFailure) {
        depth += 1
        if depth > Self.maxDepth {
            throw failure("nesting deeper than \(Self.maxDepth) levels (parentheses and if/range/with blocks) is not supported", t)
        }
    }

    // MARK: - Lists and actions

    mutating func parseTemplate() throws(TemplateFailure) -> [TemplateNode] {
        var list: [TemplateNode] = []
        while peek().kind != .eof {
            switch try textOrAction() {
            case .node(let n): list.append(n)
            case .end(let offset): throw TemplateFailure("unexpected {{end}}", at: offset)
            case .elseItem(let offset): throw TemplateFailure("unexpected {{else}}", at: offset)
            }
        }
        return list
    }

    /// Nodes up to an `{{end}}` or `{{else}}`, which it returns.
    mutating func itemList() throws(TemplateFailure) -> ([TemplateNode], Item) {
        var list: [TemplateNode] = []
        while peekNonSpace().kind != .eof {
            let item = try textOrAction()
            if case .node(let n) = item { list.append(n) } else { return (list, item) }
        }
        throw failure("unexpected EOF", peek())
    }

    mutating func textOrAction() throws(TemplateFailure) -> Item {
        let t = nextNonSpace()
        switch t.kind {
        case .text: return .node(.text(text(t)))
        case .leftDelim: return try action(t)
        default: throw unexpected(t, "input")
        }
    }

    mutating func action(_ delim: TemplateToken) throws(TemplateFailure) -> Item {
        let t = nextNonSpace()
        switch t.kind {
        case .keywordBlock, .keywordDefine, .keywordTemplate:
            throw failure("{{\(text(t))}} is not supported: annotations are single templates", t)
        case .keywordBreak, .keywordContinue:
            let name = text(t)
            let after = nextNonSpace()
            if after.kind != .rightDelim { throw unexpected(after, "{{\(name)}}") }
            if rangeDepth == 0 { throw failure("{{\(name)}} outside {{range}}", t) }
            return .node(t.kind == .keywordBreak ? .breakLoop : .continueLoop)
        case .keywordElse:
            let p = peekNonSpace()
            if p.kind == .keywordIf || p.kind == .keywordWith { return .elseItem(delim.start) }
            _ = try expect(.rightDelim, "else")
            return .elseItem(delim.start)
        case .keywordEnd:
            _ = try expect(.rightDelim, "end")
            return .end(delim.start)
        case .keywordIf, .keywordRange, .keywordWith:
            return .node(try control(t))
        default:
            backup()
            return .node(.action(try pipeline("command", end: .rightDelim)))
        }
    }

    /// `if`, `range` or `with`: pipeline, list, optional `else` list (or `else if` / `else with`
    /// chain), `end`.
    mutating func control(_ keyword: TemplateToken) throws(TemplateFailure) -> TemplateNode {
        try enter(keyword)
        defer { depth -= 1 }
        let context = text(keyword)
        let savedVars = vars.count
        defer { vars.removeSubrange(savedVars...) }
        let pipe = try pipeline(context, end: .rightDelim)
        if keyword.kind == .keywordRange { rangeDepth += 1 }
        let (list, terminator) = try itemList()
        if keyword.kind == .keywordRange { rangeDepth -= 1 }
        var elseList: [TemplateNode]? = nil
        if case .elseItem = terminator {
            let p = peek()
            if (keyword.kind == .keywordIf && p.kind == .keywordIf) || (keyword.kind == .keywordWith && p.kind == .keywordWith) {
                let chained = next()
                elseList = [try control(chained)]
            } else {
                let (list2, terminator2) = try itemList()
                if case .end = terminator2 {} else {
                    if case .elseItem(let offset) = terminator2 { throw TemplateFailure("expected end; found {{else}}", at: offset) }
                }
                elseList = list2
            }
        }
        switch keyword.kind {
        case .keywordIf: return .ifBlock(pipe, list, elseList)
        case .keywordRange: return .rangeBlock(pipe, list, elseList)
        default: return .withBlock(pipe, list, elseList)
        }
    }

    // MARK: - Pipelines

    /// `declarations? command ('|' command)*` up to `end`.
    mutating func pipeline(_ context: String, end: TemplateToken.Kind) throws(TemplateFailure) -> TemplatePipe {
        let first = peekNonSpace()
        var pipe = TemplatePipe(declarations: [], isAssign: false, commands: [], start: first.start, end: first.start)
        declarations: while peekNonSpace().kind == .variable {
            let before = i
            let v = next()
            let name = text(v)
            let n = peekNonSpace()
            if n.kind == .assign || n.kind == .declare {
                pipe.isAssign = n.kind == .assign
                _ = nextNonSpace()
                pipe.declarations.append(name)
                vars.append(name)
                break declarations
            } else if n.kind == .char && text(n) == "," {
                _ = nextNonSpace()
                pipe.declarations.append(name)
                vars.append(name)
                if context == "range" && pipe.declarations.count < 2 {
                    switch peekNonSpace().kind {
                    case .variable, .rightDelim, .rightParen: continue declarations
                    default: throw failure("range can only initialize variables", peekNonSpace())
                    }
                }
                throw failure("too many declarations in \(context)", n)
            } else {
                i = before
                break declarations
            }
        }
        while true {
            let t = nextNonSpace()
            switch t.kind {
            case end:
                if pipe.commands.isEmpty { throw failure("missing value for \(context)", t) }
                for (k, c) in pipe.commands.enumerated().dropFirst() where c.args[0].isLiteral {
                    throw TemplateFailure("non executable command in pipeline stage \(k + 1)", at: c.start)
                }
                pipe.end = pipe.commands.last!.end
                return pipe
            case .bool, .charConstant, .complex, .dot, .field, .identifier, .number, .keywordNil, .rawString, .string, .variable,
                .leftParen:
                backup()
                pipe.commands.append(try command())
            default:
                throw unexpected(t, context)
            }
        }
    }

    /// Space-separated operands up to `|`, `)` or `}}`.
    mutating func command() throws(TemplateFailure) -> TemplateCommand {
        let first = peekNonSpace()
        var cmd = TemplateCommand(args: [], start: first.start, end: first.start)
        loop: while true {
            _ = peekNonSpace()
            if let operand = try operand() {
                cmd.args.append(operand)
                cmd.end = operand.end
            }
            let t = next()
            switch t.kind {
            case .space: continue loop
            case .rightDelim, .rightParen: backup()
            case .pipe: break
            default: throw unexpected(t, "operand")
            }
            break loop
        }
        if cmd.args.isEmpty { throw failure("empty command", peek()) }
        return cmd
    }

    /// A term followed by `.Field`s.
    mutating func operand() throws(TemplateFailure) -> TemplateOperand? {
        guard var node = try term() else { return nil }
        if peek().kind == .field {
            var fields: [String] = []
            var end = node.end
            while peek().kind == .field {
                let f = next()
                fields.append(String(text(f).dropFirst()))
                end = f.end
            }
            switch node.kind {
            case .field(let base): node = TemplateOperand(kind: .field(base + fields), start: node.start, end: end)
            case .variable(let name, let base): node = TemplateOperand(kind: .variable(name, base + fields), start: node.start, end: end)
            case .bool, .string, .int, .float, .nilValue, .dot:
                throw TemplateFailure("unexpected . after term \(GoText.quote(source(node)))", at: node.start)
            default: node = TemplateOperand(kind: .chain(node, fields), start: node.start, end: end)
            }
        }
        return node
    }

    func source(_ o: TemplateOperand) -> String { String(decoding: src[o.start..<o.end], as: UTF8.self) }

    mutating func term() throws(TemplateFailure) -> TemplateOperand? {
        let t = nextNonSpace()
        func make(_ kind: TemplateOperand.Kind) -> TemplateOperand { TemplateOperand(kind: kind, start: t.start, end: t.end) }
        switch t.kind {
        case .identifier:
            let name = text(t)
            guard let f = TemplateFunction(rawValue: name), f.isBuiltin || functions.contains(name) else {
                throw failure("function \(GoText.quote(name)) not defined", t)
            }
            return make(.function(f))
        case .dot: return make(.dot)
        case .keywordNil: return make(.nilValue)
        case .variable:
            let name = text(t)
            if !vars.contains(name) { throw failure("undefined variable \(GoText.quote(name))", t) }
            return make(.variable(name, []))
        case .field: return make(.field([String(text(t).dropFirst())]))
        case .bool: return make(.bool(text(t) == "true"))
        case .number, .charConstant, .complex: return make(try number(t))
        case .leftParen:
            try enter(t)
            defer { depth -= 1 }
            let pipe = try pipeline("parenthesized pipeline", end: .rightParen)
            return TemplateOperand(kind: .pipe(pipe), start: t.start, end: tokens[min(i, tokens.count) - 1].end)
        case .string, .rawString:
            guard let s = GoText.unquote(Substring(text(t))) else {
                throw failure("invalid syntax", t)
            }
            return make(.string(s))
        default:
            backup()
            return nil
        }
    }

    /// A number constant as Go's `idealConstant` types it: int, or float64 when written with
    /// `.`, an exponent or as a float too large for an int.
    func number(_ t: TemplateToken) throws(TemplateFailure) -> TemplateOperand.Kind {
        let s = text(t)
        if t.kind == .charConstant {
            guard let r = GoText.unquoteChar(s[...]) else { throw failure("malformed character constant: \(s)", t) }
            return .int(r)
        }
        if t.kind == .complex || s.hasSuffix("i") {
            throw failure("complex constant \(s) is not supported", t)
        }
        let lower = s.lowercased()
        let isHex = lower.hasPrefix("0x") || lower.hasPrefix("-0x") || lower.hasPrefix("+0x")
        if let (negative, magnitude) = GoFloat.parseInteger(s) {
            if negative && magnitude <= UInt64(Int64.max) + 1 { return .int(Int(truncatingIfNeeded: 0 &- Int64(bitPattern: magnitude))) }
            if !negative && magnitude <= UInt64(Int64.max) { return .int(Int(magnitude)) }
            throw failure("\(s) overflows int", t)
        }
        let f: Double
        do { f = try GoFloat.parse(s) } catch { throw failure("illegal number syntax: \(GoText.quote(s))", t) }
        let floatSyntax = isHex ? lower.contains("p") : lower.contains(where: { $0 == "." || $0 == "e" })
        if !floatSyntax { throw failure("integer overflow: \(s)", t) }
        return .float(f)
    }
}
