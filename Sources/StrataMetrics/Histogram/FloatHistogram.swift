#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A run of consecutive buckets: `offset` is the gap (in bucket indices) since the previous span's
/// end (or, for the first span, the index of its first bucket); `length` is how many buckets it holds.
@frozen
public struct HistogramSpan: Hashable, Sendable {
    public var offset: Int32
    public var length: UInt32
    @inlinable public init(offset: Int32, length: UInt32) {
        self.offset = offset
        self.length = length
    }
}

/// A native histogram with float counts, as Prometheus 3 models it (`histogram.FloatHistogram`).
///
/// Exponential schemas (-4...8): bucket `i` of the positive side covers `(base^(i-1), base^i]` with
/// `base = 2^(2^-schema)`; the negative side mirrors it; the zero bucket holds `[-zeroThreshold, zeroThreshold]`.
/// Schema -53 (NHCB) has custom bounds: bucket `i` covers `(customValues[i-1], customValues[i]]`, the
/// last one up to +Inf. Buckets hold absolute counts (not deltas).
public struct FloatHistogram: Hashable, Sendable {
    /// What the producer said about counter resets relative to the previous sample.
    public enum CounterResetHint: UInt8, Sendable {
        case unknown = 0
        case counterReset = 1
        case notCounterReset = 2
        case gauge = 3
    }

    /// The schema number of custom-bucket (NHCB) histograms.
    public static let customBucketsSchema: Int32 = -53

    public var counterResetHint: CounterResetHint = .unknown
    public var schema: Int32 = 0
    public var zeroThreshold: Double = 0
    public var zeroCount: Double = 0
    public var count: Double = 0
    public var sum: Double = 0
    public var positiveSpans: [HistogramSpan] = []
    public var negativeSpans: [HistogramSpan] = []
    public var positiveBuckets: [Double] = []
    public var negativeBuckets: [Double] = []
    /// Upper bounds of the custom buckets (schema -53 only), ascending, without +Inf.
    public var customValues: [Double] = []

    public init() {}

    /// True for schema -53 (custom bounds).
    @inlinable public var usesCustomBuckets: Bool { schema == FloatHistogram.customBucketsSchema }

    /// The non-zero-or-zero buckets of one side as (absolute index, count), ascending by index.
    public func buckets(positive: Bool) -> [(index: Int32, count: Double)] {
        let spans = positive ? positiveSpans : negativeSpans
        let counts = positive ? positiveBuckets : negativeBuckets
        var out: [(Int32, Double)] = []
        out.reserveCapacity(counts.count)
        var idx: Int32 = 0
        var k = 0
        for (n, s) in spans.enumerated() {
            idx = n == 0 ? s.offset : idx &+ s.offset
            for _ in 0..<Int(s.length) {
                guard k < counts.count else { return out }
                out.append((idx, counts[k]))
                k += 1
                idx &+= 1
            }
        }
        return out
    }

    /// Replaces one side's spans and counts with `entries` (ascending, unique indices), one span per
    /// run of consecutive indices.
    public mutating func setBuckets(positive: Bool, _ entries: [(index: Int32, count: Double)]) {
        var spans: [HistogramSpan] = []
        var counts: [Double] = []
        counts.reserveCapacity(entries.count)
        var nextIndex: Int32 = 0
        for (i, e) in entries.enumerated() {
            if i > 0 && e.index == nextIndex {
                spans[spans.count - 1].length += 1
            } else {
                spans.append(HistogramSpan(offset: i == 0 ? e.index : e.index &- nextIndex, length: 1))
            }
            counts.append(e.count)
            nextIndex = e.index &+ 1
        }
        if positive {
            positiveSpans = spans
            positiveBuckets = counts
        } else {
            negativeSpans = spans
            negativeBuckets = counts
        }
    }

    /// The same histogram with empty buckets removed and adjacent spans merged (`Compact(0)`).
    public func compacted() -> FloatHistogram {
        var h = self
        h.setBuckets(positive: true, buckets(positive: true).filter { $0.count != 0 })
        h.setBuckets(positive: false, buckets(positive: false).filter { $0.count != 0 })
        return h
    }

    /// Why this histogram is malformed, or nil (spans and bucket counts agree, custom bounds ascend).
    public func validationError() -> String? {
        for (spans, counts, side) in [(positiveSpans, positiveBuckets, "positive"), (negativeSpans, negativeBuckets, "negative")] {
            var n = 0
            for (i, s) in spans.enumerated() {
                if i > 0 && s.offset < 0 { return "\(side) span \(i) has a negative offset" }
                n += Int(s.length)
            }
            if n != counts.count { return "\(side) spans describe \(n) buckets, but there are \(counts.count)" }
        }
        if usesCustomBuckets {
            if !negativeBuckets.isEmpty { return "custom-bucket histograms have no negative buckets" }
            for i in customValues.indices.dropFirst() where !(customValues[i] > customValues[i - 1]) {
                return "custom bounds must be strictly increasing"
            }
        } else if schema < -4 || schema > 8 {
            return "schema \(schema) is not -4...8 or -53"
        }
        return nil
    }

    // MARK: Bounds

    /// The upper bound of positive bucket `index` (custom bounds for schema -53).
    public func upperBound(_ index: Int32) -> Double {
        if usesCustomBuckets {
            if index < 0 { return -.infinity }
            return Int(index) < customValues.count ? customValues[Int(index)] : .infinity
        }
        return FloatHistogram.exponentialBound(index, schema: schema)
    }

    /// The lower bound of positive bucket `index`.
    public func lowerBound(_ index: Int32) -> Double {
        if usesCustomBuckets {
            if index <= 0 { return -.infinity }
            return Int(index) - 1 < customValues.count ? customValues[Int(index) - 1] : .infinity
        }
        return FloatHistogram.exponentialBound(index &- 1, schema: schema)
    }

    /// `2^(index * 2^-schema)`, computed as Prometheus's `getBound` does (exact powers for schema <= 0).
    public static func exponentialBound(_ index: Int32, schema: Int32) -> Double {
        if schema < 0 {
            let exp = Int(index) << Int(-schema)
            if exp > 1024 { return .infinity }
            if exp < -1074 { return 0 }
            return Double(sign: .plus, exponent: exp, significand: 1)
        }
        let fracIdx = Int(index) & ((1 << Int(schema)) - 1)
        let exp = Int(index) >> Int(schema)
        let frac = exp2(Double(fracIdx) / Double(1 << Int(schema)))
        // frac is in [1, 2); Go's math.Ldexp(frac/2, exp+1).
        return ldexp(frac / 2, Int32(clamping: exp + 1))
    }
}

