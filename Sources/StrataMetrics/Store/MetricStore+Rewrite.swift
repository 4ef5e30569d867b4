import StrataEncoding
import StrataLabels
import StrataStorage

/// The label a downsampled series carries next to its own labels (which aggregate it holds).
/// Retention rules and deletions match a series by its own labels: this one is ignored.
let rewriteIgnoredLabel = "__strata_aggr__"

/// True when `labels` satisfy every matcher, reading `__strata_aggr__` as absent.
func matchesIgnoringAggregate(_ matchers: [LabelMatcher], _ labels: Labels) -> Bool {
    for m in matchers {
        let v = m.name == rewriteIgnoredLabel ? "" : (labels[m.name] ?? "")
        if !m.matches(v) { return false }
    }
    return true
}

/// A series' identity for counting: its labels without `__strata_aggr__`.
func seriesIdentity(_ labels: Labels) -> Labels {
    labels[rewriteIgnoredLabel] == nil ? labels : labels.removing([rewriteIgnoredLabel])
}

/// Inclusive Unix-ms ranges of one series' samples to drop (retention cut or tombstones).
typealias DropRanges = [ClosedRange<Int64>]

extension Array where Element == ClosedRange<Int64> {
    @inline(__always)
    func covers(_ t: Int64) -> Bool {
        for r in self where r.contains(t) { return true }
        return false
    }
    /// True when some range holds the whole of `[lo, hi]`.
    func coversAll(_ lo: Int64, _ hi: Int64) -> Bool {
        for r in self where r.lowerBound <= lo && hi <= r.upperBound { return true }
        return false
    }
    func meets(_ lo: Int64, _ hi: Int64) -> Bool {
        for r in self where r.lowerBound <= hi && lo <= r.upperBound { return true }
        return false
    }
}

/// One block a retention or deletion pass rewrote: the input, the output that replaced it and their samples.
public struct MetricBlockRewrite: Sendable, Equatable {
    /// The input block file.
    public var input: String
    /// The block that replaced it (nil in a dry run).
    public var output: String?
    public var samplesBefore: Int
    public var samplesAfter: Int
}

/// What filtering one block gives: its samples before, and those dropped (the kept series go
/// straight into the rewrite's block writer).
struct FilteredBlock {
    var entry: SegmentEntry
    /// The entry's position in the manifest (publication order: later blocks win at equal times).
    var order: Int
    var samplesBefore: Int
    var dropped: Int
    var keptSamples: Int { samplesBefore - dropped }
}

/// A plan over the live blocks: which to drop whole, which to rewrite (by group, each group one publish).
struct RewritePlan {
    var dropped: [FilteredBlock] = []
    var groups: [[FilteredBlock]] = []
    var samplesDropped = 0
    var identitiesBefore = Set<Labels>()
    var identitiesAfter = Set<Labels>()
    var bytesBefore = 0
    /// The live segments the plan saw (a block not among them was published since).
    var known = Set<String>()
}

extension MetricStore {
    /// Plans removing, from every live block, the samples `drops(labels)` names.
    ///
    /// A block whose every sample goes is dropped; one that loses some is rewritten. A block
    /// written after a rewritten one that overlaps it in time is rewritten too (unchanged), so
    /// that the outputs keep their inputs' publication order and, at a time two blocks hold, the
    /// newer block keeps winning. Rewritten blocks that overlap form one group (one publish).
    func planRewrite(_ drops: (Labels) -> DropRanges) throws(MetricStoreError) -> RewritePlan {
        var plan = RewritePlan()
        let live = segments.entries
        plan.known = Set(live.map(\.name))
        let blocks = live.filter { $0.kind == SegmentKind.metricBlock }
        var changed: [Int: FilteredBlock] = [:]
        for (order, e) in blocks.enumerated() {
            plan.bytesBefore += Int(e.sizeBytes)
            var none: BlockWriter? = nil  // a plan holds counts, not samples
            if let f = try filterBlock(e, order: order, drops: drops, force: false, plan: &plan, into: &none) {
                if f.keptSamples == 0 { plan.dropped.append(f) } else { changed[order] = f }
            }
        }
        // Carry later overlapping blocks along, until nothing more is added.
        var grew = true
        while grew {
            grew = false
            for (order, e) in blocks.enumerated() where changed[order] == nil && !plan.dropped.contains(where: { $0.order == order }) {
                let overlapsEarlierChanged = changed.values.contains { $0.order < order && $0.entry.minTime <= e.maxTime && e.minTime <= $0.entry.maxTime }
                var scratch = RewritePlan()
                var none: BlockWriter? = nil
                if overlapsEarlierChanged, let f = try filterBlock(e, order: order, drops: { _ in [] }, force: true, plan: &scratch, into: &none) {
                    changed[order] = f
                    grew = true
                }
            }
        }
        // Groups: connected by time overlap.
        var rest = changed.values.sorted { $0.order < $1.order }
        while !rest.isEmpty {
            var group = [rest.removeFirst()]
            var added = true
            while added {
                added = false
                rest.removeAll { f in
                    let meets = group.contains { $0.entry.minTime <= f.entry.maxTime && f.entry.minTime <= $0.entry.maxTime }
                    if meets { group.append(f); added = true }
                    return meets
                }
            }
            plan.groups.append(group.sorted { $0.order < $1.order })
        }
        return plan
    }

