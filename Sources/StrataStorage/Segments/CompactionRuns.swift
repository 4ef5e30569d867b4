/// The merges a size-and-window compaction makes (the log and trace stores' planner).
package enum CompactionRuns {
    /// Runs of at least two neighbours of `sorted` (already in the store's merge order) whose
    /// `weight`s add up to at most `target` and whose time range spans at most `window` (in the
    /// entries' time unit). A segment of at least half the target is left alone and ends a run.
    package static func plan(_ sorted: [SegmentEntry], target: Int, window: Int64, weight: (SegmentEntry) -> Int) -> [[SegmentEntry]] {
        var runs: [[SegmentEntry]] = []
        var run: [SegmentEntry] = []
        var runWeight = 0
        var runMin = Int64.max, runMax = Int64.min
        func close() {
            if run.count >= 2 { runs.append(run) }
            (run, runWeight, runMin, runMax) = ([], 0, .max, .min)
        }
        for e in sorted {
            let w = weight(e)
            if w >= target / 2 {
                close()
                continue
            }
            let span = max(runMax, e.maxTime).subtractingReportingOverflow(min(runMin, e.minTime))
            if !run.isEmpty && (runWeight + w > target || span.overflow || span.partialValue > window) { close() }
            run.append(e)
            runWeight += w
            runMin = min(runMin, e.minTime)
            runMax = max(runMax, e.maxTime)
        }
        close()
        return runs
    }
}
