import StrataEncoding
import StrataLabels

/// The metric store's WAL record types (Docs/format/metric-block.md § Metric WAL records).
enum MetricWALRecord {
    /// `[ref varint][label count varint]([name len-prefixed][value len-prefixed])*`, one or more per record.
    static let series: UInt8 = 1
    /// `[count varint][base timestamp zigzag varint]([ref varint][t - prev_t zigzag varint][value u64 LE])*`.
    static let samples: UInt8 = 2
    /// Native histogram samples of one series: `ref varint │ count varint │ (t delta svarint │ histogram) × count`
    /// (the first delta is from 0; the histogram layout is `HistogramCodec`'s).
    static let histograms: UInt8 = 3

    static func encodeHistograms(ref: UInt32, _ samples: ArraySlice<HistogramSample>, into w: inout ByteWriter) {
        w.appendVarint(UInt64(ref))
        w.appendVarint(UInt64(samples.count))
        var prev: Int64 = 0
        for s in samples {
            w.appendSignedVarint(s.timestamp &- prev)
            prev = s.timestamp
            HistogramCodec.encode(s.histogram, into: &w)
        }
    }

    static func decodeHistograms(_ payload: UnsafeRawBufferPointer, _ body: (UInt32, HistogramSample) -> Void)
        throws(FormatError)
    {
        var r = ByteReader(Array(payload))
        let refAt = r.fileOffset
        let ref = try r.readVarint()
        guard ref <= UInt64(UInt32.max) else { throw FormatError(.invalid, at: refAt, "series ref out of range") }
        let nAt = r.fileOffset
        let n = try r.readVarint()
        guard n <= UInt64(payload.count) else { throw FormatError(.invalid, at: nAt, "histogram count \(n) too large") }
        var t: Int64 = 0
        for _ in 0..<Int(n) {
            t = t &+ (try r.readSignedVarint())
            body(UInt32(ref), HistogramSample(t, try HistogramCodec.decode(&r)))
        }
    }

    static func encodeSeries(_ items: [(ref: UInt32, labels: Labels)], into w: inout ByteWriter) {
        for (ref, labels) in items {
            w.appendVarint(UInt64(ref))
            w.appendVarint(UInt64(labels.count))
            for l in labels.labels {
                w.appendLengthPrefixed(l.name)
                w.appendLengthPrefixed(l.value)
            }
        }
    }

    static func decodeSeries(_ payload: UnsafeRawBufferPointer, _ body: (UInt32, Labels) throws -> Void) throws {
        var c = RawBufferReader(payload)
        while c.position < payload.count {
            let ref = try c.count(limit: Int(UInt32.max))
            let n = try c.count(limit: payload.count)
            var ls: [Label] = []
            ls.reserveCapacity(n)
            for _ in 0..<n {
                let name = try c.string()
                let value = try c.string()
                ls.append(Label(name, value))
            }
            try body(UInt32(ref), Labels(sorted: ls))
        }
    }

    /// Encodes parallel arrays of samples.
    static func encodeSamples(
        refs: UnsafeBufferPointer<UInt32>, timestamps: UnsafeBufferPointer<Int64>, values: UnsafeBufferPointer<Double>,
        into w: inout ByteWriter
    ) {
        let n = refs.count
        w.appendVarint(UInt64(n))
        guard n > 0 else { return }
        w.appendSignedVarint(timestamps[0])
        var prev = timestamps[0]
        for i in 0..<n {
            w.appendVarint(UInt64(refs[i]))
            w.appendSignedVarint(timestamps[i] &- prev)
            prev = timestamps[i]
            w.appendFloat64(values[i])
        }
    }

    /// Encodes a batch's samples except those at the (ascending) indices in `skipping`.
    static func encodeSamples(_ batch: SampleBatch, skipping: [Int], into w: inout ByteWriter) {
        let n = batch.count - skipping.count
        w.bytes.reserveCapacity(w.count + 12 + n * 20)  // at most 5 + 10 + 8 bytes a sample, usually ~11
        w.appendVarint(UInt64(n))
        guard n > 0 else { return }
        batch.refs.withUnsafeBufferPointer { refs in
            batch.timestamps.withUnsafeBufferPointer { ts in
                batch.values.withUnsafeBufferPointer { vs in
                    var k = 0  // next skipped index
                    var first = true
                    var prev: Int64 = 0
                    for i in 0..<refs.count {
                        if k < skipping.count && skipping[k] == i {
                            k += 1
                            continue
                        }
                        if first {
                            w.appendSignedVarint(ts[i])
                            prev = ts[i]
                            first = false
                        }
                        w.appendVarint(UInt64(refs[i]))
                        w.appendSignedVarint(ts[i] &- prev)
                        prev = ts[i]
                        w.appendFloat64(vs[i])
                    }
                }
            }
        }
    }

    static func decodeSamples(
        _ payload: UnsafeRawBufferPointer, _ body: (UInt32, Int64, Double) -> Void
    ) throws(FormatError) {
        var c = RawBufferReader(payload)
        let n = try c.count(limit: payload.count)
        guard n > 0 else { return }
        var t = try c.signedVarint()
        for _ in 0..<n {
            let ref = try c.count(limit: Int(UInt32.max))
            t = t &+ (try c.signedVarint())
            let bits = try c.uint64()
            body(UInt32(ref), t, Double(bitPattern: bits))
        }
    }
}
