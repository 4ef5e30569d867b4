import StrataLabels
import StrataMetrics
import Testing

@testable import StrataIngest

/// One parsed sample, flattened for comparison: series in Prometheus notation, time, value bits.
struct FlatSample: Equatable, CustomStringConvertible {
    var series: String
    var timestamp: Int64
    var bits: UInt64
    init(_ series: String, _ timestamp: Int64, _ value: Double) {
        self.series = series
        self.timestamp = timestamp
        self.bits = value.bitPattern
    }
    var description: String { "\(series) @\(timestamp) = \(Double(bitPattern: bits)) [0x\(String(bits, radix: 16))]" }
}

struct ParseResult {
    var batch: ParsedMetricBatch
    var labelsByIndex: [Int: Labels]
    var samples: [FlatSample]
    var rejected: [RejectedLine] { batch.rejected }
}

/// Feeds `text` to `parser` in pieces cut at `cuts` (byte offsets), the way a streaming caller
/// does: unconsumed bytes are passed again, followed by the next piece.
func feed<P: MetricTextParser>(_ parser: inout P, _ bytes: [UInt8], cuts: [Int] = []) -> ParseResult {
    var batch = ParsedMetricBatch()
    var pending: [UInt8] = []
    var start = 0
    for end in cuts + [bytes.count] {
        pending += bytes[start..<end]
        start = end
        let final = end == bytes.count
        let used = pending.withUnsafeBytes { parser.parse($0, isFinal: final, into: &batch) }
        #expect(used <= pending.count)
        if !final { #expect(used == 0 || pending[used - 1] == 0x0A) }
        pending.removeFirst(used)
    }
    #expect(pending.isEmpty)
    var labelsByIndex: [Int: Labels] = [:]
    for (index, labels) in batch.newSeries {
        #expect(labelsByIndex[index] == nil, "series index \(index) announced twice")
        labelsByIndex[index] = labels
    }
    var samples: [FlatSample] = []
    for k in 0..<batch.values.count {
        let name = labelsByIndex[Int(batch.seriesIndex[k])]?.description ?? "<unknown series>"
        samples.append(FlatSample(name, batch.timestamps[k], batch.values[k]))
    }
    return ParseResult(batch: batch, labelsByIndex: labelsByIndex, samples: samples)
}

func parseProm(
    _ text: String,
    format: PrometheusTextParser.Format = .automatic,
    defaultTimestamp: Int64 = 42,
    cuts: [Int] = []
) -> ParseResult {
    var parser = PrometheusTextParser(format: format, defaultTimestamp: defaultTimestamp)
    return feed(&parser, Array(text.utf8), cuts: cuts)
}
