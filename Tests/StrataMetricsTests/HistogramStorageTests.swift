import StrataEncoding
import StrataLabels
import StrataStorage
import Testing

@testable import StrataMetrics

/// Native histogram samples through the head, the WAL and blocks, and their byte layout.
@Suite("Native histogram storage")
struct HistogramStorageTests {
    /// `{{schema:1 sum:15 count:10 z_bucket:1 z_bucket_w:0.001 buckets:[3 2 5] offset:-1 n_buckets:[1 2]}}`
    static func sample(_ scale: Double = 1, hint: FloatHistogram.CounterResetHint = .unknown) -> FloatHistogram {
        var h = FloatHistogram()
        h.schema = 1
        h.sum = 15 * scale
        h.count = 13 * scale
        h.zeroCount = 1 * scale
        h.zeroThreshold = 0.001
        h.positiveSpans = [HistogramSpan(offset: -1, length: 3)]
        h.positiveBuckets = [3 * scale, 2 * scale, 5 * scale]
        h.negativeSpans = [HistogramSpan(offset: 0, length: 2)]
        h.negativeBuckets = [1 * scale, 1 * scale]
        h.counterResetHint = hint
        return h
    }

    static func custom(_ counts: [Double], bounds: [Double]) -> FloatHistogram {
        var h = FloatHistogram()
        h.schema = FloatHistogram.customBucketsSchema
        h.customValues = bounds
        h.count = counts.reduce(0, +)
        h.positiveSpans = [HistogramSpan(offset: 0, length: UInt32(counts.count))]
        h.positiveBuckets = counts
        return h
    }

    @Test func codecRoundTripsEveryFieldBitExactly() throws {
        var h = Self.sample()
        h.sum = Double(bitPattern: 0x7ff8_dead_beef_0001)
        h.counterResetHint = .gauge
        let c = Self.custom([1, 0, 4], bounds: [0.5, 1, 2.5])
        for original in [h, c, FloatHistogram()] {
            var w = ByteWriter()
            HistogramCodec.encode(original, into: &w)
            var r = ByteReader(w.bytes)
            let back = try HistogramCodec.decode(&r)
            #expect(r.isAtEnd)
            #expect(back.sum.bitPattern == original.sum.bitPattern)
            var a = back, b = original
            a.sum = 0
            b.sum = 0
            #expect(a == b)
        }
        let samples = (0..<50).map { HistogramSample(Int64($0) * 15_000 - 3, Self.sample(Double($0))) }
        let chunk = HistogramCodec.encodeChunk(samples[...])
        #expect(try HistogramCodec.decodeChunk(chunk, range: 0..<chunk.count, baseOffset: 0) == samples)
    }

    @Test func damagedChunksFailWithoutTrapping() throws {
        let samples = (0..<20).map { HistogramSample(Int64($0) * 1000, Self.sample(Double($0 + 1))) }
        let chunk = HistogramCodec.encodeChunk(samples[...])
        var failures = 0
        for i in 0..<chunk.count {
            var bad = chunk
            bad[i] ^= 0x5A
            do {
                _ = try HistogramCodec.decodeChunk(bad, range: 0..<bad.count, baseOffset: 100)
            } catch {
                failures += 1
                #expect(error.offset >= 100)
            }
        }
        // Every flipped byte is caught: header fields by validation, the payload by its CRC32C.
        #expect(failures == chunk.count)
        for n in 0..<chunk.count {
            #expect(throws: FormatError.self) { try HistogramCodec.decodeChunk(chunk, range: 0..<n, baseOffset: 0) }
        }
    }

