import StrataLabels
import StrataLogs
import StrataMetrics
import StrataQuery
import StrataStorage
import StrataTraces

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One deletion, for the store its selector belongs to (`Database.deletion(_:store:start:end:)`).
public enum DatabaseDeletion: Sendable, Equatable {
    case metrics(MetricDeletion)
    case logs(LogDeletion)
    case traces(TraceDeletion)

    /// The store it deletes from.
    public var store: RetentionPolicy.Store {
        switch self {
        case .metrics: .metrics
        case .logs: .logs
        case .traces: .traces
        }
    }
}

/// What one maintenance pass (`Database.maintain`) did, or would do.
public struct MaintenanceReport: Sendable {
    /// The deletions' tombstones applied to the files.
    public var metricDeletions: MetricDeletionApplyReport?
    public var logDeletions: LogDeletionApplyReport?
    public var traceDeletions: TraceDeletionApplyReport?
    /// The retention passes of the policy's keeps.
    public var metricRetention: MetricRetentionReport?
    public var logRetention: LogRetentionReport?
    public var traceRetention: TraceRetentionReport?
    /// The retention passes the size budget added, with the scale of each (usually one).
    public var budgetPasses: [BudgetPass] = []
    /// One retention pass at scaled keeps.
    public struct BudgetPass: Sendable {
        public var scale: Double
        public var metrics: MetricRetentionReport?
        public var logs: LogRetentionReport?
        public var traces: TraceRetentionReport?
    }
    /// The downsampling pass (nil when the policy has no levels).
    public var downsample: MetricDownsampleReport?
    /// The merges.
    public var metricCompaction = MetricCompactionReport()
    public var logCompaction = LogCompactionReport()
    public var traceCompaction = TraceCompactionReport()
    /// Every byte under the database directory before and after the pass (a dry run: after is
    /// the estimate of the retention passes).
    public var bytesBefore = 0
    public var bytesAfter = 0
    /// The size budget and the fraction of every keep it had to apply (1: the policy's keeps
    /// fit; below 1: every finite keep was multiplied by it, so the data oldest relative to its
    /// keep went first). nil without a budget.
    public var sizeBudget: Int64?
    public var keepScale: Double?
    public var seconds = 0.0
    public init() {}
}

extension Database {
    /// Every byte of every file under the database directory (WAL, heads' logs, segments, indexes,
    /// manifests, downsampled tiers, the policy).
    public func diskBytes() throws(StorageError) -> Int {
        try Self.directoryBytes(path, SystemFileSystem())
    }

    static func directoryBytes(_ dir: String, _ fs: SystemFileSystem) throws(StorageError) -> Int {
        var total = 0
        for name in try fs.listDirectory(dir) {
            let p = FileNames.join(dir, name)
            var st = stat()
            guard stat(p, &st) == 0 else { continue }  // removed meanwhile (a retired segment)
            if (st.st_mode & S_IFMT) == S_IFDIR { total += try directoryBytes(p, fs) } else { total += Int(st.st_size) }
        }
        return total
    }

