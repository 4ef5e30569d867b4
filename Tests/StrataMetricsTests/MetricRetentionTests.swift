import StrataLabels
import StrataStorage
import Testing

@testable import StrataMetrics

/// Retention: per-series cuts, blocks dropped whole or rewritten exactly.
@Suite struct MetricRetentionTests {
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000

    func options() -> MetricStoreOptions {
        var o = MetricStoreOptions()
        o.durability = .none
        o.outOfOrderWindow = 1000 * Self.hour
        return o
    }

    /// One sample a minute in `[from, to)` for each series.
    func fill(_ store: MetricStore, _ series: [Labels], from: Int64, to: Int64) throws {
        for l in series {
            var samples: [Sample] = []
            var t = from
            while t < to {
                samples.append(Sample(t, Double(t / Self.minute)))
                t += Self.minute
            }
            #expect(try store.append(l, samples).accepted == samples.count)
        }
    }

    func everything(_ store: MetricStore) throws -> [Labels: [Sample]] {
        try allSamples(store.select([try LabelMatcher(.regex, "__name__", ".+")], from: Int64.min, through: Int64.max))
    }

    @Test func straddlingBlockIsRewrittenExactly() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try MetricStore(directory: dir.path, options: options())
        let a = labels("m", ("s", "a")), b = labels("m", ("s", "b"))
        // Two blocks: [-2h, 0) (all older than the cut) and [0, 2h) (straddles it).
        try fill(store, [a, b], from: -2 * Self.hour, to: 0)
        try store.flush()
        try fill(store, [a, b], from: 0, to: 2 * Self.hour)
        try store.flush()
        let before = store.segments.entries
        #expect(before.count == 2)
        let old = before.first { $0.minTime < 0 }!.name
        let straddling = before.first { $0.minTime == 0 }!.name
        #expect(try store.stats().samples == 480)

        // keep 30 min from 2 h: the cut is 90 min.
        let cut = 90 * Self.minute
        let policy = MetricRetention(keep: 30 * Self.minute)
        let dry = try store.applyRetention(policy, now: 2 * Self.hour, dryRun: true)
        #expect(dry.blocksDropped == [old])
        #expect(dry.blocksRewritten.map(\.input) == [straddling])
        #expect(dry.blocksRewritten.map(\.output) == [nil])
        #expect(dry.samplesDropped == 240 + 180)
        #expect(dry.bytesAfterEstimated)
        #expect(store.segments.entries == before)  // a dry run writes nothing

        let report = try store.applyRetention(policy, now: 2 * Self.hour)
        #expect(report.reference == 2 * Self.hour)
        #expect(report.blocksDropped == [old])
        #expect(report.blocksRewritten.count == 1)
        let rewrite = report.blocksRewritten[0]
        #expect(rewrite.input == straddling)
        #expect(rewrite.output != nil && rewrite.output != straddling)
        #expect(rewrite.samplesBefore == 240 && rewrite.samplesAfter == 60)
        #expect(report.samplesDropped == 240 + 180)
        #expect(report.seriesRemoved == 0)
        #expect(report.bytesAfter < report.bytesBefore)
        #expect(!report.bytesAfterEstimated && report.complete)

        // The file holds nothing older than the cut; the inputs are gone from the directory.
        let after = store.segments.entries
        #expect(after.map(\.name) == [rewrite.output!])
        #expect(after[0].minTime == cut)
        let files = listDir(dir.path)
        #expect(!files.contains(old) && !files.contains(straddling) && files.contains(rewrite.output!))
        let reader = try store.reader(for: rewrite.output!)
        for id in 0..<UInt32(reader.seriesOffsets.count) {
            var ts: [Int64] = [], vs: [Double] = []
            for c in try reader.series(id).chunks { try reader.decode(c, timestamps: &ts, values: &vs) }
            #expect(ts.count == 30 && ts.allSatisfy { $0 >= cut })
        }
        #expect(try store.stats().samples == 480 - 420)
        let all = try everything(store)
        let expected: [Int64] = (0..<30).map { cut + Int64($0) * Self.minute }
        #expect(all[a]?.map(\.timestamp) == expected)
        #expect(store.verify().isEmpty)

