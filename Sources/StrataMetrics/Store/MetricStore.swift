import StrataEncoding
import StrataLabels
import StrataStorage
import Synchronization

/// The metric store: an append-only, durable store of Prometheus-model series.
///
/// Recent samples live in the head (memory, backed by the WAL); older ones are cut into
/// immutable, time-partitioned blocks named by the directory's manifest. Selections
/// merge the head and the blocks and decode chunks lazily.
///
/// ```swift
/// let store = try MetricStore(directory: "/var/lib/strata/metrics")
/// let ref = try store.seriesRef(for: try Labels(validating: ["__name__": "up", "job": "node"]))
/// var batch = SampleBatch()
/// batch.append(ref, .milliseconds(1_700_000_000_000), 1)
/// let summary = try store.append(batch)     // acknowledged: in the WAL on disk
/// let set = try store.select([.equal("job", "node")], from: .distantPast, through: .now)
/// ```
///
/// The store is safe to use from many tasks; appends are serialised.
/// The caller owns exclusive access to the directory (see `Database`, which holds the lock).
public final class MetricStore: Sendable {
    /// The directory this store keeps its files in.
    public let directory: String
    public let options: MetricStoreOptions
    let fs: any FileSystem
    let segments: SegmentSet
    let state: Mutex<State>
    /// Open block readers (their decoded symbol, series and postings tables), within
    /// `options.readerCacheBytes`.
    let readers: DecodedCache
    /// Held by `compact()`: one compaction at a time.
    let compacting = Mutex(())
    /// The pending deletions last decoded from the manifest's store state (MetricStore+Deletion.swift).
    let tombstoneCache = Mutex(TombstoneCache())

    struct State: ~Copyable {
        var head = Head()
        var wal: WriteAheadLog?
        var failure: StorageError?
        var recovery: [String] = []
    }

    /// Opens (or creates) the store in `directory`: reads the manifest, removes files a
    /// crash left unpublished, recovers the WAL (truncating a torn tail) and replays it.
    /// - Throws: `MetricStoreError.storage` when a file cannot be read or the manifest is corrupt.
    public init(
        directory: String, options: MetricStoreOptions = MetricStoreOptions(), fileSystem: any FileSystem = SystemFileSystem()
    ) throws(MetricStoreError) {
        self.directory = directory
        self.options = options
        self.fs = fileSystem
        readers = DecodedCache(budget: options.readerCacheBytes)
        var head = Head()
        let opened = try MetricStoreError.catching(at: directory) {
            try StoreWAL.openStore(
                directory: directory, fs: fileSystem, readOnly: options.readOnly, durability: options.durability,
                walSegmentSize: options.walSegmentSize
            ) { type, payload in try MetricStore.replay(type, payload, into: &head) }
        }
        segments = opened.segments
        for e in segments.snapshot().entries { head.observe(maxTime: e.maxTime) }
        var st = State()
        st.head = head
        if let report = opened.wal.recovery { st.recovery.append(report) }
        st.wal = opened.wal.wal
        state = Mutex(st)
    }

    /// What WAL recovery repaired when the store was opened (one line per problem).
    public var recoveryReport: [String] { state.withLock { $0.recovery } }

    // MARK: Writing

    /// The ref of `labels`, registering (and logging) the series if it is new.
    /// - Throws: `MetricStoreError.seriesLimit` when the store is full.
    public func seriesRef(for labels: Labels) throws(MetricStoreError) -> SeriesRef {
        try MetricStoreError.catching(at: directory) {
            if options.readOnly { throw MetricStoreError.readOnly }
            return try state.withLock { st throws -> SeriesRef in
                if let r = st.head.ref(of: labels) { return SeriesRef(r) }
                if let f = st.failure { throw MetricStoreError.failed(f) }
                guard st.head.seriesCount < options.seriesLimit else {
                    throw MetricStoreError.seriesLimit(limit: options.seriesLimit, labels: labels)
                }
                let r = st.head.register(labels)
                if let wal = st.wal, options.durability != .none {
                    var w = ByteWriter(capacity: 64)
                    MetricWALRecord.encodeSeries([(r, labels)], into: &w)
                    do throws(StorageError) {
                        try options.durability.log(to: wal, failure: &st.failure) { wal throws(StorageError) in
                            try wal.append(type: MetricWALRecord.series, payload: w.bytes)
                        }
                    } catch {
                        throw MetricStoreError.failed(error)
                    }
                }
                return SeriesRef(r)
            }
        }
    }

