import StrataLabels
import StrataMetrics
import StrataQuery

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A metric store in a fresh temp directory, filled like a promqltest `load` block.
final class EngineFixture {
    let path: String
    let store: MetricStore

    init(_ name: String = #function) throws {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        var template = Array("/tmp/strata-engine-\(safe)-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: p!)
        var o = MetricStoreOptions()
        o.durability = .none
        o.outOfOrderWindow = .max / 4
        store = try MetricStore(directory: path, options: o)
    }

    deinit { _ = system("rm -rf '\(path)'") }

    /// Loads `values` (nil = no sample) at `interval` ms from time 0.
    func load(_ labels: [String: String], every interval: Int64, _ values: [Double?]) throws {
        let l = try Labels(validating: labels)
        var samples: [Sample] = []
        for (i, v) in values.enumerated() {
            if let v { samples.append(Sample(Int64(i) * interval, v)) }
        }
        _ = try store.append(l, samples)
    }

    /// `start+incxN` as promqltest writes it.
    static func series(_ start: Double, _ inc: Double, _ n: Int) -> [Double?] {
        (0...n).map { start + Double($0) * inc }
    }

    func engine(_ configure: (inout PromQLEngineOptions) -> Void = { _ in }) -> PromQLEngine {
        var o = PromQLEngineOptions()
        configure(&o)
        return PromQLEngine(store: store, options: o)
    }
}

// MARK: Hand-built expressions (the parser is tested elsewhere).

let noRange = SourceRange(0, 0)

func sel(_ name: String?, _ matchers: [LabelMatcher] = [], offset: Int64 = 0, at: AtModifier? = nil) -> VectorSelector {
    var m = matchers
    if let name { m.insert(.equal("__name__", name), at: 0) }
    return VectorSelector(name: name, matchers: m, offset: offset, at: at, range: noRange)
}

func vec(_ name: String?, _ matchers: [LabelMatcher] = [], offset: Int64 = 0, at: AtModifier? = nil) -> Expr {
    .vectorSelector(sel(name, matchers, offset: offset, at: at))
}

func range(_ s: VectorSelector, _ ms: Int64) -> Expr {
    .matrixSelector(MatrixSelector(selector: s, rangeMilliseconds: ms, range: noRange))
}

func call(_ name: String, _ args: Expr...) -> Expr {
    .call(FunctionCall(name: name, args: args, range: noRange))
}

func num(_ v: Double) -> Expr { .number(v, noRange) }
func str(_ s: String) -> Expr { .string(s, noRange) }

func bin(_ op: BinaryOp, _ l: Expr, _ r: Expr, bool: Bool = false, matching: VectorMatching? = nil) -> Expr {
    let bothVectors = staticTypeForTests(l) != .scalar && staticTypeForTests(r) != .scalar
    return .binary(
        BinaryExpr(
            op: op, lhs: l, rhs: r, returnBool: bool,
            matching: matching ?? (bothVectors ? VectorMatching(cardinality: op.isSetOperator ? .manyToMany : .oneToOne) : nil),
            range: noRange))
}

func agg(_ op: AggregateOp, _ e: Expr, param: Expr? = nil, by: [String] = [], without: Bool = false) -> Expr {
    .aggregate(AggregateExpr(op: op, expr: e, parameter: param, grouping: by, without: without, range: noRange))
}

func staticTypeForTests(_ e: Expr) -> ValueType {
    switch e {
    case .number: .scalar
    case .binary(let b): staticTypeForTests(b.lhs) == .scalar && staticTypeForTests(b.rhs) == .scalar ? .scalar : .vector
    case .call(let c): ["time", "pi", "scalar"].contains(c.name) ? .scalar : .vector
    case .paren(let x, _): staticTypeForTests(x)
    default: .vector
    }
}

/// The elements of an instant vector result as `labels description → value`.
func vectorValues(_ r: QueryResult) -> [String: Double] {
    guard case .vector(let v) = r.value else { return [:] }
    var out: [String: Double] = [:]
    for e in v { out[e.labels.description] = e.value }
    return out
}

func approx(_ a: Double?, _ b: Double) -> Bool {
    guard let a else { return false }
    if a.isNaN && b.isNaN { return true }
    return abs(a - b) <= 1e-6 * max(1, abs(b))
}

let minute: Int64 = 60_000
