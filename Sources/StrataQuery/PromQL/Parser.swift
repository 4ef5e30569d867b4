/// The PromQL front end: parsing, type checking and static types.
public enum PromQL {
    /// Parses and type-checks a query (Prometheus 3.x grammar).
    ///
    /// Experimental functions and aggregations (`mad_over_time`, `limitk`, ...) are accepted here;
    /// the engine decides whether it evaluates them. Use
    /// ``parse(_:enableExperimentalFunctions:)`` to reject them at parse time as Prometheus does.
    ///
    /// ```swift
    /// let expr = try PromQL.parse(#"sum by (job) (rate(http_requests_total{code=~"5.."}[5m]))"#)
    /// ```
    /// - Throws: `QueryError(.parse, query:, range:)` naming what was expected and where
    ///   (Prometheus's wording, e.g. `unexpected "}" in label matching, expected label matching operator`).
    public static func parse(_ query: String) throws(QueryError) -> Expr {
        try parse(query, enableExperimentalFunctions: true)
    }

    /// Parses and type-checks a query; with `enableExperimentalFunctions` false, experimental
    /// functions and the `limitk`/`limit_ratio` aggregations are parse errors.
    public static func parse(_ query: String, enableExperimentalFunctions: Bool) throws(QueryError) -> Expr {
        var parser = Parser(query: query, enableExperimentalFunctions: enableExperimentalFunctions)
        let expr = try parser.parseQuery()
        return try TypeChecker(query: query).check(expr)
    }

    /// The static type of an expression (scalar, string, vector, matrix), as Prometheus's `Expr.Type()`.
    public static func type(of expr: Expr) -> ValueType {
        switch expr {
        case .number: .scalar
        case .string: .string
        case .vectorSelector, .aggregate: .vector
        case .matrixSelector, .subquery: .matrix
        case .paren(let e, _), .unary(_, let e, _): type(of: e)
        case .binary(let b): b.scalarResult ? .scalar : .vector
        case .call(let c): PromQLFunctions.signatures[c.name]?.returnType ?? .vector
        case .extension: .vector
        }
    }
}

/// A recursive-descent parser for PromQL over the tokens of `Lexer`.
///
/// Binary operators use precedence climbing with `BinaryOp.precedence`; unary `+`/`-` bind like
/// `*` (so `-2^2` is `-(2^2)`); `[range]`, `[range:step]`, `offset` and `@` are postfix and bind
/// tightest, to the expression just before them. Errors are thrown at the first problem, which is
/// also the first one Prometheus reports.
struct Parser {
    let query: String
    let enableExperimentalFunctions: Bool
    /// `.logQL` lexes pipelines and parses LogQL's log range aggregations (`Parser+LogQL.swift`);
    /// `.traces` lexes comparisons in braces and parses span statistics (`TraceQuery/SpanStatisticExpr.swift`).
    let dialect: QueryDialect
    private(set) var tokens: [Token]
    private(set) var index = 0
    /// The end of the last consumed token (where a node that ends here ends).
    private(set) var previousEnd = 0

    init(query: String, enableExperimentalFunctions: Bool, dialect: QueryDialect = .promQL) {
        self.query = query
        self.enableExperimentalFunctions = enableExperimentalFunctions
        self.dialect = dialect
        self.tokens = Lexer.tokenize(query, logQL: dialect == .logQL, comparisonsInBraces: dialect == .traces)
    }

    // MARK: - Tokens

    var peek: Token { tokens[index] }
    var peekKind: TokenKind { tokens[index].kind }
    func peekKind(at offset: Int) -> TokenKind { tokens[min(index + offset, tokens.count - 1)].kind }

