import StrataLabels
import StrataMetrics
import Synchronization

/// What one remote_write request did.
public struct WriteOutcome: Sendable, Equatable {
    /// Series in the request.
    public var series = 0
    /// Float and histogram samples stored.
    public var samplesAccepted = 0
    /// Exact duplicates ignored (a retried request).
    public var duplicates = 0
    /// Samples refused as older than the out-of-order window.
    public var tooOld = 0
    /// Samples refused for a time the series already has with another value.
    public var conflicts = 0
    /// Series refused for their labels (their samples are not stored).
    public var invalidSeries = 0
    /// Samples of refused series.
    public var samplesOfInvalidSeries = 0
    /// Metadata entries taken.
    public var metadata = 0
    /// Exemplars in the request (not stored: Strata keeps no exemplars).
    public var exemplarsDropped = 0
    /// The first problems, one line each (at most 10).
    public var problems: [String] = []

    public init() {}

    /// Samples refused, for whatever reason.
    public var samplesRejected: Int { tooOld + conflicts + samplesOfInvalidSeries }

    mutating func problem(_ s: String) { if problems.count < 10 { problems.append(s) } }
}

/// One metric family's metadata, as remote_write sends it and `/api/v1/metadata` returns it.
public struct MetricMetadata: Sendable, Equatable {
    public var type: String
    public var help: String
    public var unit: String
    public init(type: String, help: String, unit: String) {
        self.type = type
        self.help = help
        self.unit = unit
    }
}

/// Takes remote_write 1.0 `WriteRequest`s (and 2.0 `Request`s) into a metric store.
///
/// The body is decoded in one pass over its bytes into flat arrays; nothing is stored when the
/// body is malformed or over a limit. Then each series is found by its label bytes in a cache
/// (new ones are validated and registered), and all samples go to the store in one append, which
/// is one WAL record.
public final class RemoteWriteIngester: Sendable {
    let store: MetricStore
    let limits: WireLimits
    private let cache = Mutex(SeriesCache())
    private let metadataTable = Mutex([String: MetricMetadata]())

    public init(store: MetricStore, limits: WireLimits) {
        self.store = store
        self.limits = limits
    }

    /// Series known to the cache.
    public var cachedSeries: Int { cache.withLock { $0.count } }

    /// Metadata by metric family name, as last sent.
    public var metadata: [String: MetricMetadata] { metadataTable.withLock { $0 } }

    /// Records metadata learned elsewhere (for example from the store's own exposition).
    public func setMetadata(_ family: String, _ m: MetricMetadata) { metadataTable.withLock { $0[family] = m } }

    /// The decoded request: series keys and label byte ranges, samples and histograms, in flat arrays.
    struct Decoded {
        var keyArena: [UInt8] = []
        var keys: [Range<Int>] = []
        /// Per series: its label (name, value) ranges in the body.
        var labelRanges: [(Range<Int>, Range<Int>)] = []
        var labelSpan: [Range<Int>] = []
        var sampleSpan: [Range<Int>] = []
        var times: [Int64] = []
        var values: [Double] = []
        var histograms: [(series: Int, sample: HistogramSample)] = []
        var metadata: [(String, MetricMetadata)] = []
        var exemplars = 0
        /// Per series, resolved label strings (remote write 2.0, whose labels are symbol references).
        var resolvedLabels: [[Label]] = []
    }

    /// Decodes and stores a remote_write 1.0 `WriteRequest` (already decompressed).
    /// - Throws: `WireError` for a malformed body or one over a limit; then nothing was stored.
    public func ingestV1(_ body: UnsafeRawBufferPointer) throws(WireError) -> WriteOutcome {
        var d = Decoded()
        try Self.decodeV1(body, limits: limits, into: &d)
        return try store(d, body: body)
    }

    static func decodeV1(_ body: UnsafeRawBufferPointer, limits: WireLimits, into d: inout Decoded) throws(WireError) {
        var r = ProtoReader(body)
        while !r.atEnd {
            let (field, wire) = try r.tag()
            switch field {
            case 1:
                try r.expect(wire, ProtoReader.lengthType, "WriteRequest.timeseries")
                let ts = try r.lengthDelimited()
                try decodeSeriesV1(body, ts, limits: limits, into: &d)
            case 3:
                try r.expect(wire, ProtoReader.lengthType, "WriteRequest.metadata")
                let m = try r.lengthDelimited()
                if let entry = try decodeMetadata(body, m) { d.metadata.append(entry) }
            default:
                try r.skip(wire: wire)
            }
        }
    }

