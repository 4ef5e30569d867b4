import StrataEncoding
import StrataLabels
import StrataStorage

extension MetricStore {
    /// Block facts kept in the manifest entry: `[seriesCount varint]`.
    static func encodeBlockMeta(_ s: BlockStats) -> [UInt8] {
        var w = ByteWriter(capacity: 8)
        w.appendVarint(UInt64(s.seriesCount))
        return w.bytes
    }

    /// Applies one replayed WAL record to the head. Samples whose series record is missing are skipped.
    static func replay(_ type: UInt8, _ payload: UnsafeRawBufferPointer, into head: inout Head) throws {
            switch type {
            case MetricWALRecord.series:
                try MetricWALRecord.decodeSeries(payload) { (ref: UInt32, labels: Labels) in
                    if head.ref(of: labels) == nil && Int(ref) == head.seriesCount {
                        _ = head.register(labels, ref: ref)
                    } else if head.ref(of: labels) == nil {
                        // Refs are dense and logged in order; a gap means a lost record. Register at the next slot.
                        _ = head.register(labels)
                    }
                }
            case MetricWALRecord.samples:
                try MetricWALRecord.decodeSamples(payload) { ref, t, v in
                    if head.isValid(ref) { _ = head.add(ref: ref, t, v) }
                }
            case MetricWALRecord.histograms:
                try MetricWALRecord.decodeHistograms(payload) { ref, sample in
                    if head.isValid(ref) { _ = head.addHistogram(ref: ref, sample.timestamp, sample.histogram) }
                }
            default:
                break
            }
    }

    /// Restates every series and every sample still in the head into the current WAL segment.
    static func writeCheckpoint(_ head: Head, to wal: WriteAheadLog) throws {
        var w = ByteWriter(capacity: 1 << 16)
        var pending: [(UInt32, Labels)] = []
        for (i, s) in head.series.enumerated() {
            pending.append((UInt32(i), s.labels))
            if pending.count == 1024 {
                MetricWALRecord.encodeSeries(pending, into: &w)
                try wal.append(type: MetricWALRecord.series, payload: w.bytes)
                w = ByteWriter(capacity: 1 << 16)
                pending.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty {
            MetricWALRecord.encodeSeries(pending, into: &w)
            try wal.append(type: MetricWALRecord.series, payload: w.bytes)
        }
        for (i, s) in head.series.enumerated() where !s.timestamps.isEmpty {
            let refs = [UInt32](repeating: UInt32(i), count: s.timestamps.count)
            var sw = ByteWriter(capacity: s.timestamps.count * 12 + 16)
            refs.withUnsafeBufferPointer { r in
                s.timestamps.withUnsafeBufferPointer { t in
                    s.values.withUnsafeBufferPointer { v in
                        MetricWALRecord.encodeSamples(refs: r, timestamps: t, values: v, into: &sw)
                    }
                }
            }
            try wal.append(type: MetricWALRecord.samples, payload: sw.bytes)
        }
        for (i, s) in head.series.enumerated() where !s.histograms.isEmpty {
            var hw = ByteWriter(capacity: s.histograms.count * 64 + 16)
            MetricWALRecord.encodeHistograms(ref: UInt32(i), s.histograms[...], into: &hw)
            try wal.append(type: MetricWALRecord.histograms, payload: hw.bytes)
        }
    }
}
