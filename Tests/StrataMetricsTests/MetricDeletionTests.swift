import PropertyBased
import StrataEncoding
import StrataLabels
import StrataStorage
import Testing

@testable import StrataMetrics

/// Deletion: durable tombstones hide at once, everywhere; applying them removes exactly what they hid.
@Suite struct MetricDeletionTests {
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000

    func options() -> MetricStoreOptions {
        var o = MetricStoreOptions()
        o.durability = .buffered
        o.outOfOrderWindow = 1000 * Self.hour
        return o
    }

    /// `[0, 4 h)` every `step` ms.
    func times(every step: Int64) -> [Int64] {
        var out: [Int64] = []
        var t: Int64 = 0
        while t < 4 * Self.hour {
            out.append(t)
            t += step
        }
        return out
    }

    func everything(_ store: MetricStore) throws -> [Labels: [Sample]] {
        try allSamples(store.select([try LabelMatcher(.regex, "__name__", ".+")], from: Int64.min, through: Int64.max))
    }

    /// x and y: a float a minute over [0, 4 h) and a histogram every 10 minutes; [0, 2 h) in
    /// blocks, [2 h, 4 h) in the head.
    func filled(_ dir: TempDir) throws -> MetricStore {
        let store = try MetricStore(directory: dir.path, options: options())
        for job in ["x", "y"] {
            let l = labels("m", ("job", job))
            let samples: [Sample] = times(every: Self.minute).map { (t: Int64) -> Sample in Sample(t, Double(t)) }
            #expect(try store.append(l, samples).accepted == 240)
            let h = labels("h", ("job", job))
            let hs: [HistogramSample] = times(every: 10 * Self.minute).map { (t: Int64) -> HistogramSample in
                HistogramSample(t, HistogramStorageTests.sample(Double(t / Self.minute + 1)))
            }
            #expect(try store.appendHistograms(h, hs).accepted == 24)
        }
        try store.flush(before: 2 * Self.hour)
        return store
    }

    @Test func tombstonesHideHeadAndBlocksAtOnceAndSurviveReopen() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var store = try filled(dir)
        #expect(try store.stats().headSamples > 0 && store.segments.entries.count >= 1)
        let x = labels("m", ("job", "x")), hx = labels("h", ("job", "x")), y = labels("m", ("job", "y"))
        let before = try everything(store)
        let statsBefore = try store.stats()
        #expect(statsBefore.samples == 2 * (240 + 24))

        // [1 h, 3 h] of job x: half in a block, half in the head; floats and histograms.
        let d1 = MetricDeletion(matchers: [.equal("job", "x")], start: Self.hour, end: 3 * Self.hour)
        let dry = try store.delete(d1, dryRun: true)
        #expect(dry == MetricDeletionReport(series: 2, samples: 121 + 13, recorded: false, pending: 0))
        #expect(try store.pendingDeletions().isEmpty)
        let r1 = try store.delete(d1)
        #expect(r1 == MetricDeletionReport(series: 2, samples: 121 + 13, recorded: true, pending: 1))
        let hidden = try everything(store)
        #expect(hidden[y] == before[y])
        #expect(hidden[x] == before[x]!.filter { $0.timestamp < Self.hour || $0.timestamp > 3 * Self.hour })
        let hxSeries = try store.select([.equal("__name__", "h"), .equal("job", "x")], from: Int64.min, through: Int64.max)
        let hxTimes: [[Int64]] = try hxSeries.series.map { try $0.histograms().map(\.timestamp) }
        let hxExpected: [Int64] = times(every: 10 * Self.minute).filter { $0 < Self.hour || $0 > 3 * Self.hour }
        #expect(hxTimes == [hxExpected])
        // A selection inside the deleted range finds nothing (the series disappears).
        #expect(try store.select([.equal("job", "x")], from: Self.hour, through: 3 * Self.hour).series.isEmpty)
        #expect(try store.labelValues("job") == ["x", "y"])
        // stats() keeps counting hidden samples until they are applied.
        #expect(try store.stats().samples == statsBefore.samples)

        // A second deletion over everything of x counts only what the first left visible.
        let d2 = MetricDeletion(matchers: [.equal("job", "x")])
        let r2 = try store.delete(d2)
        #expect(r2 == MetricDeletionReport(series: 2, samples: 240 - 121 + 24 - 13, recorded: true, pending: 2))
        #expect(try store.labelValues("job") == ["y"])
        #expect(try everything(store).keys.sorted() == [labels("h", ("job", "y")), y])
        // Matching a label no series has: nothing counted, nothing hidden.
        #expect(try store.delete(MetricDeletion(matchers: [.equal("job", "z")])).samples == 0)
        #expect(try store.labelNames() == ["__name__", "job"])

