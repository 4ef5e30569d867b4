import StrataLabels
import StrataLogs
import StrataMetrics

/// LogQL on the shared parser: log selectors with pipelines, and log range aggregations as leaves of
/// PromQL's expression grammar (`Parser.parsePrimary` calls in here in the `.logQL` dialect).
extension Parser {
    /// `{matchers} pipeline...`, the whole of a log query; `or` between label filters only when `allowOr`.
    mutating func parseLogSelector(allowOr: Bool = true) throws(QueryError) -> LogSelectorExpr {
        let open = peek
        guard open.kind == .leftBrace else { throw unexpected("log query", "\"{\"") }
        guard case .vectorSelector(let vs) = try parseVectorSelector(nameToken: nil) else {
            throw error("expected a stream selector", open.range)
        }
        if vs.matchers.isEmpty || vs.matchers.allSatisfy(\.matchesEmpty) {
            throw error(
                "queries require at least one regexp or equality matcher that does not have an empty-compatible value",
                vs.range)
        }
        var selector = LogSelectorExpr(streams: vs.matchers, range: vs.range)
        while true {
            switch peekKind {
            case .pipeExact, .neq, .pipeMatch, .neqRegex:
                selector.lineFilters.append(try parseLineFilter())
            case .pipe:
                advance()
                let groups = try parseLabelFilters(allowOr: allowOr)
                if groups.count == 1 { selector.fieldFilters += groups[0] } else { selector.alternatives.append(groups) }
                guard selector.alternatives.reduce(1, { $0 * $1.count }) <= 64 else {
                    throw error("too many 'or' combinations in label filters (at most 64)", SourceRange(open.range.start, previousEnd))
                }
            default:
                selector.range.end = previousEnd
                return selector
            }
        }
    }

    /// `|= "text"`, `!= "text"`, `|~ "re"`, `!~ "re"`. A literal starting with `(?i)` matches
    /// without regard to case (as the same prefix does on a regex).
    mutating func parseLineFilter() throws(QueryError) -> LineFilter {
        let opToken = advance()
        let op: LineFilter.Operator
        switch opToken.kind {
        case .pipeExact: op = .contains
        case .neq: op = .notContains
        case .pipeMatch: op = .matches
        default: op = .notMatches
        }
        let value = peek
        guard value.kind == .string else { throw unexpected("line filter", "string") }
        advance()
        var pattern = StringLiteral.unquote(value.text)
        var caseInsensitive = false
        if pattern.hasPrefix("(?i)") {
            caseInsensitive = true
            if op == .contains || op == .notContains { pattern.removeFirst(4) }
        }
        if op == .matches || op == .notMatches, let reason = LogRegexCheck.problem(pattern, caseInsensitive: caseInsensitive) {
            throw error("invalid regular expression \(GoQuote.string(pattern)): \(reason)", value.range)
        }
        return LineFilter(op, pattern, caseInsensitive: caseInsensitive)
    }

    /// `name op value` joined by `and` or `,` (binding tighter) and `or`: the `and` groups, one of
    /// which must hold. `or` is refused where counts are taken (metric queries), which read one
    /// store query.
    mutating func parseLabelFilters(allowOr: Bool) throws(QueryError) -> [[FieldFilter]] {
        var groups: [[FieldFilter]] = [[try parseLabelFilter()]]
        while true {
            if peekKind == .keyword(.and) || peekKind == .comma {
                advance()
                groups[groups.count - 1].append(try parseLabelFilter())
            } else if peekKind == .keyword(.or) {
                guard allowOr else {
                    throw error(
                        "'or' between label filters is only supported in log queries; in a metric query use a regex (=~\"a|b\") or add two queries",
                        peek.range)
                }
                advance()
                groups.append([try parseLabelFilter()])
            } else {
                return groups
            }
        }
    }

