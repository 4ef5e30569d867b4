import Strata
import StrataCLIKit
import StrataQuery
import StrataRules
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Prometheus's rule manager inside the server: one task per rule group, evaluating it at its
/// interval on the query threads (never on an event loop), writing what the rules record and
/// `ALERTS`/`ALERTS_FOR_STATE` to the database, and handing the alerts to send to the notifier.
///
/// Timing, as Prometheus's `Group.run`: evaluation times are multiples of the group's interval
/// plus an offset taken from a hash of the group's file and name (spreading groups over the
/// interval); the first evaluation is at the first such time after one interval. An evaluation
/// that runs past the next slot makes the group skip to the latest slot that has passed, and the
/// slots skipped are counted (`strata_rule_group_iterations_missed_total`); a group never
/// overlaps itself.
///
/// Reloads (SIGHUP, `POST /-/reload`) read the rule files again; when any is bad, the running
/// rules stay and the errors are reported. A group whose definition did not change keeps
/// running untouched; a changed one is stopped after its current evaluation and its successor
/// takes over its alerts and written series (Prometheus's `CopyState`); a removed group's series
/// get stale markers.
actor RuleManager {
    let context: RuleContext
    /// The rule files or globs, expanded at every load.
    let patterns: [String]
    /// The running groups, in file order: what the API and `/metrics` read without waiting.
    nonisolated let published = Mutex<[RuleGroupRunner]>([])
    /// Whether the latest load or reload succeeded, and when (ms).
    nonisolated let lastReload = Mutex<(ok: Bool, at: Int64)>((true, 0))
    private var started = false

    init(context: RuleContext, patterns: [String]) {
        self.context = context
        self.patterns = patterns
    }

    /// The running groups.
    nonisolated var runners: [RuleGroupRunner] { published.withLock { $0 } }

    /// Reads the rule files (blocking I/O): the files the patterns match, then their groups.
    /// - Throws: `RuleFileErrors` with every problem (file, line, column).
    static func load(_ patterns: [String]) throws(RuleFileErrors) -> [RuleGroupDefinition] {
        let files = try RuleFileGlob.expand(patterns)
        return try RuleFiles.load(files)
    }

    /// Installs the groups first loaded (not started until `start`): their `for` state is restored
    /// from `ALERTS_FOR_STATE` before their first evaluation.
    func install(_ groups: [RuleGroupDefinition]) {
        let runners = groups.map { RuleGroupRunner(definition: $0, context: context, restore: true) }
        published.withLock { $0 = runners }
        lastReload.withLock { $0 = (true, TimeSpec.nowMilliseconds()) }
    }

    /// Starts every group's evaluation loop.
    func start() {
        started = true
        for r in runners { r.start() }
    }

    /// Stops every group after its current evaluation.
    func stop() async {
        started = false
        for r in runners { _ = await r.stop() }
    }

    /// Reads the rule files again and applies them. On errors the rules in place stay.
    /// - Returns: the errors, or nil when the new rules are in place.
    func reload() async -> RuleFileErrors? {
        let patterns = self.patterns
        let loaded: Result<[RuleGroupDefinition], RuleFileErrors>
        do {
            loaded = try await context.threads.run { () -> Result<[RuleGroupDefinition], RuleFileErrors> in
                do throws(RuleFileErrors) { return .success(try RuleManager.load(patterns)) } catch { return .failure(error) }
            }
        } catch {
            loaded = .failure(RuleFileErrors([RuleFileError(file: "", line: 1, column: 1, message: "\(error)")]))
        }
        switch loaded {
        case .failure(let errors):
            lastReload.withLock { $0 = (false, TimeSpec.nowMilliseconds()) }
            context.metrics.add("strata_rule_reloads_total", "failure", 1)
            return errors
        case .success(let groups):
            await apply(groups)
            lastReload.withLock { $0 = (true, TimeSpec.nowMilliseconds()) }
            context.metrics.add("strata_rule_reloads_total", "success", 1)
            return nil
        }
    }

    /// Replaces the running groups with `groups` (Prometheus's `Manager.Update`).
    func apply(_ groups: [RuleGroupDefinition]) async {
        var old: [String: RuleGroupRunner] = [:]
        for r in runners where old[r.key] == nil { old[r.key] = r }
        var next: [RuleGroupRunner] = []
        for g in groups {
            let key = RuleGroupRunner.key(g)
            let previous = old.removeValue(forKey: key)
            if let previous, previous.fingerprint == RuleGroupRunner.fingerprint(g) {
                next.append(previous)
                continue
            }
            let runner = RuleGroupRunner(definition: g, context: context, restore: false)
            if let previous {
                let final = await previous.stop()
                runner.takeOver(final)
            }
            next.append(runner)
        }
        // Groups that went away: stopped, and what they wrote ends with stale markers.
        for r in runners where old[r.key] === r {
            let final = await r.stop()
            let ts = TimeSpec.nowMilliseconds()
            let query = context.queryRunner
            _ = try? await context.threads.run { () -> Int in
                var ended = final
                do throws(QueryError) { try ended.markStale(at: ts, runner: query) } catch {
                    ServerLog.write("strata serve: stale markers of rule group \(ended.group.name): \(error.message)")
                }
                return 0
            }
        }
        published.withLock { $0 = next }
        if started { for r in next where !r.isRunning { r.start() } }
    }

    /// Evaluates every group once at `ts` (ms), in order, and sends their alerts: what tests and
    /// `strata serve` without a running loop use.
    func evaluateAll(at ts: Int64) async {
        for r in runners { await r.evaluateOnce(at: ts) }
    }
}

