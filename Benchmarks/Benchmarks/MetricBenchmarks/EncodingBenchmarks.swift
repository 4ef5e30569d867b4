import Benchmark
import StrataEncoding

/// Byte-level primitives of StrataEncoding: CRC32C over 1 MiB, varint encode and decode of
/// 1 M values shaped like timestamp and value deltas. Throughput reads as MiB/s for CRC32C and
/// M values/s for the varints (their scaling factor is `.mega`).
func registerEncodingBenchmarks() {
    let mebibyte = Fixtures.bytes(count: 1 << 20, seed: 1)
    Benchmark("CRC32C 1 MiB", configuration: BenchmarkDefaults.configuration()) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(CRC32C.checksum(mebibyte))
        }
    }

    let values = Fixtures.varintValues(count: 1_000_000, seed: 2)
    Benchmark("Varint encode 1M", configuration: BenchmarkDefaults.configuration(scalingFactor: .mega)) { benchmark in
        var writer = ByteWriter(capacity: values.count * 10)
        for value in values {
            writer.appendVarint(value)
        }
        blackHole(writer.count)
    }

    var encoded = ByteWriter(capacity: values.count * 10)
    for value in values { encoded.appendVarint(value) }
    let encodedBytes = encoded.bytes
    Benchmark("Varint decode 1M", configuration: BenchmarkDefaults.configuration(scalingFactor: .mega)) { benchmark in
        var reader = ByteReader(encodedBytes)
        var sum: UInt64 = 0
        do {
            for _ in 0..<values.count {
                sum &+= try reader.readVarint()
            }
        } catch {
            fatalError("decoding what was just encoded failed: \(error)")
        }
        blackHole(sum)
    }
}
