import MetricWorkloads
import StrataEncoding

/// Why zstd-packed chunks decode slower: the fixed cost of one small zstd decompression, with a
/// fresh context per call (what `IntColumn.decode` does today) and with a reused `ZstdContext`.
enum ZstdProbe {
    static func run(runs: Int) {
        // Two byte planes of 720 residuals, shaped like the mantissa deltas of a cpu-seconds chunk.
        var rng = SplitMix64(seed: 7)
        let n = 720
        var planes = [UInt8](repeating: 0, count: 2 * n)
        for i in 0..<n {
            let zz = UInt64(1600 + Int(rng.next() % 200))
            planes[i] = UInt8(truncatingIfNeeded: zz)
            planes[n + i] = UInt8(truncatingIfNeeded: zz >> 8)
        }
        let packed = planes.withUnsafeBytes { BlockCompression.compress($0, codec: .zstd, level: 1) }
        let calls = 20_000
        func time(_ context: ZstdContext?) -> Double {
            var samples: [Double] = []
            for _ in 0..<runs {
                let (s, check) = MonotonicClock.seconds {
                    var check = 0
                    packed.withUnsafeBytes { p in
                        for _ in 0..<calls {
                            let out = try! BlockCompression.decompress(
                                p, codec: .zstd, decompressedSize: planes.count, context: context)
                            check &+= Int(out[out.count - 1])
                        }
                    }
                    return check
                }
                samples.append(s / Double(calls) * 1e6)
                if check == -1 { print("") }
            }
            return median(samples)
        }
        let fresh = time(nil)
        let reused = time(ZstdContext())
        var table = Table("zstd decompress, 1,440 B (720 residuals x 2 byte planes)", "us/call", "ns/sample")
        table.add("fresh context per call", fixed(fresh, 2), fixed(fresh * 1000 / Double(n), 1))
        table.add("reused ZstdContext", fixed(reused, 2), fixed(reused * 1000 / Double(n), 1))
        print(table.render())
        print()
    }
}
