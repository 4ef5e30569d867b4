import StrataEncoding
import StrataLabels
import StrataStorage

/// One downsampling level: samples older than `after` become aggregates per `resolution` step.
public struct DownsampleLevel: Sendable, Equatable {
    /// Age (ms before the reference time) past which the level applies.
    public var after: Int64
    /// The step of the aggregates, ms (each level's a multiple of the previous level's).
    public var resolution: Int64
    public init(after: Int64, resolution: Int64) {
        self.after = after
        self.resolution = resolution
    }
}

/// Which aggregate a selection over downsampled time ranges returns (raw ranges always return raw
/// samples, except as `count` says). The first five are stored (the `__strata_aggr__` label values);
/// `average` is `sum / count`, what a plain selection returns.
public enum MetricAggregate: String, Sendable, CaseIterable {
    /// Samples per step. Raw samples of a series that has downsampled data in the range read as 1 each,
    /// so that summing the values counts samples across raw and downsampled ranges alike.
    case count
    /// Sum of the values in each step.
    case sum
    case min
    case max
    /// The counter with resets applied (monotonic), one point per step; raw samples after the
    /// downsampled range continue it. Series without downsampled data in the range read raw.
    case counter
    /// `sum / count` per step.
    case average

    /// The aggregates written for every downsampled series.
    static let stored: [MetricAggregate] = [.count, .sum, .min, .max, .counter]
}

/// One level of a `MetricStore.downsample` pass.
public struct MetricDownsampleStep: Sendable, Equatable {
    /// Resolution written (ms); `inputResolution` is what it read (0: raw samples).
    public var resolution: Int64
    public var inputResolution: Int64
    /// Samples (or finer aggregate steps) at or before `cut` (Unix ms, a multiple of `resolution`) were aggregated.
    public var cut: Int64
    /// The blocks read and replaced, and their file bytes.
    public var inputs: [String]
    public var inputBytes: Int
    /// Raw samples (or finer steps) turned into aggregates.
    public var aggregatedSamples: Int
    /// Samples newer than the cut (and histogram samples) written back as they were.
    public var keptSamples: Int
    /// Aggregate steps written (each is one point in each of the five aggregate series).
    public var steps: Int
    /// The blocks written (empty in a dry run) and their bytes.
    public var outputs: [String]
    public var outputBytes: Int
}

/// What `MetricStore.downsample` did, or would do (`dryRun`).
public struct MetricDownsampleReport: Sendable, Equatable {
    public var steps: [MetricDownsampleStep] = []
    public init() {}
}

extension MetricStore {
    /// The reserved label naming which aggregate a stored series of a downsampled block holds.
    public static let aggregateLabel = "__strata_aggr__"

    /// The manifest metadata of a block: `[seriesCount varint]`, then `[resolution ms varint]` for a
    /// downsampled block.
    static func encodeBlockMeta(_ s: BlockStats, resolution: Int64) -> [UInt8] {
        var w = ByteWriter(capacity: 12)
        w.appendVarint(UInt64(s.seriesCount))
        if resolution > 0 { w.appendVarint(UInt64(resolution)) }
        return w.bytes
    }

    /// The resolution of a block (0: raw samples) from its manifest metadata. Bytes that do not
    /// decode count as raw (the block reader checks the block itself).
    static func blockResolution(_ e: SegmentEntry) -> Int64 {
        var r = ByteReader(e.metadata)
        do throws(FormatError) {
            _ = try r.readVarint()
            if r.isAtEnd { return 0 }
            let v = try r.readVarint()
            return v > UInt64(Int64.max) ? 0 : Int64(v)
        } catch {
            return 0
        }
    }
}

/// The aggregates of one series over consecutive steps. `ts` are step ends: step `(t - r, t]` is
/// stamped `t`. `counter` is the reset-adjusted running counter at the end of each step; `marker`
/// is the value the next piece of the series continues from (the last raw value when raw samples
/// follow).
struct AggregateRun {
    var ts: [Int64] = []
    var count: [Double] = []
    var sum: [Double] = []
    var min: [Double] = []
    var max: [Double] = []
    var counter: [Double] = []
    var marker: Double = 0

    var isEmpty: Bool { ts.isEmpty }

    mutating func append(_ t: Int64, count c: Double, sum s: Double, min lo: Double, max hi: Double, counter k: Double) {
        ts.append(t)
        count.append(c)
        sum.append(s)
        min.append(lo)
        max.append(hi)
        counter.append(k)
    }

    func values(_ a: MetricAggregate) -> [Double] {
        switch a {
        case .count: count
        case .sum: sum
        case .min: min
        case .max: max
        case .counter: counter
        case .average: zip(sum, count).map { $0 / $1 }
        }
    }

    /// The steps in `range` (indices); the counter piece before a split continues into the next
    /// piece, so its marker is its own last counter value.
    func slice(_ range: Range<Int>, marker m: Double? = nil) -> AggregateRun {
        var out = AggregateRun()
        out.ts = Array(ts[range])
        out.count = Array(count[range])
        out.sum = Array(sum[range])
        out.min = Array(min[range])
        out.max = Array(max[range])
        out.counter = Array(counter[range])
        out.marker = m ?? (counter[range].last ?? marker)
        return out
    }

