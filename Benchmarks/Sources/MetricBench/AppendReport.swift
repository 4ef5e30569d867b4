import MetricWorkloads
import StrataMetrics

/// Target 2: `MetricStore.append`, M samples/s on one core, per durability and batch size.
enum AppendReport {
    static func run(runs: Int, parent: String?) throws {
        print("== append API (one thread; 1,000 series x 1,000 scrapes = 1 M samples per run, batches prebuilt; median of \(runs))")
        let w = NodeLikeWorkload(series: 1000, samples: 1000)
        var table = Table("durability", "batch", "order in batch", "batches", "M samples/s", "us/batch")
        let cases: [(Int, Bool)] = [(1000, false), (10_000, false), (10_000, true)]
        for durability in [MetricStoreOptions.Durability.none, .buffered, .fsync] {
            for (batch, seriesMajor) in cases {
                var rates: [Double] = [], perBatch: [Double] = []
                var batches = 0
                for _ in 0..<runs {
                    let pass = try AppendRun.prepare(
                        w, durability: durability, batchSize: batch, seriesMajor: seriesMajor, parent: parent)
                    let (s, accepted) = try MonotonicClock.seconds { try pass.run() }
                    precondition(accepted == pass.sampleCount, "accepted \(accepted) of \(pass.sampleCount)")
                    batches = pass.batches.count
                    rates.append(Double(accepted) / s / 1e6)
                    perBatch.append(s / Double(batches) * 1e6)
                    pass.finish()
                }
                table.add(
                    "\(durability)", "\(batch)", seriesMajor ? "series-major" : "scrape-major", "\(batches)", fixed(median(rates)), fixed(median(perBatch)))
            }
        }
        print(table.render())
        let small = FsyncProbe.medianMilliseconds(bytes: 12_000, count: 50, parent: parent)
        let large = FsyncProbe.medianMilliseconds(bytes: 120_000, count: 20, parent: parent)
        print(
            "(fsync rounds wait for the disk: appending 12 KB / 120 KB to a file and fsyncing it takes "
                + "\(fixed(small, 2)) / \(fixed(large, 2)) ms here, medians of 50 / 20)")
        print()
    }
}
