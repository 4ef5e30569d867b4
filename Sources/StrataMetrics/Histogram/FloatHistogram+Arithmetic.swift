/// Why two histograms cannot be combined.
public enum HistogramCombineError: Error, Sendable, Equatable {
    /// One uses exponential buckets, the other custom bounds.
    case mixedSchemas
}

/// What combining two histograms noticed on the way (Prometheus reports each as an annotation).
public struct HistogramCombineNotes: Sendable, Equatable {
    /// A counter-reset hint met a not-counter-reset hint.
    public var counterResetCollision = false
    /// Custom bounds differed and were reduced to the bounds both share.
    public var customBoundsReconciled = false
    public init() {}
}

extension FloatHistogram {
    /// `self + other` (`FloatHistogram.Add`): the lower schema and the wider zero bucket win; for
    /// custom bounds that differ, buckets merge onto the bounds both histograms share.
    public func adding(_ other: FloatHistogram, notes: inout HistogramCombineNotes) throws(HistogramCombineError)
        -> FloatHistogram
    {
        try combining(other, sign: 1, notes: &notes)
    }

    /// `self - other` (`FloatHistogram.Sub`).
    public func subtracting(_ other: FloatHistogram, notes: inout HistogramCombineNotes) throws(HistogramCombineError)
        -> FloatHistogram
    {
        try combining(other, sign: -1, notes: &notes)
    }

    /// Every count and the sum multiplied by `factor` (`Mul`; a negative factor gives negative buckets).
    public func scaled(by factor: Double) -> FloatHistogram {
        var h = self
        h.zeroCount *= factor
        h.count *= factor
        h.sum *= factor
        for i in h.positiveBuckets.indices { h.positiveBuckets[i] *= factor }
        for i in h.negativeBuckets.indices { h.negativeBuckets[i] *= factor }
        return h
    }

    /// The same distribution at the lower resolution `target` (exponential schemas only; a no-op otherwise).
    public func reduced(toSchema target: Int32) -> FloatHistogram {
        guard !usesCustomBuckets, target < schema else { return self }
        var h = self
        h.schema = target
        let shift = schema - target
        for positive in [true, false] {
            var out: [(index: Int32, count: Double)] = []
            for b in buckets(positive: positive) {
                let idx = ((b.index &- 1) >> shift) &+ 1
                if let last = out.last, last.index == idx {
                    out[out.count - 1].count += b.count
                } else {
                    out.append((idx, b.count))
                }
            }
            h.setBuckets(positive: positive, out)
        }
        return h
    }

    private func combining(_ other: FloatHistogram, sign: Double, notes: inout HistogramCombineNotes) throws(HistogramCombineError)
        -> FloatHistogram
    {
        guard usesCustomBuckets == other.usesCustomBuckets else { throw .mixedSchemas }
        var h = self
        if h.adjustCounterReset(other) { notes.counterResetCollision = true }
        var o = other
        if usesCustomBuckets {
            if h.customValues != o.customValues {
                let common = FloatHistogram.commonBounds(h.customValues, o.customValues)
                h = h.onCustomBounds(common)
                o = o.onCustomBounds(common)
                notes.customBoundsReconciled = true
            }
        } else {
            let target = min(h.schema, o.schema)
            h = h.reduced(toSchema: target)
            o = o.reduced(toSchema: target)
            FloatHistogram.reconcileZeroBuckets(&h, &o)
        }
        h.zeroCount += sign * o.zeroCount
        h.count += sign * o.count
        h.sum += sign * o.sum
        for positive in [true, false] {
            let a = h.buckets(positive: positive)
            let b = o.buckets(positive: positive)
            var out: [(index: Int32, count: Double)] = []
            out.reserveCapacity(a.count + b.count)
            var i = 0
            var j = 0
            while i < a.count || j < b.count {
                if j >= b.count || (i < a.count && a[i].index < b[j].index) {
                    out.append(a[i])
                    i += 1
                } else if i >= a.count || b[j].index < a[i].index {
                    out.append((b[j].index, sign * b[j].count))
                    j += 1
                } else {
                    out.append((a[i].index, a[i].count + sign * b[j].count))
                    i += 1
                    j += 1
                }
            }
            h.setBuckets(positive: positive, out)
        }
        return h
    }

    /// Prometheus's `adjustCounterReset`: true on a reset/not-reset collision.
    private mutating func adjustCounterReset(_ other: FloatHistogram) -> Bool {
        switch (counterResetHint, other.counterResetHint) {
        case let (a, b) where a == b: return false
        case (.gauge, _): return false
        case (_, .gauge):
            counterResetHint = .gauge
            return false
        case (.unknown, _): return false
        case (_, .unknown):
            counterResetHint = .unknown
            return false
        default:
            counterResetHint = .unknown
            return true
        }
    }

