import StrataLabels

/// A compiled `FieldFilter`: decides a record from the value of one field or stream label.
struct FieldPredicate: Sendable {
    let filter: FieldFilter
    let matcher: LabelMatcher?

    init(_ f: FieldFilter) throws(LogStoreError) {
        filter = f
        switch (f.op, f.value) {
        case (.regex, .string(let s)), (.notRegex, .string(let s)):
            do {
                matcher = try LabelMatcher(f.op == .regex ? .regex : .notRegex, f.name, s)
            } catch {
                throw LogStoreError.invalidRegex(pattern: s, reason: error.reason)
            }
        case (.regex, _), (.notRegex, _):
            throw LogStoreError.invalidQuery("\(f.name)\(f.op.rawValue): a regex needs a string")
        default:
            matcher = nil
        }
    }

    /// The exact value this predicate requires, when it is `name = "value"` with a non-empty value
    /// (then the field index answers it).
    var exactValue: String? {
        if filter.op == .equal, case .string(let s) = filter.value, !s.isEmpty { return s }
        return nil
    }

    /// True when a record whose value is `v` (empty when absent) passes.
    func passes(_ v: String) -> Bool {
        if let matcher { return matcher.matches(v) }
        switch filter.value {
        case .string(let s):
            switch filter.op {
            case .equal: return v == s
            case .notEqual: return v != s
            case .greater: return v > s
            case .greaterOrEqual: return v >= s
            case .less: return v < s
            case .lessOrEqual: return v <= s
            case .regex, .notRegex: return false
            }
        case .number(let x):
            guard let d = Double(v) else { return false }
            return compare(d, x)
        case .duration(let x):
            guard let d = FieldPredicate.seconds(v) else { return false }
            return compare(d, x)
        }
    }

    private func compare(_ a: Double, _ b: Double) -> Bool {
        switch filter.op {
        case .equal: a == b
        case .notEqual: a != b
        case .greater: a > b
        case .greaterOrEqual: a >= b
        case .less: a < b
        case .lessOrEqual: a <= b
        case .regex, .notRegex: false
        }
    }

    /// A duration in seconds: a plain number (`0.25`) or a number with `ns us µs ms s m h`.
    static func seconds(_ v: String) -> Double? {
        if let d = Double(v) { return d }
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        for (u, f) in units where v.hasSuffix(u) {
            if let d = Double(v.dropLast(u.count)) { return d * f }
        }
        return nil
    }
}