    /// The samples of `entry` minus `drops`; nil when nothing in it is dropped (unless `force`).
    /// Adds to `plan` the dropped samples and the series identities (own labels) before and after.
    /// - Parameter writer: when given, the kept series are added to it (in label order): a plan
    ///   holds counts, and a rewrite holds the encoded output, never a block's decoded samples.
    private func filterBlock(
        _ entry: SegmentEntry, order: Int, drops: (Labels) -> DropRanges, force: Bool, plan: inout RewritePlan,
        into writer: inout BlockWriter?
    ) throws(MetricStoreError) -> FilteredBlock? {
        let reader = try self.reader(for: entry.name)
        do throws(FormatError) {
            var perSeries: [(labels: Labels, drops: DropRanges, chunks: [BlockChunkMeta], hchunks: [BlockChunkMeta])] = []
            var touched = force
            for id in 0..<UInt32(reader.seriesOffsets.count) {
                let s = try reader.series(id)
                let d = drops(s.labels)
                if !d.isEmpty && (s.chunks.contains { d.meets($0.minTime, $0.maxTime) } || s.histogramChunks.contains { d.meets($0.minTime, $0.maxTime) }) {
                    touched = true
                }
                perSeries.append((s.labels, d, s.chunks, s.histogramChunks))
            }
            if !touched {
                for s in perSeries {
                    let i = seriesIdentity(s.labels)
                    plan.identitiesBefore.insert(i)
                    plan.identitiesAfter.insert(i)
                }
                return nil
            }
            var out = FilteredBlock(entry: entry, order: order, samplesBefore: Int(entry.recordCount), dropped: 0)
            var total = 0
            for s in perSeries {
                var ts: [Int64] = [], vs: [Double] = []
                for c in s.chunks { try reader.decode(c, timestamps: &ts, values: &vs) }
                var hs: [HistogramSample] = []
                for c in s.hchunks { hs += try reader.decodeHistograms(c) }
                total += ts.count + hs.count
                if !s.drops.isEmpty {
                    var kt: [Int64] = [], kv: [Double] = []
                    kt.reserveCapacity(ts.count)
                    kv.reserveCapacity(ts.count)
                    if s.labels[rewriteIgnoredLabel] == MetricAggregate.counter.rawValue {
                        // A downsampled counter is a chain (its last step 1 ms early, then a marker):
                        // dropping steps must leave a chain.
                        (kt, kv) = MetricStore.filterCounterChain(ts, vs) { !s.drops.covers($0) }
                    } else {
                        for i in ts.indices where !s.drops.covers(ts[i]) { kt.append(ts[i]); kv.append(vs[i]) }
                    }
                    let kh = hs.filter { !s.drops.covers($0.timestamp) }
                    out.dropped += ts.count - kt.count + hs.count - kh.count
                    (ts, vs, hs) = (kt, kv, kh)
                }
                let identity = seriesIdentity(s.labels)
                plan.identitiesBefore.insert(identity)
                if !ts.isEmpty || !hs.isEmpty {
                    writer?.add(s.labels, timestamps: ts, values: vs, histograms: hs)
                    plan.identitiesAfter.insert(identity)
                }
            }
            out.samplesBefore = total
            if !force && out.dropped == 0 {
                // Chunks met a range but held no sample inside it: the block stays as it is.
                return nil
            }
            plan.samplesDropped += out.dropped
            return out
        } catch {
            throw MetricStoreError.storage(StorageError(path: reader.path, error))
        }
    }

