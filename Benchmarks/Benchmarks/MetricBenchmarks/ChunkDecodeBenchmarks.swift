import Benchmark
import MetricWorkloads
import StrataMetrics

/// Target 1: chunk column decoding on one core. Each iteration decodes about 1 M samples
/// (chunks cycled to 1,000,080), so with the `.mega` scaling factor time reads as ns/sample
/// and throughput as M samples/s. Data: 1,000 node-like series of 4,320 samples at 10 s, in
/// chunks of 720 (one 2 h block); aligned and with 3 ms jitter; Gorilla XOR at 120 for comparison.
func registerChunkDecodeBenchmarks() {
    let state = BenchmarkState<(aligned: ChunkDecodeWorkload, jittered: ChunkDecodeWorkload)>()
    let setup: Benchmark.BenchmarkSetupHook = {
        if state.value != nil { return }
        state.value = (
            ChunkDecodeWorkload(NodeLikeWorkload(series: 1000, samples: 4320), chunkSamples: 720),
            ChunkDecodeWorkload(NodeLikeWorkload(series: 1000, samples: 4320, jitterMs: 3), chunkSamples: 720)
        )
    }
    let config = BenchmarkDefaults.configuration(scalingFactor: .mega)

    func decode(
        _ name: String, jitter: Bool = false, _ columns: ChunkDecodeWorkload.Columns,
        where filter: @escaping @Sendable (ChunkDecodeWorkload.Chunk) -> Bool = { _ in true }
    ) {
        Benchmark(name, configuration: config, closure: { benchmark in
            let w = jitter ? state.value!.jittered : state.value!.aligned
            let selection = w.selection(minSamples: 1_000_000, where: filter)
            var scratch = DecodeScratch(capacity: 720)
            benchmark.startMeasurement()
            blackHole(w.decode(selection, columns: columns, scratch: &scratch))
            benchmark.stopMeasurement()
            blackHole(scratch.check)
        }, setup: setup)
    }

    decode("Chunk decode ts+values aligned", .both)
    decode("Chunk decode ts+values jitter 3ms", jitter: true, .both)
    decode("Chunk decode values decimal", .values, where: { $0.valueEncoding == .decimal })
    decode("Chunk decode values decimal bit-packed", .values, where: { $0.valuePacking == .bitPacked })
    decode("Chunk decode values decimal zstd", .values, where: { $0.valuePacking == .zstdBytePlanes || $0.valuePacking == .zstdVarints })
    decode("Chunk decode values constant", .values, where: { $0.valueEncoding == .constant })
    decode("Chunk decode timestamps regular", .timestamps)
    decode("Chunk decode timestamps grid jitter 3ms", jitter: true, .timestamps)

    Benchmark("Chunk decode Gorilla XOR 120 aligned", configuration: config, closure: { benchmark in
        let w = state.value!.aligned
        let selection = w.gorillaSelection(minSamples: 1_000_000)
        var scratch = DecodeScratch(capacity: 120)
        benchmark.startMeasurement()
        blackHole(w.decodeGorilla(selection, scratch: &scratch))
        benchmark.stopMeasurement()
        blackHole(scratch.check)
    }, setup: setup)
}
