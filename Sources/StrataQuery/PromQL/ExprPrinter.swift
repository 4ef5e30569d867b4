import StrataMetrics

/// The text of an expression as Prometheus prints it (`Expr.String()` in promql/parser/printer.go):
/// `sum by (job) (rate(x{a="b"}[5m] offset 1m))`. Parsing the printed text gives the same tree.
extension Expr: CustomStringConvertible {
    public var description: String {
        switch self {
        case .number(let v, _):
            return NumberLiteral.format(v)
        case .string(let s, _):
            return GoQuote.string(s)
        case .vectorSelector(let vs):
            return vs.description
        case .matrixSelector(let m):
            var inner = m.selector
            inner.offset = 0
            inner.offsetExpression = nil
            inner.at = nil
            let range = m.rangeExpression?.description ?? DurationLiteral.format(milliseconds: m.rangeMilliseconds)
            return "\(inner)[\(range)]"
                + Expr.atSuffix(m.selector.at) + Expr.offsetSuffix(m.selector.offset, m.selector.offsetExpression)
        case .subquery(let s):
            let step =
                s.stepExpression?.description
                ?? s.stepMilliseconds.map { $0 == 0 ? "" : DurationLiteral.format(milliseconds: $0) } ?? ""
            let range = s.rangeExpression?.description ?? DurationLiteral.format(milliseconds: s.rangeMilliseconds)
            return "\(s.expr)[\(range):\(step)]"
                + Expr.atSuffix(s.at) + Expr.offsetSuffix(s.offset, s.offsetExpression)
        case .paren(let e, _):
            return "(\(e))"
        case .unary(let op, let e, _):
            return op.rawValue + e.description
        case .binary(let b):
            return "\(b.lhs) \(b.op.rawValue)\(b.returnBool ? " bool" : "")\(Expr.matchingText(b.matching)) \(b.rhs)"
        case .aggregate(let a):
            var out = a.op.rawValue
            if a.without {
                out += " without (\(Expr.labelList(a.grouping))) "
            } else if !a.grouping.isEmpty {
                out += " by (\(Expr.labelList(a.grouping))) "
            }
            out += "("
            if let p = a.parameter { out += "\(p), " }
            return out + "\(a.expr))"
        case .call(let c):
            return c.name + "(" + c.args.map(\.description).joined(separator: ", ") + ")"
        case .extension(let e):
            return e.description
        }
    }

    static func atSuffix(_ at: AtModifier?) -> String {
        switch at {
        case nil: ""
        case .start: " @ start()"
        case .end: " @ end()"
        case .timestamp(let ms): " @ " + Parser.goFixed(Double(ms) / 1000).dropLast(3)
        }
    }

    static func offsetSuffix(_ offset: Int64, _ expression: DurationExpr? = nil) -> String {
        if let expression { return " offset " + expression.description }
        return offset == 0 ? "" : " offset " + DurationLiteral.format(milliseconds: offset)
    }

    static func matchingText(_ m: VectorMatching?) -> String {
        guard let m else { return "" }
        var out = ""
        let grouped = m.cardinality == .manyToOne || m.cardinality == .oneToMany
        if !m.matchingLabels.isEmpty || m.on || grouped {
            out += " \(m.on ? "on" : "ignoring") (\(labelList(m.matchingLabels)))"
        }
        if grouped {
            out += " group_\(m.cardinality == .manyToOne ? "left" : "right") (\(labelList(m.include)))"
        }
        switch (m.fillLeft, m.fillRight) {
        case (let l?, let r?) where l.bitPattern == r.bitPattern: out += " fill(\(NumberLiteral.format(l)))"
        case (let l, let r):
            if let l { out += " fill_left(\(NumberLiteral.format(l)))" }
            if let r { out += " fill_right(\(NumberLiteral.format(r)))" }
        }
        return out
    }

    static func labelList(_ labels: [String]) -> String {
        labels.map(labelName).joined(separator: ", ")
    }

    /// A label name as written: bare when it is a legacy name (`[a-zA-Z_][a-zA-Z0-9_]*`), else quoted.
    static func labelName(_ name: String) -> String {
        let b = Array(name.utf8)
        let legacy = !b.isEmpty && ASCII.isAlpha(b[0]) && b.allSatisfy { ASCII.isAlpha($0) || ASCII.isDigit($0) }
        return legacy ? name : GoQuote.string(name)
    }
}

extension VectorSelector: CustomStringConvertible {
    /// `name{a="b",c=~"d"} @ 10.000 offset 5m` (matchers sorted by their text, the name matcher omitted).
    public var description: String {
        var parts: [String] = []
        for m in matchers {
            if m.name == "__name__", m.kind == .equal, let name, m.value == name, !name.isEmpty { continue }
            parts.append(Expr.labelName(m.name) + m.kind.rawValue + GoQuote.string(m.value))
        }
        var out = name ?? ""
        if !parts.isEmpty { out += "{" + parts.sorted().joined(separator: ",") + "}" }
        return out + Expr.atSuffix(at) + Expr.offsetSuffix(offset, offsetExpression)
    }
}