    /// The stored points of the `counter` series: one per step, except that the last step's value
    /// moves 1 ms earlier and the marker takes the last step's time (timestamps stay strictly increasing).
    func storedCounter() -> (ts: [Int64], vs: [Double]) {
        var t = ts
        var v = counter
        guard let last = t.last else { return ([], []) }
        t[t.count - 1] = last - 1
        t.append(last)
        v.append(marker)
        return (t, v)
    }

    /// The stored points of one of the other aggregates.
    func stored(_ a: MetricAggregate) -> (ts: [Int64], vs: [Double]) {
        a == .counter ? storedCounter() : (ts, values(a))
    }

    /// Rebuilds a run from the five stored series of one block (their points as read). Steps missing
    /// from an aggregate (a damaged or foreign block) are dropped.
    static func fromStored(_ parts: [MetricAggregate: (ts: [Int64], vs: [Double])]) -> AggregateRun {
        var out = AggregateRun()
        guard let c = parts[.count], let s = parts[.sum], let lo = parts[.min], let hi = parts[.max] else { return out }
        var counterTs: [Int64] = []
        var counterVs: [Double] = []
        var marker = 0.0
        if let k = parts[.counter], k.ts.count >= 2 {
            counterTs = Array(k.ts.dropLast())
            counterVs = Array(k.vs.dropLast())
            counterTs[counterTs.count - 1] = k.ts[k.ts.count - 1]
            marker = k.vs[k.vs.count - 1]
        } else if let k = parts[.counter] {
            counterTs = k.ts
            counterVs = k.vs
            marker = k.vs.last ?? 0
        }
        guard c.ts == s.ts, c.ts == lo.ts, c.ts == hi.ts, c.ts == counterTs else { return out }
        out.ts = c.ts
        out.count = c.vs
        out.sum = s.vs
        out.min = lo.vs
        out.max = hi.vs
        out.counter = counterVs
        out.marker = marker
        return out
    }
}

/// Turns pieces of one counter (aggregate runs and raw samples, in time order) into one monotonic
/// series: the raw samples get resets applied, and each run continues from the piece before it
/// (a run's values start from the previous piece's marker, or the last raw value).
struct CounterStitcher {
    /// The stitched value at the end of the last piece, and the value the next piece continues from.
    private(set) var total: Double? = nil
    private(set) var last: Double? = nil

    /// The stitched values of a run's counter steps.
    mutating func run(_ counter: [Double], marker: Double) -> [Double] {
        guard !counter.isEmpty else { return [] }
        var offset = 0.0
        if let total, let last { offset = total - last }
        let out = counter.map { $0 + offset }
        total = out.last
        self.last = marker
        return out
    }

    /// The stitched value of a raw sample.
    mutating func raw(_ v: Double) -> Double {
        if let t = total, let l = last {
            let next = t + (v >= l ? v - l : v)
            total = next
        } else {
            total = v
        }
        last = v
        return total!
    }
}

enum Downsampler {
    /// Step end of the step holding `t`: steps are `(k·r, (k+1)·r]`.
    static func stepEnd(_ t: Int64, _ r: Int64) -> Int64 {
        let q = MetricStore.floorDiv(t, r)
        return q * r == t ? t : (q + 1) * r
    }

    /// Aggregates raw samples (ascending; NaN values are skipped) into steps of `r`. The counter
    /// continues from `baseline` (the marker of the series' previous downsampled piece) when given,
    /// else starts at the first value. The marker is the last raw value.
    static func aggregateRaw(_ ts: [Int64], _ vs: [Double], resolution r: Int64, baseline: Double?) -> AggregateRun {
        var out = AggregateRun()
        var running = baseline
        var prev = baseline
        var i = 0
        while i < ts.count {
            let end = stepEnd(ts[i], r)
            var c = 0.0, s = 0.0, lo = Double.infinity, hi = -Double.infinity
            while i < ts.count && ts[i] <= end {
                let v = vs[i]
                i += 1
                if v.isNaN { continue }
                if let p = prev, let run = running {
                    running = run + (v >= p ? v - p : v)
                } else {
                    running = v
                }
                prev = v
                c += 1
                s += v
                lo = Swift.min(lo, v)
                hi = Swift.max(hi, v)
            }
            if c > 0, let run = running { out.append(end, count: c, sum: s, min: lo, max: hi, counter: run) }
        }
        out.marker = prev ?? 0
        return out
    }

    /// Combines finer runs (time-ordered, non-overlapping; each continuing from the one before)
    /// into steps of `r`: counts and sums add, min of mins, max of maxes, the counter is the
    /// stitched counter at the end of each step. The marker is the last run's.
    static func aggregateRuns(_ runs: [AggregateRun], resolution r: Int64) -> AggregateRun {
        var out = AggregateRun()
        var stitch = CounterStitcher()
        var marker = 0.0
        for run in runs where !run.isEmpty {
            let counter = stitch.run(run.counter, marker: run.marker)
            marker = run.marker
            for k in run.ts.indices {
                let end = stepEnd(run.ts[k], r)
                if let lastT = out.ts.last, lastT == end {
                    let j = out.ts.count - 1
                    out.count[j] += run.count[k]
                    out.sum[j] += run.sum[k]
                    out.min[j] = Swift.min(out.min[j], run.min[k])
                    out.max[j] = Swift.max(out.max[j], run.max[k])
                    out.counter[j] = counter[k]
                } else {
                    out.append(end, count: run.count[k], sum: run.sum[k], min: run.min[k], max: run.max[k], counter: counter[k])
                }
            }
        }
        out.marker = marker
        return out
    }
}
