import StrataLabels
import StrataMetrics

extension RemoteWriteIngester {
    /// Decodes and stores a remote_write 2.0 `io.prometheus.write.v2.Request`: a symbol table
    /// (field 4) and series (field 5) whose labels are pairs of references into it.
    public func ingestV2(_ body: UnsafeRawBufferPointer) throws(WireError) -> WriteOutcome {
        var d = Decoded()
        var symbols: [Range<Int>] = []
        var seriesRanges: [Range<Int>] = []
        var r = ProtoReader(body)
        while !r.atEnd {
            let (f, w) = try r.tag()
            switch f {
            case 4:
                try r.expect(w, ProtoReader.lengthType, "Request.symbols")
                symbols.append(try r.lengthDelimited())
            case 5:
                try r.expect(w, ProtoReader.lengthType, "Request.timeseries")
                seriesRanges.append(try r.lengthDelimited())
            default:
                try r.skip(wire: w)
            }
        }
        for range in seriesRanges {
            guard d.keys.count < limits.maxSeriesPerRequest else {
                throw WireError(.tooLarge, "more than \(limits.maxSeriesPerRequest) series in one request (--max-series-per-request)")
            }
            var s = ProtoReader(body, range)
            var refs: [UInt32] = []
            let sampleStart = d.times.count
            let seriesIndex = d.keys.count
            var metadata: (type: Int, help: UInt32, unit: UInt32)?
            while !s.atEnd {
                let (f, w) = try s.tag()
                switch f {
                case 1:
                    if w == ProtoReader.lengthType {
                        var p = ProtoReader(body, try s.lengthDelimited())
                        while !p.atEnd { refs.append(UInt32(truncatingIfNeeded: try p.varint())) }
                    } else {
                        refs.append(UInt32(truncatingIfNeeded: try s.varint()))
                    }
                case 2:
                    try s.expect(w, ProtoReader.lengthType, "TimeSeries.samples")
                    var p = ProtoReader(body, try s.lengthDelimited())
                    var v = 0.0
                    var t: Int64 = 0
                    while !p.atEnd {
                        let (f, w) = try p.tag()
                        if f == 1 { v = Double(bitPattern: try p.fixed64()) }
                        else if f == 2 { t = Int64(bitPattern: try p.varint()) }
                        else { try p.skip(wire: w) }
                    }
                    guard d.times.count < limits.maxSamplesPerRequest else {
                        throw WireError(.tooLarge, "more than \(limits.maxSamplesPerRequest) samples in one request (--max-samples-per-request)")
                    }
                    d.times.append(t)
                    d.values.append(v)
                case 3:
                    d.histograms.append((seriesIndex, try Self.decodeHistogram(body, try s.lengthDelimited())))
                case 4:
                    try s.skip(wire: w)
                    d.exemplars += 1
                case 5:
                    var p = ProtoReader(body, try s.lengthDelimited())
                    var m = (type: 0, help: UInt32(0), unit: UInt32(0))
                    while !p.atEnd {
                        let (f, w) = try p.tag()
                        if f == 1 { m.type = Int(truncatingIfNeeded: try p.varint()) }
                        else if f == 3 { m.help = UInt32(truncatingIfNeeded: try p.varint()) }
                        else if f == 4 { m.unit = UInt32(truncatingIfNeeded: try p.varint()) }
                        else { try p.skip(wire: w) }
                    }
                    metadata = m
                default:
                    try s.skip(wire: w)
                }
            }
            guard refs.count % 2 == 0 else { throw WireError(.malformed, "labels_refs has an odd count", offset: range.lowerBound) }
            guard refs.count / 2 <= limits.maxLabelsPerSeries else {
                throw WireError(.tooLarge, "a series with \(refs.count / 2) labels, over the limit of \(limits.maxLabelsPerSeries) (--max-labels-per-series)")
            }
            var labels: [Label] = []
            let keyStart = d.keyArena.count
            for k in stride(from: 0, to: refs.count, by: 2) {
                guard Int(refs[k]) < symbols.count, Int(refs[k + 1]) < symbols.count else {
                    throw WireError(.malformed, "label reference past the symbol table", offset: range.lowerBound)
                }
                let n = symbols[Int(refs[k])], v = symbols[Int(refs[k + 1])]
                labels.append(Label(String(decoding: UnsafeRawBufferPointer(rebasing: body[n]), as: UTF8.self),
                                    String(decoding: UnsafeRawBufferPointer(rebasing: body[v]), as: UTF8.self)))
                for r in [n, v] {
                    var len = UInt32(r.count).littleEndian
                    withUnsafeBytes(of: &len) { d.keyArena.append(contentsOf: $0) }
                    d.keyArena.append(contentsOf: UnsafeRawBufferPointer(rebasing: body[r]))
                }
            }
            if let m = metadata, let name = labels.first(where: { $0.name == "__name__" })?.value {
                func sym(_ i: UInt32) -> String {
                    Int(i) < symbols.count ? String(decoding: UnsafeRawBufferPointer(rebasing: body[symbols[Int(i)]]), as: UTF8.self) : ""
                }
                let types = ["unknown", "counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset"]
                d.metadata.append((name, MetricMetadata(type: m.type >= 0 && m.type < types.count ? types[m.type] : "unknown", help: sym(m.help), unit: sym(m.unit))))
            }
            d.keys.append(keyStart..<d.keyArena.count)
            d.resolvedLabels.append(labels)
            d.labelSpan.append(0..<0)
            d.sampleSpan.append(sampleStart..<d.times.count)
        }
        return try store(d, body: body)
    }
}
