import StrataLabels
import StrataMetrics

/// A parsed PromQL expression.
///
/// The AST is the shared core of Strata's query languages: LogQL and trace queries will add
/// node kinds (as new cases reached through `.extension`) and reuse the lexer, the parser's
/// expression machinery and the evaluator's vector/matrix algebra.
public indirect enum Expr: Sendable {
    /// `1`, `0x1f`, `1e3`, `Inf`, `NaN`, and durations used as numbers (`5m` → 300).
    case number(Double, SourceRange)
    /// `"text"`, `'text'` or `` `raw` ``.
    case string(String, SourceRange)
    /// `name{l="v"} offset 5m @ 1000`.
    case vectorSelector(VectorSelector)
    /// `selector[5m]`.
    case matrixSelector(MatrixSelector)
    /// `expr[1h:5m]`.
    case subquery(SubqueryExpr)
    /// `(expr)`.
    case paren(Expr, SourceRange)
    /// `-expr`, `+expr`.
    case unary(UnaryOp, Expr, SourceRange)
    /// `a + b`, `a > bool b`, `a / on(x) group_left(y) b`, `a and b`.
    case binary(BinaryExpr)
    /// `sum by (job) (expr)`, `topk(5, expr)`.
    case aggregate(AggregateExpr)
    /// `rate(x[5m])`.
    case call(FunctionCall)
    /// A node of another dialect (LogQL, traces) that the PromQL evaluator does not know.
    case `extension`(any ExprExtension)

    /// Where the node is in the query text.
    public var range: SourceRange {
        switch self {
        case .number(_, let r), .string(_, let r), .paren(_, let r), .unary(_, _, let r): r
        case .vectorSelector(let v): v.range
        case .matrixSelector(let m): m.range
        case .subquery(let s): s.range
        case .binary(let b): b.range
        case .aggregate(let a): a.range
        case .call(let c): c.range
        case .extension(let e): e.range
        }
    }
}

/// A node contributed by another dialect.
public protocol ExprExtension: Sendable, CustomStringConvertible {
    var range: SourceRange { get }
}

/// The `@` modifier of a selector or subquery.
public enum AtModifier: Sendable, Hashable {
    /// `@ 1609746000` (stored in ms).
    case timestamp(Int64)
    /// `@ start()`.
    case start
    /// `@ end()`.
    case end
}

/// `name{matchers} offset d @ t`. `matchers` includes the `__name__` matcher when a name was given.
public struct VectorSelector: Sendable {
    public var name: String?
    public var matchers: [LabelMatcher]
    /// `offset` in ms (negative allowed); 0 when absent.
    public var offset: Int64
    /// An offset that depends on the query (`offset step()`), resolved before evaluation.
    public var offsetExpression: DurationExpr?
    public var at: AtModifier?
    public var range: SourceRange

    public init(name: String?, matchers: [LabelMatcher], offset: Int64 = 0, at: AtModifier? = nil, range: SourceRange) {
        self.name = name
        self.matchers = matchers
        self.offset = offset
        self.at = at
        self.range = range
    }
}

/// `selector[range]` (range in ms). Offset and `@` live on the inner selector.
public struct MatrixSelector: Sendable {
    public var selector: VectorSelector
    public var rangeMilliseconds: Int64
    /// A range that depends on the query (`[step()+1ms]`), resolved before evaluation.
    public var rangeExpression: DurationExpr?
    public var range: SourceRange

    public init(selector: VectorSelector, rangeMilliseconds: Int64, range: SourceRange) {
        self.selector = selector
        self.rangeMilliseconds = rangeMilliseconds
        self.range = range
    }
}

/// `expr[range:step] offset d @ t` (ms; `step` nil means the query's default resolution).
public struct SubqueryExpr: Sendable {
    public var expr: Expr
    public var rangeMilliseconds: Int64
    public var stepMilliseconds: Int64?
    public var offset: Int64
    /// Range, step and offset that depend on the query (`step()`, `range()`), resolved before evaluation.
    public var rangeExpression: DurationExpr?
    public var stepExpression: DurationExpr?
    public var offsetExpression: DurationExpr?
    public var at: AtModifier?
    public var range: SourceRange

    public init(
        expr: Expr, rangeMilliseconds: Int64, stepMilliseconds: Int64?, offset: Int64 = 0, at: AtModifier? = nil,
        range: SourceRange
    ) {
        self.expr = expr
        self.rangeMilliseconds = rangeMilliseconds
        self.stepMilliseconds = stepMilliseconds
        self.offset = offset
        self.at = at
        self.range = range
    }
}

public enum UnaryOp: String, Sendable {
    case plus = "+", minus = "-"
}

