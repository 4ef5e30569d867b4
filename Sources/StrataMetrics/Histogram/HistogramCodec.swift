import StrataEncoding
import StrataLabels

/// One histogram sample: a time (kept in Unix milliseconds, the metric store's unit) and a float histogram.
public struct HistogramSample: Sendable, Hashable {
    /// The raw time, Unix milliseconds; `time` is the same as a `Timestamp`.
    public var timestamp: Int64
    public var histogram: FloatHistogram

    /// A histogram sample at `time`, rounded down to the millisecond.
    public init(_ time: Timestamp, _ histogram: FloatHistogram) {
        self.timestamp = time.milliseconds
        self.histogram = histogram
    }

    /// A histogram sample at `timestamp` Unix milliseconds: the raw path inside the package.
    package init(_ timestamp: Int64, _ histogram: FloatHistogram) {
        self.timestamp = timestamp
        self.histogram = histogram
    }

    /// The sample's time (setting it rounds down to the millisecond).
    public var time: Timestamp {
        get { .milliseconds(timestamp) }
        set { timestamp = newValue.milliseconds }
    }
}

/// The byte layout of one histogram (shared by the WAL record and the block chunk; Docs/format/metric-block.md § Native histogram):
///
/// ```
/// hint u8 │ schema svarint │ zeroThreshold f64 │ zeroCount f64 │ count f64 │ sum f64 │
/// nCustom varint │ custom f64 × nCustom │ positive side │ negative side
/// side = nSpans varint │ (offset svarint, length varint) × nSpans │ nBuckets varint │ bucket f64 × nBuckets
/// ```
/// Floats are little-endian IEEE 754 bit patterns, so every value (NaN payloads too) round-trips exactly.
public enum HistogramCodec {
    /// Upper bound on spans, buckets and custom bounds per histogram that a decoder accepts.
    static let maxItems = 1 << 20

    public static func encode(_ h: FloatHistogram, into w: inout ByteWriter) {
        w.appendUInt8(h.counterResetHint.rawValue)
        w.appendSignedVarint(Int64(h.schema))
        w.appendFloat64(h.zeroThreshold)
        w.appendFloat64(h.zeroCount)
        w.appendFloat64(h.count)
        w.appendFloat64(h.sum)
        w.appendVarint(UInt64(h.customValues.count))
        for v in h.customValues { w.appendFloat64(v) }
        for (spans, buckets) in [(h.positiveSpans, h.positiveBuckets), (h.negativeSpans, h.negativeBuckets)] {
            w.appendVarint(UInt64(spans.count))
            for s in spans {
                w.appendSignedVarint(Int64(s.offset))
                w.appendVarint(UInt64(s.length))
            }
            w.appendVarint(UInt64(buckets.count))
            for b in buckets { w.appendFloat64(b) }
        }
    }

    public static func decode(_ r: inout ByteReader) throws(FormatError) -> FloatHistogram {
        var h = FloatHistogram()
        let at = r.fileOffset
        guard let hint = FloatHistogram.CounterResetHint(rawValue: try r.readUInt8()) else {
            throw FormatError(.invalid, at: at, "unknown counter reset hint")
        }
        h.counterResetHint = hint
        let schemaAt = r.fileOffset
        let schema = try r.readSignedVarint()
        guard schema == Int64(FloatHistogram.customBucketsSchema) || (-4...8).contains(schema) else {
            throw FormatError(.invalid, at: schemaAt, "histogram schema \(schema) out of range")
        }
        h.schema = Int32(schema)
        h.zeroThreshold = try r.readFloat64()
        h.zeroCount = try r.readFloat64()
        h.count = try r.readFloat64()
        h.sum = try r.readFloat64()
        let nCustom = try count(&r, perItem: 8)
        h.customValues.reserveCapacity(nCustom)
        for _ in 0..<nCustom { h.customValues.append(try r.readFloat64()) }
        for positive in [true, false] {
            let nSpans = try count(&r, perItem: 2)
            var spans: [HistogramSpan] = []
            spans.reserveCapacity(nSpans)
            var total = 0
            for _ in 0..<nSpans {
                let offAt = r.fileOffset
                let off = try r.readSignedVarint()
                let len = try r.readVarint()
                guard off >= Int64(Int32.min), off <= Int64(Int32.max), len <= UInt64(maxItems) else {
                    throw FormatError(.invalid, at: offAt, "histogram span out of range")
                }
                spans.append(HistogramSpan(offset: Int32(off), length: UInt32(len)))
                total += Int(len)
            }
            let nAt = r.fileOffset
            let n = try count(&r, perItem: 8)
            guard n == total else { throw FormatError(.invalid, at: nAt, "spans describe \(total) buckets, \(n) stored") }
            var buckets: [Double] = []
            buckets.reserveCapacity(n)
            for _ in 0..<n { buckets.append(try r.readFloat64()) }
            if positive {
                h.positiveSpans = spans
                h.positiveBuckets = buckets
            } else {
                h.negativeSpans = spans
                h.negativeBuckets = buckets
            }
        }
        return h
    }

    /// A count that must fit in the bytes left (each item at least `perItem` bytes).
    private static func count(_ r: inout ByteReader, perItem: Int) throws(FormatError) -> Int {
        let at = r.fileOffset
        let n = try r.readVarint()
        guard n <= UInt64(maxItems), Int(n) * perItem <= r.remaining else {
            throw FormatError(.invalid, at: at, "item count \(n) exceeds the bytes left")
        }
        return Int(n)
    }

    /// A histogram chunk: `count varint │ (timestamp delta svarint │ histogram) × count`, with the first
    /// delta relative to 0, framed (zstd when it helps) by `BlockCompression.appendFramed`.
    public static func encodeChunk(_ samples: ArraySlice<HistogramSample>) -> [UInt8] {
        var raw = ByteWriter(capacity: samples.count * 64)
        raw.appendVarint(UInt64(samples.count))
        var prev: Int64 = 0
        for s in samples {
            raw.appendSignedVarint(s.timestamp &- prev)
            prev = s.timestamp
            encode(s.histogram, into: &raw)
        }
        var framed = ByteWriter(capacity: raw.count + 16)
        BlockCompression.appendFramed(raw.bytes, codec: .zstd, to: &framed)
        return framed.bytes
    }

    /// Decodes a chunk written by `encodeChunk`; `baseOffset` makes errors name file offsets.
    public static func decodeChunk(_ bytes: [UInt8], range: Range<Int>, baseOffset: Int) throws(FormatError)
        -> [HistogramSample]
    {
        var fr = ByteReader(bytes, range: range, baseOffset: baseOffset)
        let raw = try BlockCompression.readFramed(&fr, maxRawLength: 1 << 28)
        var r = ByteReader(raw, baseOffset: baseOffset)
        let n = try count(&r, perItem: 40)
        var out: [HistogramSample] = []
        out.reserveCapacity(n)
        var t: Int64 = 0
        for _ in 0..<n {
            t = t &+ (try r.readSignedVarint())
            out.append(HistogramSample(t, try decode(&r)))
        }
        return out
    }
}
