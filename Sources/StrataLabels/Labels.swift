/// One label: a name and a value.
public struct Label: Hashable, Comparable, Sendable {
    public var name: String
    public var value: String

    @inlinable
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public static func < (a: Label, b: Label) -> Bool {
        a.name != b.name ? a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
            : a.value.utf8.lexicographicallyPrecedes(b.value.utf8)
    }
}

/// A series identity: a set of labels, sorted by name, names unique, including
/// `__name__` for the metric name (the Prometheus data model).
///
/// Build one with `Labels(validating:)` to get Prometheus's checks (valid UTF-8 names
/// and values, name syntax, no duplicate names, no empty values kept), or with
/// `Labels(sorted:)` when the input is already known to be valid.
///
/// ```swift
/// let l = try Labels(validating: ["__name__": "node_load1", "instance": "wally113"])
/// l["instance"]   // "wally113"
/// l.description   // node_load1{instance="wally113"}
/// ```
public struct Labels: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The labels in ascending name order.
    public private(set) var labels: [Label]

    /// The empty label set.
    public init() { labels = [] }

    /// Wraps labels that are already sorted, unique and valid.
    public init(sorted: [Label]) { labels = sorted }

    /// Builds a validated label set; labels with empty values are dropped (as Prometheus does).
    /// - Throws: `LabelError` naming the offending label.
    public init(validating pairs: [Label]) throws(LabelError) {
        var ls = pairs.filter { !$0.value.isEmpty }
        ls.sort()
        for (i, l) in ls.enumerated() {
            guard Labels.isValidLabelName(l.name) else { throw LabelError.invalidName(l.name) }
            if i > 0 && ls[i - 1].name == l.name { throw LabelError.duplicateName(l.name) }
            if l.name == "__name__" && !Labels.isValidMetricName(l.value) {
                throw LabelError.invalidMetricName(l.value)
            }
        }
        labels = ls
    }

    /// Builds a validated label set from a dictionary.
    public init(validating dict: [String: String]) throws(LabelError) {
        try self.init(validating: dict.map { Label($0.key, $0.value) })
    }

    /// The value of label `name`, or nil.
    public subscript(name: String) -> String? {
        for l in labels where l.name == name { return l.value }
        return nil
    }

    /// The metric name (`__name__`), or nil.
    public var metricName: String? { self["__name__"] }

    /// Number of labels.
    public var count: Int { labels.count }

    /// This set with `name` set to `value` (removed when `value` is empty).
    public func setting(_ name: String, to value: String) -> Labels {
        var ls = labels.filter { $0.name != name }
        if !value.isEmpty { ls.append(Label(name, value)); ls.sort() }
        return Labels(sorted: ls)
    }

    /// This set without the labels named in `names`.
    public func removing(_ names: Set<String>) -> Labels {
        Labels(sorted: labels.filter { !names.contains($0.name) })
    }

    public static func < (a: Labels, b: Labels) -> Bool {
        a.labels.lexicographicallyPrecedes(b.labels)
    }

    /// Prometheus notation: `name{a="b", c="d"}`, with `\\`, `\"` and `\n` escaped.
    public var description: String {
        var out = metricName ?? ""
        let rest = labels.filter { $0.name != "__name__" }
        if rest.isEmpty && !out.isEmpty { return out }
        out += "{"
        out += rest.map { "\($0.name)=\"\(Labels.escape($0.value))\"" }.joined(separator: ", ")
        out += "}"
        return out
    }

    /// Escapes a label value as the Prometheus text format does.
    public static func escape(_ v: String) -> String {
        var o = ""
        o.reserveCapacity(v.utf8.count)
        for c in v.unicodeScalars {
            switch c {
            case "\\": o += "\\\\"
            case "\"": o += "\\\""
            case "\n": o += "\\n"
            default: o.unicodeScalars.append(c)
            }
        }
        return o
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, the legacy label-name syntax Prometheus validates by default.
    public static func isValidLabelName(_ s: String) -> Bool {
        var first = true
        for b in s.utf8 {
            let ok = (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || b == 0x5f || (!first && b >= 0x30 && b <= 0x39)
            if !ok { return false }
            first = false
        }
        return !first
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`, the metric-name syntax.
    public static func isValidMetricName(_ s: String) -> Bool {
        var first = true
        for b in s.utf8 {
            let ok = (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || b == 0x5f || b == 0x3a
                || (!first && b >= 0x30 && b <= 0x39)
            if !ok { return false }
            first = false
        }
        return !first
    }
}

/// Why a label set was refused.
public enum LabelError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidName(String)
    case invalidMetricName(String)
    case duplicateName(String)

    public var description: String {
        switch self {
        case .invalidName(let n): "invalid label name \"\(n)\""
        case .invalidMetricName(let n): "invalid metric name \"\(n)\""
        case .duplicateName(let n): "duplicate label name \"\(n)\""
        }
    }
}
