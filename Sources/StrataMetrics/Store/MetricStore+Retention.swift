import StrataEncoding
import StrataLabels
import StrataStorage

/// One retention rule: how long the series matching every matcher are kept.
public struct MetricRetentionRule: Sendable, Equatable {
    /// A PromQL series selector, already parsed (matched against a series' own labels:
    /// a downsampled series' `__strata_aggr__` is ignored).
    public var matchers: [LabelMatcher]
    /// How long samples are kept, in milliseconds counted back from the reference time; nil keeps matching series forever.
    public var keep: Int64?

    public init(matchers: [LabelMatcher], keep: Int64?) {
        self.matchers = matchers
        self.keep = keep
    }

    public static func == (a: MetricRetentionRule, b: MetricRetentionRule) -> Bool {
        a.keep == b.keep && sameMatchers(a.matchers, b.matchers)
    }
}

/// A metric retention policy: per-series keep times, first matching rule first.
///
/// ```swift
/// let day: Int64 = 86_400_000
/// let policy = MetricRetention(
///     rules: [MetricRetentionRule(matchers: [.equal("env", "prod")], keep: 90 * day)],
///     keep: 15 * day)
/// let report = try store.applyRetention(policy)
/// ```
public struct MetricRetention: Sendable, Equatable {
    /// The rules, in order: the first rule whose matchers all match a series wins.
    public var rules: [MetricRetentionRule]
    /// The keep time (ms) of a series no rule matches; nil keeps it forever.
    public var keep: Int64?

    public init(rules: [MetricRetentionRule] = [], keep: Int64? = nil) {
        self.rules = rules
        self.keep = keep
    }

    /// The cut for a series: samples with timestamp < cut (Unix ms) are dropped; `Int64.min`
    /// keeps them all. `reference` is the time (Unix ms) ages count back from. A negative keep counts as 0.
    public func cutoff(for labels: Labels, reference: Int64) -> Int64 {
        let keep = rules.first { matchesIgnoringAggregate($0.matchers, labels) }.map(\.keep) ?? self.keep
        guard let keep else { return .min }
        let (cut, overflow) = reference.subtractingReportingOverflow(max(0, keep))
        return overflow ? .min : cut
    }
}

/// What `MetricStore.applyRetention` did, or would do (`dryRun`).
public struct MetricRetentionReport: Sendable, Equatable {
    /// The time (Unix ms) ages were counted back from; nil when the store was empty (nothing done).
    public var reference: Int64?
    /// Blocks all of whose samples were older than their cut (removed without a rewrite).
    public var blocksDropped: [String]
    /// Blocks that straddled a cut, rewritten without the old samples (and later blocks overlapping
    /// them, rewritten unchanged to keep their order); output nil in a dry run.
    public var blocksRewritten: [MetricBlockRewrite]
    /// Samples removed (floats and histograms); a dry run counts the head's too.
    public var samplesDropped: Int
    /// Series (by their own labels) no block holds any more.
    public var seriesRemoved: Int
    /// Bytes of the store's blocks before and after (a dry run estimates after from sample counts: `bytesAfterEstimated`).
    public var bytesBefore: Int
    public var bytesAfter: Int
    public var bytesAfterEstimated: Bool
    public var seconds: Double
    public var dryRun: Bool
    /// False when a flush kept publishing blocks that overlapped the rewrites (8 plans): some old samples may remain; run it again.
    public var complete: Bool
}

extension MetricStore {
    /// The time ages count back from: the newest sample (Unix ms) the store holds, head or blocks; nil when empty.
    public func newestSampleTime() throws(MetricStoreError) -> Int64? {
        var newest = segments.entries.filter { $0.kind == SegmentKind.metricBlock }.map(\.maxTime).max()
        state.withLock { st in
            if st.head.sampleCount > 0 { newest = max(newest ?? st.head.maxTime, st.head.maxTime) }
        }
        return newest
    }

    /// Applies `policy` with reference time `now` (Unix ms) or, when nil, `newestSampleTime()`.
    ///
    /// Flushes the head first (so the head holds nothing older than any cut), drops the blocks
    /// all of whose series' samples are older than their cut, rewrites the blocks that straddle a
    /// cut (each rewrite one atomic publish: a crash leaves each block old or new), and leaves the
    /// others untouched. When it returns, no `select` gives a sample older than its series' cut
    /// (samples appended concurrently, within the out-of-order window, excepted). Runs under the
    /// compaction lock. `dryRun` writes nothing (it does not flush) and reports what would happen,
    /// the head included; its bytes after are estimated from sample counts.
    @discardableResult
    public func applyRetention(_ policy: MetricRetention, now: Int64? = nil, dryRun: Bool = false) throws(MetricStoreError)
        -> MetricRetentionReport
    {
        if options.readOnly && !dryRun { throw MetricStoreError.readOnly }
        return try compacting.withLock { _ throws(MetricStoreError) -> MetricRetentionReport in
            let clock = ContinuousClock.now
            var reference = now
            if reference == nil { reference = try newestSampleTime() }
            // Head samples older than the latest cut go to blocks first (the head then holds
            // nothing any cut reaches); newer ones stay, so a frequent pass does not cut tiny blocks.
            if !dryRun, let reference {
                let keeps = (policy.rules.map(\.keep) + [policy.keep]).compactMap { $0 }
                if let shortest = keeps.min() {
                    let (latestCut, overflow) = reference.subtractingReportingOverflow(max(0, shortest))
                    let headOld = state.withLock { st in st.head.sampleCount > 0 && st.head.minTime < latestCut }
                    if !overflow && headOld { try flush(before: latestCut) }
                }
            }
            var report = MetricRetentionReport(
                reference: nil, blocksDropped: [], blocksRewritten: [], samplesDropped: 0, seriesRemoved: 0, bytesBefore: blockBytes(),
                bytesAfter: blockBytes(), bytesAfterEstimated: false, seconds: 0, dryRun: dryRun, complete: true)
            guard let reference else { return report }
            report.reference = reference
            let out = try runRewrite(dryRun: dryRun) { labels in
                let cut = policy.cutoff(for: labels, reference: reference)
                return cut == .min ? [] : [Int64.min...(cut - 1)]
            }
            report.blocksDropped = out.dropped
            report.blocksRewritten = out.rewritten
            report.samplesDropped = out.samplesDropped
            report.seriesRemoved = out.seriesRemoved
            report.bytesBefore = out.bytesBefore
            report.bytesAfter = out.bytesAfter
            report.bytesAfterEstimated = out.estimated
            report.complete = out.complete
            report.seconds = (ContinuousClock.now - clock).inSeconds
            return report
        }
    }
}
