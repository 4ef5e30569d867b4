#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A duration expression where PromQL takes a time span: `[5m*2]`, `[29s+1s:5s+5s]`,
/// `offset (1h/2)`, `[step()+1ms]`, `offset min_of(range(), 8s)` (Prometheus 3's
/// `promql-duration-expr`). Numbers are seconds, durations convert to seconds; `step()` is the
/// query's step and `range()` its end minus start (0 in an instant query).
public indirect enum DurationExpr: Sendable, CustomStringConvertible {
    case seconds(Double)
    case step
    case range
    case negate(DurationExpr)
    case binary(BinaryOp, DurationExpr, DurationExpr)
    case minOf(DurationExpr, DurationExpr)
    case maxOf(DurationExpr, DurationExpr)

    /// True when the value depends on the query (`step()`, `range()`), so it is known only at
    /// evaluation.
    public var dependsOnQuery: Bool {
        switch self {
        case .seconds: false
        case .step, .range: true
        case .negate(let e): e.dependsOnQuery
        case .binary(_, let a, let b), .minOf(let a, let b), .maxOf(let a, let b): a.dependsOnQuery || b.dependsOnQuery
        }
    }

    /// The value in seconds for a query of `step` and `range` seconds.
    public func value(step: Double, range: Double) -> Double {
        switch self {
        case .seconds(let v): return v
        case .step: return step
        case .range: return range
        case .negate(let e): return -e.value(step: step, range: range)
        case .minOf(let a, let b): return min(a.value(step: step, range: range), b.value(step: step, range: range))
        case .maxOf(let a, let b): return max(a.value(step: step, range: range), b.value(step: step, range: range))
        case .binary(let op, let a, let b):
            let x = a.value(step: step, range: range), y = b.value(step: step, range: range)
            switch op {
            case .add: return x + y
            case .sub: return x - y
            case .mul: return x * y
            case .div: return x / y
            case .mod: return x.truncatingRemainder(dividingBy: y)
            case .pow: return pow(x, y)
            default: return .nan
            }
        }
    }

    /// The value in milliseconds (truncated, as Prometheus converts seconds to a duration), or nil
    /// when it is not a finite time span.
    public func milliseconds(step: Int64, range: Int64) -> Int64? {
        // Seconds in binary floating point are rarely exact (1001ms is 1.0009999... s): round to the
        // microsecond first, then truncate to the millisecond as a plain `[1.0015]` is.
        let us = (value(step: Double(step) / 1000, range: Double(range) / 1000) * 1_000_000).rounded()
        guard us.isFinite, us > -9.2e18, us < 9.2e18 else { return nil }
        return Int64(us) / 1000
    }

    public var description: String {
        switch self {
        case .seconds(let v): return DurationLiteral.format(milliseconds: Int64(v * 1000))
        case .step: return "step()"
        case .range: return "range()"
        case .negate(let e): return "-(\(e))"
        case .minOf(let a, let b): return "min_of(\(a), \(b))"
        case .maxOf(let a, let b): return "max_of(\(a), \(b))"
        case .binary(let op, let a, let b): return "(\(a) \(op.rawValue) \(b))"
        }
    }
}
