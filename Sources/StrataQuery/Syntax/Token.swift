/// The kinds of tokens the query lexer produces.
///
/// Keyword kinds are shared by the dialects: a dialect's lexer decides which words are keywords
/// (PromQL's table is `Lexer.promQLKeywords`); words that are not keywords become `.identifier`.
package enum TokenKind: Sendable, Hashable {
    case eof
    /// A lexing error; the token's `text` is the message (Prometheus's wording).
    case error
    /// `name` (letters, digits, `_`; no colon).
    case identifier
    /// `name:with:colons` (recording-rule style metric names).
    case metricIdentifier
    /// `1`, `0x1f`, `1.5e3`, `Inf`, `NaN`.
    case number
    /// `5m`, `1h30m`, `100ms`.
    case duration
    /// `"..."`, `'...'`, `` `...` `` (the token text keeps the quotes).
    case string

    case leftParen, rightParen, leftBrace, rightBrace, leftBracket, rightBracket
    case comma, colon
    /// `=` (label matching only).
    case assign
    case add, sub, mul, div, mod, pow
    case eqlc, neq, lss, lte, gtr, gte
    case eqlRegex, neqRegex
    case at
    /// LogQL pipeline tokens (lexed only in the LogQL dialect): `|`, `|=`, `|~`.
    case pipe, pipeExact, pipeMatch

    case keyword(Keyword)
}

/// Words with a meaning in the grammar. Matched case-insensitively (`SUM BY (x)` is valid).
package enum Keyword: String, Sendable, CaseIterable {
    // Operators.
    case and, or, unless, atan2
    // Aggregators.
    case sum, avg, count, min, max, group, stddev, stdvar, topk, bottomk, count_values, quantile, limitk, limit_ratio
    // Modifiers.
    case offset, by, without, on, ignoring, group_left, group_right, bool
    // `@ start()`, `@ end()`.
    case start, end

    /// The aggregation operator this keyword names, if any.
    var aggregateOp: AggregateOp? { AggregateOp(rawValue: rawValue) }
}

/// One token: its kind, where it is, and its text (for `.error`, the message).
package struct Token: Sendable {
    package var kind: TokenKind
    package var range: SourceRange
    package var text: String

    package init(_ kind: TokenKind, _ range: SourceRange, _ text: String) {
        self.kind = kind
        self.range = range
        self.text = text
    }

    /// How Prometheus names the token in "unexpected ..." messages:
    /// `"("`, `<op:+>`, `<by>`, `<aggr:sum>`, `identifier "foo"`, `number "5"`, `end of input`.
    package var description: String {
        switch kind {
        case .eof: return "end of input"
        case .error: return text
        case .identifier: return "identifier \(GoQuote.string(text))"
        case .metricIdentifier: return "metric identifier \(GoQuote.string(text))"
        case .number: return "number \(GoQuote.truncated(text))"
        case .duration: return "duration \(GoQuote.truncated(text))"
        case .string: return "string \(GoQuote.truncated(text))"
        case .leftParen: return "\"(\""
        case .rightParen: return "\")\""
        case .leftBrace: return "\"{\""
        case .rightBrace: return "\"}\""
        case .leftBracket: return "\"[\""
        case .rightBracket: return "\"]\""
        case .comma: return "\",\""
        case .colon: return "\":\""
        case .assign: return "\"=\""
        case .add, .sub, .mul, .div, .mod, .pow, .eqlc, .neq, .lss, .lte, .gtr, .gte, .eqlRegex, .neqRegex, .at,
            .pipe, .pipeExact, .pipeMatch:
            return "<op:\(text)>"
        case .keyword(let k):
            switch k {
            case .and, .or, .unless, .atan2: return "<op:\(text)>"
            case _ where k.aggregateOp != nil: return "<aggr:\(text)>"
            default: return "<\(text)>"
            }
        }
    }
}