    @Test func arithmeticFollowsPrometheus() throws {
        var notes = HistogramCombineNotes()
        // Different schemas: the sum takes the lower one (buckets merge pairwise).
        var fine = FloatHistogram()
        fine.schema = 1
        fine.count = 4
        fine.sum = 6
        fine.positiveSpans = [HistogramSpan(offset: 1, length: 4)]
        fine.positiveBuckets = [1, 1, 1, 1]  // indices 1...4 at schema 1
        var coarse = FloatHistogram()
        coarse.count = 2
        coarse.sum = 3
        coarse.positiveSpans = [HistogramSpan(offset: 1, length: 1)]
        coarse.positiveBuckets = [2]  // index 1 at schema 0: (1, 2]
        let s = try fine.adding(coarse, notes: &notes)
        #expect(s.schema == 0)
        #expect(s.count == 6 && s.sum == 9)
        // Schema-1 indices 1,2 -> schema-0 index 1; 3,4 -> index 2.
        #expect(s.buckets(positive: true).map(\.index) == [1, 2])
        #expect(s.buckets(positive: true).map(\.count) == [4, 2])
        let d = try s.subtracting(coarse, notes: &notes)
        #expect(d.count == 4 && d.buckets(positive: true).map(\.count) == [2, 2])
        #expect(s.scaled(by: 0.5).count == 3)

        // Zero buckets of different widths: the narrower widens, swallowing the buckets inside.
        var wide = FloatHistogram()
        wide.zeroThreshold = 1
        wide.zeroCount = 1
        wide.count = 1
        var narrow = FloatHistogram()
        narrow.zeroThreshold = 0.001
        narrow.zeroCount = 2
        narrow.count = 5
        narrow.positiveSpans = [HistogramSpan(offset: 0, length: 2)]
        narrow.positiveBuckets = [3, 0]  // (0.5, 1] and (1, 2]
        let z = try wide.adding(narrow, notes: &notes)
        #expect(z.zeroThreshold == 1 && z.zeroCount == 6 && z.count == 6)
        #expect(z.buckets(positive: true).allSatisfy { $0.index > 0 })

        // Custom bounds: mismatched bounds reconcile onto the shared ones; a mix with exponential fails.
        notes = HistogramCombineNotes()
        let a = Self.custom([1, 2, 3], bounds: [1, 2])
        let b = Self.custom([4, 5], bounds: [2])
        let c = try a.adding(b, notes: &notes)
        #expect(notes.customBoundsReconciled)
        #expect(c.customValues == [2] && c.buckets(positive: true).map(\.count) == [7, 8])
        #expect(throws: HistogramCombineError.mixedSchemas) { try a.adding(fine, notes: &notes) }

        // Counter-reset hints: reset + not-reset collide.
        notes = HistogramCombineNotes()
        _ = try Self.sample(hint: .counterReset).adding(Self.sample(hint: .notCounterReset), notes: &notes)
        #expect(notes.counterResetCollision)
    }

    @Test func resetDetection() {
        let h1 = Self.sample(1), h2 = Self.sample(2)
        #expect(!h2.detectsReset(after: h1))
        #expect(h1.detectsReset(after: h2))
        var lessInOneBucket = h2
        lessInOneBucket.positiveBuckets[1] = 1
        #expect(lessInOneBucket.detectsReset(after: h1))
        var hinted = h1
        hinted.counterResetHint = .notCounterReset
        #expect(!hinted.detectsReset(after: h2))
        var missing = h2
        missing.negativeSpans = []
        missing.negativeBuckets = []
        #expect(missing.detectsReset(after: h1))
    }