    /// The bounds present in both lists (ascending).
    static func commonBounds(_ a: [Double], _ b: [Double]) -> [Double] {
        var out: [Double] = []
        var i = 0
        var j = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] {
                out.append(a[i])
                i += 1
                j += 1
            } else if a[i] < b[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return out
    }

    /// This custom-bucket histogram re-bucketed onto `bounds` (a subset of its own bounds).
    func onCustomBounds(_ bounds: [Double]) -> FloatHistogram {
        var h = self
        h.customValues = bounds
        var out: [(index: Int32, count: Double)] = []
        for b in buckets(positive: true) {
            let upper = upperBound(b.index)
            var k = 0
            while k < bounds.count && bounds[k] < upper { k += 1 }
            let idx = Int32(k)
            if let last = out.last, last.index == idx {
                out[out.count - 1].count += b.count
            } else {
                out.append((idx, b.count))
            }
        }
        h.setBuckets(positive: true, out)
        return h
    }

    /// Widens the narrower zero bucket of the two until both thresholds agree (`reconcileZeroBuckets`).
    static func reconcileZeroBuckets(_ a: inout FloatHistogram, _ b: inout FloatHistogram) {
        var guardCount = 0
        while a.zeroThreshold != b.zeroThreshold && guardCount < 64 {
            guardCount += 1
            if a.zeroThreshold > b.zeroThreshold {
                b.widenZeroBucket(to: a.zeroThreshold)
            } else {
                a.widenZeroBucket(to: b.zeroThreshold)
            }
        }
    }

    /// Merges the buckets inside `threshold` into the zero bucket (`zeroCountForLargerThreshold` plus
    /// `trimBucketsInZeroBucket`); a populated bucket straddling it widens the threshold to its edge.
    mutating func widenZeroBucket(to larger: Double) {
        guard larger > zeroThreshold else { return }
        var threshold = larger
        var count = zeroCount
        var keepPositive: [(index: Int32, count: Double)] = []
        var keepNegative: [(index: Int32, count: Double)] = []
        while true {
            count = zeroCount
            keepPositive = []
            keepNegative = []
            var widened = false
            for b in buckets(positive: true) {
                let lower = lowerBound(b.index), upper = upperBound(b.index)
                if lower >= threshold {
                    keepPositive.append(b)
                    continue
                }
                count += b.count
                if upper > threshold && b.count != 0 && !widened {
                    threshold = upper
                    widened = true
                }
            }
            for b in buckets(positive: false) {
                let lower = lowerBound(b.index), upper = upperBound(b.index)
                if lower >= threshold {
                    keepNegative.append(b)
                    continue
                }
                count += b.count
                if upper > threshold && b.count != 0 && !widened {
                    threshold = upper
                    widened = true
                }
            }
            if !widened { break }
        }
        zeroCount = count
        zeroThreshold = threshold
        setBuckets(positive: true, keepPositive)
        setBuckets(positive: false, keepNegative)
    }

    /// True when `self` (the later sample) shows a counter reset relative to `previous` (`DetectReset`).
    public func detectsReset(after previous: FloatHistogram) -> Bool {
        if counterResetHint == .counterReset { return true }
        if counterResetHint == .notCounterReset { return false }
        if count < previous.count { return true }
        if usesCustomBuckets != previous.usesCustomBuckets { return true }
        if usesCustomBuckets {
            if customValues != previous.customValues {
                // Bounds changed: compare on the bounds both share.
                let common = FloatHistogram.commonBounds(customValues, previous.customValues)
                return onCustomBounds(common).bucketsDecreased(from: previous.onCustomBounds(common))
            }
            return bucketsDecreased(from: previous)
        }
        if schema > previous.schema { return true }
        if zeroThreshold < previous.zeroThreshold { return true }
        var prev = previous.reduced(toSchema: schema)
        if zeroThreshold > prev.zeroThreshold {
            prev.widenZeroBucket(to: zeroThreshold)
            if prev.zeroThreshold != zeroThreshold { return true }
        }
        if zeroCount < prev.zeroCount { return true }
        return bucketsDecreased(from: prev)
    }

    /// True when a populated bucket of `previous` is missing here or holds less here (same layout rules).
    private func bucketsDecreased(from previous: FloatHistogram) -> Bool {
        for positive in [true, false] {
            let cur = buckets(positive: positive)
            var j = 0
            for p in previous.buckets(positive: positive) {
                while j < cur.count && cur[j].index < p.index { j += 1 }
                if j < cur.count && cur[j].index == p.index {
                    if cur[j].count < p.count { return true }
                } else if p.count != 0 {
                    return true
                }
            }
        }
        return false
    }
}
