import MetricWorkloads
import StrataMetrics

/// Target 3: select 1,000 series over one day (8,640 samples each at 10 s) from blocks and
/// drain every sample: time, samples/s and the memory it takes.
enum SelectReport {
    static func run(runs: Int, parent: String?) throws {
        print("== select 1,000 series x 1 day from blocks, drain every sample (one thread; median of \(runs))")
        let w = NodeLikeWorkload(series: 1000, samples: 8640)
        let dir = ScratchDirectory.make(prefix: "strata-select", parent: parent)
        defer { ScratchDirectory.remove(dir) }
        let (buildSeconds, store) = try MonotonicClock.seconds { try SelectWorkload.build(w, directory: dir) }
        let stats = try store.stats()
        print(
            "store: \(stats.series) series, \(stats.samples) samples, \(stats.blocks) blocks, \(mib(stats.bytes)) "
                + "(\(fixed(Double(stats.bytes) / Double(stats.samples), 3)) B/sample); built in \(fixed(buildSeconds, 2)) s "
                + "= \(fixed(Double(stats.samples) / buildSeconds / 1e6, 2)) M samples/s (append batches of 1,000, inline block cuts, final flush)")

        var times: [Double] = [], rssDeltas: [Int] = []
        var scratch = DecodeScratch(capacity: 8640)
        var samples = 0
        for _ in 0..<runs {
            let rss0 = ProcessMemory.residentBytes()
            let canReset = ProcessMemory.resetPeak()
            let (s, n) = try MonotonicClock.seconds { try SelectWorkload.selectAll(store, scratch: &scratch) }
            precondition(n == w.sampleCount, "drained \(n) of \(w.sampleCount)")
            samples = n
            times.append(s)
            if canReset { rssDeltas.append(ProcessMemory.peakResidentBytes() - rss0) }
        }
        var table = Table("pass", "seconds", "M samples/s", "peak RSS delta, first run", "later runs (median)")
        table.add(
            "select + drain 1,000 series", fixed(median(times), 3), fixed(Double(samples) / median(times) / 1e6),
            rssDeltas.first.map(mib) ?? "n/a",
            rssDeltas.count > 1 ? mib(Int(median(rssDeltas.dropFirst().map(Double.init)))) : "n/a")
        print(table.render())
        print("(the first run opens and maps the block files, and RSS counts the mapped pages it touches;\n later runs reuse the open readers)")
        print()
    }
}