    /// Parses `selector` as a deletion for `store`, or for the store its language implies when nil:
    /// a base_id (or several, comma-separated) or a trace selector (`{error=true}`, `duration > 2s`)
    /// → traces; a LogQL selector with line filters → logs; otherwise a PromQL series selector →
    /// metrics (pass `store` for a bare `{host="cmp-3"}` meant for the logs).
    /// - Parameters: start, end: inclusive bounds; nil leaves the side open.
    /// - Throws: `QueryError` pointing at the selector's column.
    public static func deletion(
        _ selector: String, store: RetentionPolicy.Store? = nil, start: Timestamp? = nil, end: Timestamp? = nil
    ) throws(QueryError) -> DatabaseDeletion {
        let ids = selector.split(separator: ",").map { String($0).trimmingSpaces() }
        let baseIDs = ids.compactMap { TraceID(parsing: $0) }
        let isIDs = !ids.isEmpty && baseIDs.count == ids.count
        let chosen: RetentionPolicy.Store =
            store
            ?? (isIDs || TraceQuery.looksLikeTraceQuery(selector) ? .traces : LogQL.looksLikeLogQL(selector) ? .logs : .metrics)
        switch chosen {
        case .metrics:
            let expr = try PromQL.parse(selector)
            guard case .vectorSelector(let v) = expr, v.offset == 0, v.offsetExpression == nil, v.at == nil else {
                throw QueryError(.parse, "deleting metrics takes a series selector such as node_load1{host=\"cmp-3\"}", query: selector, range: expr.range)
            }
            var matchers = v.matchers
            if let name = v.name, !matchers.contains(where: { $0.name == "__name__" }) { matchers.append(.equal("__name__", name)) }
            return .metrics(
                MetricDeletion(matchers: matchers, start: start.map(\.milliseconds) ?? .min, end: end.map(\.milliseconds) ?? .max))
        case .logs:
            let expr = try LogQL.parse(selector)
            guard case .logs(let sel) = expr, sel.fieldFilters.isEmpty, sel.alternatives.isEmpty else {
                throw QueryError(
                    .parse, "deleting logs takes a stream selector with optional line filters, such as {host=\"cmp-3\"} |= \"password\"",
                    query: selector, range: SourceRange(0, selector.utf8.count))
            }
            return .logs(
                LogDeletion(
                    streams: sel.streams, lineFilters: sel.lineFilters, start: start.map(\.nanoseconds) ?? .min,
                    end: end.map(\.nanoseconds) ?? .max))
        case .traces:
            let s = start.map { $0.nanoseconds / 1000 } ?? .min
            let e = end.map { $0.nanoseconds / 1000 } ?? .max
            if isIDs { return .traces(TraceDeletion(baseIDs: baseIDs, selector: nil, start: s, end: e)) }
            guard case .search(var search) = try TraceQuery.parse(selector) else {
                throw QueryError(
                    .parse, "deleting traces takes base_ids or a trace selector such as {service=\"glance\", error=true}",
                    query: selector, range: SourceRange(0, selector.utf8.count))
            }
            search.start = .min
            search.end = .max
            search.limit = 0
            return .traces(TraceDeletion(baseIDs: [], selector: search, start: s, end: e))
        }
    }

    /// Hides what `deletion` covers from every query at once (a durable tombstone in the store's
    /// manifest); the next `maintain` (or `strata compact`) removes it from the files.
    /// - Returns: what it covers: series and samples, records (`items` nil), or traces and spans.
    public func delete(_ deletion: DatabaseDeletion, dryRun: Bool = false) throws -> (items: Int?, rows: Int) {
        switch deletion {
        case .metrics(let d):
            let r = try metrics.delete(d, dryRun: dryRun)
            return (r.series, r.samples)
        case .logs(let d):
            let r = try logs.delete(d, dryRun: dryRun)
            return (nil, r.records)
        case .traces(let d):
            let r = try traces.delete(d, dryRun: dryRun)
            return (r.traces, r.spans)
        }
    }