    /// Makes every append acknowledged so far durable: writes the WAL's buffer and fsyncs it. With
    /// `durability: .buffered`, a server calls it once for many appends (group commit) and
    /// acknowledges them after it returns. A failure leaves the store refusing writes, as a failed
    /// fsync inside an append does. A no-op without a WAL.
    public func syncWAL() throws(MetricStoreError) {
        try MetricStoreError.catching(at: directory) {
            if options.readOnly { return }
            let file = try state.withLock { st throws -> OpenFile? in
                if let f = st.failure { throw MetricStoreError.failed(f) }
                do throws(StorageError) { return try st.wal?.flushForDetachedSync() } catch {
                    st.failure = error
                    throw MetricStoreError.failed(error)
                }
            }
            guard let file else { return }
            defer { fs.close(file) }
            do throws(StorageError) { try fs.fsync(file) } catch {
                state.withLock { $0.failure = error }
                throw MetricStoreError.failed(error)
            }
        }
    }

    /// The labels of a series registered with `seriesRef(for:)`.
    public func labels(of ref: SeriesRef) -> Labels? {
        state.withLock { st in st.head.isValid(ref.raw) ? st.head.series[Int(ref.raw)].labels : nil }
    }

    /// The refs of many series at once, registering the new ones with one WAL record (what a
    /// remote_write request with thousands of new series needs: one write, not one per series).
    /// - Returns: a ref per label set, in order; nil for a new series past `options.seriesLimit`.
    public func seriesRefs(for labelSets: [Labels]) throws(MetricStoreError) -> [SeriesRef?] {
        try MetricStoreError.catching(at: directory) {
            if options.readOnly { throw MetricStoreError.readOnly }
            return try state.withLock { st throws -> [SeriesRef?] in
                if let f = st.failure { throw MetricStoreError.failed(f) }
                var out: [SeriesRef?] = []
                out.reserveCapacity(labelSets.count)
                var added: [(ref: UInt32, labels: Labels)] = []
                for labels in labelSets {
                    if let r = st.head.ref(of: labels) {
                        out.append(SeriesRef(r))
                    } else if st.head.seriesCount < options.seriesLimit {
                        let r = st.head.register(labels)
                        added.append((r, labels))
                        out.append(SeriesRef(r))
                    } else {
                        out.append(nil)
                    }
                }
                if !added.isEmpty, let wal = st.wal, options.durability != .none {
                    do throws(StorageError) {
                        try options.durability.log(to: wal, failure: &st.failure) { wal throws(StorageError) in
                            try wal.append(type: MetricWALRecord.series) { w in MetricWALRecord.encodeSeries(added, into: &w) }
                        }
                    } catch {
                        throw MetricStoreError.failed(error)
                    }
                }
                return out
            }
        }
    }

    /// Appends a batch. Returns once every accepted sample is durable per `options.durability`.
    /// Samples older than the out-of-order window, or at a time the series already has with
    /// another value, are rejected and reported in the summary; exact duplicates are ignored.
    public func append(_ batch: SampleBatch) throws(MetricStoreError) -> AppendSummary {
        try MetricStoreError.catching(at: directory) {
            if options.readOnly { throw MetricStoreError.readOnly }
            let cutNeeded: Bool
            let summary: AppendSummary
            (summary, cutNeeded) = try state.withLock { st throws -> (AppendSummary, Bool) in
                if let f = st.failure { throw MetricStoreError.failed(f) }
                var sum = AppendSummary()
                let n = batch.count
                // Indices of samples not taken (rare); the WAL record is encoded from the batch minus these.
                var skipped: [Int] = []
                let logging = st.wal != nil && options.durability != .none
                let window = options.outOfOrderWindow
                try batch.refs.withUnsafeBufferPointer { refs in
                    try batch.timestamps.withUnsafeBufferPointer { ts in
                        try batch.values.withUnsafeBufferPointer { vs in
                            for i in 0..<n {
                                let r = refs[i], t = ts[i], v = vs[i]
                                guard st.head.isValid(r) else { throw MetricStoreError.unknownSeries(r) }
                                let hw = st.head.highWatermark
                                if hw > Int64.min &+ window && t < hw &- window {
                                    sum.tooOld += 1
                                    skipped.append(i)
                                    if sum.rejections.count < AppendSummary.maxListed {
                                        sum.rejections.append(
                                            AppendRejection(
                                                labels: st.head.series[Int(r)].labels, timestamp: t, value: v,
                                                reason: "out of bounds: older than the out-of-order window (\(window) ms before \(hw))"))
                                    }
                                    continue
                                }
                                switch st.head.add(ref: r, t, v) {
                                case .appended, .inserted:
                                    sum.accepted += 1
                                case .duplicate:
                                    sum.duplicatesIgnored += 1
                                    skipped.append(i)
                                case .conflict:
                                    sum.conflicts += 1
                                    skipped.append(i)
                                    if sum.rejections.count < AppendSummary.maxListed {
                                        sum.rejections.append(
                                            AppendRejection(
                                                labels: st.head.series[Int(r)].labels, timestamp: t, value: v,
                                                reason: "duplicate sample for timestamp with a different value"))
                                    }
                                }
                            }
                        }
                    }
                }
                if logging, let wal = st.wal, sum.accepted > 0 {
                    do throws(StorageError) {
                        try options.durability.log(to: wal, failure: &st.failure) { wal throws(StorageError) in
                            try wal.append(type: MetricWALRecord.samples) { w in
                                MetricWALRecord.encodeSamples(batch, skipping: skipped, into: &w)
                            }
                        }
                    } catch {
                        throw MetricStoreError.failed(error)
                    }
                }
                let head = st.head
                let needsCut = head.sampleCount > 0 && head.maxTime - head.minTime > options.blockRange * 3 / 2
                return (sum, needsCut)
            }
            if cutNeeded {
                try flush(before: alignDown(state.withLock { $0.head.maxTime } - options.blockRange / 2))
            }
            return summary
        }
    }

