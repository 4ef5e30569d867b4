import PropertyBased
import StrataStorage
import StrataTestSupport
import Testing

@testable import StrataTraces

/// The store after any sequence of appends, flushes, retention passes, deletions, applied
/// deletions, compactions and reopens answers like a reference model: a dictionary of spans
/// with a set of deleted traces. `stats().spans` is exact throughout; `stats().traces` is
/// exact except that a retention pass (or a compaction after one) may move it by a few when it
/// cuts traces split over segments (4 of 1248 passes over 400 seeds): from there on every other
/// operation keeps the difference as it was.
@Suite struct TraceRetentionPropertyTests {
    typealias F = RetentionFixture

    /// A reproducible generator (SplitMix64) seeded by the property test's input.
    typealias Rng = SeededRandom

    struct Model {
        /// Every span the store holds, deleted ones included, by base_id.
        var spans: [TraceID: [Span]] = [:]
        var deleted = Set<TraceID>()

        func visible(_ base: TraceID) -> [Span] {
            deleted.contains(base) ? [] : (spans[base] ?? []).sorted { ($0.start, $0.traceID) < ($1.start, $1.traceID) }
        }
        var visibleBases: [TraceID] { spans.keys.filter { !deleted.contains($0) && !(spans[$0] ?? []).isEmpty }.sorted() }

        mutating func retain(_ policy: TraceRetention, now: Int64?) {
            guard let reference = now ?? spans.values.flatMap({ $0 }).map(\.start).max() else { return }
            func cut(_ keep: Int64?) -> Int64 { keep.map { reference - $0 } ?? .min }
            for (base, list) in spans {
                let rule = policy.rules.first { r in
                    var q = r.selector
                    q.start = .min
                    q.end = .max
                    return list.contains { q.matches($0) }
                }
                let c = rule.map { cut($0.keep) } ?? cut(policy.keep)
                let kept = list.filter { $0.start >= c }
                spans[base] = kept.isEmpty ? nil : kept
            }
        }
    }

    static let services = ["nova", "glance", "neutron"]