        // Durable: after reopening (the head comes back from the WAL), still hidden.
        try store.close()
        store = try MetricStore(directory: dir.path, options: options())
        #expect(try store.pendingDeletions() == [d1, d2, MetricDeletion(matchers: [.equal("job", "z")])])
        #expect(try everything(store)[x] == nil)
        #expect(try everything(store)[hx] == nil)
        #expect(try store.labelValues("job") == ["y"])

        // Applied: the files lose exactly what was counted, the tombstones go.
        let dryApply = try store.applyDeletions(dryRun: true)
        #expect(dryApply.samplesDropped == 264 && dryApply.seriesRemoved == 2 && dryApply.tombstonesApplied == 0)
        #expect(try store.pendingDeletions().count == 3)
        let applied = try store.applyDeletions()
        #expect(applied.tombstonesApplied == 3)
        #expect(applied.samplesDropped == r1.samples + r2.samples)
        #expect(applied.seriesRemoved == 2)
        #expect(try store.pendingDeletions().isEmpty)
        try store.close()
        store = try MetricStore(directory: dir.path, options: options())
        let statsAfter = try store.stats()
        #expect(statsAfter.samples == statsBefore.samples - r1.samples - r2.samples)
        #expect(statsAfter.series == statsBefore.series - 2)
        #expect(try everything(store) == [y: before[y]!, labels("h", ("job", "y")): []])
        #expect(store.verify().isEmpty)

        // After applying, new samples in the range show.
        #expect(try store.append(x, [Sample(2 * Self.hour, 7)]).accepted == 1)
        #expect(try everything(store)[x] == [Sample(2 * Self.hour, 7)])
    }

    @Test func corruptTombstoneIsAnErrorNamingTheManifest() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var store = try filled(dir)
        // A tombstone with matcher kind 9: the manifest's checksum is right, the bytes are not.
        try store.segments.publish(adding: [], removing: [], changingState: { $0.tombstones.append([1, 1, 9, 1, 0x61, 0, 0, 0]) })
        for _ in 0..<2 {
            #expect {
                _ = try store.select([.equal("job", "x")], from: Int64.min, through: Int64.max)
            } throws: { e in
                "\(e)".contains("MANIFEST") && "\(e)".contains("kind 9")
            }
            #expect(throws: MetricStoreError.self) { try store.labelValues("job") }
            #expect(throws: MetricStoreError.self) { try store.pendingDeletions() }
            #expect(throws: MetricStoreError.self) { try store.applyDeletions() }
            try store.close()
            store = try MetricStore(directory: dir.path, options: options())
        }
    }

    @Test func tombstoneBytesRoundTripAndBadBytesNeverTrap() async throws {
        let d = MetricDeletion(
            matchers: [.equal("__name__", "up"), try LabelMatcher(.notRegex, "job", "a|b.*"), try LabelMatcher(.notEqual, "é", "")],
            start: -5, end: Int64.max)
        #expect(d.encoded.first == 1)
        #expect(try MetricDeletion(encoded: d.encoded) == d)
        // Every truncation and every single-byte change either decodes or throws.
        let bytes = d.encoded
        for n in 0..<bytes.count { #expect(throws: FormatError.self) { try MetricDeletion(encoded: Array(bytes[0..<n])) } }
        #expect(throws: FormatError.self) { try MetricDeletion(encoded: bytes + [0]) }
        await propertyCheck(input: Gen.uint8().array(of: 0...40)) { junk in
            _ = try? MetricDeletion(encoded: junk)
            var flipped = bytes
            if !junk.isEmpty { flipped[Int(junk[0]) % bytes.count] ^= junk.last! | 1 }
            _ = try? MetricDeletion(encoded: flipped)
        }
    }

    @Test func oversizedDeletionIsRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try MetricStore(directory: dir.path, options: options())
        let big = MetricDeletion(matchers: [.equal("job", String(repeating: "a", count: 1100))])
        #expect(throws: MetricStoreError.self) { try store.delete(big) }
        #expect(try store.pendingDeletions().isEmpty)
    }
}