    /// One maintenance pass, in this order: the pending deletions are removed from the files;
    /// each store's retention is applied (ages count back from its newest data, or from `now`);
    /// metrics older than the downsampling levels are downsampled; if the database is then still
    /// over the size budget, retention runs again with every finite keep multiplied by the largest
    /// factor that fits (the data oldest relative to its keep goes first; `forever` counts as the
    /// store's whole span); last, the merges of `compact()`.
    /// - Parameter policy: nil applies the stored policy (none stored: deletions and merges only).
    /// - Parameter progress: called with the number of phases done (of 5) as the pass goes.
    public func maintain(
        policy: RetentionPolicy? = nil, now: Timestamp? = nil, dryRun: Bool = false, progress: ((Int) -> Void)? = nil
    ) throws -> MaintenanceReport {
        let start = ContinuousClock.now
        let policy = try policy ?? self.policy() ?? RetentionPolicy()
        var report = MaintenanceReport()
        report.bytesBefore = try diskBytes()
        report.metricDeletions = try metrics.applyDeletions(dryRun: dryRun)
        report.logDeletions = try logs.applyDeletions(dryRun: dryRun)
        report.traceDeletions = try traces.applyDeletions(dryRun: dryRun)
        progress?(1)

        let retention = RetentionPlan(policy)
        let nowMs = now?.milliseconds
        report.metricRetention = try retention.metrics.map { r in try metrics.applyRetention(r, now: nowMs, dryRun: dryRun) }
        report.logRetention = try retention.logs.map { r in try logs.applyRetention(r, now: now?.nanoseconds, dryRun: dryRun) }
        report.traceRetention = try retention.traces.map { r in try traces.applyRetention(r, now: now.map { $0.nanoseconds / 1000 }, dryRun: dryRun) }
        progress?(2)
        if !policy.downsample.isEmpty {
            let levels = policy.downsample.map { DownsampleLevel(after: $0.after.policyMilliseconds, resolution: $0.resolution.policyMilliseconds) }
            report.downsample = try metrics.downsample(levels, now: nowMs, dryRun: dryRun)
        }

        progress?(3)
        if let budget = policy.sizeBudget {
            report.sizeBudget = budget
            report.keepScale = 1
            let used = dryRun ? estimatedBytes(report) : try diskBytes()
            if Int64(used) > budget {
                // The largest scale whose estimated size fits, by bisection over dry runs.
                let spans = try retention.spans(self, now: now)
                var lo = 0.0, hi = 1.0
                for _ in 0..<12 {
                    let mid = (lo + hi) / 2
                    let plan = retention.scaled(mid, spans: spans)
                    // A dry run's stores still hold what the policy's keeps would cut: estimate
                    // from the files as they are.
                    let estimate = try self.estimate(plan, now: now, used: dryRun ? report.bytesBefore : used)
                    if Int64(estimate) <= budget { lo = mid } else { hi = mid }
                }
                // The estimates are proportional (a rewritten file keeps its fixed costs: index,
                // dictionaries): when the files still exceed the budget, scale down again by the
                // share that is over, a few times.
                var f = lo
                for round in 0..<4 {
                    let plan = retention.scaled(f, spans: spans)
                    report.budgetPasses.append(
                        MaintenanceReport.BudgetPass(
                            scale: f,
                            metrics: try plan.metrics.map { r in try metrics.applyRetention(r, now: nowMs, dryRun: dryRun) },
                            logs: try plan.logs.map { r in try logs.applyRetention(r, now: now?.nanoseconds, dryRun: dryRun) },
                            traces: try plan.traces.map { r in try traces.applyRetention(r, now: now.map { $0.nanoseconds / 1000 }, dryRun: dryRun) }))
                    if dryRun || round == 3 { break }
                    let after = try diskBytes()
                    if Int64(after) <= budget { break }
                    f *= Double(budget) / Double(after) * 0.98
                }
                report.keepScale = f
            }
        }

        progress?(4)
        report.metricCompaction = try metrics.compact(dryRun: dryRun)
        report.logCompaction = try logs.compact(dryRun: dryRun)
        report.traceCompaction = try traces.compact(dryRun: dryRun)
        progress?(5)
        report.bytesAfter = dryRun ? estimatedBytes(report) : try diskBytes()
        report.seconds = (ContinuousClock.now - start).policySeconds
        return report
    }

    /// The bytes the stores' files hold after the retention passes of `report` (their estimates in a dry run).
    private func retentionBytes(_ r: MaintenanceReport) -> Int {
        (r.metricRetention?.bytesAfter ?? 0) + (r.logRetention?.bytesAfter ?? 0) + (r.traceRetention?.bytesAfter ?? 0)
    }

    private func estimatedBytes(_ r: MaintenanceReport) -> Int {
        if let b = r.budgetPasses.last {
            // A dry run's budget pass was planned against the same files as the policy's: its
            // estimate replaces the policy's.
            let before = (b.metrics?.bytesBefore ?? 0) + (b.logs?.bytesBefore ?? 0) + (b.traces?.bytesBefore ?? 0)
            let after = (b.metrics?.bytesAfter ?? 0) + (b.logs?.bytesAfter ?? 0) + (b.traces?.bytesAfter ?? 0)
            return r.bytesBefore - before + after
        }
        let before = (r.metricRetention?.bytesBefore ?? 0) + (r.logRetention?.bytesBefore ?? 0) + (r.traceRetention?.bytesBefore ?? 0)
        return r.bytesBefore - before + retentionBytes(r)
    }

    /// The database's bytes after `plan`, from `used` now: each store's dry run replaces the bytes
    /// of its files by its estimate of them after the cuts.
    private func estimate(_ plan: RetentionPlan, now: Timestamp?, used: Int) throws -> Int {
        var total = used
        if let r = plan.metrics {
            let x = try metrics.applyRetention(r, now: now?.milliseconds, dryRun: true)
            total += x.bytesAfter - x.bytesBefore
        }
        if let r = plan.logs {
            let x = try logs.applyRetention(r, now: now?.nanoseconds, dryRun: true)
            total += x.bytesAfter - x.bytesBefore
        }
        if let r = plan.traces {
            let x = try traces.applyRetention(r, now: now.map { $0.nanoseconds / 1000 }, dryRun: true)
            total += x.bytesAfter - x.bytesBefore
        }
        return total
    }
}