    @Test func histogramsGoThroughHeadBlocksAndTheWAL() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var o = MetricStoreOptions()
        o.durability = .buffered
        let l = labels("request_duration_seconds", ("job", "api"))
        let mixed = labels("mixed")
        let hs = (0..<30).map { HistogramSample(Int64($0) * 60_000, Self.sample(Double($0 + 1))) }
        do {
            let store = try MetricStore(directory: dir.path, options: o)
            _ = try store.append(mixed, [Sample(0, 1)])
            #expect(try store.appendHistograms(mixed, [HistogramSample(60_000, Self.sample())]).accepted == 1)
            _ = try store.append(mixed, [Sample(120_000, 3)])
            #expect(try store.appendHistograms(l, Array(hs[0..<20])).accepted == 20)
            try store.flush()  // to a block
            #expect(try store.appendHistograms(l, Array(hs[20...])).accepted == 10)  // stays in the head and WAL
            let dup = try store.appendHistograms(l, [hs[25], HistogramSample(hs[26].timestamp, Self.sample(99))])
            #expect(dup.duplicatesIgnored == 1 && dup.conflicts == 1)
            #expect(store.verify().isEmpty)
        }
        // Reopen: the WAL restores the head's histograms; the block holds the rest.
        let store = try MetricStore(directory: dir.path, options: o)
        let set = try store.select([try LabelMatcher(.equal, "__name__", "request_duration_seconds")], from: 0, through: .max)
        try #require(set.series.count == 1)
        let got = try set.series[0].histograms()
        #expect(got.map(\.timestamp) == hs.map(\.timestamp))
        // Stored as appended, with the counter reset hint a TSDB gives a run of histograms.
        #expect(got[0].histogram.counterResetHint == .unknown)
        #expect(got[1...].allSatisfy { $0.histogram.counterResetHint == .notCounterReset })
        var first = got[5].histogram
        first.counterResetHint = .unknown
        #expect(first == hs[5].histogram)
        let m = try store.select([try LabelMatcher(.equal, "__name__", "mixed")], from: 0, through: .max).series
        try #require(m.count == 1)
        #expect(try m[0].samples() == [Sample(0, 1), Sample(120_000, 3)])
        #expect(try m[0].histograms().map(\.timestamp) == [60_000])
        // A narrower window decodes only what lies inside it.
        let part = try store.select([try LabelMatcher(.equal, "job", "api")], from: 120_000, through: 240_000)
        try #require(part.series.count == 1)
        #expect(try part.series[0].histograms().map(\.timestamp) == [120_000, 180_000, 240_000])
        #expect(try store.stats().samples == 30 + 3)
        #expect(store.verify().isEmpty)
    }

    @Test func floatOnlyBlocksKeepVersionOneAndHistogramBlocksSayTwo() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var o = MetricStoreOptions()
        o.durability = .none
        let store = try MetricStore(directory: dir.path, options: o)
        _ = try store.append(labels("f"), [Sample(0, 1)])
        try store.flush()
        _ = try store.appendHistograms(labels("h"), [HistogramSample(1000, Self.sample())])
        try store.flush()
        let blocks = try SystemFileSystem().listDirectory(dir.path).filter { $0.hasSuffix(FileNames.metricBlockExtension) }.sorted()
        #expect(blocks.count == 2)
        let versions = try blocks.map { name -> UInt8 in
            let f = try MappedFile(path: dir.path + "/" + name)
            return f.bytes[4]
        }
        #expect(versions == [BlockFormat.version, BlockFormat.histogramVersion])
    }

    @Test func aDamagedHistogramChunkNamesTheFile() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var o = MetricStoreOptions()
        o.durability = .none
        do {
            let store = try MetricStore(directory: dir.path, options: o)
            _ = try store.appendHistograms(labels("h"), (0..<10).map { HistogramSample(Int64($0) * 1000, Self.sample()) })
            try store.close()
        }
        let name = try SystemFileSystem().listDirectory(dir.path).first { $0.hasSuffix(FileNames.metricBlockExtension) }!
        // The first record after the 8-byte header is the histogram chunk.
        flipByte(dir.path + "/" + name, at: 40)
        let store = try MetricStore(directory: dir.path, options: o)
        let set = try store.select([try LabelMatcher(.equal, "__name__", "h")], from: 0, through: .max)
        try #require(set.series.count == 1)
        #expect {
            _ = try set.series[0].histograms()
        } throws: { e in
            (e as? MetricStoreError)?.storageError?.path.hasSuffix(name) == true
        }
        #expect(!store.verify().isEmpty)
    }

    @Test func invalidHistogramsAreRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try MetricStore(directory: dir.path)
        var bad = Self.sample()
        bad.positiveBuckets.removeLast()
        #expect(throws: MetricStoreError.self) { try store.appendHistograms(labels("h"), [HistogramSample(0, bad)]) }
        #expect(try store.stats().samples == 0)
    }
}
