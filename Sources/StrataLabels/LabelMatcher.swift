/// A condition on one label, as in PromQL: `name="v"`, `name!="v"`, `name=~"re"`, `name!~"re"`.
///
/// Regular expressions are fully anchored and use RE2 syntax, as Prometheus does
/// (`job=~"node|api"` matches exactly "node" or "api", not "nodes"); `.` also matches a
/// newline. A label that is absent has the empty value, so `foo=""` matches series
/// without `foo` and `foo!=""` requires it.
public struct LabelMatcher: Sendable, CustomStringConvertible {
    /// The four matcher kinds.
    public enum Kind: String, Sendable {
        case equal = "=", notEqual = "!=", regex = "=~", notRegex = "!~"
    }

    public let name: String
    public let value: String
    public let kind: Kind
    @usableFromInline let regex: CompiledRegex?

    /// Creates a matcher; regex kinds compile `value` here.
    /// - Throws: `LabelMatcherError` when the regular expression is invalid.
    public init(_ kind: Kind, _ name: String, _ value: String) throws(LabelMatcherError) {
        self.kind = kind
        self.name = name
        self.value = value
        switch kind {
        case .equal, .notEqual: regex = nil
        case .regex, .notRegex: regex = try CompiledRegex(value)
        }
    }

    /// Shorthand for an equality matcher, which cannot fail.
    public static func equal(_ name: String, _ value: String) -> LabelMatcher {
        try! LabelMatcher(.equal, name, value)
    }

    /// True when a label value (the empty string for an absent label) satisfies the matcher.
    @inlinable
    public func matches(_ v: String) -> Bool {
        switch kind {
        case .equal: return v == value
        case .notEqual: return v != value
        case .regex: return regex!.matches(v)
        case .notRegex: return !regex!.matches(v)
        }
    }

    /// True when the matcher accepts a series that lacks the label entirely.
    public var matchesEmpty: Bool { matches("") }

    public var description: String { "\(name)\(kind.rawValue)\"\(Labels.escape(value))\"" }
}

extension LabelMatcher: Equatable {
    /// Same kind, name and value (the compiled expression follows from the value).
    public static func == (a: LabelMatcher, b: LabelMatcher) -> Bool {
        a.kind == b.kind && a.name == b.name && a.value == b.value
    }
}

/// Why a matcher could not be built.
public struct LabelMatcherError: Error, Sendable, CustomStringConvertible {
    public var pattern: String
    public var reason: String
    public var description: String { "invalid regular expression \"\(pattern)\": \(reason)" }
}

/// A fully anchored regular expression with fast paths for the shapes PromQL users
/// write most: literals, `a|b|c`, `.*`, `.+`, `prefix.*`.
@usableFromInline
struct CompiledRegex: @unchecked Sendable {
    // Regex<AnyRegexOutput> is immutable once built; matching does not mutate it.
    enum Plan {
        case any                 // .*
        case nonEmpty            // .+
        case literals(Set<String>)
        case prefix(String)      // literal.*
        case general(Regex<AnyRegexOutput>)
    }
    let plan: Plan

    init(_ pattern: String) throws(LabelMatcherError) {
        if pattern == ".*" { plan = .any; return }
        if pattern == ".+" { plan = .nonEmpty; return }
        if let lits = CompiledRegex.literalAlternation(pattern) { plan = .literals(Set(lits)); return }
        if pattern.hasSuffix(".*"), let lits = CompiledRegex.literalAlternation(String(pattern.dropLast(2))),
            lits.count == 1
        {
            plan = .prefix(lits[0])
            return
        }
        try CompiledRegex.rejectNonRE2(pattern)
        do {
            let r = try Regex("(?s:" + pattern + ")").matchingSemantics(.unicodeScalar)
            plan = .general(r)
        } catch {
            throw LabelMatcherError(pattern: pattern, reason: "\(error)")
        }
    }

    @usableFromInline
    func matches(_ s: String) -> Bool {
        switch plan {
        case .any: return true
        case .nonEmpty: return !s.isEmpty
        case .literals(let set): return set.contains(s)
        case .prefix(let p): return s.hasPrefix(p)
        case .general(let r): return (try? r.wholeMatch(in: s)) != nil
        }
    }

    /// `abc`, `a|b|c` with no metacharacters (escaped metacharacters allowed) → the literals.
    static func literalAlternation(_ p: String) -> [String]? {
        var out: [String] = []
        var cur = ""
        var it = p.unicodeScalars.makeIterator()
        while let c = it.next() {
            switch c {
            case "|": out.append(cur); cur = ""
            case "\\":
                guard let n = it.next() else { return nil }
                if "\\.+*?()|[]{}^$".unicodeScalars.contains(n) { cur.unicodeScalars.append(n) } else { return nil }
            case ".", "+", "*", "?", "(", ")", "[", "]", "{", "}", "^", "$": return nil
            default: cur.unicodeScalars.append(c)
            }
        }
        out.append(cur)
        return out
    }

    /// RE2 has no backreferences or lookaround; Prometheus rejects them, so do we.
    static func rejectNonRE2(_ p: String) throws(LabelMatcherError) {
        let bad = ["(?=", "(?!", "(?<=", "(?<!", "(?>"]
        for b in bad where p.contains(b) {
            throw LabelMatcherError(pattern: p, reason: "\(b)...) is not supported in RE2 syntax")
        }
        var prevBackslash = false
        for c in p.unicodeScalars {
            if prevBackslash, ("1"..."9").contains(c) {
                throw LabelMatcherError(pattern: p, reason: "backreferences (\\\(c)) are not supported in RE2 syntax")
            }
            prevBackslash = (c == "\\") && !prevBackslash
        }
    }
}
