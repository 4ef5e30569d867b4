/// A parsed Go `text/template`, the subset Prometheus rule labels and annotations use: text,
/// actions with trim markers, comments, pipelines, variables, fields, `if`/`range`/`with` with
/// `else` (and `else if`, `else with`), `break`/`continue`, Go's builtin functions and
/// Prometheus's template functions. Not supported: `define`, `template`, `block`, complex
/// numbers, methods (other than fields) on values.
///
/// Parse once, execute many times: a `GoTemplate` is immutable and `Sendable`.
package struct GoTemplate: Sendable {
    let root: [TemplateNode]
    let source: [UInt8]
    /// Bytes of `source` before the caller's text (`RuleTemplate`'s preamble): positions in
    /// errors are counted from there.
    let base: Int

    /// The names of Prometheus's template functions (besides Go's builtins, which every
    /// template has): `humanize`, `query`, `reReplaceAll`...
    package static let ruleFunctionNames: Set<String> = Set(
        TemplateFunction.allCases.filter { !$0.isBuiltin }.map(\.rawValue))

    /// Parses `text`. Errors carry a 1-based line and column within `text` and a reason
    /// (unclosed action, unknown function, unexpected {{end}}, undefined variable, bad number...).
    /// `functions` are the non-builtin functions the template may call (a subset of
    /// `ruleFunctionNames`; others are unknown).
    package static func parse(_ text: String, functions: Set<String> = GoTemplate.ruleFunctionNames) throws(TemplateError)
        -> GoTemplate
    {
        try parse(source: Array(text.utf8), base: 0, functions: functions)
    }

    static func parse(source: [UInt8], base: Int, functions: Set<String>) throws(TemplateError) -> GoTemplate {
        var parser = TemplateParser(source: source, functions: functions)
        do {
            let root = try parser.parseTemplate()
            return GoTemplate(root: root, source: source, base: base)
        } catch {
            throw position(error, source: source, base: base)
        }
    }

    /// Executes with `.` (and `$`) bound to `data` and the given environment.
    package func execute(_ data: TemplateValue, environment: TemplateEnvironment = TemplateEnvironment()) throws(TemplateError)
        -> String
    {
        var run = TemplateExecutor(source: source, environment: environment, data: data)
        do {
            _ = try run.walk(root, dot: data)
        } catch {
            throw Self.position(error, source: source, base: base)
        }
        return run.out
    }

    /// The failure at its line and column, counted from `base`.
    static func position(_ failure: TemplateFailure, source: [UInt8], base: Int) -> TemplateError {
        let offset = max(min(failure.offset, source.count), base)
        var line = 1
        var lineStart = base
        for k in base..<offset where source[k] == UInt8(ascii: "\n") {
            line += 1
            lineStart = k + 1
        }
        let column = 1 + source[lineStart..<offset].reduce(0) { $0 + (($1 & 0xC0) == 0x80 ? 0 : 1) }
        return TemplateError(line: line, column: column, message: failure.message)
    }
}

/// What Prometheus's rule evaluator does with an alert's label and annotation values: prepends
/// `{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}`
/// and expands the result with the alert's data (`rules/alerting.go`).
package enum RuleTemplate {
    /// The variables every rule template has.
    package static let preamble =
        "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"

    /// Parses a label or annotation value with the preamble; error positions are within `text`.
    /// Keep the result to expand it for every alert.
    package static func parse(_ text: String) throws(TemplateError) -> GoTemplate {
        var source = Array(preamble.utf8)
        let base = source.count
        source.append(contentsOf: text.utf8)
        return try GoTemplate.parse(source: source, base: base, functions: GoTemplate.ruleFunctionNames)
    }

    /// The data Prometheus gives the template (`AlertTemplateData`): `.Labels`,
    /// `.ExternalLabels`, `.ExternalURL`, `.Value`.
    package static func data(labels: [String: String], externalLabels: [String: String], externalURL: String, value: Double)
        -> TemplateValue
    {
        .record([
            TemplateField("Labels", .stringMap(labels)), TemplateField("ExternalLabels", .stringMap(externalLabels)),
            TemplateField("ExternalURL", .string(externalURL)), TemplateField("Value", .float(value)),
        ])
    }

    /// Prometheus's preamble + expansion for an alert's label or annotation value. Returns the
    /// expanded text, or throws with a position in `text` (not the preamble).
    /// `evaluationTime` is the rule's evaluation time in Unix milliseconds (for `now`).
    package static func expand(
        _ text: String, labels: [String: String], externalLabels: [String: String] = [:], externalURL: String = "",
        value: Double, evaluationTime: Int64 = 0, query: (@Sendable (String) throws -> [TemplateSample])? = nil
    ) throws(TemplateError) -> String {
        let template = try parse(text)
        let env = TemplateEnvironment(query: query, externalURL: externalURL, evaluationTime: evaluationTime)
        return try template.execute(
            data(labels: labels, externalLabels: externalLabels, externalURL: externalURL, value: value), environment: env)
    }

    /// Checks a template for syntax errors, with position (what `promtool check rules` does
    /// via `ParseTest`).
    package static func check(_ text: String) throws(TemplateError) {
        _ = try parse(text)
    }
}