/// What the group loops share: where rules read and write, the threads they run on, where
/// alerts go and the server's metrics.
struct RuleContext: Sendable {
    let queryRunner: RuleQueryRunner
    let threads: QueryThreads
    let notifier: AlertNotifier
    let metrics: ServerMetrics
    let options: RuleOptions

    var externalLabels: [String: String] {
        var d: [String: String] = [:]
        for l in options.externalLabels { d[l.name] = l.value }
        return d
    }
}

/// One rule group's evaluation loop and its latest state.
final class RuleGroupRunner: Sendable {
    /// `file;name`, Prometheus's `GroupKey` (the `rule_group` label of the metrics).
    let key: String
    /// The definition as text: an unchanged group is left running across a reload.
    let fingerprint: String
    /// The group's interval (ms).
    let interval: Int64
    /// Each rule's expression as the API shows it (PromQL formatted as Prometheus prints it).
    let queries: [String]
    let context: RuleContext
    /// The evaluator as of the latest evaluation (what the API reads).
    let latest: Mutex<RuleGroupEvaluator>
    /// The evaluation loop, while it runs; its value is the group's final state.
    private let task = Mutex<Task<RuleGroupEvaluator, Never>?>(nil)
    /// Whether the next evaluation first restores the `for` state (the groups read at start).
    private let restore: Mutex<Bool>

    init(definition g: RuleGroupDefinition, context: RuleContext, restore: Bool) {
        key = Self.key(g)
        fingerprint = Self.fingerprint(g)
        interval = max(1, g.interval ?? context.options.evaluationInterval)
        queries = g.rules.map { r in
            if r.language == .promQL, let e = try? PromQL.parse(r.expr) { return e.description }
            return r.expr.trimmingWhitespace()
        }
        self.context = context
        latest = Mutex(RuleGroupEvaluator(group: g, externalLabels: context.externalLabels, externalURL: context.options.externalURL))
        self.restore = Mutex(restore)
    }

    static func key(_ g: RuleGroupDefinition) -> String { g.file + ";" + g.name }

