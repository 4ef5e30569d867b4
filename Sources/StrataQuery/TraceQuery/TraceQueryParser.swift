import StrataLabels
import StrataMetrics
import StrataTraces

/// Recursive-descent parser of trace queries over the shared lexer (trace dialect:
/// comparisons allowed inside braces, no keywords).
struct TraceQueryParser {
    let text: String
    let tokens: [Token]
    var i = 0

    init(_ text: String) {
        self.text = text
        tokens = Lexer.tokenize(text, keywords: [:], comparisonsInBraces: true)
    }

    /// A parser over tokens of `text` that another parser has lexed (a leaf inside an expression);
    /// `tokens` must end with `.eof`.
    init(text: String, tokens: [Token]) {
        self.text = text
        self.tokens = tokens
    }

    var current: Token { tokens[min(i, tokens.count - 1)] }

    func fail(_ message: String, _ token: Token? = nil) -> QueryError {
        let t = token ?? current
        if t.kind == .error { return QueryError(.parse, t.text, query: text, range: t.range) }
        return QueryError(.parse, message, query: text, range: t.range)
    }

    mutating func expect(_ kind: TokenKind, _ what: String) throws(QueryError) -> Token {
        guard current.kind == kind else { throw fail("unexpected \(current.description), expected \(what)") }
        defer { i += 1 }
        return current
    }

    /// A whole query: a selector (a search) or one statistic call. Returns nil, with nothing
    /// thrown, when a statistic call is followed by more: an expression over statistics, which
    /// the PromQL grammar reads (`TraceQuery.parse`).
    mutating func parseQuery() throws(QueryError) -> TraceQuery? {
        let q: TraceQuery
        if current.kind == .identifier, TraceStatistic(functionName: current.text) != nil {
            let call = try parseStatisticCall()
            guard current.kind == .eof else { return nil }
            q = .statistic(call.statistic, call.search, window: call.window)
        } else if current.kind == .leftBrace {
            q = .search(try parseSelector())
        } else {
            return nil
        }
        guard current.kind == .eof else { throw fail("unexpected \(current.description) after the query") }
        return q
    }

    /// `span_count({...} [window])`, `span_errors(...)`, `span_duration_quantile(q, ...)`.
    mutating func parseStatisticCall() throws(QueryError) -> (statistic: TraceStatistic, search: TraceSearch, window: Int64?) {
        let nameToken = try expect(.identifier, "span_count, span_errors or span_duration_quantile")
        guard let stat = TraceStatistic(functionName: nameToken.text) else {
            throw fail("unknown span function \(nameToken.text)", nameToken)
        }
        _ = try expect(.leftParen, "\"(\"")
        var statistic = stat
        if case .durationQuantile = stat {
            let n = try expect(.number, "a quantile between 0 and 1")
            guard let v = NumberLiteral.parse(n.text), v >= 0, v <= 1 else {
                throw fail("quantile must be between 0 and 1", n)
            }
            statistic = .durationQuantile(v)
            _ = try expect(.comma, "\",\"")
        }
        let search = try parseSelector()
        var window: Int64? = nil
        if current.kind == .leftBracket {
            i += 1
            let d = try expect(.duration, "a duration such as 5m")
            guard case .success(let ms) = DurationLiteral.parse(d.text), ms > 0 else {
                throw fail("invalid window \(d.text)", d)
            }
            window = ms * 1000
            _ = try expect(.rightBracket, "\"]\"")
        }
        _ = try expect(.rightParen, "\")\"")
        return (statistic, search, window)
    }

    /// `{ cond, cond, ... }` into a search (no time range, default limit).
    mutating func parseSelector() throws(QueryError) -> TraceSearch {
        _ = try expect(.leftBrace, "\"{\" (a trace selector)")
        var s = TraceSearch()
        var seen = Set<String>()
        while current.kind != .rightBrace {
            let name = try expect(.identifier, "an attribute (service, project, name, host, duration, error)")
            let op = current
            i += 1
            switch name.text {
            case "service", "project", "name", "host":
                let kind: LabelMatcher.Kind
                switch op.kind {
                case .assign: kind = .equal
                case .neq: kind = .notEqual
                case .eqlRegex: kind = .regex
                case .neqRegex: kind = .notRegex
                default: throw fail("\(name.text) takes =, !=, =~ or !~ and a quoted string", op)
                }
                let v = try expect(.string, "a quoted string")
                let value = StringLiteral.unquote(v.text)
                guard kind == .equal else {
                    do throws(LabelMatcherError) {
                        s.matchers.append(try LabelMatcher(kind, name.text, value))
                    } catch {
                        throw fail(error.description, v)
                    }
                    break
                }
                guard seen.insert(name.text).inserted else { throw fail("\(name.text) given twice", name) }
                switch name.text {
                case "service": s.service = value
                case "project": s.project = value
                case "name": s.name = value
                default: s.host = value
                }
            case "duration":
                let bound = try parseDuration()
                switch op.kind {
                case .gtr: s.minDuration = max(s.minDuration ?? .min, bound + 1)
                case .gte: s.minDuration = max(s.minDuration ?? .min, bound)
                case .lss: s.maxDuration = min(s.maxDuration ?? .max, bound - 1)
                case .lte: s.maxDuration = min(s.maxDuration ?? .max, bound)
                default: throw fail("duration takes >, >=, < or <=", op)
                }
            case "error":
                guard op.kind == .assign else { throw fail("error takes = true or = false", op) }
                let v = try expect(.identifier, "true or false")
                guard v.text == "true" || v.text == "false" else { throw fail("error takes = true or = false", v) }
                guard seen.insert("error").inserted else { throw fail("error given twice", name) }
                s.error = v.text == "true"
            default:
                throw fail("unknown trace attribute \"\(name.text)\" (service, project, name, host, duration, error)", name)
            }
            if current.kind == .comma { i += 1 } else if current.kind != .rightBrace {
                throw fail("unexpected \(current.description), expected \",\" or \"}\"")
            }
        }
        i += 1
        return s
    }

    /// A duration literal (`2s`, `150ms`) or a number of seconds (`0.5`), in µs.
    mutating func parseDuration() throws(QueryError) -> Int64 {
        let t = current
        i += 1
        switch t.kind {
        case .duration:
            guard case .success(let ms) = DurationLiteral.parse(t.text) else { throw fail("invalid duration \(t.text)", t) }
            return ms * 1000
        case .number:
            guard let v = NumberLiteral.parse(t.text), v.isFinite, v >= 0, v < 1e9 else {
                throw fail("invalid duration \(t.text) (seconds)", t)
            }
            return Int64((v * 1e6).rounded())
        default:
            throw fail("expected a duration such as 2s or 150ms", t)
        }
    }
}