    static func decodeSeriesV1(_ body: UnsafeRawBufferPointer, _ range: Range<Int>, limits: WireLimits, into d: inout Decoded)
        throws(WireError)
    {
        let seriesIndex = d.keys.count
        guard seriesIndex < limits.maxSeriesPerRequest else {
            throw WireError(.tooLarge, "more than \(limits.maxSeriesPerRequest) series in one request (--max-series-per-request)")
        }
        var r = ProtoReader(body, range)
        let keyStart = d.keyArena.count
        let labelStart = d.labelRanges.count
        let sampleStart = d.times.count
        while !r.atEnd {
            let (field, wire) = try r.tag()
            switch field {
            case 1:
                try r.expect(wire, ProtoReader.lengthType, "TimeSeries.labels")
                let lr = try r.lengthDelimited()
                var l = ProtoReader(body, lr)
                var name = lr.lowerBound..<lr.lowerBound
                var value = name
                while !l.atEnd {
                    let (f, w) = try l.tag()
                    if f == 1 || f == 2 {
                        try l.expect(w, ProtoReader.lengthType, "Label.name/value")
                        if f == 1 { name = try l.lengthDelimited() } else { value = try l.lengthDelimited() }
                    } else {
                        try l.skip(wire: w)
                    }
                }
                d.labelRanges.append((name, value))
                // The key: each label's bytes with their length, so that label boundaries count.
                var n = UInt32(lr.count).littleEndian
                withUnsafeBytes(of: &n) { d.keyArena.append(contentsOf: $0) }
                d.keyArena.append(contentsOf: UnsafeRawBufferPointer(rebasing: body[lr]))
            case 2:
                try r.expect(wire, ProtoReader.lengthType, "TimeSeries.samples")
                let sr = try r.lengthDelimited()
                var s = ProtoReader(body, sr)
                var v = 0.0
                var t: Int64 = 0
                while !s.atEnd {
                    let (f, w) = try s.tag()
                    if f == 1 {
                        try s.expect(w, ProtoReader.fixed64Type, "Sample.value")
                        v = Double(bitPattern: try s.fixed64())
                    } else if f == 2 {
                        try s.expect(w, ProtoReader.varintType, "Sample.timestamp")
                        t = Int64(bitPattern: try s.varint())
                    } else {
                        try s.skip(wire: w)
                    }
                }
                guard d.times.count < limits.maxSamplesPerRequest else {
                    throw WireError(.tooLarge, "more than \(limits.maxSamplesPerRequest) samples in one request (--max-samples-per-request)")
                }
                d.times.append(t)
                d.values.append(v)
            case 3:
                try r.skip(wire: wire)
                d.exemplars += 1
            case 4:
                try r.expect(wire, ProtoReader.lengthType, "TimeSeries.histograms")
                let hr = try r.lengthDelimited()
                d.histograms.append((seriesIndex, try decodeHistogram(body, hr)))
            default:
                try r.skip(wire: wire)
            }
        }
        guard d.labelRanges.count - labelStart <= limits.maxLabelsPerSeries else {
            throw WireError(
                .tooLarge, "a series with \(d.labelRanges.count - labelStart) labels, over the limit of \(limits.maxLabelsPerSeries) (--max-labels-per-series)",
                offset: range.lowerBound)
        }
        d.keys.append(keyStart..<d.keyArena.count)
        d.labelSpan.append(labelStart..<d.labelRanges.count)
        d.sampleSpan.append(sampleStart..<d.times.count)
    }

