import StrataEncoding
import StrataLabels
import StrataMetrics

/// The yardstick for target 4: bytes/sample of Prometheus XOR chunks (120 samples each, as
/// Prometheus cuts them) on exactly the series a Strata database holds, per family, next to
/// Strata's own columns re-encoded per series the way its block writer cuts them.
enum AnchorReport {
    struct Totals {
        var series = 0, samples = 0
        var strataValues = 0, strataTimestamps = 0
        var xor = 0, xorChunks = 0, xorFraming = 0

        mutating func add(_ o: Totals) {
            series += o.series; samples += o.samples
            strataValues += o.strataValues; strataTimestamps += o.strataTimestamps
            xor += o.xor; xorChunks += o.xorChunks; xorFraming += o.xorFraming
        }
    }

    static let prometheusChunkSamples = 120

    static func run(database: String, blockRange: Int64, maxChunkSamples: Int) throws {
        // The metric store of a database directory, opened without a WAL and never flushed:
        // nothing is written (the database lock is not taken; do not run this next to a writer).
        var options = MetricStoreOptions()
        options.durability = .none
        let store = try MetricStore(directory: database + "/metrics", options: options)
        let set = try store.select([try LabelMatcher(.regex, "__name__", ".+")], from: .distantPast, through: .distantFuture)
        var byFamily: [String: Totals] = [:]
        var ts: [Int64] = [], vs: [Double] = []
        for s in set.series {
            ts.removeAll(keepingCapacity: true)
            vs.removeAll(keepingCapacity: true)
            var it = s.makeIterator()
            _ = try it.drain(timestamps: &ts, values: &vs)
            guard !vs.isEmpty else { continue }
            var t = Totals(series: 1, samples: vs.count)
            ts.withUnsafeBufferPointer { tp in
                vs.withUnsafeBufferPointer { vp in
                    strata(tp, vp, blockRange: blockRange, maxChunkSamples: maxChunkSamples, into: &t)
                    prometheus(tp, vp, into: &t)
                }
            }
            byFamily[family(s.labels, vs), default: Totals()].add(t)
        }
        var table = Table(
            "family", "series", "samples", "Strata values", "Strata ts (unshared)", "XOR chunks", "XOR + chunk framing")
        var all = Totals()
        func perSample(_ b: Int, _ n: Int) -> String { fixed(Double(b) / Double(max(1, n)), 3) }
        for (name, t) in byFamily.sorted(by: { $0.value.samples > $1.value.samples }) {
            all.add(t)
            table.add(
                name, "\(t.series)", "\(t.samples)", perSample(t.strataValues, t.samples),
                perSample(t.strataTimestamps, t.samples), perSample(t.xor, t.samples),
                perSample(t.xor + t.xorFraming, t.samples))
        }
        table.add(
            "all", "\(all.series)", "\(all.samples)", perSample(all.strataValues, all.samples),
            perSample(all.strataTimestamps, all.samples), perSample(all.xor, all.samples),
            perSample(all.xor + all.xorFraming, all.samples))
        print(table.render())
        print(
            "(bytes/sample; XOR: GorillaChunk, \(prometheusChunkSamples) samples/chunk, Prometheus's chunkenc layout; framing: "
                + "uvarint length + encoding byte + CRC32 per chunk, as in a block's chunk file; no index. Strata columns: "
                + "\(blockRange / 3_600_000) h windows, <= \(maxChunkSamples) samples/chunk; its block stores one timestamp column per scrape target)")
    }

    /// Strata's columns for one series, cut as `BlockWriter` cuts them.
    static func strata(
        _ ts: UnsafeBufferPointer<Int64>, _ vs: UnsafeBufferPointer<Double>, blockRange: Int64, maxChunkSamples: Int,
        into t: inout Totals
    ) {
        var i = 0
        while i < ts.count {
            let window = ts[i] >= 0 ? ts[i] / blockRange * blockRange : -((-ts[i] + blockRange - 1) / blockRange) * blockRange
            var j = i
            while j < ts.count && ts[j] < window &+ blockRange { j += 1 }
            let n = j - i
            let pieces = (n + maxChunkSamples - 1) / maxChunkSamples
            var start = i
            for p in 0..<pieces {
                let end = i + n * (p + 1) / pieces
                t.strataTimestamps += ChunkColumns.encodeTimestamps(UnsafeBufferPointer(rebasing: ts[start..<end])).count
                t.strataValues += ChunkColumns.encodeValues(UnsafeBufferPointer(rebasing: vs[start..<end])).count
                start = end
            }
            i = j
        }
    }

    /// Prometheus XOR chunks of 120 samples for one series.
    static func prometheus(_ ts: UnsafeBufferPointer<Int64>, _ vs: UnsafeBufferPointer<Double>, into t: inout Totals) {
        var start = 0
        while start < ts.count {
            let end = min(ts.count, start + prometheusChunkSamples)
            let bytes = GorillaChunk.encode(
                timestamps: UnsafeBufferPointer(rebasing: ts[start..<end]),
                values: UnsafeBufferPointer(rebasing: vs[start..<end])
            ).count
            t.xor += bytes
            t.xorChunks += 1
            var w = ByteWriter(capacity: 10)
            w.appendVarint(UInt64(bytes))
            t.xorFraming += w.count + 1 + 4
            start = end
        }
    }

    /// The node_exporter family a series belongs to (strata-nodegen's names), or "constant".
    static func family(_ labels: Labels, _ vs: [Double]) -> String {
        let first = vs[0].bitPattern
        if vs.allSatisfy({ $0.bitPattern == first }) { return "constant series" }
        let name = labels["__name__"] ?? ""
        let table: [(String, String)] = [
            ("node_cpu_seconds", "cpu seconds (2 decimals)"),
            ("node_cpu_scaling_frequency", "cpu frequency"),
            ("node_load", "load averages (2 decimals)"),
            ("node_memory_", "memory bytes (pages)"),
            ("node_filesystem_", "filesystem bytes"),
            ("node_network_receive_bytes", "network bytes"),
            ("node_network_transmit_bytes", "network bytes"),
            ("node_network_", "network packets, errors"),
            ("node_disk_read_bytes", "disk bytes"),
            ("node_disk_written_bytes", "disk bytes"),
            ("node_disk_io_time", "disk io time (ms, 3 decimals)"),
            ("node_disk_", "disk operations"),
            ("node_pressure_", "pressure (us, 6 decimals)"),
            ("http_request_duration_seconds_sum", "http duration sums (us)"),
            ("http_request_duration_seconds", "http buckets, counts"),
            ("node_vmstat_", "vmstat counters"),
            ("node_context_switches", "kernel counters"),
            ("node_intr", "kernel counters"),
            ("node_forks", "kernel counters"),
        ]
        for (prefix, family) in table where name.hasPrefix(prefix) { return family }
        return "other gauges"
    }
}
