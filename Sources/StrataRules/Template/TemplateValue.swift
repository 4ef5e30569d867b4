/// A value a Go template works on: the data given to `execute`, the results of functions and the
/// values of variables. Each case stands for the Go type Prometheus's templates would hold, and
/// prints, compares and converts as that Go type does.
package enum TemplateValue: Sendable, Equatable {
    /// Go's nil, or the invalid value of a missing field: prints `<no value>` from an action,
    /// `<nil>` from `print`; false in `if`.
    case null
    case bool(Bool)
    /// Go's `int` (integer constants such as `3` or `'a'`, `len`, range indexes).
    case int(Int)
    /// Go's `float64` (`.Value`, float constants such as `1.5` or `1e3`).
    case float(Double)
    case string(String)
    /// `html/template.HTML`, as `safeHtml` returns it: prints as its text, but is not a `string`
    /// for functions that take one.
    case html(String)
    /// `map[string]string` (`.Labels`, `.ExternalLabels`, a sample's labels): a missing key
    /// yields `""`. Iterates and prints in sorted key order.
    case stringMap([String: String])
    /// `map[string]interface{}` (what `args` returns): a missing key yields nil.
    case map([String: TemplateValue])
    /// `[]interface{}`.
    case list([TemplateValue])
    /// Prometheus's `queryResult` (what `query` returns): a list of samples.
    case samples([TemplateSample])
    /// Prometheus's `*sample`: fields `.Labels` and `.Value`.
    case sample(TemplateSample)
    /// A Go struct: named fields in declaration order (the alert data of `RuleTemplate`).
    case record([TemplateField])
    /// `*time.Time` (what `toTime` returns), as Unix nanoseconds; prints as Go's `Time.String()`
    /// in UTC.
    case time(nanoseconds: Int64)
    /// `*time.Duration` (what `toDuration` returns), in nanoseconds; prints as Go's
    /// `Duration.String()` (`1h2m3s`).
    case duration(nanoseconds: Int64)
}

/// One field of a `TemplateValue.record`.
package struct TemplateField: Sendable, Equatable {
    package var name: String
    package var value: TemplateValue
    package init(_ name: String, _ value: TemplateValue) {
        self.name = name
        self.value = value
    }
}

/// A sample as Prometheus's `query` template function returns it: `.Labels` (with `__name__`)
/// and `.Value`.
package struct TemplateSample: Sendable, Equatable {
    package var labels: [String: String]
    package var value: Double
    package init(labels: [String: String], value: Double) {
        self.labels = labels
        self.value = value
    }
}

/// A template that failed to parse or to execute: where, and why.
package struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line within the template text.
    package var line: Int
    /// 1-based column within that line, counted in Unicode scalars.
    package var column: Int
    /// The reason, worded as Go's text/template words it where it has a word for it
    /// (`function "foo" not defined`, `unexpected {{end}}`, `at <humanize "x">: error calling
    /// humanize: ...`).
    package var message: String
    package var description: String { "template: \(line):\(column): \(message)" }
    package init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }
}

/// What a template's functions may reach outside the data.
package struct TemplateEnvironment: Sendable {
    /// `query "expr"`: Prometheus runs a PromQL instant query at the rule's evaluation time and
    /// hands the template the samples. nil: calling `query` is an error.
    package var query: (@Sendable (String) throws -> [TemplateSample])?
    /// What `externalURL` returns; `pathPrefix` returns its path.
    package var externalURL: String
    /// The evaluation time in Unix milliseconds: what `now` returns (in seconds).
    package var evaluationTime: Int64
    package init(
        query: (@Sendable (String) throws -> [TemplateSample])? = nil, externalURL: String = "", evaluationTime: Int64 = 0
    ) {
        self.query = query
        self.externalURL = externalURL
        self.evaluationTime = evaluationTime
    }
}

/// Thrown inside the engine: a message and the byte offset in the source it concerns.
struct TemplateFailure: Error {
    var message: String
    var offset: Int
    init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }
}

/// A function's failure, before it is prefixed with `error calling NAME:`.
struct FunctionFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

extension TemplateValue {
    /// Go's truth in `if`, `with`, `and`, `or`, `not`: not the zero value of its type.
    var isTrue: Bool {
        switch self {
        case .null: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .float(let f): return f != 0
        case .string(let s), .html(let s): return !s.isEmpty
        case .stringMap(let m): return !m.isEmpty
        case .map(let m): return !m.isEmpty
        case .list(let l): return !l.isEmpty
        case .samples(let s): return !s.isEmpty
        case .sample, .record, .time, .duration: return true
        }
    }

    /// The Go type's name as `%T` and Go's error messages spell it.
    var goTypeName: String {
        switch self {
        case .null: return "<nil>"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float64"
        case .string: return "string"
        case .html: return "template.HTML"
        case .stringMap: return "map[string]string"
        case .map: return "map[string]interface {}"
        case .list: return "[]interface {}"
        case .samples: return "template.queryResult"
        case .sample: return "*template.sample"
        case .record(let fields):
            if fields.isEmpty { return "struct {}" }
            return "struct { " + fields.map { "\($0.name) \($0.value.goTypeName)" }.joined(separator: "; ") + " }"
        case .time: return "*time.Time"
        case .duration: return "*time.Duration"
        }
    }

    /// The string of a `string` or `template.HTML` (Go's reflect kind String).
    var stringKindValue: String? {
        switch self {
        case .string(let s), .html(let s): return s
        default: return nil
        }
    }
}

extension TemplateSample {
    /// The sample as a struct value (`{map[...] 1}`), fields `Labels` and `Value`.
    var fields: [TemplateField] { [TemplateField("Labels", .stringMap(labels)), TemplateField("Value", .float(value))] }
}
