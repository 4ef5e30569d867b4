import StrataEncoding
import StrataLabels
import StrataStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One merge of a compaction: the segments it read and the one it wrote.
public struct LogCompactionStep: Sendable, Equatable {
    /// The input segment files, oldest first.
    public var inputs: [String]
    /// Records and file bytes of the inputs.
    public var records: Int
    public var inputBytes: Int
    /// The output segment file (nil in a dry run) and its bytes (0 in a dry run).
    public var output: String?
    public var outputBytes: Int
    /// Raw line bytes the step rewrote.
    public var rawBytes: Int
    /// Wall seconds of the step (0 in a dry run).
    public var seconds: Double
}

/// What `LogStore.compact` did, or would do (`dryRun`).
public struct LogCompactionReport: Sendable, Equatable {
    public var steps: [LogCompactionStep] = []
    /// Live segments before and after.
    public var segmentsBefore = 0
    public var segmentsAfter = 0
    /// The largest file a step wrote (or, in a dry run, the sum of the inputs of the largest
    /// step: an output is at most about as large as its inputs). A compaction never needs more
    /// free disk than this.
    public var peakExtraBytes = 0
    public init() {}
}

extension LogStore {
    /// Merges small segments into larger ones: segments are taken in time order, and runs of
    /// neighbours are merged while the output stays under `options.compactionTargetBytes` of
    /// raw text and within `options.compactionWindow` of time. A segment at least half the
    /// target is left as it is. Each merge reads its inputs, writes one segment with its own
    /// dictionary and indexes, and publishes it in the same manifest write that retires the
    /// inputs, so a crash at any moment leaves either the inputs or the output, never both or
    /// neither (`SegmentSet`), and leftovers are removed at the next open.
    ///
    /// Appends, flushes and queries go on meanwhile. A query that opened a segment before a
    /// merge retired it keeps reading it (the file is mapped); `LogRecordID`s of merged
    /// records change (ids are positions in a segment).
    /// - Parameters:
    ///   - dryRun: plan only: report what would be merged, write nothing.
    ///   - progress: called after each step with the steps done and planned.
    /// - Throws: `LogStoreError.storage` when a segment cannot be read or written (a full disk:
    ///   the error says how many bytes the output needed). Steps done before it stay done; the
    ///   failed step leaves its inputs live.
    @discardableResult
    public func compact(dryRun: Bool = false, progress: ((Int, Int) -> Void)? = nil) throws(LogStoreError)
        -> LogCompactionReport
    {
        if options.readOnly && !dryRun { throw LogStoreError.readOnly }
        return try compacting.withLock { _ throws(LogStoreError) -> LogCompactionReport in
            try compactLocked(dryRun: dryRun, progress: progress)
        }
    }

    private func compactLocked(dryRun: Bool, progress: ((Int, Int) -> Void)?) throws(LogStoreError) -> LogCompactionReport {
        var report = LogCompactionReport()
        let entries = segments.entries.filter { $0.kind == LogSegmentFormat.segmentKind }
        report.segmentsBefore = entries.count
        let runs = LogStore.compactionRuns(
            entries, targetRawBytes: options.compactionTargetBytes, window: options.compactionWindow.rawUnits(1))
        for (k, run) in runs.enumerated() {
            let raw = run.reduce(0) { $0 + LogStore.rawBytes(of: $1) }
            let inputBytes = run.reduce(0) { $0 + Int(clamping: $1.sizeBytes) }
            var step = LogCompactionStep(
                inputs: run.map(\.name), records: run.reduce(0) { $0 + Int(clamping: $1.recordCount) }, inputBytes: inputBytes,
                output: nil, outputBytes: 0, rawBytes: raw, seconds: 0)
            if dryRun {
                report.peakExtraBytes = max(report.peakExtraBytes, inputBytes)
            } else {
                let start = ContinuousClock.now
                let (name, size) = try merge(run)
                step.output = name
                step.outputBytes = size
                step.seconds = (ContinuousClock.now - start).inSeconds
                report.peakExtraBytes = max(report.peakExtraBytes, size)
            }
            report.steps.append(step)
            progress?(k + 1, runs.count)
        }
        report.segmentsAfter = dryRun ? report.segmentsBefore - runs.reduce(0) { $0 + $1.count - 1 } : segments.entries.count
        return report
    }

