import StrataMetrics

/// One measured append pass: a fresh store with its series registered and every batch built,
/// so that `run()` times `MetricStore.append` alone.
///
/// A batch holds whole scrapes of every series. Within it, samples are scrape-major (one
/// sample of every series, then the next scrape), as a scraper delivers them, or series-major
/// (all of a series' samples together), as a remote-write request carries them. The pass must stay under 1.5 block ranges of data
/// (3 h at the default 2 h), or the store cuts a block inside `append`; `prepare` checks that.
public struct AppendRun {
    public let store: MetricStore
    public let batches: [SampleBatch]
    public let directory: String
    public let sampleCount: Int

    /// Builds a store in a new directory under `parent` and the batches of `w`.
    /// Series are registered through a buffered WAL and the store reopened with `durability`,
    /// so an fsync store does not pay one fsync per series in setup.
    public static func prepare(
        _ w: NodeLikeWorkload, durability: MetricStoreOptions.Durability, batchSize: Int, seriesMajor: Bool = false,
        parent: String? = nil
    ) throws -> AppendRun {
        let dir = ScratchDirectory.make(prefix: "strata-append", parent: parent)
        var options = MetricStoreOptions()
        options.durability = durability
        if let span = w.timestamps.first.map({ $0.last! - $0.first! }) {
            precondition(span <= options.blockRange * 3 / 2, "an append pass must not cross a block cut")
        }
        if durability != .none {
            var registering = options
            registering.durability = .buffered
            let s = try MetricStore(directory: dir, options: registering)
            for l in w.labels { _ = try s.seriesRef(for: l) }
            try s.close()
        }
        let store = try MetricStore(directory: dir, options: options)
        let refs = try w.labels.map { try store.seriesRef(for: $0) }
        let scrapes = w.values.first?.count ?? 0
        let perBatch = max(1, batchSize / max(1, w.seriesCount))
        var batches: [SampleBatch] = []
        var k = 0
        while k < scrapes {
            let end = min(scrapes, k + perBatch)
            var b = SampleBatch(capacity: (end - k) * w.seriesCount)
            if seriesMajor {
                for s in 0..<w.seriesCount {
                    for i in k..<end { b.append(refs[s], milliseconds: w.timestamps[w.hostOf[s]][i], w.values[s][i]) }
                }
            } else {
                for i in k..<end {
                    for s in 0..<w.seriesCount { b.append(refs[s], milliseconds: w.timestamps[w.hostOf[s]][i], w.values[s][i]) }
                }
            }
            batches.append(b)
            k = end
        }
        return AppendRun(store: store, batches: batches, directory: dir, sampleCount: w.sampleCount)
    }

    /// Appends every batch; returns the samples accepted.
    public func run() throws -> Int {
        var accepted = 0
        for b in batches { accepted += try store.append(b).accepted }
        return accepted
    }

    /// Removes the store's directory.
    public func finish() {
        ScratchDirectory.remove(directory)
    }
}