    /// Appends samples of one series given by labels (registers it when new).
    /// Appends native histogram samples to the series `labels` (logged in the WAL like float samples).
    /// Histograms older than the out-of-order window are rejected; an equal histogram at an existing
    /// timestamp is a duplicate, a different one a conflict.
    public func appendHistograms(_ labels: Labels, _ samples: [HistogramSample]) throws(MetricStoreError) -> AppendSummary {
        try MetricStoreError.catching(at: directory) {
            if options.readOnly { throw MetricStoreError.readOnly }
            let ref = try seriesRef(for: labels).raw
            let (summary, cutNeeded) = try state.withLock { st throws -> (AppendSummary, Bool) in
                if let f = st.failure { throw MetricStoreError.failed(f) }
                var sum = AppendSummary()
                var taken: [HistogramSample] = []
                let window = options.outOfOrderWindow
                for s in samples {
                    if let e = s.histogram.validationError() {
                        throw MetricStoreError.invalidHistogram(labels: labels, timestamp: s.timestamp, reason: e)
                    }
                    let hw = st.head.highWatermark
                    if hw > Int64.min &+ window && s.timestamp < hw &- window {
                        sum.tooOld += 1
                        continue
                    }
                    let h = st.head.withStorageHint(ref: ref, s.timestamp, s.histogram)
                    switch st.head.addHistogram(ref: ref, s.timestamp, h) {
                    case .appended, .inserted:
                        sum.accepted += 1
                        taken.append(HistogramSample(s.timestamp, h))
                    case .duplicate: sum.duplicatesIgnored += 1
                    case .conflict: sum.conflicts += 1
                    }
                }
                if let wal = st.wal, options.durability != .none, !taken.isEmpty {
                    var w = ByteWriter(capacity: taken.count * 64 + 16)
                    MetricWALRecord.encodeHistograms(ref: ref, taken[...], into: &w)
                    do throws(StorageError) {
                        try options.durability.log(to: wal, failure: &st.failure) { wal throws(StorageError) in
                            try wal.append(type: MetricWALRecord.histograms, payload: w.bytes)
                        }
                    } catch {
                        throw MetricStoreError.failed(error)
                    }
                }
                let head = st.head
                return (sum, head.sampleCount > 0 && head.maxTime - head.minTime > options.blockRange * 3 / 2)
            }
            if cutNeeded {
                try flush(before: alignDown(state.withLock { $0.head.maxTime } - options.blockRange / 2))
            }
            return summary
        }
    }

    public func append(_ labels: Labels, _ samples: [Sample]) throws(MetricStoreError) -> AppendSummary {
        let ref = try seriesRef(for: labels)
        var b = SampleBatch(capacity: samples.count)
        for s in samples { b.append(ref, milliseconds: s.timestamp, s.value) }
        return try append(b)
    }