    static func fingerprint(_ g: RuleGroupDefinition) -> String {
        var s = "\(g.name)\u{1}\(g.file)\u{1}\(g.interval ?? -1)\u{1}\(g.queryOffset)\u{1}\(g.limit)"
        for r in g.rules {
            s += "\u{2}\(r.kind == .alerting ? "alert" : "record")\u{1}\(r.name)\u{1}\(r.expr)\u{1}\(r.holdDuration)\u{1}\(r.keepFiringFor)"
            for l in r.labels { s += "\u{3}" + l.name + "=" + l.value }
            for a in r.annotations { s += "\u{4}" + a.name + "=" + a.value }
        }
        return s
    }

    var isRunning: Bool { task.withLock { $0 != nil } }

    /// Carries the alerts and written series of the group this one replaces.
    func takeOver(_ old: RuleGroupEvaluator) {
        latest.withLock { $0.copyState(from: old) }
    }

    func start() {
        task.withLock { t in
            guard t == nil else { return }
            t = Task { await self.loop() }
        }
    }

    /// Stops the loop after its current evaluation; returns the group's final state.
    func stop() async -> RuleGroupEvaluator {
        let t = task.withLock { t in
            defer { t = nil }
            return t
        }
        guard let t else { return latest.withLock { $0 } }
        t.cancel()
        return await t.value
    }

    /// The first evaluation time after `now` (ms), aligned as Prometheus's `EvalTimestamp`: a
    /// multiple of the interval plus the group's offset.
    static func alignedTime(after now: Int64, interval: Int64, key: String) -> Int64 {
        let offset = Int64(fnv1a(key) % UInt64(interval))
        let adjusted = now - offset
        let base = adjusted - ((adjusted % interval) + interval) % interval
        return base + offset + interval
    }

    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }

    private func loop() async -> RuleGroupEvaluator {
        var ts = Self.alignedTime(after: TimeSpec.nowMilliseconds(), interval: interval, key: key)
        while !Task.isCancelled {
            let wait = ts - TimeSpec.nowMilliseconds()
            if wait > 0 {
                do { try await Task.sleep(for: .milliseconds(wait)) } catch { break }
            }
            await evaluateOnce(at: ts)
            // Slots that passed during the evaluation are skipped, and counted.
            let passed = (TimeSpec.nowMilliseconds() - ts) / interval
            if passed > 1 { context.metrics.add("strata_rule_group_iterations_missed_total", key, Int(passed - 1)) }
            ts += max(1, passed) * interval
        }
        return latest.withLock { $0 }
    }

    /// One evaluation at `ts` (ms) on the query threads: the rules, then the alerts to send.
    func evaluateOnce(at ts: Int64) async {
        let ev = latest.withLock { $0 }
        let shouldRestore = restore.withLock { r in
            defer { r = false }
            return r
        }
        let ctx = context
        let interval = self.interval
        let outcome = try? await ctx.threads.run { () -> (RuleGroupEvaluator, [AlertNotification], Int) in
            var e = ev
            if shouldRestore {
                do throws(QueryError) {
                    try e.restoreForState(
                        at: ts, runner: ctx.queryRunner, outageTolerance: ctx.options.outageTolerance, forGracePeriod: ctx.options.forGracePeriod)
                } catch {
                    ServerLog.write("strata serve: rule group \(e.group.name): restoring 'for' state: \(error.message)")
                }
            }
            let failures = e.evaluate(at: ts, runner: ctx.queryRunner, clock: RuleGroupRunner.monotonicSeconds)
            let alerts = e.alertsToSend(at: ts, interval: interval, resendDelay: ctx.options.resendDelay)
            return (e, alerts, failures.count)
        }
        guard let (e, alerts, failures) = outcome else { return }
        latest.withLock { $0 = e }
        ctx.metrics.add("strata_rule_evaluations_total", key, e.group.rules.count)
        ctx.metrics.add("strata_rule_evaluation_failures_total", key, failures)
        ctx.notifier.send(alerts)
    }

    static func monotonicSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
