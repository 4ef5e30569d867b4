import StrataMetrics

/// Prometheus's annotation texts about native histograms (`util/annotations`).
extension AnnotationSet {
    private func forMetric(_ name: String) -> String { name.isEmpty ? "" : " for metric name \(goQuote(name))" }

    func mixedFloatsHistograms(_ name: String, _ r: SourceRange) {
        warn("encountered a mix of histograms and floats\(forMetric(name))", r)
    }
    func mixedFloatsHistogramsAggregation(_ r: SourceRange) {
        warn("encountered a mix of histograms and floats for aggregation", r)
    }
    func mixedExponentialCustom(_ name: String, _ r: SourceRange) {
        warn("vector contains a mix of histograms with exponential and custom buckets schemas\(forMetric(name))", r)
    }
    func mixedClassicNative(_ name: String, _ r: SourceRange) {
        warn("vector contains a mix of classic and native histograms\(forMetric(name))", r)
    }
    func notCounter(_ name: String, _ r: SourceRange) {
        warn("this native histogram metric is not a counter: \(goQuote(name))", r)
    }
    func notGauge(_ name: String, _ r: SourceRange) {
        warn("this native histogram metric is not a gauge: \(goQuote(name))", r)
    }
    func counterResetCollision(_ r: SourceRange, aggregation: Bool) {
        warn("conflicting counter resets during histogram \(aggregation ? "aggregation" : "addition")", r)
    }
    /// `operation`: "addition", "subtraction" or "aggregation".
    func customBucketsReconciled(_ operation: String, _ r: SourceRange) {
        info("mismatched custom buckets were reconciled during \(operation)", r)
    }
    func histogramIgnoredInMixedRange(_ name: String, _ r: SourceRange) {
        info("ignored histograms in a range containing both floats and histograms\(forMetric(name))", r)
    }
    func histogramIgnoredInAggregation(_ op: String, _ r: SourceRange) {
        info("ignored histogram in \(op) aggregation", r)
    }
    func nanObservations(_ function: String, _ name: String, _ r: SourceRange, skewed: Bool) {
        info("input to \(function) has NaN observations, result is \(skewed ? "skewed higher" : "NaN")\(forMetric(name))", r)
    }
    func fractionNaNObservations(_ name: String, _ r: SourceRange) {
        info("input to histogram_fraction has NaN observations, which are excluded from all fractions\(forMetric(name))", r)
    }
    func incompatibleTypesBinaryOp(_ lhs: String, _ op: String, _ rhs: String, _ r: SourceRange) {
        info("incompatible sample types encountered for binary operator \(goQuote(op)): \(lhs) \(op) \(rhs)", r)
    }
    func incompatibleBucketLayout(_ op: String, _ r: SourceRange) {
        warn("incompatible bucket layout encountered for binary operator \(op)", r)
    }
}
