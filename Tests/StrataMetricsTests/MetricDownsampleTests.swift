#if canImport(Glibc)
import Glibc
#endif
import PropertyBased
import StrataLabels
import StrataStorage
import StrataTestSupport
import Testing

@testable import StrataMetrics

/// Downsampling: the aggregates a store returns for every hint equal the ones computed from the raw
/// samples by a direct reference; passes are idempotent, survive reopening, and never leave one
/// step both raw and aggregated.
@Suite struct MetricDownsampleTests {
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 24 * hour

    func options() -> MetricStoreOptions {
        var o = MetricStoreOptions()
        o.durability = .none
        o.outOfOrderWindow = 40 * Self.day
        return o
    }

    typealias Rng = SeededRandom

    /// Raw data: a counter with resets (integer increments: sums stay exact), a gauge, and a sparse
    /// series with gaps, scraped every 10 s (some samples on step boundaries), in `[from, to)`.
    static func rawData(from: Int64, to: Int64, seed: UInt64) -> [Labels: [Sample]] {
        var g = Rng(state: seed)
        var out: [Labels: [Sample]] = [:]
        var counter = 1000.0
        var t = from
        while t < to {
            counter += Double(g.next() % 20)
            if g.next() % 900 == 0 { counter = Double(g.next() % 5) }  // a reset about every 2.5 h
            out[labels("requests_total", ("job", "api")), default: []].append(Sample(t, counter))
            out[labels("temperature", ("job", "api")), default: []].append(Sample(t, Double(Int(g.next() % 200)) - 100))
            if (t / (7 * minute)) % 3 != 0 {
                out[labels("sparse", ("job", "db")), default: []].append(Sample(t + 3, Double(g.next() % 1000)))
            }
            t += 10_000
        }
        return out
    }

    static func ingest(_ store: MetricStore, _ data: [Labels: [Sample]]) throws {
        for (l, s) in data { _ = try store.append(l, s) }
        try store.flush()
    }

    /// The reference: raw samples at or before `cut` aggregated per step `(k·r, (k+1)·r]` (stamped with
    /// the step's end), then the raw samples after the cut (for `count`: 1 each; for `counter`: the
    /// counter with resets applied from the first sample on).
    static func reference(_ raw: [Sample], cut: Int64, resolution r: Int64, _ a: MetricAggregate) -> [Sample] {
        var out: [Sample] = []
        var running: Double? = nil
        var prev = 0.0
        var i = 0
        while i < raw.count && raw[i].timestamp <= cut {
            let end = Downsampler.stepEnd(raw[i].timestamp, r)
            var c = 0.0, s = 0.0, lo = Double.infinity, hi = -Double.infinity
            while i < raw.count && raw[i].timestamp <= end {
                let v = raw[i].value
                running = running.map { $0 + (v >= prev ? v - prev : v) } ?? v
                prev = v
                c += 1; s += v; lo = min(lo, v); hi = max(hi, v)
                i += 1
            }
            let value: Double =
                switch a {
                case .count: c
                case .sum: s
                case .min: lo
                case .max: hi
                case .average: s / c
                case .counter: running!
                }
            out.append(Sample(end, value))
        }
        while i < raw.count {
            let v = raw[i].value
            switch a {
            case .count: out.append(Sample(raw[i].timestamp, 1))
            case .counter:
                running = running.map { $0 + (v >= prev ? v - prev : v) } ?? v
                prev = v
                out.append(Sample(raw[i].timestamp, running!))
            default: out.append(raw[i])
            }
            i += 1
        }
        return out
    }

