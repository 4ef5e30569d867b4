import Foundation
import StrataLabels
import StrataStorage
import Testing

@testable import StrataLogs

/// Compaction of the log store: merged segments answer exactly as one ingest of the same
/// records, and a failed step (a full disk, a failed manifest write) leaves the store as it was.
@Suite struct LogCompactionTests {
    /// Deterministic records: timestamps in a few minutes (with ties), three streams, fields, ids.
    func records(seed: UInt64, count: Int) -> [LogRecord] {
        var rng = SplitMix(seed)
        return (0..<count).map { i in
            let t = Int64(1_000_000_000 + Int(rng.next() % 300) * 1_000_000_000 + Int(rng.next() % 3))
            let host = ["h1", "h2", "h3"][Int(rng.next() % 3)]
            let id = String(format: "%08x-%04x-%04x-%04x-%012x", rng.next() % 0xFFFF_FFFF, rng.next() % 0xFFFF, rng.next() % 0xFFFF,
                            rng.next() % 0xFFFF, rng.next() % 0xFFFF_FFFF_FFFF)
            let text = i % 5 == 0 ? "ERROR failed to bind port \(id) on host \(host)" : "INFO GET /v2/images/\(id) status: 200 time: 0.\(rng.next() % 1000)"
            return LogFixtures.record(t, text, host: host, fields: [LogField("request_id", "req-\(id)"), LogField("pid", "\(rng.next() % 5)")])
        }
    }

    /// Everything a reader can see, oldest first: time, stream, line and fields of every record.
    func everything(_ store: LogStore) throws -> [String] {
        try store.search(LogQuery(limit: 0, direction: .forward)).hits.map {
            "\($0.record.timestamp) \($0.record.stream) \(String(decoding: $0.record.line, as: UTF8.self)) \($0.record.fields.map { "\($0.name)=\($0.value)" })"
        }
    }