    static func selector(_ rng: inout Rng) -> TraceSearch {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:
            var q = TraceSearch()
            q.error = true
            return q
        case 1: return TraceSearch(service: "glance")
        case 2: return TraceSearch(service: "nova", name: "db")
        default: return TraceSearch(host: "cmp-1")
        }
    }

    @Test func storeAnswersLikeTheModel() async {
        await propertyCheck(count: 40, input: Gen.int(in: 0...Int.max)) { seed in
            try Self.run(seed: UInt64(seed))
        }
    }

    static func run(seed: UInt64) throws {
        var rng = Rng(state: seed)
        let dir = TemporaryDirectory()
        var options = F.options()
        options.segmentRange = 12 * F.hour
        options.blockSpans = 4
        options.compactionTargetSpans = 64
        var store = try TraceStore(directory: dir.path, options: options)
        var model = Model()
        var everyBase: [TraceID] = []
        var nextTrace: UInt64 = 1
        var nextSpan: UInt64 = 1
        func span(_ base: TraceID, at start: Int64, rng: inout Rng) -> Span {
            nextSpan += 1
            let names = ["wsgi", "db", "rpc"]
            return Span(
                baseID: base, traceID: TraceID(high: base.high, low: nextSpan), parentID: base,
                name: names[Int.random(in: 0..<3, using: &rng)], service: "api",
                project: services[Int.random(in: 0..<3, using: &rng)], host: "cmp-\(Int.random(in: 0..<3, using: &rng))",
                start: start, duration: Int64.random(in: 0...2_000_000, using: &rng),
                status: Int.random(in: 0..<5, using: &rng) == 0 ? .error : [])
        }
        var log: [String] = ["seed \(seed)"]
        var drift = 0
        for _ in 0..<Int.random(in: 10...30, using: &rng) {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0, 1, 2:
                // New traces over three days, and more spans for traces already there.
                var batch: [Span] = []
                for _ in 0..<Int.random(in: 1...5, using: &rng) {
                    let base = TraceID(high: nextTrace, low: 0)
                    nextTrace += 1
                    everyBase.append(base)
                    let start = F.t0 + Int64.random(in: 0..<(3 * F.day), using: &rng)
                    for k in 0..<Int.random(in: 1...4, using: &rng) {
                        batch.append(span(base, at: start + Int64(k) * Int64.random(in: 0...2_000_000, using: &rng), rng: &rng))
                    }
                }
                if !everyBase.isEmpty {
                    for _ in 0..<Int.random(in: 0...2, using: &rng) {
                        let base = everyBase.randomElement(using: &rng)!
                        let at = (model.spans[base]?.first?.start ?? F.t0 + Int64.random(in: 0..<(3 * F.day), using: &rng))
                            + Int64.random(in: 0...5_000_000, using: &rng)
                        batch.append(span(base, at: at, rng: &rng))
                    }
                }
                try store.append(spans: batch)
                for s in batch { model.spans[s.baseID, default: []].append(s) }
                log.append("append \(batch.count)")
            case 3:
                try store.flush()
                log.append("flush")
            case 4:
                var rules: [TraceRetentionRule] = []
                let keeps: [Int64?] = [nil, 6 * F.hour, F.day, 2 * F.day, 3 * F.day]
                for _ in 0..<Int.random(in: 0...3, using: &rng) {
                    rules.append(TraceRetentionRule(selector: selector(&rng), keep: keeps.randomElement(using: &rng)!))
                }
                let policy = TraceRetention(rules: rules, keep: [nil, 12 * F.hour, F.day, 2 * F.day].randomElement(using: &rng)!)
                let now: Int64? = Bool.random(using: &rng) ? nil : F.t0 + Int64.random(in: 0..<(4 * F.day), using: &rng)
                let dry = Bool.random(using: &rng) && Bool.random(using: &rng)
                try store.applyRetention(policy, now: now, dryRun: dry)
                if !dry { model.retain(policy, now: now) }
                log.append("retention\(dry ? " dry" : "") \(policy) now \(now.map { "\($0 - F.t0)" } ?? "nil")")
            case 5, 6:
                var d = TraceDeletion()
                if Bool.random(using: &rng) || everyBase.isEmpty {
                    d.selector = selector(&rng)
                } else {
                    d.baseIDs = (0..<Int.random(in: 1...3, using: &rng)).map { _ in everyBase.randomElement(using: &rng)! }
                    if Bool.random(using: &rng) { d.baseIDs.append(TraceID(high: 1 << 50, low: 0)) }
                }
                if Bool.random(using: &rng) {
                    d.start = F.t0 + Int64.random(in: 0..<(3 * F.day), using: &rng)
                    d.end = d.start + Int64.random(in: 0..<(2 * F.day), using: &rng)
                }
                let dry = Int.random(in: 0..<4, using: &rng) == 0
                let report = try store.delete(d, dryRun: dry)
                var covered = Set<TraceID>()
                for base in model.visibleBases {
                    let spans = model.visible(base)
                    if let q = d.selector {
                        var q = q
                        q.start = d.start
                        q.end = d.end == .max ? .max : d.end + 1
                        if spans.contains(where: q.matches) { covered.insert(base) }
                    } else if d.baseIDs.contains(base) && spans.contains(where: { $0.start >= d.start && $0.start <= d.end }) {
                        covered.insert(base)
                    }
                }
                #expect(report.baseIDs == covered.sorted(), "\(log)")
                #expect(report.traces == covered.count, "\(log)")
                #expect(report.spans == covered.reduce(0) { $0 + model.visible($1).count }, "\(log)")
                if !dry { model.deleted.formUnion(covered) }
                log.append("delete\(dry ? " dry" : "") \(d.baseIDs.count) ids, \(String(describing: d.selector)) \(d.start)...\(d.end): \(covered.count)")
            case 7:
                try store.applyDeletions()
                for base in model.deleted { model.spans[base] = nil }
                model.deleted = []
                log.append("applyDeletions")
            case 8:
                try store.compact()
                log.append("compact")
            default:
                try store.close()
                store = try TraceStore(directory: dir.path, options: options)
                log.append("reopen")
            }
            // Every trace, a search over everything, the error traces and the counts.
            for base in everyBase {
                #expect(try store.trace(base) == model.visible(base), "\(base) after \(log)")
            }
            let found = try store.search(TraceSearch(limit: 0))
            let expected = model.visibleBases
            #expect(found.map(\.baseID).sorted() == expected, "\(log)")
            #expect(Dictionary(uniqueKeysWithValues: found.map { ($0.baseID, $0.spanCount) })
                == Dictionary(uniqueKeysWithValues: expected.map { ($0, model.visible($0).count) }), "\(log)")
            var error = TraceSearch(limit: 0)
            error.error = true
            #expect(
                try store.search(error).map(\.baseID).sorted() == expected.filter { model.visible($0).contains(where: \.isError) },
                "\(log)")
            let stats = try store.stats()
            #expect(stats.spans == expected.reduce(0) { $0 + model.visible($1).count }, "\(log)")
            // Traces are counted per segment without their identity, so a retention pass that cuts a
            // trace split over segments, or a compaction after one, may leave the count off by a few;
            // everything else keeps it as it was (a deletion drops it by exactly what it counted).
            if log.last!.hasPrefix("retention") || log.last == "compact" {
                drift = stats.traces - expected.count
            }
            #expect(stats.traces - expected.count == drift, "\(log)")
            #expect(try store.pendingDeletions().flatMap(\.baseIDs).sorted() == model.deleted.sorted(), "\(log)")
        }
        #expect(store.verify().isEmpty)
    }
}