    /// nil when equal, else the lengths and the first difference (arrays are too long to print).
    static func difference(_ have: [Sample], _ want: [Sample]) -> String? {
        if have == want { return nil }
        let i = zip(have, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(have.count, want.count)
        let h = i < have.count ? "\(have[i])" : "end"
        let w = i < want.count ? "\(want[i])" : "end"
        return "\(have.count) vs \(want.count) samples; at \(i): \(h) vs \(w)"
    }

    func select(_ store: MetricStore, _ a: MetricAggregate) throws -> [Labels: [Sample]] {
        var out: [Labels: [Sample]] = [:]
        for s in try store.select([try LabelMatcher(.regex, "__name__", ".+")], from: Int64.min, through: Int64.max, aggregate: a).series {
            out[s.labels] = try s.samples()
        }
        return out
    }

    /// Every hint against the reference, for each series.
    func expectMatchesReference(
        _ store: MetricStore, _ raw: [Labels: [Sample]], cut: Int64, resolution: Int64, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for a in MetricAggregate.allCases {
            let got = try select(store, a)
            #expect(Set(got.keys) == Set(raw.keys), "\(a)", sourceLocation: sourceLocation)
            for (l, samples) in raw {
                let want = Self.reference(samples, cut: cut, resolution: resolution, a)
                let have = got[l] ?? []
                let problem = Self.difference(have, want)
                #expect(problem == nil, "\(a) \(l): \(problem ?? "")", sourceLocation: sourceLocation)
            }
        }
    }

    /// No step of a series is both in a downsampled block and, as a raw sample, in a raw block.
    func expectNoStepTwice(_ store: MetricStore, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var aggregated: [Labels: Set<Int64>] = [:]
        var resolutionOf: [Labels: Int64] = [:]
        var raw: [Labels: [Int64]] = [:]
        for e in store.segments.entries where e.kind == SegmentKind.metricBlock {
            let r = try store.reader(for: e.name)
            let res = MetricStore.blockResolution(e)
            for id in 0..<UInt32(r.seriesOffsets.count) {
                let s = try r.series(id)
                var ts: [Int64] = [], vs: [Double] = []
                for c in s.chunks { try r.decode(c, timestamps: &ts, values: &vs) }
                if res == 0 {
                    #expect(s.labels[MetricStore.aggregateLabel] == nil, sourceLocation: sourceLocation)
                    raw[s.labels, default: []] += ts
                } else if s.labels[MetricStore.aggregateLabel] == "count" {
                    let base = s.labels.removing([MetricStore.aggregateLabel])
                    for t in ts {
                        let (inserted, _) = aggregated[base, default: []].insert(t)
                        #expect(inserted, "step \(t) of \(base) is in two downsampled blocks", sourceLocation: sourceLocation)
                    }
                    resolutionOf[base] = max(resolutionOf[base] ?? 0, res)
                }
            }
        }
        for (l, ts) in raw {
            guard let steps = aggregated[l], let r = resolutionOf[l] else { continue }
            for t in ts {
                #expect(!steps.contains(Downsampler.stepEnd(t, r)), "raw sample \(t) of \(l) is also aggregated", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func aggregatesMatchAReferenceForEveryHint() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try MetricStore(directory: dir.path, options: options())
        let start = 100 * Self.day
        let raw = Self.rawData(from: start, to: start + 2 * Self.day, seed: 1)
        try Self.ingest(store, raw)
        let blocksBefore = store.segments.entries.count
        let end = start + 2 * Self.day
        let level = DownsampleLevel(after: Self.day, resolution: 5 * Self.minute)

        let dry = try store.downsample([level], now: end, dryRun: true)
        #expect(dry.steps.count == 1)
        #expect(dry.steps.first?.outputs.isEmpty == true)
        #expect(store.segments.entries.count == blocksBefore, "a dry run writes nothing")

        let report = try store.downsample([level], now: end)
        let cut = end - Self.day
        #expect(report.steps.count == 1)
        #expect(report.steps[0].cut == cut)
        #expect(report.steps[0].aggregatedSamples == dry.steps[0].aggregatedSamples)
        #expect(report.steps[0].steps == dry.steps[0].steps)
        #expect(report.steps[0].aggregatedSamples == raw.values.reduce(0) { $0 + $1.filter { $0.timestamp <= cut }.count })
        try expectMatchesReference(store, raw, cut: cut, resolution: level.resolution)
        try expectNoStepTwice(store)
        #expect(store.verify().isEmpty)
        #expect(try store.labelNames() == ["__name__", "job"], "the reserved label stays hidden")
        #expect(try store.stats().series == 3)

        // A plain selection reads one point per step (the average), under the series' own labels.
        let plain = try allSamples(store.select([.equal("__name__", "temperature")], from: Int64.min, through: Int64.max))
        #expect(plain.keys.map(\.description) == [#"temperature{job="api"}"#])
        let steps = Set(raw[labels("temperature", ("job", "api"))]!.filter { $0.timestamp <= cut }.map { Downsampler.stepEnd($0.timestamp, level.resolution) })
        #expect(steps.count == Int(Self.day / level.resolution) + 1, "the first sample ends a step of its own")
        #expect(plain.values.first?.filter { $0.timestamp <= cut }.map(\.timestamp) == steps.sorted())

        // Idempotent: a second pass changes nothing.
        let names = store.segments.entries.map(\.name)
        #expect(try store.downsample([level], now: end).steps.isEmpty)
        #expect(store.segments.entries.map(\.name) == names)

        // Reopened, it answers the same.
        try store.close()
        let reopened = try MetricStore(directory: dir.path, options: options())
        try expectMatchesReference(reopened, raw, cut: cut, resolution: level.resolution)
        #expect(try reopened.downsample([level], now: end).steps.isEmpty)
    }

    /// 5 m after 1 d, then 1 h after 2 d, in one call and in passes as time goes by (more data
    /// arriving between them), with compactions in between: every answer equals the reference.
    @Test(arguments: [UInt64(2), 3])
    func twoLevelsInPassesMatchTheReference(seed: UInt64) throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try MetricStore(directory: dir.path, options: options())
        let start = 200 * Self.day
        let levels = [DownsampleLevel(after: 2 * Self.day, resolution: Self.hour), DownsampleLevel(after: Self.day, resolution: 5 * Self.minute)]
        var raw: [Labels: [Sample]] = [:]
        var now = start
        for pass in 0..<4 {
            let piece = Self.rawData(from: now, to: now + Self.day, seed: seed &* 10 &+ UInt64(pass))
            for (l, s) in piece { raw[l, default: []] += s }
            try Self.ingest(store, piece)
            now += Self.day
            let report = try store.downsample(levels, now: now)
            #expect(report.steps.allSatisfy { $0.cut % $0.resolution == 0 })
            try expectNoStepTwice(store)
            if pass % 2 == 1 { try store.compact() }
            try expectNoStepTwice(store)
        }
        // Now: 1 h steps up to now - 2 d, 5 m steps to now - 1 d, raw after. The reference of the
        // 1 h range is the same computed at 1 h from the raw samples (integer values: sums exact).
        let cut1h = now - 2 * Self.day
        let cut5m = now - Self.day
        for a in MetricAggregate.allCases {
            let got = try select(store, a)
            for (l, samples) in raw {
                let coarse = Self.reference(samples.filter { $0.timestamp <= cut1h }, cut: cut1h, resolution: Self.hour, a)
                let fine = Self.reference(samples, cut: cut5m, resolution: 5 * Self.minute, a).filter { $0.timestamp > cut1h }
                var want = coarse + fine
                if a == .counter {
                    // One running counter over everything.
                    want = Self.reference(samples, cut: cut5m, resolution: 5 * Self.minute, a).filter { $0.timestamp > cut1h }
                    let full = Self.reference(samples, cut: cut1h, resolution: Self.hour, a).filter { $0.timestamp <= cut1h }
                    want = full + want
                }
                let problem = Self.difference(got[l] ?? [], want)
                #expect(problem == nil, "\(a) \(l): \(problem ?? "")")
            }
        }
        #expect(store.verify().isEmpty)
        #expect(try store.downsample(levels, now: now).steps.isEmpty, "idempotent")
        // Compaction never mixes resolutions.
        try store.compact()
        let resolutions = store.segments.entries.map { MetricStore.blockResolution($0) }
        #expect(Set(resolutions) == [0, 5 * Self.minute, Self.hour])
        try expectNoStepTwice(store)
    }

    /// Daily passes leave one downsampled block per day; a compaction joins them (their counter
    /// chains too) and every hint answers as before.
    @Test func compactionJoinsDownsampledBlocks() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var o = options()
        o.compactionRanges = [4 * Self.day]
        let store = try MetricStore(directory: dir.path, options: o)
        let start = 400 * Self.day
        let level = DownsampleLevel(after: Self.day, resolution: 5 * Self.minute)
        var raw: [Labels: [Sample]] = [:]
        var now = start
        for pass in 0..<7 {
            let piece = Self.rawData(from: now, to: now + Self.day, seed: 40 + UInt64(pass))
            for (l, s) in piece { raw[l, default: []] += s }
            try Self.ingest(store, piece)
            now += Self.day
            try store.downsample([level], now: now)
        }
        let cut = now - Self.day
        try expectMatchesReference(store, raw, cut: cut, resolution: level.resolution)
        let aggregateBlocks = Set(store.segments.entries.filter { MetricStore.blockResolution($0) > 0 }.map(\.name))
        #expect(aggregateBlocks.count >= 6)
        let compaction = try store.compact()
        #expect(compaction.steps.contains { !aggregateBlocks.isDisjoint(with: $0.inputs) }, "downsampled blocks merged")
        for step in compaction.steps {
            #expect(aggregateBlocks.isSuperset(of: step.inputs) || aggregateBlocks.isDisjoint(with: step.inputs), "resolutions never mix")
        }
        try expectMatchesReference(store, raw, cut: cut, resolution: level.resolution)
        try expectNoStepTwice(store)
        #expect(store.verify().isEmpty)
    }

    /// Samples written into already downsampled steps after the pass (a backfill) stay raw: the
    /// steps are not computed twice, the sums and counts over them include the backfill, and the
    /// pass stays idempotent.
    @Test func aBackfillIntoDownsampledStepsStaysRaw() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try MetricStore(directory: dir.path, options: options())
        let start = 600 * Self.day
        let end = start + 2 * Self.day
        let l = labels("temperature", ("job", "api"))
        let old = (0..<1000).map { Sample(start + Int64($0) * 60_000, Double($0 % 7)) }
        try Self.ingest(store, [l: old, labels("up"): [Sample(end, 1)]])
        let level = DownsampleLevel(after: Self.day, resolution: Self.hour)
        try store.downsample([level], now: end)
        let backfill = (0..<50).map { Sample(start + Int64($0) * 60_000 + 30_000, 100) }
        try Self.ingest(store, [l: backfill])
        let report = try store.downsample([level], now: end)
        #expect(report.steps.isEmpty, "nothing new to aggregate")
        let counts = try store.select([.equal("__name__", "temperature")], from: Int64.min, through: Int64.max, aggregate: .count).series
        #expect(try counts.first?.samples().reduce(0) { $0 + $1.value } == 1050)
        let sums = try store.select([.equal("__name__", "temperature")], from: Int64.min, through: Int64.max, aggregate: .sum).series
        #expect(try sums.first?.samples().reduce(0) { $0 + $1.value } == old.reduce(0) { $0 + $1.value } + 5000)
        #expect(try store.downsample([level], now: end).steps.isEmpty)
    }

