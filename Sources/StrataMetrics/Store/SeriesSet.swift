import StrataStorage
import StrataEncoding
import StrataLabels

/// Where one piece of a selected series' samples lives.
enum SampleSource: Sendable {
    /// A chunk in a block; `order` ranks sources for duplicate timestamps (later wins).
    case chunk(BlockReader, BlockChunkMeta, order: Int)
    /// Samples copied from the head at selection time.
    case memory(timestamps: [Int64], values: [Double], order: Int)

    var minTime: Int64 {
        switch self {
        case .chunk(_, let m, _): m.minTime
        case .memory(let ts, _, _): ts.first ?? .max
        }
    }
    var maxTime: Int64 {
        switch self {
        case .chunk(_, let m, _): m.maxTime
        case .memory(let ts, _, _): ts.last ?? .min
        }
    }
    var order: Int {
        switch self {
        case .chunk(_, _, let o): o
        case .memory(_, _, let o): o
        }
    }
}

/// Where a series' histogram samples come from: a block's histogram chunk, or a copy of the head's.
enum HistogramSource: Sendable {
    case chunk(BlockReader, BlockChunkMeta, order: Int)
    case memory([HistogramSample], order: Int)
}

/// One series chosen by a selection, with lazily decoded samples.
public struct SelectedSeries: Sendable {
    /// The series' labels.
    public let labels: Labels
    let sources: [SampleSource]
    let histogramSources: [HistogramSource]
    let minTime: Int64
    let maxTime: Int64
    /// Times (Unix ms, inclusive ranges) pending deletions hide in this series.
    var hidden: [ClosedRange<Int64>] = []
    /// The end of the last downsampled step among the samples (Unix ms), or `Int64.min` when all are
    /// raw (see `MetricAggregate`).
    package var downsampledThrough = Int64.min
    /// True when some of the samples are aggregates of a downsampled range.
    package var isDownsampled: Bool { downsampledThrough != .min }

    /// An iterator over the samples in the selected time range, oldest first.
    public func makeIterator() -> SeriesSampleIterator {
        SeriesSampleIterator(sources: sources, minTime: minTime, maxTime: maxTime, hidden: hidden)
    }

    /// All samples in the selected range (decodes everything; prefer the iterator for windows).
    /// True when the series may hold native histogram samples in the selected range.
    public var hasHistograms: Bool { !histogramSources.isEmpty }

    /// The series' native histogram samples in the selected range, ascending; where two sources hold the
    /// same timestamp the newer one (head over blocks, later blocks over earlier) wins.
    public func histograms() throws(MetricStoreError) -> [HistogramSample] {
        if histogramSources.isEmpty { return [] }
        var all: [(sample: HistogramSample, order: Int)] = []
        for src in histogramSources {
            switch src {
            case .memory(let hs, let order):
                for h in hs { all.append((h, order)) }
            case .chunk(let reader, let meta, let order):
                do throws(FormatError) {
                    for h in try reader.decodeHistograms(meta) { all.append((h, order)) }
                } catch {
                    throw MetricStoreError.storage(StorageError(path: reader.path, error))
                }
            }
        }
        all.sort { $0.sample.timestamp < $1.sample.timestamp || ($0.sample.timestamp == $1.sample.timestamp && $0.order < $1.order) }
        var out: [HistogramSample] = []
        out.reserveCapacity(all.count)
        for e in all where e.sample.timestamp >= minTime && e.sample.timestamp <= maxTime && !hidden.covers(e.sample.timestamp) {
            if let last = out.last, last.timestamp == e.sample.timestamp {
                out[out.count - 1] = e.sample
            } else {
                out.append(e.sample)
            }
        }
        return out
    }

    public func samples() throws(MetricStoreError) -> [Sample] {
        var it = makeIterator()
        var out: [Sample] = []
        while let s = try it.next() { out.append(s) }
        return out
    }
}

/// The result of a selection: matching series in ascending label order. Holds the
/// blocks it reads from, so compaction cannot delete them while this is alive.
public struct SeriesSet: Sendable {
    public let series: [SelectedSeries]
    let snapshot: (any Sendable)?
}

/// Walks a series' samples across head and blocks in time order, decoding one chunk
/// (or one group of overlapping chunks) at a time. Duplicate timestamps across sources
/// keep the value from the most recently written source.
public struct SeriesSampleIterator: Sendable {
    private var sources: [SampleSource]
    private var next_: Int = 0
    private var ts: [Int64] = []
    private var vs: [Double] = []
    private var pos = 0
    private let minTime: Int64
    private let maxTime: Int64
    private let hidden: [ClosedRange<Int64>]

