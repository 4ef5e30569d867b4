import StrataMetrics

/// A store holding a `NodeLikeWorkload` in blocks, and the "select everything, drain every
/// sample" pass over it.
public enum SelectWorkload {
    /// Appends `w` scrape by scrape (batches of one scrape of every series, durability `.none`,
    /// default block range, so the store cuts blocks as it goes) and flushes the rest.
    public static func build(_ w: NodeLikeWorkload, directory: String) throws -> MetricStore {
        var options = MetricStoreOptions()
        options.durability = .none
        let store = try MetricStore(directory: directory, options: options)
        let refs = try w.labels.map { try store.seriesRef(for: $0) }
        let scrapes = w.values.first?.count ?? 0
        var b = SampleBatch(capacity: w.seriesCount)
        for i in 0..<scrapes {
            b.removeAll()
            for s in 0..<w.seriesCount { b.append(refs[s], milliseconds: w.timestamps[w.hostOf[s]][i], w.values[s][i]) }
            let summary = try store.append(b)
            precondition(summary.accepted == b.count, "rejected samples while building: \(summary.rejections.prefix(3))")
        }
        try store.flush()
        return store
    }

    /// Selects every series (`job="node"`) over all time and drains each one's samples into
    /// reused arrays; returns the samples read.
    public static func selectAll(_ store: MetricStore, scratch: inout DecodeScratch) throws -> Int {
        let set = try store.select([.equal("job", "node")], from: .distantPast, through: .distantFuture)
        var n = 0
        for s in set.series {
            scratch.timestamps.removeAll(keepingCapacity: true)
            scratch.values.removeAll(keepingCapacity: true)
            var it = s.makeIterator()
            n += try it.drain(timestamps: &scratch.timestamps, values: &scratch.values)
            if let last = scratch.values.last { scratch.check &+= last.bitPattern }
        }
        return n
    }
}