    /// Executes a plan: each dropped block goes in its own publish, each group is written and
    /// published in one manifest write that retires its inputs. A group a flush overlapped
    /// meanwhile is not published (its outputs are removed): the caller plans again.
    /// - Returns: the rewrites done and whether a group was skipped.
    func executeRewrite(_ plan: RewritePlan, _ drops: (Labels) -> DropRanges) throws(MetricStoreError)
        -> (dropped: [String], rewrites: [MetricBlockRewrite], skipped: Bool)
    {
        var dropped: [String] = []
        var rewrites: [MetricBlockRewrite] = []
        var skipped = false
        for d in plan.dropped {
            do throws(StorageError) { try segments.publish(adding: [], removing: [d.entry.name]) } catch { throw .storage(error) }
            readers.remove(path: segments.path(of: d.entry.name))
            dropped.append(d.entry.name)
        }
        for group in plan.groups {
            var added: [SegmentEntry] = []
            var done: [MetricBlockRewrite] = []
            let published: Bool
            do throws(MetricStoreError) {
                for planned in group {
                    // One block's samples in memory at a time: decoded again, filtered, written.
                    var scratch = RewritePlan()
                    var sink: BlockWriter? = BlockWriter(maxChunkSamples: options.maxChunkSamples)
                    guard let f = try filterBlock(planned.entry, order: planned.order, drops: drops, force: true, plan: &scratch, into: &sink),
                        var writer = sink
                    else { continue }
                    let (bytes, stats) = writer.finish()
                    let name = segments.nextSegmentName(ext: FileNames.metricBlockExtension)
                    do throws(StorageError) {
                        try AtomicFile.write(bytes, to: segments.path(of: name), fs: fs)
                    } catch {
                        throw .storage(error.withSpaceNeeded(bytes.count))
                    }
                    added.append(
                        SegmentEntry(
                            name: name, kind: SegmentKind.metricBlock, level: f.entry.level, minTime: stats.minTime,
                            maxTime: stats.maxTime, sizeBytes: UInt64(bytes.count), recordCount: UInt64(stats.sampleCount),
                            metadata: MetricStore.encodeBlockMeta(stats) + MetricStore.blockMetaTail(f.entry.metadata)))
                    done.append(MetricBlockRewrite(input: f.entry.name, output: name, samplesBefore: f.samplesBefore, samplesAfter: stats.sampleCount))
                }
            } catch {
                // Nothing of this group was published: its outputs are orphans.
                for a in added { try? fs.unlink(segments.path(of: a.name)) }
                throw error
            }
            // Under the store's lock, which a flush holds while it publishes: a block published
            // since the plan that overlaps an output is newer and must keep winning; skip.
            published = try state.withLock { _ throws(MetricStoreError) -> Bool in
                let overlapped = segments.entries.contains { e in
                    !plan.known.contains(e.name) && e.kind == SegmentKind.metricBlock
                        && added.contains { $0.maxTime >= e.minTime && $0.minTime <= e.maxTime }
                }
                if overlapped { return false }
                do throws(StorageError) {
                    try segments.publish(adding: added, removing: group.map(\.entry.name))
                } catch {
                    throw .storage(error)
                }
                return true
            }
            // (A failed publish leaves the outputs alone: the manifest may name them; open removes orphans.)
            if !published {
                for a in added { try? fs.unlink(segments.path(of: a.name)) }
                skipped = true
                continue
            }
            for f in group { readers.remove(path: segments.path(of: f.entry.name)) }
            rewrites += done
        }
        return (dropped, rewrites, skipped)
    }

    /// The bytes of a block entry's metadata after its first varint (the series count): what a
    /// rewrite keeps (a downsampled block's resolution).
    static func blockMetaTail(_ meta: [UInt8]) -> [UInt8] {
        for i in 0..<min(meta.count, 10) where meta[i] & 0x80 == 0 { return Array(meta[(i + 1)...]) }
        return []
    }

    /// Bytes of the live blocks.
    func blockBytes() -> Int {
        segments.entries.filter { $0.kind == SegmentKind.metricBlock }.reduce(0) { $0 + Int($1.sizeBytes) }
    }
}

/// What `runRewrite` did (or would do).
struct RewriteOutcome {
    var dropped: [String] = []
    var rewritten: [MetricBlockRewrite] = []
    var samplesDropped = 0
    var seriesRemoved = 0
    var bytesBefore = 0
    var bytesAfter = 0
    var estimated = false
    var complete = false
}