    /// A prompb `Histogram` (integer or float counts) as a `HistogramSample`.
    static func decodeHistogram(_ body: UnsafeRawBufferPointer, _ range: Range<Int>) throws(WireError) -> HistogramSample {
        var r = ProtoReader(body, range)
        var h = FloatHistogram()
        var t: Int64 = 0
        var posDeltas: [Int64] = [], negDeltas: [Int64] = []
        var posCounts: [Double] = [], negCounts: [Double] = []
        func zigzag(_ v: UInt64) -> Int64 { Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1) }
        func spans(_ r: Range<Int>) throws(WireError) -> HistogramSpan {
            var s = ProtoReader(body, r)
            var span = HistogramSpan(offset: 0, length: 0)
            while !s.atEnd {
                let (f, w) = try s.tag()
                if f == 1 { span.offset = Int32(truncatingIfNeeded: zigzag(try s.varint())) }
                else if f == 2 { span.length = UInt32(truncatingIfNeeded: try s.varint()) }
                else { try s.skip(wire: w) }
            }
            return span
        }
        func packedSInt(_ r: inout ProtoReader, _ wire: Int, into out: inout [Int64]) throws(WireError) {
            if wire == ProtoReader.lengthType {
                var p = ProtoReader(body, try r.lengthDelimited())
                while !p.atEnd { out.append(zigzag(try p.varint())) }
            } else {
                out.append(zigzag(try r.varint()))
            }
        }
        func packedDouble(_ r: inout ProtoReader, _ wire: Int, into out: inout [Double]) throws(WireError) {
            if wire == ProtoReader.lengthType {
                var p = ProtoReader(body, try r.lengthDelimited())
                while !p.atEnd { out.append(Double(bitPattern: try p.fixed64())) }
            } else {
                out.append(Double(bitPattern: try r.fixed64()))
            }
        }
        while !r.atEnd {
            let (f, w) = try r.tag()
            switch f {
            case 1: h.count = Double(try r.varint())
            case 2: h.count = Double(bitPattern: try r.fixed64())
            case 3: h.sum = Double(bitPattern: try r.fixed64())
            case 4: h.schema = Int32(truncatingIfNeeded: zigzag(try r.varint()))
            case 5: h.zeroThreshold = Double(bitPattern: try r.fixed64())
            case 6: h.zeroCount = Double(try r.varint())
            case 7: h.zeroCount = Double(bitPattern: try r.fixed64())
            case 8: h.negativeSpans.append(try spans(try r.lengthDelimited()))
            case 9: try packedSInt(&r, w, into: &negDeltas)
            case 10: try packedDouble(&r, w, into: &negCounts)
            case 11: h.positiveSpans.append(try spans(try r.lengthDelimited()))
            case 12: try packedSInt(&r, w, into: &posDeltas)
            case 13: try packedDouble(&r, w, into: &posCounts)
            case 14: h.counterResetHint = FloatHistogram.CounterResetHint(rawValue: UInt8(truncatingIfNeeded: try r.varint())) ?? .unknown
            case 15: t = Int64(bitPattern: try r.varint())
            case 16:
                var p = ProtoReader(body, try r.lengthDelimited())
                while !p.atEnd { h.customValues.append(Double(bitPattern: try p.fixed64())) }
            default: try r.skip(wire: w)
            }
        }
        func absolute(_ deltas: [Int64]) -> [Double] {
            var acc: Int64 = 0
            return deltas.map { acc &+= $0; return Double(acc) }
        }
        h.positiveBuckets = posCounts.isEmpty ? absolute(posDeltas) : posCounts
        h.negativeBuckets = negCounts.isEmpty ? absolute(negDeltas) : negCounts
        return HistogramSample(.milliseconds(t), h)
    }

    static let metricTypes = ["unknown", "counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset"]

    static func decodeMetadata(_ body: UnsafeRawBufferPointer, _ range: Range<Int>) throws(WireError) -> (String, MetricMetadata)? {
        var r = ProtoReader(body, range)
        var type = 0
        var name = "", help = "", unit = ""
        while !r.atEnd {
            let (f, w) = try r.tag()
            switch f {
            case 1: type = Int(truncatingIfNeeded: try r.varint())
            case 2: name = r.string(try r.lengthDelimited())
            case 4: help = r.string(try r.lengthDelimited())
            case 5: unit = r.string(try r.lengthDelimited())
            default: try r.skip(wire: w)
            }
        }
        guard !name.isEmpty else { return nil }
        return (name, MetricMetadata(type: type < metricTypes.count && type >= 0 ? metricTypes[type] : "unknown", help: help, unit: unit))
    }

    /// Resolves series, then appends every sample in one batch.
    func store(_ d: Decoded, body: UnsafeRawBufferPointer) throws(WireError) -> WriteOutcome {
        var out = WriteOutcome()
        out.series = d.keys.count
        out.exemplarsDropped = d.exemplars
        var refs = [SeriesRef?](repeating: nil, count: d.keys.count)
        var batch = SampleBatch(capacity: d.times.count)
        let limits = self.limits
        let store = self.store
        var storeFailure: MetricStoreError?
        // New series: validated here, registered together below (one WAL record).
        var misses: [(index: Int, labels: Labels, hash: UInt64)] = []
        cache.withLock { cache in
            d.keyArena.withUnsafeBytes { arena in
                for i in 0..<d.keys.count {
                    let key = UnsafeRawBufferPointer(rebasing: arena[d.keys[i]])
                    let h = SeriesCache.hash(key)
                    if let ref = cache.lookup(key, hash: h) {
                        refs[i] = ref
                        continue
                    }
                    // A new series: validate and register it.
                    var labels: [Label] = []
                    var problem: String?
                    if d.resolvedLabels.isEmpty {
                        for k in d.labelSpan[i] {
                            let (n, v) = d.labelRanges[k]
                            let nb = UnsafeRawBufferPointer(rebasing: body[n]), vb = UnsafeRawBufferPointer(rebasing: body[v])
                            if let p = limits.labelProblem(name: nb, value: vb) {
                                problem = p
                                break
                            }
                            labels.append(Label(String(decoding: nb, as: UTF8.self), String(decoding: vb, as: UTF8.self)))
                        }
                    } else {
                        labels = d.resolvedLabels[i]
                        for l in labels where problem == nil {
                            var name = l.name, value = l.value
                            problem = name.withUTF8 { nb in value.withUTF8 { vb in
                                limits.labelProblem(name: UnsafeRawBufferPointer(nb), value: UnsafeRawBufferPointer(vb)) } }
                        }
                    }
                    var validated: Labels?
                    if problem == nil {
                        do {
                            let ls = try Labels(validating: labels)
                            if ls.count == 0 { problem = "a series with no labels" } else { validated = ls }
                        } catch {
                            problem = "\(error)"
                        }
                    }
                    guard let validated else {
                        out.invalidSeries += 1
                        out.samplesOfInvalidSeries += d.sampleSpan[i].count
                        out.problem("invalid series \(Labels(sorted: labels.sorted())): \(problem ?? "invalid labels")")
                        continue
                    }
                    misses.append((i, validated, h))
                }
                guard !misses.isEmpty else { return }
                // A series new twice in one request is registered once (the store dedups by labels).
                let registered: [SeriesRef?]
                do throws(MetricStoreError) {
                    registered = try store.seriesRefs(for: misses.map(\.labels))
                } catch {
                    storeFailure = error
                    return
                }
                for (m, ref) in zip(misses, registered) {
                    guard let ref else {
                        out.invalidSeries += 1
                        out.samplesOfInvalidSeries += d.sampleSpan[m.index].count
                        out.problem("\(m.labels): the store holds \(store.options.seriesLimit) series, its limit")
                        continue
                    }
                    refs[m.index] = ref
                    let key = UnsafeRawBufferPointer(rebasing: arena[d.keys[m.index]])
                    if cache.lookup(key, hash: m.hash) == nil { cache.insert(key, hash: m.hash, ref: ref) }
                }
            }
        }
        if let storeFailure { throw WireError(.storage, "storage: \(storeFailure)") }
        for i in 0..<d.keys.count {
            guard let ref = refs[i] else { continue }
            for k in d.sampleSpan[i] { batch.append(ref, milliseconds: d.times[k], d.values[k]) }
        }
        if batch.count > 0 {
            let sum: AppendSummary
            do { sum = try store.append(batch) } catch { throw WireError(.storage, "storage: \(error)") }
            out.samplesAccepted += sum.accepted
            out.duplicates += sum.duplicatesIgnored
            out.tooOld += sum.tooOld
            out.conflicts += sum.conflicts
            for r in sum.rejections.prefix(3) { out.problem("\(r.labels) @\(r.timestamp): \(r.reason)") }
        }
        if !d.histograms.isEmpty {
            // Grouped by series, in order.
            var bySeries: [Int: [HistogramSample]] = [:]
            for (s, h) in d.histograms where refs[s] != nil { bySeries[s, default: []].append(h) }
            for (s, samples) in bySeries.sorted(by: { $0.key < $1.key }) {
                guard let labels = store.labels(of: refs[s]!) else { continue }
                do {
                    let sum = try store.appendHistograms(labels, samples)
                    out.samplesAccepted += sum.accepted
                    out.duplicates += sum.duplicatesIgnored
                    out.tooOld += sum.tooOld
                    out.conflicts += sum.conflicts
                } catch {
                    out.conflicts += samples.count
                    out.problem("\(labels): \(error)")
                }
            }
        }
        if !d.metadata.isEmpty {
            metadataTable.withLock { t in for (name, m) in d.metadata { t[name] = m } }
            out.metadata = d.metadata.count
        }
        return out
    }
}