    /// A pass whose write or publish fails leaves the store as it was (the publish is the one
    /// manifest write that switches); reopened, it answers as before, and the pass then succeeds.
    @Test(arguments: [
        (FaultInjectingFileSystem.Operation.write, ENOSPC, 0), (.rename, EIO, 0), (.write, ENOSPC, 2), (.rename, EIO, 3),
    ])
    func aFailedPassLeavesTheStoreAsItWas(operation: FaultInjectingFileSystem.Operation, errno: Int32, skipping: Int) throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let fs = FaultInjectingFileSystem()
        let store = try MetricStore(directory: dir.path, options: options(), fileSystem: fs)
        let start = 700 * Self.day
        let raw = Self.rawData(from: start, to: start + Self.day, seed: 9)
        try Self.ingest(store, raw)
        let before = try select(store, .average)
        let names = store.segments.entries.map(\.name)
        fs.inject(operation, skipping: skipping, errno: errno)
        let level = DownsampleLevel(after: 6 * Self.hour, resolution: 5 * Self.minute)
        #expect(throws: MetricStoreError.self) { try store.downsample([level], now: start + Self.day) }
        #expect(store.segments.entries.map(\.name) == names)
        #expect(try select(store, .average) == before)
        let reopened = try MetricStore(directory: dir.path, options: options())
        #expect(try select(reopened, .average) == before)
        #expect(reopened.verify().isEmpty)
        #expect(!(try reopened.downsample([level], now: start + Self.day).steps.isEmpty))
        try expectMatchesReference(reopened, raw, cut: start + 18 * Self.hour, resolution: level.resolution)
    }

    /// Any sequence of ingests (in time order), passes of two levels, compactions and reopens, then
    /// a last pass, leaves a store that answers every hint like the reference over the raw samples, cut where the
    /// last pass cut.
    @Test func anySequenceOfPassesAnswersLikeTheReference() async {
        await propertyCheck(count: 15, input: Gen.uint64(), Gen.int(in: 0...3).array(of: 1...7)) { seed, ops in
            do { try runSequence(seed: seed, ops: ops) } catch { Issue.record("\(error)") }
        }
    }

    func runSequence(seed: UInt64, ops: [Int]) throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var store = try MetricStore(directory: dir.path, options: options())
        let levels = [
            DownsampleLevel(after: 6 * Self.hour, resolution: 5 * Self.minute), DownsampleLevel(after: 12 * Self.hour, resolution: Self.hour),
        ]
        var g = Rng(state: seed)
        var raw: [Labels: [Sample]] = [:]
        var now = 800 * Self.day + Int64(g.next() % 3600) * 1000
        var cuts: (fine: Int64, coarse: Int64)? = nil
        for op in ops + [1] {  // and a last pass
            if op == 0 || (op == 1 && raw.isEmpty) {
                let length = Int64(3 + g.next() % 22) * Self.hour
                var piece = Self.rawData(from: now, to: now + length, seed: g.next())
                for (l, s) in piece { piece[l] = s.enumerated().filter { $0.offset % 3 == 0 }.map(\.element) }  // 30 s
                for (l, s) in piece { raw[l, default: []] += s }
                try Self.ingest(store, piece)
                now += length
            } else if op == 1 {
                try store.downsample(levels, now: now)
                let fine = MetricStore.floorDiv(now - 6 * Self.hour, 5 * Self.minute) * 5 * Self.minute
                let coarse = MetricStore.floorDiv(now - 12 * Self.hour, Self.hour) * Self.hour
                cuts = (fine, coarse)
                try expectNoStepTwice(store)
            } else if op == 2 {
                try store.compact()
            } else {
                try store.close()
                store = try MetricStore(directory: dir.path, options: options())
            }
        }
        for a in MetricAggregate.allCases {
            let got = try select(store, a)
            for (l, samples) in raw {
                var want = samples
                if let cuts, let first = samples.first, first.timestamp <= cuts.fine {
                    let fine = Self.reference(samples, cut: cuts.fine, resolution: 5 * Self.minute, a).filter { $0.timestamp > cuts.coarse }
                    if a == .counter {
                        // One running counter over everything.
                        want = Self.reference(samples, cut: cuts.coarse, resolution: Self.hour, a).filter { $0.timestamp <= cuts.coarse } + fine
                    } else {
                        want = Self.reference(samples.filter { $0.timestamp <= cuts.coarse }, cut: cuts.coarse, resolution: Self.hour, a) + fine
                    }
                }
                let problem = Self.difference(got[l] ?? [], want)
                #expect(problem == nil, "\(a) \(l) after \(ops): \(problem ?? "")")
            }
        }
    }

    /// A rewrite that keeps some steps of a counter chain leaves a chain: dropping the tail ends it
    /// at the last kept step (its marker), dropping the head keeps the marker.
    @Test func filteringACounterChainKeepsItAChain() {
        // Steps at 300, 600, 900 (stored 1 ms early) with values 10, 25, 40, and the marker 7 (a raw
        // value after a reset) at 900.
        let ts: [Int64] = [300, 600, 899, 900]
        let vs: [Double] = [10, 25, 40, 7]
        let all = MetricStore.filterCounterChain(ts, vs) { _ in true }
        #expect(all.0 == ts && all.1 == vs)
        let head = MetricStore.filterCounterChain(ts, vs) { $0 >= 600 }
        #expect(head.0 == [600, 899, 900] && head.1 == [25, 40, 7])
        let tail = MetricStore.filterCounterChain(ts, vs) { $0 < 900 }
        #expect(tail.0 == [300, 599, 600] && tail.1 == [10, 25, 25])
        let middle = MetricStore.filterCounterChain(ts, vs) { $0 != 600 }
        #expect(middle.0 == [300, 899, 900] && middle.1 == [10, 40, 7])
        #expect(MetricStore.filterCounterChain(ts, vs) { _ in false }.0.isEmpty)
    }

    @Test func histogramsStayRawAndLevelsAreChecked() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try MetricStore(directory: dir.path, options: options())
        let start = 300 * Self.day
        var h = FloatHistogram()
        h.count = 1
        h.sum = 1
        _ = try store.appendHistograms(labels("latency"), [HistogramSample(start + 1000, h)])
        try Self.ingest(store, [labels("up"): (0..<100).map { Sample(start + Int64($0) * 60_000, 1) }])
        let report = try store.downsample([DownsampleLevel(after: 0, resolution: Self.hour)], now: start + 3 * Self.hour)
        #expect(report.steps.first?.aggregatedSamples == 100)
        let hs = try store.select([.equal("__name__", "latency")], from: Int64.min, through: Int64.max).series
        #expect(try hs.first?.histograms().count == 1)
        #expect(throws: MetricStoreError.self) { try store.downsample([DownsampleLevel(after: 0, resolution: 7 * Self.minute), DownsampleLevel(after: Self.day, resolution: Self.hour)]) }
        #expect(throws: MetricStoreError.self) { try store.downsample([DownsampleLevel(after: 0, resolution: 1)]) }
    }
}