    /// The merges a compaction makes: runs of at least two segments that are neighbours in
    /// ordering-key order (the order they were written in), so that the output, which takes the
    /// smallest key of its run, keeps records with equal timestamps where they were.
    static func compactionRuns(_ entries: [SegmentEntry], targetRawBytes: Int, window: Int64) -> [[SegmentEntry]] {
        func key(_ e: SegmentEntry) -> UInt64 { orderKey(e, number: FileNames.parseSegment(e.name)?.0 ?? 0) }
        let sorted = entries.sorted { (key($0), $0.name) < (key($1), $1.name) }
        return CompactionRuns.plan(sorted, target: targetRawBytes, window: window, weight: rawBytes(of:))
    }

    /// Raw line bytes of a segment, from its manifest entry.
    static func rawBytes(of e: SegmentEntry) -> Int {
        var r = ByteReader(e.metadata)
        return (try? r.readVarint()).map { Int(clamping: $0) } ?? 0
    }


    /// Reads `run`, writes its records (sorted by time; ties keep segment then row order) as one
    /// segment, and publishes it in place of the run. The inputs are each sorted by time: they are
    /// merged as they are read, one decoded block per input in memory, into the block-by-block
    /// encoder.
    private func merge(_ run: [SegmentEntry]) throws(LogStoreError) -> (name: String, size: Int) {
        var stats = LogSearchStats()
        // In ordering-key order (the order a query puts ties in): at equal timestamps the input
        // earlier in this order goes first, then row order.
        var keyed: [(number: UInt64, key: UInt64, entry: SegmentEntry)] = []
        for e in run {
            guard let (number, _) = FileNames.parseSegment(e.name) else {
                throw LogStoreError.corrupt(path: segments.path(of: e.name), offset: 0, detail: "not a segment file name")
            }
            keyed.append((number, LogStore.orderKey(e, number: number), e))
        }
        keyed.sort { $0.key < $1.key }
        var inputs: [MergeInput] = []
        for (number, _, e) in keyed {
            let reader = try LogSegmentReader(number: number, path: segments.path(of: e.name), fs: fs)
            var input = MergeInput(reader: reader, blocks: try reader.blocks())
            try input.refill(&stats)
            inputs.append(input)
        }
        var encoder = segmentWriter.encoder()
        let blockRows = max(1, options.rowsPerBlock)
        var pending: [LogRecord] = []
        pending.reserveCapacity(blockRows)
        while true {
            var best = -1
            for k in inputs.indices where inputs[k].position < inputs[k].records.count {
                if best < 0 || inputs[k].records[inputs[k].position].timestamp < inputs[best].records[inputs[best].position].timestamp {
                    best = k
                }
            }
            if best < 0 { break }
            pending.append(inputs[best].records[inputs[best].position])
            inputs[best].position += 1
            if inputs[best].position == inputs[best].records.count { try inputs[best].refill(&stats) }
            if pending.count == blockRows {
                encoder.addBlock(pending[...])
                pending.removeAll(keepingCapacity: true)
            }
        }
        encoder.addBlock(pending[...])
        let (bytes, summary) = encoder.finish()
        let entry = try writeSegment(bytes, summary, level: (run.map(\.level).max() ?? 0) &+ 1, orderKey: keyed.first?.key ?? 0)
        let name = entry.name
        do throws(StorageError) {
            try segments.publish(adding: [entry], removing: run.map(\.name))
        } catch {
            throw LogStoreError.storage(error.withSpaceNeeded(Int(clamping: entry.sizeBytes)))
        }
        // Readers of the retired inputs go; queries that hold one keep their mapping.
        retire(run.map(\.name), numbers: keyed.map(\.number))
        return (name, Int(clamping: entry.sizeBytes))
    }
}

/// One input of a merge: its blocks, decoded one at a time.
private struct MergeInput {
    let reader: LogSegmentReader
    let blocks: [LogSegmentReader.Block]
    var next = 0
    var records: [LogRecord] = []
    var position = 0

    init(reader: LogSegmentReader, blocks: [LogSegmentReader.Block]) {
        self.reader = reader
        self.blocks = blocks
    }

    /// Decodes the next non-empty block (none left: `records` empty).
    mutating func refill(_ stats: inout LogSearchStats) throws(LogStoreError) {
        records.removeAll(keepingCapacity: true)
        position = 0
        while records.isEmpty && next < blocks.count {
            let block = blocks[next]
            let cursor = LogBlockCursor(reader, next, block)
            for i in 0..<block.rowCount { records.append(try cursor.record(i, &stats)) }
            next += 1
        }
    }
}
