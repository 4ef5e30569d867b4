import StrataEncoding
import StrataLabels
import StrataStorage

/// One merge of a trace compaction: the span segments it read and the one it wrote.
public struct TraceCompactionStep: Sendable, Equatable {
    public var inputs: [String]
    /// Spans and file bytes of the inputs.
    public var spans: Int
    public var inputBytes: Int
    /// The output segment (nil in a dry run) and its bytes.
    public var output: String?
    public var outputBytes: Int
    public var seconds: Double
}

/// What `TraceStore.compact` did, or would do (`dryRun`).
public struct TraceCompactionReport: Sendable, Equatable {
    public var steps: [TraceCompactionStep] = []
    public var segmentsBefore = 0
    public var segmentsAfter = 0
    /// The largest segment a step wrote (a dry run: the inputs of the largest step).
    public var peakExtraBytes = 0
    public init() {}
}

extension TraceStore {
    /// Merges small span segments: segments are taken in time order and runs of neighbours
    /// merged while the output holds at most `options.compactionTargetSpans` spans within
    /// `options.compactionWindow` of time (a segment of at least half the target is left alone).
    /// The parts of a trace that flushes split over several segments become one trace in one
    /// block. Every span is kept as it was, starts or stops stored alone included, and the
    /// output lists the trace_ids its inputs listed as completed, so searches, lookups and
    /// `stats()` answer as before. Each merge is published in the manifest write that retires
    /// its inputs (a crash leaves the inputs or the output); one compaction runs at a time.
    /// - Throws: `TraceStoreError.storage` when a segment cannot be read or written (a full disk
    ///   says how many bytes the output needed); steps done before stay done.
    @discardableResult
    public func compact(dryRun: Bool = false) throws(TraceStoreError) -> TraceCompactionReport {
        if options.readOnly && !dryRun { throw TraceStoreError.readOnly }
        return try compacting.withLock { _ throws(TraceStoreError) -> TraceCompactionReport in
            var report = TraceCompactionReport()
            let entries = segments.entries.filter { $0.kind == TraceStore.segmentKind }
            report.segmentsBefore = entries.count
            let runs = TraceStore.compactionRuns(
                entries, targetSpans: options.compactionTargetSpans, window: options.compactionWindow.rawUnits(1_000))
            for run in runs {
                let inputBytes = run.reduce(0) { $0 + Int($1.sizeBytes) }
                var step = TraceCompactionStep(
                    inputs: run.map(\.name), spans: run.reduce(0) { $0 + Int($1.recordCount) }, inputBytes: inputBytes,
                    output: nil, outputBytes: 0, seconds: 0)
                if dryRun {
                    report.peakExtraBytes = max(report.peakExtraBytes, inputBytes)
                } else {
                    let start = ContinuousClock.now
                    (step.output, step.outputBytes) = try merge(run)
                    step.seconds = (ContinuousClock.now - start).inSeconds
                    report.peakExtraBytes = max(report.peakExtraBytes, step.outputBytes)
                }
                report.steps.append(step)
            }
            report.segmentsAfter = report.segmentsBefore - runs.reduce(0) { $0 + $1.count - 1 }
            return report
        }
    }

    /// Runs of at least two segments to merge, each in time order.
    static func compactionRuns(_ entries: [SegmentEntry], targetSpans: Int, window: Int64) -> [[SegmentEntry]] {
        let sorted = entries.sorted { ($0.minTime, $0.name) < ($1.minTime, $1.name) }
        return CompactionRuns.plan(sorted, target: targetSpans, window: window) { Int(clamping: $0.recordCount) }
    }

    /// Reads every span of `run`, writes them as one segment listing the inputs' completed
    /// trace_ids, and publishes it in place of the run.
    private func merge(_ run: [SegmentEntry]) throws(TraceStoreError) -> (String, Int) {
        var table = SpanTable()
        var completed = Set<TraceID>()
        var newTraces = 0
        do throws(StorageError) {
            for e in run {
                let reader = try TraceSegmentReader(path: segments.path(of: e.name), fs: fs)
                for b in 0..<(try reader.blocks.count) {
                    for s in try reader.spans(inBlock: b) { table.append(s, event: 0) }
                }
                completed.formUnion(try reader.completed)
                newTraces += SegmentMetadata(decoding: e.metadata).newTraces
            }
        } catch {
            throw TraceStoreError.storage(error)
        }
        let rows = TraceSegmentWriter.sortedRows(table, Array(table.spans.indices))
        let (bytes, stats) = TraceSegmentWriter.encode(table, rows, blockSpans: options.blockSpans, completed: completed.sorted())
        let name = segments.nextSegmentName(ext: TraceStore.segmentExtension)
        do throws(StorageError) {
            try AtomicFile.write(bytes, to: segments.path(of: name), fs: fs)
            // A trace in several inputs counted as new in the oldest of them only: the sum keeps
            // `stats()`'s count of traces.
            let meta = SegmentMetadata(traces: stats.traceCount, newTraces: min(newTraces, stats.traceCount)).encoded()
            let entry = SegmentEntry(
                name: name, kind: TraceStore.segmentKind, level: (run.map(\.level).max() ?? 0) &+ 1, minTime: stats.minStart,
                maxTime: max(stats.minStart, stats.maxEnd), sizeBytes: UInt64(bytes.count), recordCount: UInt64(stats.spanCount),
                metadata: meta)
            try segments.publish(adding: [entry], removing: run.map(\.name))
        } catch {
            throw TraceStoreError.storage(error.withSpaceNeeded(bytes.count))
        }
        for e in run { readers.remove(path: segments.path(of: e.name)) }
        return (name, bytes.count)
    }
}
