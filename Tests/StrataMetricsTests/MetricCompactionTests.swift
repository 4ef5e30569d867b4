import Foundation
import StrataLabels
import StrataStorage
import StrataTestSupport
import Testing

@testable import StrataMetrics

/// Metric compaction: overlapping blocks merge vertically, neighbours merge by levels, and
/// every selection answers exactly as before, after reopening too.
@Suite struct MetricCompactionTests {
    func options() -> MetricStoreOptions {
        var o = MetricStoreOptions()
        o.durability = .none
        o.outOfOrderWindow = 40 * 3_600_000  // backfills below go in
        return o
    }

    /// Everything stored, per series (select sorts series; samples come in time order).
    func everything(_ store: MetricStore) throws -> [Labels: [Sample]] {
        try allSamples(store.select([try LabelMatcher(.regex, "__name__", ".+")], from: Int64.min, through: Int64.max))
    }

    typealias Gen = SeededRandom

    /// 30 h of 10 series at 60 s, written in pieces that are flushed one by one; some pieces are
    /// a backfill of earlier hours (overlapping blocks), some repeat samples already stored.
    func fill(_ store: MetricStore, seed: UInt64) throws {
        var g = Gen(state: seed)
        let hour: Int64 = 3_600_000
        var pieces: [(from: Int64, to: Int64)] = (0..<30).map { (Int64($0) * hour, Int64($0 + 1) * hour) }
        for _ in 0..<4 {  // backfills and repeats, anywhere in the 30 h
            let a = Int64(g.next() % 28) * hour + Int64(g.next() % 60) * 60_000
            pieces.insert((a, a + Int64(1 + g.next() % 3) * hour), at: Int(g.next() % UInt64(pieces.count)))
        }
        for p in pieces {
            var batch = SampleBatch()
            for s in 0..<10 {
                let ref = try store.seriesRef(for: labels("m", ("s", "\(s)")))
                var t = p.from - p.from % 60_000
                while t < p.to {
                    batch.append(ref, milliseconds: t, Double(s) * 1000 + Double(t / 60_000))  // one value per time: repeats agree
                    t += 60_000
                }
            }
            _ = try store.append(batch)
            try store.flush()
        }
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func compactedBlocksAnswerAsBefore(seed: UInt64) throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try MetricStore(directory: dir.path, options: options())
        try fill(store, seed: seed)
        let before = try everything(store)
        let blocksBefore = store.segments.entries.count
        #expect(blocksBefore >= 15)

        let dry = try store.compact(dryRun: true)
        #expect(!dry.steps.isEmpty)
        #expect(store.segments.entries.count == blocksBefore, "a dry run writes nothing")

        let report = try store.compact()
        #expect(report.steps.count == dry.steps.count)
        #expect(report.blocksAfter == dry.blocksAfter)
        #expect(report.blocksAfter < blocksBefore / 3, "\(blocksBefore) -> \(report.blocksAfter)")
        #expect(report.steps.contains { $0.kind == .overlap }, "the backfills overlapped")
        let after = try everything(store)
        #expect(after == before)
        #expect(store.verify().isEmpty)
        // No block is left overlapping another.
        let sorted = store.segments.entries.sorted { $0.minTime < $1.minTime }
        for (a, b) in zip(sorted, sorted.dropFirst()) { #expect(a.maxTime < b.minTime) }
        try store.close()

        let reopened = try MetricStore(directory: dir.path, options: options())
        #expect(try everything(reopened) == before)
        #expect(try reopened.compact().steps.isEmpty, "nothing left to merge")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".blk") }
        #expect(files.count == reopened.segments.entries.count, "retired blocks are deleted")
    }

    @Test func aLaterBlockWinsAtTheSameTime() {
        let (t, v) = MetricStore.mergeRuns([([1, 2, 3], [10, 20, 30]), ([2, 4], [21, 41]), ([3], [32])])
        #expect(t == [1, 2, 3, 4])
        #expect(v == [10, 21, 32, 41])
    }

    @Test func levelsSkipTheNewestWindow() {
        let hour: Int64 = 3_600_000
        func block(_ n: Int, _ from: Int64) -> SegmentEntry {
            SegmentEntry(name: "00000\(n).blk", kind: SegmentKind.metricBlock, minTime: from * hour, maxTime: (from + 2) * hour - 1,
                         sizeBytes: 1, recordCount: 1)
        }
        // Blocks 0-2 h, 2-4 h, 4-6 h (one 6 h window) and 6-8 h (the newest window).
        let blocks = [block(1, 0), block(2, 2), block(3, 4), block(4, 6)]
        let first = MetricStore.nextMerge(blocks, ranges: [6 * hour])
        #expect(first?.0 == .level)
        #expect(first?.1.map(\.name) == ["000001.blk", "000002.blk", "000003.blk"])
        #expect(MetricStore.nextMerge([block(1, 0), block(4, 6)], ranges: [6 * hour]) == nil)
    }

    @Test(arguments: [
        (FaultInjectingFileSystem.Operation.write, ENOSPC, 0), (.rename, EIO, 0), (.write, ENOSPC, 1), (.rename, EIO, 1),
    ])
    func aFailedStepLeavesTheStoreAsItWas(operation: FaultInjectingFileSystem.Operation, errno: Int32, skipping: Int) throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let fs = FaultInjectingFileSystem()
        let store = try MetricStore(directory: dir.path, options: options(), fileSystem: fs)
        try fill(store, seed: 7)
        let before = try everything(store)
        fs.inject(operation, skipping: skipping, errno: errno)
        #expect(throws: MetricStoreError.self) { try store.compact() }
        #expect(try everything(store) == before)
        let reopened = try MetricStore(directory: dir.path, options: options())
        #expect(try everything(reopened) == before)
        #expect(reopened.verify().isEmpty)
        #expect(!(try reopened.compact().steps.isEmpty))
        #expect(try everything(reopened) == before)
    }
}

@Suite struct MetricCompactionLimitTests {
    @Test func aGroupStopsAtTheSampleLimit() {
        let hour: Int64 = 3_600_000
        var blocks: [SegmentEntry] = []
        for k in 0..<3 {
            let from = Int64(2 * k) * hour
            blocks.append(
                SegmentEntry(name: "00000\(k + 1).blk", kind: SegmentKind.metricBlock, minTime: from, maxTime: from + 2 * hour - 1,
                             sizeBytes: 1, recordCount: 1_000))
        }
        // The newest window (6-12 h) holds this one alone.
        blocks.append(SegmentEntry(name: "000009.blk", kind: SegmentKind.metricBlock, minTime: 7 * hour, maxTime: 8 * hour, sizeBytes: 1, recordCount: 1))
        #expect(MetricStore.nextMerge(blocks, ranges: [6 * hour], maxSamples: 2_000)?.1.count == 2)
        #expect(MetricStore.nextMerge(blocks, ranges: [6 * hour], maxSamples: 1_500) == nil)
        #expect(MetricStore.nextMerge(blocks, ranges: [6 * hour])?.1.count == 3)
    }
}
