import MetricWorkloads
import StrataMetrics

/// Target 1: chunk column decoding, M samples/s on one core, per encoding and overall.
enum DecodeReport {
    /// Samples decoded per timed run (chunks are cycled to reach it).
    static let samplesPerRun = 4_000_000

    static func run(runs: Int) {
        print("== chunk decoding (one core; 1,000 node-like series; median of \(runs) runs of >= 4 M samples)")
        let aligned = NodeLikeWorkload(series: 1000, samples: 4320)
        let jittered = NodeLikeWorkload(series: 1000, samples: 4320, jitterMs: 3)
        let a720 = ChunkDecodeWorkload(aligned, chunkSamples: 720)
        let a4320 = ChunkDecodeWorkload(aligned, chunkSamples: 4320)
        let j720 = ChunkDecodeWorkload(jittered, chunkSamples: 720)

        var table = Table("pass", "data", "samples/chunk", "chunks", "B/sample", "M samples/s")
        func row(_ name: String, _ data: String, _ w: ChunkDecodeWorkload, _ per: Int, _ columns: ChunkDecodeWorkload.Columns,
                 where filter: @escaping (ChunkDecodeWorkload.Chunk) -> Bool = { _ in true }) {
            let sel = w.selection(minSamples: samplesPerRun, where: filter)
            guard !sel.isEmpty else { return }
            let rate = measure(runs: runs) { scratch in w.decode(sel, columns: columns, scratch: &scratch) }
            let size = w.bytes(where: filter, columns: columns)
            let chunks = w.chunks.filter(filter).count
            table.add(name, data, "\(per)", "\(chunks)", fixed(Double(size.bytes) / Double(size.samples), 3), fixed(rate))
        }
        row("timestamps + values", "aligned", a720, 720, .both)
        row("timestamps + values", "aligned", a4320, 4320, .both)
        row("timestamps + values", "jitter 3 ms", j720, 720, .both)
        for e in ValueEncoding.allCases {
            row("values: \(e)", "aligned", a720, 720, .values, where: { $0.valueEncoding == e })
            if e == .decimal {
                for p in ChunkDecodeWorkload.IntegerPacking.allCases {
                    row("  decimal, \(p)", "aligned", a720, 720, .values, where: { $0.valuePacking == p })
                }
            }
        }
        for e in TimestampEncoding.allCases {
            row("timestamps: \(e)", "aligned", a720, 720, .timestamps, where: { $0.timestampEncoding == e })
            row("timestamps: \(e)", "jitter 3 ms", j720, 720, .timestamps, where: { $0.timestampEncoding == e })
            if e != .regular {
                for p in ChunkDecodeWorkload.IntegerPacking.allCases {
                    row("  \(e), \(p)", "jitter 3 ms", j720, 720, .timestamps, where: {
                        $0.timestampEncoding == e && $0.timestampPacking == p
                    })
                }
            }
        }
        for (w, data) in [(a720, "aligned"), (j720, "jitter 3 ms")] {
            let sel = w.gorillaSelection(minSamples: samplesPerRun)
            let rate = measure(runs: runs) { scratch in w.decodeGorilla(sel, scratch: &scratch) }
            let bytes = w.gorilla.reduce(0) { $0 + $1.count }
            let samples = w.gorillaCounts.reduce(0, +)
            table.add(
                "Gorilla XOR (Prometheus)", data, "120", "\(w.gorilla.count)",
                fixed(Double(bytes) / Double(samples), 3), fixed(rate))
        }
        print(table.render())
        print()

        var families = Table("family (aligned, 720/chunk)", "value encodings", "values B/sample", "values M samples/s")
        for f in SeriesFamily.allCases {
            let filter: (ChunkDecodeWorkload.Chunk) -> Bool = { $0.family == f }
            let mix = Dictionary(grouping: a720.chunks.filter(filter), by: { c in
                c.valuePacking.map { "\(c.valueEncoding) \($0)" } ?? "\(c.valueEncoding)"
            })
                .sorted { $0.value.count > $1.value.count }
                .map { "\($0.key) \($0.value.count)" }.joined(separator: ", ")
            let sel = a720.selection(minSamples: samplesPerRun, where: filter)
            let rate = measure(runs: runs) { scratch in a720.decode(sel, columns: .values, scratch: &scratch) }
            let size = a720.bytes(where: filter, columns: .values)
            families.add(f.rawValue, mix, fixed(Double(size.bytes) / Double(size.samples), 3), fixed(rate))
        }
        print(families.render())
        print()
        ZstdProbe.run(runs: runs)
    }

    /// Median M samples/s of `runs` timed calls of `pass` (after one untimed warm-up).
    static func measure(runs: Int, _ pass: (inout DecodeScratch) -> Int) -> Double {
        var scratch = DecodeScratch(capacity: 8192)
        _ = pass(&scratch)
        var rates: [Double] = []
        for _ in 0..<runs {
            let (s, n) = MonotonicClock.seconds { pass(&scratch) }
            rates.append(Double(n) / s / 1e6)
        }
        if scratch.check == 42 { print("") }  // keeps the decoded data observable
        return median(rates)
    }
}