/// Binary operators, with Prometheus's precedence (higher binds tighter):
/// `^` 6 (right-assoc); `* / % atan2` 5; `+ -` 4; `== != <= < >= >` 3; `and unless` 2; `or` 1.
public enum BinaryOp: String, Sendable, CaseIterable {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%", pow = "^", atan2 = "atan2"
    case eql = "==", neq = "!=", gtr = ">", lss = "<", gte = ">=", lte = "<="
    case and = "and", or = "or", unless = "unless"
    /// Native histogram trim operators: `h </ x` keeps the observations at or below `x`, `h >/ x`
    /// those at or above it.
    case trimUpper = "</", trimLower = ">/"

    public var precedence: Int {
        switch self {
        case .or: 1
        case .and, .unless: 2
        case .eql, .neq, .gtr, .lss, .gte, .lte: 3
        case .add, .sub: 4
        case .mul, .div, .mod, .atan2, .trimUpper, .trimLower: 5
        case .pow: 6
        }
    }
    public var isRightAssociative: Bool { self == .pow }
    public var isComparison: Bool { [.eql, .neq, .gtr, .lss, .gte, .lte].contains(self) }
    public var isSetOperator: Bool { [.and, .or, .unless].contains(self) }
}

/// How the two sides of a vector/vector operation are matched.
public struct VectorMatching: Sendable {
    public enum Cardinality: Sendable { case oneToOne, manyToOne, oneToMany, manyToMany }
    public var cardinality: Cardinality
    /// `on(...)` when true, `ignoring(...)` when false.
    public var on: Bool
    /// The labels of `on`/`ignoring`.
    public var matchingLabels: [String]
    /// The extra labels of `group_left(...)`/`group_right(...)`.
    public var include: [String]
    /// `fill_left(v)` / `fill(v)`: the value of a missing left-hand (many-side) element; the element
    /// is made of the match group's labels.
    public var fillLeft: Double?
    /// `fill_right(v)` / `fill(v)`: the value of a missing right-hand (one-side) element.
    public var fillRight: Double?

    public init(cardinality: Cardinality = .oneToOne, on: Bool = false, matchingLabels: [String] = [], include: [String] = []) {
        self.cardinality = cardinality
        self.on = on
        self.matchingLabels = matchingLabels
        self.include = include
    }
}

public struct BinaryExpr: Sendable {
    public var op: BinaryOp
    public var lhs: Expr { didSet { scalarResult = Self.bothScalar(lhs, rhs) } }
    public var rhs: Expr { didSet { scalarResult = Self.bothScalar(lhs, rhs) } }
    /// True when both sides are scalars (the expression is then a scalar): kept with the node so
    /// that `PromQL.type(of:)` is O(1) here; recomputing it walked the whole left side of a chain
    /// such as `1+1+...+1` at every level (60,000 terms took two minutes).
    public private(set) var scalarResult: Bool
    /// `bool` after a comparison.
    public var returnBool: Bool
    /// Present when both sides are vectors (set operators are many-to-many).
    public var matching: VectorMatching?
    public var range: SourceRange

    public init(op: BinaryOp, lhs: Expr, rhs: Expr, returnBool: Bool = false, matching: VectorMatching? = nil, range: SourceRange) {
        self.op = op
        self.lhs = lhs
        self.rhs = rhs
        self.scalarResult = Self.bothScalar(lhs, rhs)
        self.returnBool = returnBool
        self.matching = matching
        self.range = range
    }

    static func bothScalar(_ lhs: Expr, _ rhs: Expr) -> Bool { PromQL.type(of: lhs) == .scalar && PromQL.type(of: rhs) == .scalar }
}

public enum AggregateOp: String, Sendable, CaseIterable {
    case sum, min, max, avg, group, stddev, stdvar, count, count_values, bottomk, topk, quantile
    /// Experimental in Prometheus 3 (behind a feature flag).
    case limitk, limit_ratio

    /// Whether the operator takes a parameter before the expression.
    public var takesParameter: Bool { [.count_values, .bottomk, .topk, .quantile, .limitk, .limit_ratio].contains(self) }
}

public struct AggregateExpr: Sendable {
    public var op: AggregateOp
    public var expr: Expr
    public var parameter: Expr?
    /// The labels of `by (...)` or `without (...)`.
    public var grouping: [String]
    public var without: Bool
    public var range: SourceRange

    public init(op: AggregateOp, expr: Expr, parameter: Expr? = nil, grouping: [String] = [], without: Bool = false, range: SourceRange) {
        self.op = op
        self.expr = expr
        self.parameter = parameter
        self.grouping = grouping
        self.without = without
        self.range = range
    }
}

public struct FunctionCall: Sendable {
    public var name: String
    public var args: [Expr]
    public var range: SourceRange

    public init(name: String, args: [Expr], range: SourceRange) {
        self.name = name
        self.args = args
        self.range = range
    }
}

/// The type an expression evaluates to.
public enum ValueType: String, Sendable {
    case scalar, string, vector, matrix
}
