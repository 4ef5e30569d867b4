import Strata
import StrataLabels
import StrataQuery
import StrataStorage
import StrataTraces

/// A problem in a rule or unit-test file: the file, the 1-based line and column, and the reason.
public struct RuleFileError: Error, Sendable, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: message`, the form compilers and editors jump to.
    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// Every problem found in a set of files (a file is checked to its end, not to its first error).
public struct RuleFileErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [RuleFileError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// The language of a rule's expression, chosen per rule from the expression itself.
public enum RuleLanguage: String, Sendable {
    /// PromQL over the metric store.
    case promQL = "promql"
    /// A LogQL metric query over the log store (a Loki ruler rule).
    case logQL = "logql"
    /// PromQL over the trace statistics (`span_count`, `span_errors`, `span_duration_quantile`).
    case traces
}

/// A parsed, checked expression of a rule.
enum RuleQuery: Sendable {
    case promQL(Expr)
    case logQL(Expr)
    case traceExpr(Expr)
    case traceStatistic(TraceStatistic, TraceSearch, window: Int64?)

    var language: RuleLanguage {
        switch self {
        case .promQL: .promQL
        case .logQL: .logQL
        case .traceExpr, .traceStatistic: .traces
        }
    }
}

/// One recording or alerting rule of a group, as written in its file.
public struct RuleDefinition: Sendable {
    public enum Kind: Sendable, Equatable {
        /// `record: name`: the expression's result is stored as series named `name`.
        case recording
        /// `alert: name`: each result element is an alert.
        case alerting
    }

    public var kind: Kind
    /// The `record` or `alert` name.
    public var name: String
    /// The expression as written.
    public var expr: String
    public var language: RuleLanguage { query.language }
    /// `for`, ms.
    public var holdDuration: Int64 = 0
    /// `keep_firing_for`, ms.
    public var keepFiringFor: Int64 = 0
    /// `labels`, in file order (the group's labels merged in, the rule's winning).
    public var labels: [(name: String, value: String)] = []
    /// `annotations`, in file order.
    public var annotations: [(name: String, value: String)] = []
    /// Where the rule starts in its file.
    public var file: String
    public var line: Int
    var query: RuleQuery
    /// The parsed templates of an alerting rule's labels and annotations (nil: plain text).
    var labelTemplates: [GoTemplate?] = []
    var annotationTemplates: [GoTemplate?] = []

    /// Parses the templates of an alerting rule's labels and annotations once, for every alert.
    mutating func compileTemplates() {
        guard kind == .alerting else { return }
        func parse(_ text: String) -> GoTemplate? {
            text.utf8.contains(UInt8(ascii: "{")) ? try? RuleTemplate.parse(text) : nil
        }
        labelTemplates = labels.map { parse($0.value) }
        annotationTemplates = annotations.map { parse($0.value) }
    }
}

/// A group of rules evaluated together, in order, at one interval.
public struct RuleGroupDefinition: Sendable {
    public var name: String
    /// The file the group came from.
    public var file: String
    /// `interval`, ms; nil: the evaluation interval of whoever runs the group.
    public var interval: Int64?
    /// `query_offset`, ms (queries look this far into the past).
    public var queryOffset: Int64 = 0
    /// `limit`: the most alerts or series a rule may produce (0: no limit).
    public var limit: Int = 0
    /// Group `labels` (already merged into every rule's labels).
    public var labels: [(name: String, value: String)] = []
    public var rules: [RuleDefinition] = []
}

/// Reading and checking rule files.
public enum RuleFiles {
    /// Reads and checks rule files.
    /// - Throws: `RuleFileErrors` with every problem of every file (file, line, column, reason).
    public static func load(_ paths: [String]) throws(RuleFileErrors) -> [RuleGroupDefinition] {
        var groups: [RuleGroupDefinition] = []
        var errors: [RuleFileError] = []
        for path in paths {
            let text: String
            do { text = String(decoding: try SystemFileSystem().readFile(path), as: UTF8.self) } catch {
                errors.append(RuleFileError(file: path, line: 1, column: 1, message: "\(error)"))
                continue
            }
            let (g, e) = parse(text, file: path)
            groups += g
            errors += e
        }
        if !errors.isEmpty { throw RuleFileErrors(errors: errors) }
        return groups
    }

    /// Parses the text of one rule file: the groups that are valid and every problem found.
    public static func parse(_ text: String, file: String) -> (groups: [RuleGroupDefinition], errors: [RuleFileError]) {
        var reader = RuleFileReader(file: file, text: text)
        let groups = reader.read()
        return (groups, reader.errors)
    }
}

/// Reads a rule file's YAML into groups, collecting problems with positions.
struct RuleFileReader {
    let file: String
    let text: String
    var errors: [RuleFileError] = []
    /// The raw lines, to map offsets inside scalar values back to file columns.
    let rawLines: [Substring]

    init(file: String, text: String) {
        self.file = file
        self.text = text
        rawLines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    mutating func fail(_ at: PolicyYAML.Position, _ message: String) {
        errors.append(RuleFileError(file: file, line: at.line, column: at.column, message: message))
    }

    mutating func read() -> [RuleGroupDefinition] {
        let root: PolicyYAML.Node
        do { root = try PolicyYAML.parse(text) } catch {
            fail(error.at, error.message)
            return []
        }
        guard case .mapping(let top, let at) = root else {
            fail(root.position, "a rule file is a mapping with `groups:`")
            return []
        }
        var groupsNode: PolicyYAML.Node?
        for (key, keyAt, value) in top {
            if key == "groups" { groupsNode = value } else { fail(keyAt, "unknown field `\(key)` (a rule file has `groups` only)") }
        }
        guard let groupsNode else {
            if top.isEmpty { return [] }
            fail(at, "no `groups:` in the rule file")
            return []
        }
        if case .scalar(let s, false, _) = groupsNode, s.isEmpty || s == "null" || s == "~" { return [] }
        guard case .sequence(let items, _) = groupsNode else {
            fail(groupsNode.position, "`groups` must be a list of rule groups")
            return []
        }
        var out: [RuleGroupDefinition] = []
        var seen: [String: Int] = [:]
        for item in items {
            guard let g = readGroup(item) else { continue }
            if let first = seen[g.name] {
                fail(item.position, "groupname: \"\(g.name)\" is repeated in the same file (first at line \(first))")
                continue
            }
            seen[g.name] = item.position.line
            out.append(g)
        }
        return out
    }

    mutating func readGroup(_ node: PolicyYAML.Node) -> RuleGroupDefinition? {
        guard case .mapping(let pairs, let at) = node else {
            fail(node.position, "a rule group is a mapping with `name` and `rules`")
            return nil
        }
        var g = RuleGroupDefinition(name: "", file: file)
        var rulesNode: PolicyYAML.Node?
        var hasName = false
        let before = errors.count
        for (key, keyAt, value) in pairs {
            switch key {
            case "name":
                if let s = string(value, "name") {
                    g.name = s
                    hasName = !s.isEmpty
                }
            case "interval":
                if let d = duration(value, "interval") {
                    if d <= 0 { fail(value.position, "interval must be positive") } else { g.interval = d }
                }
            case "query_offset":
                if let d = duration(value, "query_offset") { g.queryOffset = d }
            case "limit":
                if let s = string(value, "limit") {
                    if let n = Int(s), n >= 0 { g.limit = n } else { fail(value.position, "limit must be a whole number ≥ 0, not \(s)") }
                }
            case "labels":
                g.labels = labelMap(value, what: "label")
            case "rules":
                rulesNode = value
            default:
                fail(keyAt, "unknown field `\(key)` in a rule group (name, interval, query_offset, limit, labels, rules)")
            }
        }
        if !hasName { fail(at, "Groupname must not be empty") }
        var names: [String: Int] = [:]
        if let rulesNode {
            if case .scalar(let s, false, _) = rulesNode, s.isEmpty {
            } else if case .sequence(let items, _) = rulesNode {
                for item in items {
                    guard let r = readRule(item, group: g) else { continue }
                    // The same name with the same labels twice records or alerts twice over: refused
                    // (promtool's duplicate-rule lint).
                    let identity = r.name + "\u{0}" + r.labels.map { "\($0.name)=\($0.value)" }.sorted().joined(separator: "\u{0}")
                    if let first = names[identity] {
                        fail(item.position, "duplicate rule \(r.name) with the same labels (first at line \(first))")
                    }
                    names[identity] = item.position.line
                    g.rules.append(r)
                }
            } else {
                fail(rulesNode.position, "`rules` must be a list of rules")
            }
        }
        return errors.count == before ? g : (hasName ? g : nil)
    }

    mutating func readRule(_ node: PolicyYAML.Node, group: RuleGroupDefinition) -> RuleDefinition? {
        guard case .mapping(let pairs, let at) = node else {
            fail(node.position, "a rule is a mapping with `record` or `alert`, and `expr`")
            return nil
        }
        var record: (String, PolicyYAML.Position)?
        var alert: (String, PolicyYAML.Position)?
        var keyword: PolicyYAML.Node?
        var exprNode: PolicyYAML.Node?
        var hold: Int64 = 0
        var keep: Int64 = 0
        var holdAt: PolicyYAML.Position?
        var keepAt: PolicyYAML.Position?
        var labels: [(name: String, value: String)] = []
        var labelNodes: [String: PolicyYAML.Node] = [:]
        var annotations: [(name: String, value: String)] = []
        var annotationNodes: [String: PolicyYAML.Node] = [:]
        var annotationsAt: PolicyYAML.Position?
        var keywordFields: [(String, PolicyYAML.Position, PolicyYAML.Node)] = []
        for (key, keyAt, value) in pairs {
            switch key {
            case "record": if let s = string(value, "record") { record = (s, value.position) }
            case "alert": if let s = string(value, "alert") { alert = (s, value.position) }
            case "expr": exprNode = value
            case "for":
                if let d = duration(value, "for") { hold = d; holdAt = keyAt }
            case "keep_firing_for":
                if let d = duration(value, "keep_firing_for") { keep = d; keepAt = keyAt }
            case "labels":
                labels = labelMap(value, what: "label")
                if case .mapping(let p, _) = value { for x in p { labelNodes[x.key] = x.value } }
            case "annotations":
                annotations = labelMap(value, what: "annotation")
                annotationsAt = keyAt
                if case .mapping(let p, _) = value { for x in p { annotationNodes[x.key] = x.value } }
            case "keyword":
                keyword = value
            case "selector", "service", "window", "threshold", "severity", "ignore_case", "by":
                keywordFields.append((key, keyAt, value))
            default:
                fail(keyAt, "unknown field `\(key)` in a rule (record, alert, expr, for, keep_firing_for, labels, annotations)")
            }
        }
        if let keyword {
            return keywordAlarm(keyword, fields: keywordFields, alert: alert, exprNode: exprNode, hold: hold, keep: keep, labels: labels, annotations: annotations, at: at, group: group)
        }
        for (key, keyAt, _) in keywordFields {
            fail(keyAt, "unknown field `\(key)` in a rule (`\(key)` belongs to a keyword alarm, which has `keyword:`)")
        }
        let kind: RuleDefinition.Kind
        let name: String
        switch (record, alert) {
        case (.some, .some):
            fail(at, "only one of 'record' and 'alert' must be set")
            return nil
        case (nil, nil):
            fail(at, "one of 'record' or 'alert' must be set")
            return nil
        case (.some(let r), nil):
            kind = .recording
            name = r.0
            if !Labels.isValidMetricName(r.0) { fail(r.1, "invalid recording rule name: \(r.0)") }
            if let holdAt { fail(holdAt, "invalid field 'for' in recording rule") }
            if let keepAt { fail(keepAt, "invalid field 'keep_firing_for' in recording rule") }
            if let annotationsAt { fail(annotationsAt, "invalid field 'annotations' in recording rule") }
        case (nil, .some(let a)):
            kind = .alerting
            name = a.0
            if a.0.isEmpty { fail(a.1, "alert name must not be empty") }
        }
        guard let exprNode, case .scalar(let expr, _, _) = exprNode, !expr.trimmingSpaces.isEmpty else {
            fail(exprNode?.position ?? at, "field 'expr' must be set in rule")
            return nil
        }
        // Labels (their names were checked as they were read; `__name__` is not a rule label) and
        // annotations: valid names, templates that parse (alerts expand them; a recording rule's
        // labels are used as they are).
        for l in labels where l.name == "__name__" {
            fail(labelNodes[l.name]?.position ?? at, "invalid label name: \(l.name)")
        }
        for a in annotations where !Labels.isValidLabelName(a.name) {
            fail(annotationNodes[a.name]?.position ?? at, "invalid annotation name: \(a.name)")
        }
        if kind == .alerting {
            for l in labels { checkTemplate(l.value, node: labelNodes[l.name], what: "label \(l.name)") }
            for a in annotations { checkTemplate(a.value, node: annotationNodes[a.name], what: "annotation \(a.name)") }
        }
        guard let query = compile(expr, node: exprNode) else { return nil }
        var merged = group.labels.filter { g in !labels.contains { $0.name == g.name } }
        merged += labels
        var rule = RuleDefinition(
            kind: kind, name: name, expr: expr, holdDuration: hold, keepFiringFor: keep, labels: merged, annotations: annotations,
            file: file, line: at.line, query: query)
        rule.compileTemplates()
        return rule
    }

    /// Parses `expr` in the language it is written in and checks that it gives an instant vector
    /// or a scalar, reporting problems at their file position.
    mutating func compile(_ expr: String, node: PolicyYAML.Node) -> RuleQuery? {
        let q: RuleQuery
        do throws(QueryError) {
            q = try RuleExpression.compile(expr)
        } catch {
            let at = position(ofByte: error.range?.start ?? 0, in: expr, node: node)
            fail(at, "could not parse expression: \(error.message)")
            return nil
        }
        return q
    }

    mutating func checkTemplate(_ text: String, node: PolicyYAML.Node?, what: String) {
        do throws(TemplateError) {
            try RuleTemplate.check(text)
        } catch {
            var at = node?.position ?? PolicyYAML.Position(line: 1, column: 1)
            if let node {
                // The template's own line and column inside the value.
                var offset = 0
                var line = 1
                for (i, c) in text.utf8.enumerated() {
                    if line == error.line { offset = i + error.column - 1; break }
                    if c == UInt8(ascii: "\n") { line += 1 }
                }
                at = position(ofByte: offset, in: text, node: node)
            }
            fail(at, "template error in \(what): \(error.message)")
        }
    }

    /// The file position of byte `offset` of a scalar's value: values on one line map by column
    /// (after an opening quote); block scalars line by line from their content column.
    func position(ofByte offset: Int, in value: String, node: PolicyYAML.Node) -> PolicyYAML.Position {
        let at = node.position
        // An error at the end of a value that ends with line breaks belongs to its last line.
        var offset = min(max(0, offset), value.utf8.count)
        let bytes = Array(value.utf8)
        while offset > 0 && offset == bytes.count && bytes[offset - 1] == UInt8(ascii: "\n") { offset -= 1 }
        var end = bytes.count
        while end > 0 && bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        offset = min(offset, end)
        let prefix = String(decoding: value.utf8.prefix(offset), as: UTF8.self)
        let newlines = prefix.filter { $0 == "\n" }.count
        let lastLine = prefix.split(separator: "\n", omittingEmptySubsequences: false).last.map(String.init) ?? ""
        var column = at.column + lastLine.count
        if newlines == 0, at.line - 1 < rawLines.count {
            let raw = Array(rawLines[at.line - 1])
            if at.column - 1 < raw.count, raw[at.column - 1] == "\"" || raw[at.column - 1] == "'" { column += 1 }
        }
        return PolicyYAML.Position(line: at.line + newlines, column: column)
    }

    // MARK: Keyword alarms

    /// `keyword:` rules: Venus-style keyword alarms, compiled to a LogQL alert.
    mutating func keywordAlarm(
        _ keywordNode: PolicyYAML.Node, fields: [(String, PolicyYAML.Position, PolicyYAML.Node)], alert: (String, PolicyYAML.Position)?,
        exprNode: PolicyYAML.Node?, hold: Int64, keep: Int64, labels: [(name: String, value: String)],
        annotations: [(name: String, value: String)], at: PolicyYAML.Position, group: RuleGroupDefinition
    ) -> RuleDefinition? {
        guard let keyword = string(keywordNode, "keyword"), !keyword.isEmpty else {
            fail(keywordNode.position, "keyword must be a non-empty string")
            return nil
        }
        if let exprNode { fail(exprNode.position, "a keyword alarm has no `expr` (it is built from keyword, selector, window and threshold)") }
        var selector: String?
        var service: String?
        var window: Int64 = 5 * 60_000
        var threshold = 1.0
        var severity = "warning"
        var ignoreCase = false
        var by = ["host", "program"]
        for (key, _, value) in fields {
            switch key {
            case "selector": selector = string(value, key)
            case "service": service = string(value, key)
            case "window": if let d = duration(value, key) { if d > 0 { window = d } else { fail(value.position, "window must be positive") } }
            case "threshold":
                if let s = string(value, key) {
                    if let v = Double(s), v > 0 { threshold = v } else { fail(value.position, "threshold must be a number > 0, not \(s)") }
                }
            case "severity": if let s = string(value, key) { severity = s }
            case "ignore_case":
                if let s = string(value, key) {
                    switch s {
                    case "true": ignoreCase = true
                    case "false": ignoreCase = false
                    default: fail(value.position, "ignore_case must be true or false")
                    }
                }
            case "by":
                if case .sequence(let items, _) = value {
                    by = items.compactMap { if case .scalar(let s, _, _) = $0 { s } else { nil } }
                    for b in by where !Labels.isValidLabelName(b) { fail(value.position, "invalid label name in `by`: \(b)") }
                } else {
                    fail(value.position, "`by` must be a list of stream label names")
                }
            default: break
            }
        }
        if selector != nil && service != nil { fail(at, "a keyword alarm has `selector` or `service`, not both") }
        let streams: String
        if let selector {
            streams = selector
        } else if let service {
            // A service names its programs: `nova` matches nova-api, nova-compute, ...
            streams = "{program=~\"\(Self.regexQuote(service))(-.*)?\"}"
        } else {
            streams = "{program=~\".+\"}"
        }
        let filter = ignoreCase ? "|~ \"(?i)\(Labels.escape(Self.regexQuote(keyword)))\"" : "|= \"\(Labels.escape(keyword))\""
        let win = DurationLiteral.format(milliseconds: window)
        let grouping = by.isEmpty ? "" : " by (\(by.joined(separator: ", ")))"
        let expr = "sum\(grouping) (count_over_time(\(streams) \(filter) [\(win)])) >= \(Self.number(threshold))"
        let name = alert?.0 ?? "KeywordAlarm"
        guard let query = compile(expr, node: keywordNode) else { return nil }
        var ruleLabels = labels
        if !ruleLabels.contains(where: { $0.name == "severity" }) { ruleLabels.append(("severity", severity)) }
        if !ruleLabels.contains(where: { $0.name == "keyword" }) { ruleLabels.append(("keyword", keyword)) }
        var ann = annotations
        if !ann.contains(where: { $0.name == "summary" }) {
            let whereText = by.map { "{{ $labels.\($0) }}" }.joined(separator: " on ")
            ann.append(("summary", "{{ $value }} log lines containing \"\(keyword)\"\(by.isEmpty ? "" : " from " + whereText) in the last \(win)"))
        }
        var merged = group.labels.filter { g in !ruleLabels.contains { $0.name == g.name } }
        merged += ruleLabels
        var rule = RuleDefinition(
            kind: .alerting, name: name, expr: expr, holdDuration: hold, keepFiringFor: keep, labels: merged, annotations: ann,
            file: file, line: at.line, query: query)
        rule.compileTemplates()
        return rule
    }

    /// RE2-quotes `s` (metacharacters escaped).
    static func regexQuote(_ s: String) -> String {
        var out = ""
        for c in s {
            if "\\.+*?()|[]{}^$".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    // MARK: Scalars

    mutating func string(_ node: PolicyYAML.Node, _ what: String) -> String? {
        guard case .scalar(let s, _, _) = node else {
            fail(node.position, "`\(what)` must be a single value")
            return nil
        }
        return s
    }

    mutating func duration(_ node: PolicyYAML.Node, _ what: String) -> Int64? {
        guard let s = string(node, what) else { return nil }
        switch DurationLiteral.parse(s) {
        case .success(let ms): return ms
        case .failure(let e):
            fail(node.position, "\(what): \(e.message)")
            return nil
        }
    }

    mutating func labelMap(_ node: PolicyYAML.Node, what: String) -> [(name: String, value: String)] {
        if case .scalar(let s, false, _) = node, s.isEmpty { return [] }
        guard case .mapping(let pairs, _) = node else {
            fail(node.position, "\(what)s must be a mapping of names to values")
            return []
        }
        var out: [(name: String, value: String)] = []
        for (key, keyAt, value) in pairs {
            guard case .scalar(let v, _, _) = value else {
                fail(value.position, "the \(what) \(key) must be a single value")
                continue
            }
            if what == "label" && !Labels.isValidLabelName(key) {
                fail(keyAt, "invalid label name: \(key)")
                continue
            }
            out.append((key, v))
        }
        return out
    }
}

/// Choosing and compiling a rule's expression language.
enum RuleExpression {
    /// A rule's expression in its language: a trace query when it uses span statistics or a
    /// condition only traces have; LogQL when it has a pipeline or a LogQL-only function, or when it
    /// parses as a LogQL metric query (every selector a bare `{...}` under a log range function, as
    /// in Loki ruler files); PromQL otherwise. The result must be an instant vector or a scalar.
    static func compile(_ expr: String) throws(QueryError) -> RuleQuery {
        if TraceQuery.looksLikeTraceQuery(expr) {
            switch try TraceQuery.parse(expr) {
            case .search:
                throw QueryError(.parse, "a trace search returns traces, not numbers: use span_count, span_errors or span_duration_quantile", query: expr, range: SourceRange(0, expr.utf8.count))
            case .statistic(let s, let q, let w): return .traceStatistic(s, q, window: w)
            case .expression(let e):
                try checkType(e, expr)
                return .traceExpr(e)
            }
        }
        // PromQL that names a metric is PromQL (LogQL has no metric names); a pipeline or a bare
        // `{...}` under a log range function is LogQL.
        var promql: Result<Expr, QueryError>
        do throws(QueryError) { promql = .success(try PromQL.parse(expr)) } catch { promql = .failure(error) }
        if case .success(let e) = promql, hasNamedSelector(e) {
            try checkType(e, expr)
            return .promQL(e)
        }
        let logql: Result<Expr, QueryError>
        do throws(QueryError) { logql = .success(try logQL(expr)) } catch { logql = .failure(error) }
        switch (promql, logql) {
        case (_, .success(let l)): return .logQL(l)
        case (.success(let e), .failure):
            try checkType(e, expr)
            return .promQL(e)
        case (.failure(let p), .failure(let l)):
            throw LogQL.looksLikeLogQL(expr) ? l : p
        }
    }

    static func logQL(_ expr: String) throws(QueryError) -> Expr {
        switch try LogQL.parse(expr) {
        case .logs:
            throw QueryError(.parse, "a log query returns lines, not numbers: a rule needs a metric query such as count_over_time({...}[5m])", query: expr, range: SourceRange(0, expr.utf8.count))
        case .metric(let e):
            try checkType(e, expr)
            return e
        }
    }

    static func checkType(_ e: Expr, _ text: String) throws(QueryError) {
        let t = PromQL.type(of: e)
        guard t == .vector || t == .scalar else {
            throw QueryError(.parse, "a rule's expression must return an instant vector or a scalar, this one returns a \(t)", query: text, range: e.range)
        }
    }

    /// Whether a PromQL expression selects a metric by name anywhere (then it is not a Loki rule).
    static func hasNamedSelector(_ e: Expr) -> Bool {
        func named(_ v: VectorSelector) -> Bool { v.name != nil || v.matchers.contains { $0.name == "__name__" } }
        switch e {
        case .vectorSelector(let v): return named(v)
        case .matrixSelector(let m): return named(m.selector)
        case .subquery(let s): return hasNamedSelector(s.expr)
        case .paren(let i, _), .unary(_, let i, _): return hasNamedSelector(i)
        case .binary(let b): return hasNamedSelector(b.lhs) || hasNamedSelector(b.rhs)
        case .aggregate(let a): return hasNamedSelector(a.expr) || (a.parameter.map(hasNamedSelector) ?? false)
        case .call(let c): return c.args.contains(where: hasNamedSelector)
        case .number, .string, .extension: return false
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\n" || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\n" || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