    func alignDown(_ t: Int64) -> Int64 {
        let r = options.blockRange
        return t >= 0 ? t / r * r : -((-t + r - 1) / r) * r
    }

    /// Writes every head sample into blocks, one per aligned `blockRange` window, publishes
    /// them, and checkpoints the WAL.
    /// - Returns: the number of samples written.
    @discardableResult
    public func flush() throws(MetricStoreError) -> Int { try flush(before: Int64.max) }

    /// Writes every head sample older than `cutoff` into blocks, as `flush()` does.
    /// - Returns: the number of samples written.
    @discardableResult
    public func flush(before cutoff: Timestamp) throws(MetricStoreError) -> Int {
        try flush(before: cutoff.rawBound(unit: 1_000_000, roundingUp: true))
    }

    /// `flush(before:)` with the cutoff in raw Unix milliseconds: the path inside the package.
    @discardableResult
    package func flush(before cutoff: Int64) throws(MetricStoreError) -> Int {
        try MetricStoreError.catching(at: directory) {
            if options.readOnly { throw MetricStoreError.readOnly }
            return try state.withLock { st throws -> Int in
                if let f = st.failure { throw MetricStoreError.failed(f) }
                let cutHistograms = st.head.cutHistograms(before: cutoff)
                let cutData = st.head.cut(before: cutoff)
                if cutData.isEmpty && cutHistograms.isEmpty { return 0 }  // nothing to publish; the WAL already holds the head
                var windows: [Int64: [(Labels, [Int64], [Double])]] = [:]
                var histogramWindows: [Int64: [Labels: [HistogramSample]]] = [:]
                var total = 0
                for (ref, hs) in cutHistograms {
                    let labels = st.head.series[Int(ref)].labels
                    total += hs.count
                    for h in hs { histogramWindows[alignDown(h.timestamp), default: [:]][labels, default: []].append(h) }
                }
                for (ref, ts, vs) in cutData {
                    let labels = st.head.series[Int(ref)].labels
                    total += ts.count
                    var i = 0
                    while i < ts.count {
                        let w = alignDown(ts[i])
                        var j = i
                        while j < ts.count && ts[j] < w &+ options.blockRange { j += 1 }
                        windows[w, default: []].append((labels, Array(ts[i..<j]), Array(vs[i..<j])))
                        i = j
                    }
                }
                var added: [SegmentEntry] = []
                for w in Set(windows.keys).union(histogramWindows.keys).sorted() {
                    var list = windows[w] ?? []
                    var hist = histogramWindows[w] ?? [:]
                    for l in hist.keys where !list.contains(where: { $0.0 == l }) { list.append((l, [], [])) }
                    list.sort { $0.0 < $1.0 }
                    var bw = BlockWriter(maxChunkSamples: options.maxChunkSamples)
                    for (l, t, v) in list { bw.add(l, timestamps: t, values: v, histograms: hist.removeValue(forKey: l) ?? []) }
                    let (bytes, stats) = bw.finish()
                    let name = segments.nextSegmentName(ext: FileNames.metricBlockExtension)
                    try AtomicFile.write(bytes, to: segments.path(of: name), fs: fs)
                    added.append(
                        SegmentEntry(
                            name: name, kind: SegmentKind.metricBlock, level: 0, minTime: stats.minTime,
                            maxTime: stats.maxTime, sizeBytes: UInt64(bytes.count), recordCount: UInt64(stats.sampleCount),
                            metadata: MetricStore.encodeBlockMeta(stats)))
                }
                // Checkpoint: a fresh WAL segment that restates the series and what stays in the head,
                // published together with the blocks; older segments go once the manifest names the new start.
                var walStart: Int? = nil
                if let wal = st.wal {
                    walStart = Int(try wal.cut())
                    try MetricStore.writeCheckpoint(st.head, to: wal)
                    try wal.sync()
                }
                if !added.isEmpty || walStart != nil {
                    try segments.publish(adding: added, removing: [], walStart: walStart)
                }
                if let wal = st.wal, let walStart {
                    try wal.removeSegments(before: UInt32(walStart))
                }
                return total
            }
        }
    }

    /// Flushes the head to blocks when the WAL is off; with a WAL, just makes it durable.
    public func close() throws(MetricStoreError) {
        try MetricStoreError.catching(at: directory) {
            if options.readOnly { return }
            if options.durability == .none {
                try flush()
            } else {
                try state.withLock { st throws in try st.wal?.sync() }
            }
        }
    }
}