extension MetricStore {
    /// Removes what `drops` names from every block: plans, executes, and plans again when a
    /// flush published an overlapping block meanwhile (at most 8 passes; `complete` says whether
    /// the last plan was carried out). Call it under `compacting`, after flushing the head.
    /// A dry run plans once, counts what the head would lose too, and estimates the bytes after
    /// from the kept share of each rewritten block's samples.
    func runRewrite(dryRun: Bool, _ drops: (Labels) -> DropRanges) throws(MetricStoreError) -> RewriteOutcome {
        var out = RewriteOutcome()
        var firstBefore: Set<Labels>? = nil
        var lastAfter = Set<Labels>()
        for pass in 0..<8 {
            var plan = try planRewrite(drops)
            if pass == 0 { out.bytesBefore = plan.bytesBefore }
            if dryRun {
                headDrops(drops, into: &plan)
                out.dropped = plan.dropped.map(\.entry.name)
                out.rewritten = plan.groups.flatMap { g in
                    g.map { MetricBlockRewrite(input: $0.entry.name, output: nil, samplesBefore: $0.samplesBefore, samplesAfter: $0.keptSamples) }
                }
                out.samplesDropped = plan.samplesDropped
                out.seriesRemoved = plan.identitiesBefore.subtracting(plan.identitiesAfter).count
                var after = plan.bytesBefore - plan.dropped.reduce(0) { $0 + Int($1.entry.sizeBytes) }
                for f in plan.groups.joined() where f.samplesBefore > 0 {
                    after -= Int(f.entry.sizeBytes) - Int(f.entry.sizeBytes) * f.keptSamples / f.samplesBefore
                }
                out.bytesAfter = after
                out.estimated = true
                out.complete = true
                return out
            }
            if firstBefore == nil { firstBefore = plan.identitiesBefore }
            lastAfter = plan.identitiesAfter
            if plan.dropped.isEmpty && plan.groups.isEmpty {
                out.complete = true
                break
            }
            let r = try executeRewrite(plan, drops)
            out.dropped += r.dropped
            out.rewritten += r.rewrites
            out.samplesDropped += plan.dropped.reduce(0) { $0 + $1.samplesBefore } + r.rewrites.reduce(0) { $0 + $1.samplesBefore - $1.samplesAfter }
            if !r.skipped {
                out.complete = true
                break
            }
        }
        out.seriesRemoved = (firstBefore ?? []).subtracting(lastAfter).count
        out.bytesAfter = blockBytes()
        return out
    }

    /// A dry run's view of the head: the samples `drops` would remove from it once flushed.
    private func headDrops(_ drops: (Labels) -> DropRanges, into plan: inout RewritePlan) {
        let counts = state.withLock { st -> [(Labels, total: Int, gone: Int)] in
            var out: [(Labels, total: Int, gone: Int)] = []
            for s in st.head.series where !s.timestamps.isEmpty || !s.histograms.isEmpty {
                let d = drops(s.labels)
                var gone = 0
                if !d.isEmpty {
                    for t in s.timestamps where d.covers(t) { gone += 1 }
                    for h in s.histograms where d.covers(h.timestamp) { gone += 1 }
                }
                out.append((s.labels, s.timestamps.count + s.histograms.count, gone))
            }
            return out
        }
        for (labels, total, gone) in counts {
            let id = seriesIdentity(labels)
            plan.identitiesBefore.insert(id)
            plan.samplesDropped += gone
            if gone < total { plan.identitiesAfter.insert(id) }
        }
    }
}

extension Head {
    /// The values of label `name` among the head series that hold samples (a series retention or
    /// a deletion emptied stays registered in the head, and must not show in label lists).
    func valuesWithSamples(_ name: String) -> [String] {
        guard let values = postings[name] else { return [] }
        return values.compactMap { v, refs in
            refs.contains { !series[Int($0)].timestamps.isEmpty || !series[Int($0)].histograms.isEmpty } ? v : nil
        }
    }
}

/// The series of several blocks, for work that goes one series at a time across them (merges,
/// downsampling): each input's reader, its series ids by key, and every key, sorted.
struct SeriesAcrossBlocks {
    var readers: [BlockReader] = []
    var ids: [[Labels: [UInt32]]] = []
    var keys: [Labels] = []
}

extension MetricStore {
    /// Indexes the series of `inputs` by `key` (nil: the series is left out): a merge keys by the
    /// labels, a level over aggregates by the labels without `__strata_aggr__`.
    func seriesAcross(_ inputs: [SegmentEntry], key: (Labels) -> Labels? = { $0 }) throws(MetricStoreError) -> SeriesAcrossBlocks {
        var out = SeriesAcrossBlocks()
        var all = Set<Labels>()
        for e in inputs {
            let reader = try self.reader(for: e.name)
            var ids: [Labels: [UInt32]] = [:]
            do throws(FormatError) {
                for id in 0..<UInt32(reader.seriesOffsets.count) {
                    if let k = key(try reader.series(id).labels) { ids[k, default: []].append(id) }
                }
            } catch {
                throw MetricStoreError.storage(StorageError(path: reader.path, error))
            }
            all.formUnion(ids.keys)
            out.readers.append(reader)
            out.ids.append(ids)
        }
        out.keys = all.sorted()
        return out
    }
}