    init(sources: [SampleSource], minTime: Int64, maxTime: Int64, hidden: [ClosedRange<Int64>] = []) {
        self.sources = sources.sorted { $0.minTime < $1.minTime || ($0.minTime == $1.minTime && $0.order < $1.order) }
        self.minTime = minTime
        self.maxTime = maxTime
        self.hidden = hidden
    }

    /// The next sample, or nil at the end.
    public mutating func next() throws(MetricStoreError) -> Sample? {
        while pos >= ts.count {
            guard try loadNextGroup() else { return nil }
        }
        defer { pos += 1 }
        return Sample(ts[pos], vs[pos])
    }

    /// Appends the remaining samples in the range to the two arrays; returns how many.
    public mutating func drain(timestamps: inout [Int64], values: inout [Double]) throws(MetricStoreError) -> Int {
        var n = 0
        while true {
            if pos < ts.count {
                timestamps.append(contentsOf: ts[pos...])
                values.append(contentsOf: vs[pos...])
                n += ts.count - pos
                pos = ts.count
            }
            // Fast path: a chunk that overlaps nothing else and lies inside the range decodes
            // straight into the caller's arrays, with no merge, trim or copy.
            if hidden.isEmpty, next_ < sources.count, case .chunk(let reader, let meta, _) = sources[next_],
                meta.minTime >= minTime, meta.maxTime <= maxTime,
                next_ + 1 == sources.count || sources[next_ + 1].minTime > meta.maxTime
            {
                do { try reader.decode(meta, timestamps: &timestamps, values: &values) } catch {
                    throw MetricStoreError.storage(StorageError(path: reader.path, error))
                }
                n += meta.count
                next_ += 1
                continue
            }
            guard try loadNextGroup() else { return n }
        }
    }

    private mutating func loadNextGroup() throws(MetricStoreError) -> Bool {
        ts.removeAll(keepingCapacity: true)
        vs.removeAll(keepingCapacity: true)
        pos = 0
        guard next_ < sources.count else { return false }
        // A group: sources whose ranges overlap transitively.
        var group = [sources[next_]]
        var groupMax = sources[next_].maxTime
        next_ += 1
        while next_ < sources.count && sources[next_].minTime <= groupMax {
            group.append(sources[next_])
            groupMax = max(groupMax, sources[next_].maxTime)
            next_ += 1
        }
        if group.count == 1 {
            try Self.decode(group[0], into: &ts, &vs)
        } else {
            // Decode each, then merge; for equal timestamps the highest `order` wins.
            var parts: [(ts: [Int64], vs: [Double], order: Int)] = []
            for g in group {
                var t: [Int64] = [], v: [Double] = []
                try Self.decode(g, into: &t, &v)
                parts.append((t, v, g.order))
            }
            var all: [(t: Int64, order: Int, v: Double)] = []
            for p in parts { for i in p.ts.indices { all.append((p.ts[i], p.order, p.vs[i])) } }
            all.sort { $0.t < $1.t || ($0.t == $1.t && $0.order < $1.order) }
            for e in all {
                if let last = ts.last, last == e.t { vs[vs.count - 1] = e.v; continue }
                ts.append(e.t)
                vs.append(e.v)
            }
        }
        // Trim to the selected range.
        if let first = ts.first, let last = ts.last, first < minTime || last > maxTime {
            var lo = 0
            while lo < ts.count && ts[lo] < minTime { lo += 1 }
            var hi = ts.count
            while hi > lo && ts[hi - 1] > maxTime { hi -= 1 }
            ts = Array(ts[lo..<hi])
            vs = Array(vs[lo..<hi])
        }
        if !hidden.isEmpty { dropHidden() }
        return true
    }

    /// Removes the samples a pending deletion hides from the loaded group.
    private mutating func dropHidden() {
        var k = 0
        for i in ts.indices where !hidden.covers(ts[i]) {
            ts[k] = ts[i]
            vs[k] = vs[i]
            k += 1
        }
        ts.removeSubrange(k...)
        vs.removeSubrange(k...)
    }

    private static func decode(_ s: SampleSource, into t: inout [Int64], _ v: inout [Double]) throws(MetricStoreError) {
        switch s {
        case .memory(let mts, let mvs, _):
            t.append(contentsOf: mts)
            v.append(contentsOf: mvs)
        case .chunk(let reader, let meta, _):
            do { try reader.decode(meta, timestamps: &t, values: &v) } catch { throw MetricStoreError.storage(StorageError(path: reader.path, error)) }
        }
    }
}