    mutating func parseLabelFilter() throws(QueryError) -> FieldFilter {
        let nameToken = peek
        let name: String
        switch nameToken.kind {
        case .identifier: name = nameToken.text
        case .keyword: name = nameToken.text
        default:
            if nameToken.kind == .error { throw unexpected() }
            throw error(
                "unexpected \(nameToken.description) after \"|\", expected a label filter such as request_id=\"req-...\" (parser stages like json or logfmt are not supported: fields are extracted at ingest)",
                nameToken.range)
        }
        advance()
        if ["json", "logfmt", "pattern", "regexp", "unpack", "line_format", "label_format", "drop", "keep", "decolorize"]
            .contains(name), peekKind != .assign, peekKind != .eqlc, peekKind != .neq
        {
            throw error(
                "pipeline stage \"\(name)\" is not supported: fields are extracted at ingest; filter them directly (| http_status >= 500)",
                nameToken.range)
        }
        let op: FieldFilter.Operator
        switch peekKind {
        case .assign, .eqlc: op = .equal
        case .neq: op = .notEqual
        case .eqlRegex: op = .regex
        case .neqRegex: op = .notRegex
        case .gtr: op = .greater
        case .gte: op = .greaterOrEqual
        case .lss: op = .less
        case .lte: op = .lessOrEqual
        default:
            throw unexpected("label filter", "=, !=, =~, !~, >, >=, <, <=")
        }
        advance()
        let valueToken = peek
        let value: FieldFilter.Value
        switch valueToken.kind {
        case .string:
            guard op == .equal || op == .notEqual || op == .regex || op == .notRegex else {
                throw error("operator \(op.rawValue) compares numbers or durations, not strings", valueToken.range)
            }
            let text = StringLiteral.unquote(valueToken.text)
            if op == .regex || op == .notRegex {
                do { _ = try LabelMatcher(.regex, name, text) } catch {
                    throw self.error(error.description, valueToken.range)
                }
            }
            value = .string(text)
        case .number:
            guard op != .regex, op != .notRegex else { throw unexpected("label filter", "string") }
            value = .number(try numberValue(valueToken))
        case .duration:
            guard op != .regex, op != .notRegex else { throw unexpected("label filter", "string") }
            value = .duration(Double(try durationMilliseconds(valueToken)) / 1000)
        case .sub:
            advance()
            guard peekKind == .number else { throw unexpected("label filter", "number") }
            value = .number(-(try numberValue(peek)))
        default:
            throw unexpected("label filter", "string, number or duration")
        }
        advance()
        return FieldFilter(name, op, value)
    }

    /// `count_over_time({...} pipeline [5m] [offset 1m])`; the function name is the current token.
    mutating func parseLogRangeAggregation() throws(QueryError) -> Expr {
        let nameToken = advance()
        guard let function = LogRangeFunction(rawValue: nameToken.text) else { throw unexpected() }
        advance()  // "("
        let selector: LogSelectorExpr
        if peekKind == .leftParen {  // ({...} |= "x")[5m]
            advance()
            selector = try parseLogSelector(allowOr: false)
            guard peekKind == .rightParen else { throw unexpected("log range", "\")\"") }
            advance()
        } else {
            selector = try parseLogSelector(allowOr: false)
        }
        guard peekKind == .leftBracket else { throw unexpected("log range aggregation", "a range such as [5m]") }
        advance()
        let rangeToken = peek
        guard rangeToken.kind == .duration || rangeToken.kind == .number else {
            throw unexpected("log range", "duration")
        }
        advance()
        let rangeMs = try spanMilliseconds(rangeToken)
        guard rangeMs > 0 else { throw error("the range of \(function.rawValue) must be positive", rangeToken.range) }
        guard peekKind == .rightBracket else { throw unexpected("log range", "\"]\"") }
        advance()
        var offsetMs: Int64 = 0
        if peekKind == .keyword(.offset) {
            advance()
            let t = peek
            guard t.kind == .duration || t.kind == .number else { throw unexpected("offset", "duration") }
            advance()
            offsetMs = try spanMilliseconds(t)
        }
        guard peekKind == .rightParen else { throw unexpected("log range aggregation", "\")\"") }
        advance()
        let node = LogRangeAggregation(
            function: function, selector: selector, rangeMilliseconds: rangeMs, offsetMilliseconds: offsetMs,
            range: SourceRange(nameToken.range.start, previousEnd))
        return .extension(node)
    }

    /// The error for a bare `{...}` where LogQL needs numbers.
    func logSelectorWithoutRange() -> QueryError {
        error(
            "a log selector here needs a range aggregation, e.g. count_over_time({...}[1m]); a log query must be the whole query",
            peek.range)
    }
}