        // Applying it again changes nothing; after reopening the same holds.
        let again = try store.applyRetention(policy, now: 2 * Self.hour)
        #expect(again.blocksDropped.isEmpty && again.blocksRewritten.isEmpty && again.samplesDropped == 0)
        try store.close()
        let reopened = try MetricStore(directory: dir.path, options: options())
        #expect(try everything(reopened) == all)
        #expect(try reopened.stats().samples == 60)
    }

    @Test func firstMatchingRuleWins() throws {
        let day: Int64 = 24 * Self.hour
        let prod = labels("m", ("env", "prod")), dev = labels("m", ("env", "dev")), other = labels("n", ("env", "dev"))
        // A longer keep listed first protects prod, which the shorter later rule also matches.
        let policy = MetricRetention(
            rules: [
                MetricRetentionRule(matchers: [.equal("env", "prod")], keep: 10 * Self.hour),
                MetricRetentionRule(matchers: [.equal("__name__", "m")], keep: Self.hour),
            ], keep: nil)
        #expect(policy.cutoff(for: prod, reference: day) == day - 10 * Self.hour)
        #expect(policy.cutoff(for: dev, reference: day) == day - Self.hour)
        #expect(policy.cutoff(for: other, reference: day) == Int64.min)  // no rule, keep nil: forever
        // A downsampled series matches by its own labels.
        #expect(policy.cutoff(for: prod.setting("__strata_aggr__", to: "sum"), reference: day) == day - 10 * Self.hour)
        // The order matters: reversed, prod gets the short keep.
        let reversed = MetricRetention(rules: Array(policy.rules.reversed()), keep: nil)
        #expect(reversed.cutoff(for: prod, reference: day) == day - Self.hour)
        #expect(MetricRetention(keep: -5).cutoff(for: prod, reference: 100) == 100)
        #expect(MetricRetention(keep: Int64.max).cutoff(for: prod, reference: -100) == Int64.min)

        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try MetricStore(directory: dir.path, options: options())
        try fill(store, [prod, dev, other], from: 0, to: 5 * Self.hour)
        let report = try store.applyRetention(policy)  // reference: the newest sample, 5 h - 1 min
        let reference = 5 * Self.hour - Self.minute
        #expect(report.reference == reference)
        let all = try everything(store)
        #expect(all[prod]?.count == 300)
        #expect(all[other]?.count == 300)
        #expect(all[dev]?.first?.timestamp == reference - Self.hour)
        #expect(all[dev]?.count == 61)
        #expect(report.samplesDropped == 300 - 61)
        #expect(try store.stats().samples == 300 + 300 + 61)
    }

    @Test func wholeSeriesAndEmptyStore() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try MetricStore(directory: dir.path, options: options())
        #expect(try store.newestSampleTime() == nil)
        #expect(try store.applyRetention(MetricRetention(keep: 1)).reference == nil)
        let a = labels("m", ("s", "a")), b = labels("m", ("s", "b"))
        try fill(store, [a], from: 0, to: Self.hour)
        try fill(store, [b], from: 3 * Self.hour, to: 4 * Self.hour)
        #expect(try store.newestSampleTime() == 4 * Self.hour - Self.minute)  // in the head
        let report = try store.applyRetention(MetricRetention(keep: Self.hour))
        #expect(report.seriesRemoved == 1)
        #expect(report.samplesDropped == 60)
        #expect(try everything(store).keys.sorted() == [b])
        #expect(try store.labelValues("s") == ["b"])
    }

    /// A later block that overlaps a rewritten one is rewritten with it, so that at a time both
    /// hold with different values the later block's value keeps winning.
    @Test func laterOverlappingBlockKeepsWinning() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try MetricStore(directory: dir.path, options: options())
        let a = labels("m", ("s", "a"))
        try fill(store, [a], from: 0, to: 2 * Self.hour)
        try store.flush()
        #expect(try store.append(a, [Sample(Self.hour, 99)]).accepted == 1)  // a newer value at 1 h
        try store.flush()
        let blocks = store.segments.entries.map(\.name)
        #expect(blocks.count == 2)
        func valueAtOneHour() throws -> Double? {
            try everything(store)[a]?.first { $0.timestamp == Self.hour }?.value
        }
        #expect(try valueAtOneHour() == 99)
        let report = try store.applyRetention(MetricRetention(keep: 90 * Self.minute), now: 2 * Self.hour)
        #expect(report.blocksRewritten.map(\.input) == blocks)
        #expect(report.blocksRewritten.map(\.samplesAfter) == [90, 1])
        #expect(report.samplesDropped == 30)
        #expect(try valueAtOneHour() == 99)
        let d = try store.delete(MetricDeletion(matchers: [.equal("s", "a")], start: 0, end: 45 * Self.minute))
        #expect(d.samples == 16)  // 30 through 45 min
        let applied = try store.applyDeletions()
        #expect(applied.samplesDropped == 16 && applied.blocksRewritten.count == 2)
        #expect(try valueAtOneHour() == 99)
        #expect(try everything(store)[a]?.count == 74)
    }

    /// A write failing in the middle of a retention pass leaves each block old or new: the
    /// rewrites published before it stay, the rest are as they were; a second pass finishes.
    @Test(arguments: [
        (FaultInjectingFileSystem.Operation.rename, 0), (.rename, 1), (.rename, 2), (.rename, 3), (.write, 1), (.fsync, 2),
    ])
    func aFailedRewriteLosesNothing(operation: FaultInjectingFileSystem.Operation, skipping: Int) throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let fs = FaultInjectingFileSystem()
        let store = try MetricStore(directory: dir.path, options: options(), fileSystem: fs)
        let a = labels("m", ("s", "a")), b = labels("m", ("s", "b"))
        try fill(store, [a, b], from: 0, to: 2 * Self.hour)
        try store.flush()
        try fill(store, [a, b], from: 2 * Self.hour, to: 4 * Self.hour)
        try store.flush()
        #expect(store.segments.entries.count == 2)
        let before = try everything(store)
        // From 4 h: a keeps 3.5 h (cut 30 min), b 1.5 h (cut 2.5 h): both blocks straddle a cut.
        let policy = MetricRetention(rules: [MetricRetentionRule(matchers: [.equal("s", "a")], keep: 210 * Self.minute)], keep: 90 * Self.minute)
        let aCut = 30 * Self.minute, bCut = 150 * Self.minute
        let final: [Labels: [Sample]] = [a: before[a]!.filter { $0.timestamp >= aCut }, b: before[b]!.filter { $0.timestamp >= bCut }]
        // After the first block's rewrite only: b's samples of the first block are gone, the second block is as it was.
        let half: [Labels: [Sample]] = [a: before[a]!.filter { $0.timestamp >= aCut }, b: before[b]!.filter { $0.timestamp >= 2 * Self.hour }]
        fs.inject(operation, skipping: skipping)
        #expect(throws: MetricStoreError.self) { try store.applyRetention(policy, now: 4 * Self.hour) }
        let partial = try everything(store)
        #expect(partial == before || partial == half)
        if operation == .rename {  // renames: block 1, manifest 1, block 2, manifest 2
            #expect(partial == (skipping < 2 ? before : half))
        }
        let reopened = try MetricStore(directory: dir.path, options: options())
        #expect(try everything(reopened) == partial)
        #expect(reopened.verify().isEmpty)
        #expect(listDir(dir.path).filter { $0.hasSuffix(".blk") } == reopened.segments.entries.map(\.name).sorted())
        let again = try reopened.applyRetention(policy, now: 4 * Self.hour)
        #expect(again.complete)
        #expect(try everything(reopened) == final)
        #expect(try reopened.stats().samples == 210 + 90)
    }

    /// A block a flush publishes between the plan and the publish of a rewrite that it overlaps
    /// is newer than the rewrite's inputs: the rewrite is not published (the next plan sees it).
    @Test func aFlushMeanwhileIsNotOvertaken() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try MetricStore(directory: dir.path, options: options())
        let a = labels("m", ("s", "a"))
        try fill(store, [a], from: 0, to: 2 * Self.hour)
        try store.flush()
        let drops: (Labels) -> DropRanges = { _ in [Int64.min...(30 * Self.minute - 1)] }
        let plan = try store.planRewrite(drops)
        #expect(plan.groups.count == 1 && plan.samplesDropped == 30)
        // Meanwhile: a newer value at 1 h, flushed into a block that overlaps the rewrite's output.
        #expect(try store.append(a, [Sample(Self.hour, 99)]).accepted == 1)
        try store.flush()
        let entries = store.segments.entries
        let r = try store.executeRewrite(plan, drops)
        #expect(r.skipped && r.rewrites.isEmpty)
        #expect(store.segments.entries == entries)
        #expect(listDir(dir.path).filter { $0.hasSuffix(".blk") } == entries.map(\.name).sorted())
        // A full pass plans again: both blocks rewritten in order, the newer value still wins.
        let report = try store.applyRetention(MetricRetention(keep: 90 * Self.minute), now: 2 * Self.hour)
        #expect(report.complete && report.blocksRewritten.count == 2)
        let all = try everything(store)[a]!
        #expect(all.count == 90 && all.first { $0.timestamp == Self.hour }?.value == 99)
    }

    /// A downsampled block (series with `__strata_aggr__`, metadata `[seriesCount][resolution]`):
    /// rules and deletions match the series' own labels, and a rewrite keeps the resolution.
    @Test func downsampledBlocksKeepTheirResolution() throws {
        #expect(MetricStore.blockMetaTail([5]) == [])
        #expect(MetricStore.blockMetaTail([0x85, 0x01, 0xE0, 0xD4, 0x03]) == [0xE0, 0xD4, 0x03])
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try MetricStore(directory: dir.path, options: options())
        let own = labels("m", ("s", "a"))
        var w = BlockWriter()
        for aggr in ["count", "sum"] {
            let ts = (0..<24).map { Int64($0) * 5 * Self.minute }
            w.add(own.setting("__strata_aggr__", to: aggr), timestamps: ts, values: ts.map { Double($0) })
        }
        let (bytes, stats) = w.finish()
        let name = store.segments.nextSegmentName(ext: FileNames.metricBlockExtension)
        try AtomicFile.write(bytes, to: store.segments.path(of: name), fs: SystemFileSystem())
        var meta = MetricStore.encodeBlockMeta(stats)
        meta += [0xE0, 0xD4, 0x03]  // 60 000 ms
        try store.segments.publish(
            adding: [SegmentEntry(name: name, kind: SegmentKind.metricBlock, level: 2, minTime: stats.minTime, maxTime: stats.maxTime,
                                  sizeBytes: UInt64(bytes.count), recordCount: UInt64(stats.sampleCount), metadata: meta)],
            removing: [])
        let policy = MetricRetention(rules: [MetricRetentionRule(matchers: [.equal("s", "a"), .equal("__strata_aggr__", "")], keep: Self.hour)])
        let report = try store.applyRetention(policy, now: 2 * Self.hour)
        #expect(report.samplesDropped == 2 * 12 && report.seriesRemoved == 0)
        let out = store.segments.entries
        #expect(out.count == 1 && out[0].name == report.blocksRewritten.first?.output)
        #expect(out[0].level == 2)
        #expect(out[0].metadata == MetricStore.encodeBlockMeta(BlockStats(seriesCount: 2, sampleCount: 24, minTime: 0, maxTime: 0)) + [0xE0, 0xD4, 0x03])
        // A deletion by the own labels hides both aggregates; it counts one series.
        let d = try store.delete(MetricDeletion(matchers: [.equal("s", "a")], start: Self.hour, end: Self.hour + 10 * Self.minute))
        #expect(d.series == 1 && d.samples == 6)
        try store.applyDeletions()
        #expect(store.segments.entries[0].metadata.suffix(3) == [0xE0, 0xD4, 0x03])
        #expect(try store.stats().samples == 24 - 6)
    }
}