    func answers(_ store: LogStore, _ probe: LogRecord) throws -> [Int] {
        let id = probe.fields.first { $0.name == "request_id" }!.value
        return [
            try store.count(LogQuery()),
            try store.count(LogQuery(lineFilters: [LineFilter(.contains, "ERROR")])),
            try store.count(LogQuery(fieldFilters: [FieldFilter("request_id", .equal, .string(id))])),
            try store.count(LogQuery(streams: [.equal("host", "h2")], lineFilters: [LineFilter(.matches, "status: [0-9]+")])),
            try store.countOverTime(LogQuery(), start: 0, end: 400_000_000_000, step: 60_000_000_000).flatMap(\.counts).reduce(0, +),
        ]
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func compactedSegmentsAnswerAsOneIngest(seed: UInt64) throws {
        let (a, b) = (LogScratch(), LogScratch())
        defer { a.cleanup(); b.cleanup() }
        let recs = records(seed: seed, count: 1_500)
        var o = LogFixtures.options(durability: .none)
        o.rowsPerBlock = 64
        // a: many small flushes (ingest pieces), then a compaction; b: one ingest.
        let piecewise = try LogStore(directory: a.path, options: o)
        var i = 0, piece = 0
        var rng = SplitMix(seed ^ 0xABCD)
        while i < recs.count {
            let n = 1 + Int(rng.next() % 200)
            try piecewise.append(Array(recs[i..<min(recs.count, i + n)]))
            try piecewise.flush()
            i += n
            piece += 1
        }
        let whole = try LogStore(directory: b.path, options: o)
        try whole.append(recs)
        try whole.flush()
        #expect(try piecewise.stats().segments == piece)
        let expected = try everything(whole)
        #expect(try everything(piecewise) == expected, "before compaction")

        let dry = try piecewise.compact(dryRun: true)
        #expect(dry.steps.count == 1 && dry.steps[0].inputs.count == piece && dry.segmentsAfter == 1)
        #expect(try piecewise.stats().segments == piece, "a dry run writes nothing")

        let report = try piecewise.compact()
        #expect(report.segmentsBefore == piece && report.segmentsAfter == 1)
        #expect(report.steps.map(\.records) == [recs.count])
        #expect(try everything(piecewise) == expected, "after compaction")
        #expect(try answers(piecewise, recs[7]) == answers(whole, recs[7]))
        #expect(piecewise.verify().isEmpty)
        try piecewise.close()

        let reopened = try LogStore(directory: a.path, options: o)
        #expect(try everything(reopened) == expected, "after reopening")
        #expect(try reopened.stats().segments == 1)
        #expect(try reopened.stats().records == recs.count)
        let files = try FileManager.default.contentsOfDirectory(atPath: a.path).filter { $0.hasSuffix(".logs") }
        #expect(files.count == 1, "retired inputs are deleted: \(files)")
        // Nothing left to merge.
        #expect(try reopened.compact().steps.isEmpty)
    }

    /// Records with equal timestamps keep their order when only some segments merge: the output
    /// takes the smallest ordering key of its (neighbouring) inputs.
    @Test func tiesKeepTheirOrderWhenSomeSegmentsMerge() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        var o = LogFixtures.options(durability: .none)
        let line = "INFO tie at ten in segment"
        o.compactionTargetBytes = (line.count + 2) * 4 * 5 / 2  // two pieces fit, three do not
        let store = try LogStore(directory: dir.path, options: o)
        for k in 1...3 {
            try store.append((0..<4).map { i in LogFixtures.record(10, "\(line) \(k)\(i)") })
            try store.flush()
        }
        let order = { try store.search(LogQuery(limit: 0, direction: .forward)).hits.map { String(decoding: $0.record.line, as: UTF8.self) } }
        let before = try order()
        let report = try store.compact()
        #expect(report.steps.map(\.inputs.count) == [2], "\(report)")
        #expect(try order() == before)
        #expect(try LogStore(directory: dir.path, options: o).search(LogQuery(limit: 0, direction: .forward)).hits.map {
            String(decoding: $0.record.line, as: UTF8.self)
        } == before)
    }

    @Test func sizeAndWindowLimitTheMerges() throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        var o = LogFixtures.options(durability: .none)
        o.compactionWindow = .seconds(7_200)
        let store = try LogStore(directory: dir.path, options: o)
        // Six hourly pieces, 40 minutes each: two span 1 h 40 min, three 2 h 40 min, so a 2 h
        // window merges pairs.
        for h in 0..<6 {
            let t0 = Int64(h) * 3_600_000_000_000
            try store.append((0..<50).map { LogFixtures.record(t0 + Int64($0) * 48_000_000_000, "INFO tick \($0)") })
            try store.flush()
        }
        let runs = try store.compact(dryRun: true).steps.map(\.inputs.count)
        #expect(runs.allSatisfy { $0 == 2 } && runs.count == 3, "\(runs)")
        // Outputs capped by size: a target below two pieces' raw bytes merges nothing.
        var small = o
        small.compactionWindow = .seconds(86_400)
        small.compactionTargetBytes = 1_000
        let capped = try LogStore(directory: dir.path, options: small)
        #expect(try capped.compact(dryRun: true).steps.isEmpty)
    }

    /// A fault at each write-side call of a compaction step leaves the inputs live and the
    /// records once, before and after reopening; a full disk says how many bytes were needed.
    /// (operation, errno, calls of it that succeed first): the output's write, fsync and rename,
    /// the directory fsyncs, and the manifest's own write and rename (the second of each).
    @Test(arguments: [
        (FaultInjectingFileSystem.Operation.write, ENOSPC, 0), (.write, ENOSPC, 1), (.fsync, EIO, 0), (.fsync, EIO, 1),
        (.rename, EIO, 0), (.rename, EIO, 1), (.fsyncDirectory, EIO, 0), (.fsyncDirectory, EIO, 1),
    ])
    func aFailedStepLeavesTheStoreAsItWas(operation: FaultInjectingFileSystem.Operation, errno: Int32, skipping: Int) throws {
        let dir = LogScratch()
        defer { dir.cleanup() }
        let fs = FaultInjectingFileSystem()
        let o = LogFixtures.options(durability: .none)
        let recs = records(seed: 9, count: 600)
        let store = try LogStore(directory: dir.path, options: o, fileSystem: fs)
        for k in 0..<4 {
            try store.append(Array(recs[(k * 150)..<((k + 1) * 150)]))
            try store.flush()
        }
        let before = try everything(store)
        fs.inject(operation, skipping: skipping, errno: errno)
        do {
            try store.compact()
            // A failed directory fsync after the manifest rename may leave the publish in place.
            #expect(operation == .fsyncDirectory, "the injected \(operation) failure was not reported")
        } catch {
            #expect(error.storageError != nil, "\(error)")
            if errno == ENOSPC { #expect(error.description.contains("needed"), "\(error)") }
        }
        #expect(try everything(store) == before)
        let reopened = try LogStore(directory: dir.path, options: o)
        #expect(try everything(reopened) == before)
        #expect(reopened.verify().isEmpty)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        // The store compacts once the fault is gone.
        #expect(try reopened.compact().segmentsAfter == 1)
        #expect(try everything(reopened) == before)
    }
}

/// A tiny deterministic generator for test data.
struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