    @discardableResult
    mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        previousEnd = token.range.end
        return token
    }

    func error(_ message: String, _ range: SourceRange) -> QueryError {
        QueryError(.parse, message, query: query, range: range)
    }

    /// "unexpected <token> in <context>, expected <what>" about the current token; a lexing error
    /// is reported as itself.
    func unexpected(_ context: String = "", _ expected: String = "") -> QueryError {
        let token = peek
        if token.kind == .error { return error(token.text, token.range) }
        var message = "unexpected \(token.description)"
        if !context.isEmpty { message += " in \(context)" }
        if !expected.isEmpty { message += ", expected \(expected)" }
        return error(message, token.range)
    }

    // MARK: - Expressions

    mutating func parseQuery() throws(QueryError) -> Expr {
        if peekKind == .eof { throw error("no expression found in input", SourceRange(0, 0)) }
        let expr = try parseExpr(minPrecedence: 0)
        guard peekKind == .eof else { throw unexpected() }
        return expr
    }

    /// An expression whose binary operators all bind at least as tightly as `minPrecedence`.
    mutating func parseExpr(minPrecedence: Int) throws(QueryError) -> Expr {
        var lhs = try parseUnary()
        while let op = binaryOperatorHere(), op.precedence >= minPrecedence {
            advance()
            if op == .trimUpper || op == .trimLower { advance() }
            var (returnBool, matching) = try parseBinaryModifiers()
            let rhs = try parseExpr(minPrecedence: op.isRightAssociative ? op.precedence : op.precedence + 1)
            if op.isSetOperator, matching.cardinality == .oneToOne { matching.cardinality = .manyToMany }
            lhs = .binary(
                BinaryExpr(
                    op: op, lhs: lhs, rhs: rhs, returnBool: returnBool, matching: matching,
                    range: lhs.range.union(rhs.range)))
        }
        return lhs
    }

    /// `-x` and `+x` bind like `*`: their operand may only contain `^` (and postfix modifiers).
    /// A sign directly before a number literal folds into it (`-1` is the number -1).
    mutating func parseUnary() throws(QueryError) -> Expr {
        guard peekKind == .add || peekKind == .sub else { return try parsePostfix(try parsePrimary()) }
        let sign = advance()
        let operand = try parseExpr(minPrecedence: BinaryOp.pow.precedence)
        let range = SourceRange(sign.range.start, operand.range.end)
        if case .number(let v, _) = operand { return .number(sign.kind == .sub ? -v : v, range) }
        return .unary(sign.kind == .sub ? .minus : .plus, operand, range)
    }

    mutating func parsePrimary() throws(QueryError) -> Expr {
        let token = peek
        switch token.kind {
        case .number:
            advance()
            return .number(try numberValue(token), token.range)
        case .duration:
            advance()
            return .number(Double(try durationMilliseconds(token)) / 1000, token.range)
        case .string:
            advance()
            return .string(StringLiteral.unquote(token.text), token.range)
        case .leftParen:
            advance()
            let inner = try parseExpr(minPrecedence: 0)
            guard peekKind == .rightParen else { throw unexpected() }
            advance()
            return .paren(inner, SourceRange(token.range.start, previousEnd))
        case .leftBrace:
            if dialect == .logQL { throw logSelectorWithoutRange() }
            if dialect == .traces {
                throw error("a trace selector here needs a span function around it, e.g. span_count({...}[5m])", peek.range)
            }
            return try parseVectorSelector(nameToken: nil)
        case .identifier:
            if dialect == .traces, peekKind(at: 1) == .leftParen, TraceStatistic(functionName: token.text) != nil {
                return try parseSpanStatistic()
            }
            if dialect == .logQL, peekKind(at: 1) == .leftParen, LogRangeFunction(rawValue: token.text) != nil {
                return try parseLogRangeAggregation()
            }
            if peekKind(at: 1) == .leftParen { return try parseFunctionCall() }
            advance()
            return try parseVectorSelector(nameToken: token)
        case .metricIdentifier:
            advance()
            return try parseVectorSelector(nameToken: token)
        case .keyword(let keyword):
            let next = peekKind(at: 1)
            if let op = keyword.aggregateOp,
                next == .leftParen || next == .keyword(.by) || next == .keyword(.without)
            {
                return try parseAggregate(op)
            }
            if (keyword == .start || keyword == .end) && next == .leftParen { return try parseFunctionCall() }
            guard Parser.metricNameKeywords.contains(keyword) else { throw unexpected() }
            advance()
            return try parseVectorSelector(nameToken: token)
        default:
            throw unexpected()
        }
    }

    /// Keywords that name a metric where an expression starts (`sum`, `by`, `offset`, `and`, ...).
    static let metricNameKeywords: Set<Keyword> = Set(Keyword.allCases).subtracting([
        .atan2, .on, .ignoring, .group_left, .group_right, .bool,
    ])

    /// The binary operator at the current token: `<` or `>` directly followed by `/` (no space) is a
    /// histogram trim operator, `</` or `>/`.
    func binaryOperatorHere() -> BinaryOp? {
        if peekKind == .lss || peekKind == .gtr, index + 1 < tokens.count, tokens[index + 1].kind == .div,
            tokens[index + 1].range.start == peek.range.end
        {
            return peekKind == .lss ? .trimUpper : .trimLower
        }
        return binaryOperator(peekKind)
    }

    func binaryOperator(_ kind: TokenKind) -> BinaryOp? {
        switch kind {
        case .add: .add
        case .sub: .sub
        case .mul: .mul
        case .div: .div
        case .mod: .mod
        case .pow: .pow
        case .eqlc: .eql
        case .neq: .neq
        case .gtr: .gtr
        case .lss: .lss
        case .gte: .gte
        case .lte: .lte
        case .keyword(.and): .and
        case .keyword(.or): .or
        case .keyword(.unless): .unless
        case .keyword(.atan2): .atan2
        default: nil
        }
    }

    /// `bool`, `on(...)`/`ignoring(...)`, `group_left(...)`/`group_right(...)` after a binary operator.
    mutating func parseBinaryModifiers() throws(QueryError) -> (Bool, VectorMatching) {
        var returnBool = false
        var matching = VectorMatching()
        if peekKind == .keyword(.bool) {
            advance()
            returnBool = true
        }
        if peekKind == .keyword(.on) || peekKind == .keyword(.ignoring) {
            matching.on = advance().kind == .keyword(.on)
            matching.matchingLabels = try parseGroupingLabels()
            if peekKind == .keyword(.group_left) || peekKind == .keyword(.group_right) {
                matching.cardinality = advance().kind == .keyword(.group_left) ? .manyToOne : .oneToMany
                if peekKind == .leftParen { matching.include = try parseGroupingLabels() }
            }
        }
        try parseFillModifiers(&matching)
        return (returnBool, matching)
    }

    /// `fill(v)`, `fill_left(v)`, `fill_right(v)` (Prometheus 3's fill modifiers), in any number:
    /// a later one overrides an earlier one. `fill` not followed by `(` is a metric name.
    mutating func parseFillModifiers(_ matching: inout VectorMatching) throws(QueryError) {
        while peekKind == .identifier, ["fill", "fill_left", "fill_right"].contains(peek.text), peekKind(at: 1) == .leftParen {
            let name = advance().text
            advance()
            var negative = false
            if peekKind == .sub || peekKind == .add { negative = advance().kind == .sub }
            let token = peek
            let lower = token.text.lowercased()
            guard token.kind == .number || (token.kind == .identifier && (lower == "inf" || lower == "nan")) else {
                throw unexpected(name, "a number")
            }
            advance()
            var value = try numberValue(token)
            if negative { value = -value }
            guard peekKind == .rightParen else { throw unexpected(name, "\")\"") }
            advance()
            if name != "fill_right" { matching.fillLeft = value }
            if name != "fill_left" { matching.fillRight = value }
        }
    }

    // MARK: - Literals

    /// A number token's value: Go's `ParseInt(s, 0, 64)` (so `0x1f`, `0o17`, `017` octal, `1_000`),
    /// else `ParseFloat` (`1.5e3`, `Inf`, `NaN`).
    func numberValue(_ token: Token) throws(QueryError) -> Double {
        guard let v = NumberLiteral.parse(token.text) else {
            throw error("error parsing number: strconv.ParseFloat: parsing \(GoQuote.string(token.text)): invalid syntax", token.range)
        }
        return v
    }

    func durationMilliseconds(_ token: Token) throws(QueryError) -> Int64 {
        switch DurationLiteral.parse(token.text) {
        case .success(let ms): return ms
        case .failure(let e): throw error(e.message, token.range)
        }
    }

    /// A number or duration used as a time span (`[300]`, `offset 5`, `[5m]`), in milliseconds.
    /// Numbers are seconds, truncated to whole milliseconds as Prometheus does.
    func spanMilliseconds(_ token: Token) throws(QueryError) -> Int64 {
        if token.kind == .duration { return try durationMilliseconds(token) }
        let seconds = try numberValue(token)
        let ms = seconds * 1000
        guard ms.isFinite, ms > -9.2e18, ms < 9.2e18 else { throw error("duration out of range", token.range) }
        return Int64(ms)
    }
}