/// The policy's keeps in each store's units, and the same scaled for a size budget.
struct RetentionPlan {
    var metrics: MetricRetention?
    var logs: LogRetention?
    var traces: TraceRetention?
    /// The policy's keeps in ms (nil: forever), per store: (default, rules in order).
    let keeps: [RetentionPolicy.Store: (Int64?, [Int64?])]
    let policy: RetentionPolicy

    init(_ policy: RetentionPolicy) {
        var keeps: [RetentionPolicy.Store: (Int64?, [Int64?])] = [:]
        for store in RetentionPolicy.Store.allCases {
            keeps[store] = (policy.keep(store)?.policyMilliseconds, policy.rules.filter { $0.store == store }.map { $0.keep?.policyMilliseconds })
        }
        self.init(policy: policy, keeps: keeps, ms: keeps)
    }

    private init(policy: RetentionPolicy, keeps: [RetentionPolicy.Store: (Int64?, [Int64?])], ms: [RetentionPolicy.Store: (Int64?, [Int64?])]) {
        self.policy = policy
        self.keeps = keeps
        func any(_ s: RetentionPolicy.Store) -> Bool { ms[s]!.0 != nil || ms[s]!.1.contains { $0 != nil } }
        let rules = policy.rules
        if any(.metrics) {
            var m = MetricRetention(rules: [], keep: ms[.metrics]!.0)
            for (r, k) in zip(rules.filter { $0.store == .metrics }, ms[.metrics]!.1) {
                guard case .metrics(let matchers) = r.selector else { continue }
                m.rules.append(MetricRetentionRule(matchers: matchers, keep: k))
            }
            metrics = m
        }
        if any(.logs) {
            var l = LogRetention(rules: [], keep: ms[.logs]!.0.map { $0 * 1_000_000 })
            for (r, k) in zip(rules.filter { $0.store == .logs }, ms[.logs]!.1) {
                guard case .logs(let streams, let filters) = r.selector else { continue }
                l.rules.append(LogRetentionRule(streams: streams, lineFilters: filters, keep: k.map { $0 * 1_000_000 }))
            }
            logs = l
        }
        if any(.traces) {
            var t = TraceRetention(rules: [], keep: ms[.traces]!.0.map { $0 * 1000 })
            for (r, k) in zip(rules.filter { $0.store == .traces }, ms[.traces]!.1) {
                guard case .traces(let search) = r.selector else { continue }
                t.rules.append(TraceRetentionRule(selector: search, keep: k.map { $0 * 1000 }))
            }
            traces = t
        }
    }

    /// Each store's data span in ms (newest minus oldest, at least 1), what `forever` counts as when scaled.
    func spans(_ db: Database, now: Timestamp?) throws -> [RetentionPolicy.Store: Int64] {
        let m = try db.metrics.stats(), l = try db.logs.stats(), t = try db.traces.stats()
        func span(_ lo: Int64?, _ hi: Int64?, perMs: Int64) -> Int64 {
            guard let lo, let hi else { return 1 }
            let newest = now.map { $0.nanoseconds / (1_000_000 / perMs) } ?? hi
            return max(1, (max(newest, hi) - lo) / perMs + 1)
        }
        return [
            .metrics: span(m.minTime, m.maxTime, perMs: 1),
            .logs: span(l.minTime, l.maxTime, perMs: 1_000_000),
            .traces: span(t.minTime, t.maxTime, perMs: 1000),
        ]
    }

    /// Every keep multiplied by `f` (forever counting as the store's span).
    func scaled(_ f: Double, spans: [RetentionPolicy.Store: Int64]) -> RetentionPlan {
        var ms: [RetentionPolicy.Store: (Int64?, [Int64?])] = [:]
        for (store, (d, rules)) in keeps {
            let span = spans[store] ?? 1
            func scale(_ k: Int64?) -> Int64? { Int64((Double(k ?? span) * f).rounded(.down)) }
            ms[store] = (scale(d), rules.map(scale))
        }
        return RetentionPlan(policy: policy, keeps: keeps, ms: ms)
    }
}

extension Duration {
    var policySeconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
