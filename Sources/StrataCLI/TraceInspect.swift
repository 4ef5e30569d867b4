import Strata
import StrataCLIKit

/// The `traces` object of `strata inspect --json`.
func traceInspectJSON(_ t: TraceStoreStats) -> String {
    "\"traces\":{\"spans\":\(t.spans),\"traces\":\(t.traces),\"bytes\":\(t.bytes),\"segments\":\(t.segments),"
        + "\"head_spans\":\(t.headSpans),\"pending_events\":\(t.pendingEvents),"
        + "\"min_time\":\(t.minTime.map { String($0 / 1000) } ?? "null"),\"max_time\":\(t.maxTime.map { String($0 / 1000) } ?? "null")}"
}

/// The trace store's table in `strata inspect`.
func traceInspectTable(_ t: TraceStoreStats) -> String {
    let perSpan = t.spans > 0 ? String(format3: Double(t.bytes) / Double(t.spans)) : "-"
    let range = t.minTime.map { TimeSpec.formatRFC3339($0 / 1000) + " .. " + TimeSpec.formatRFC3339((t.maxTime ?? $0) / 1000) } ?? "-"
    return Table(
        header: ["store", "traces", "spans", "segments", "on disk", "bytes/span", "time range"],
        rows: [["traces", "\(t.traces)", "\(t.spans)", "\(t.segments)", formatBytes(t.bytes), perSpan, range]]
    ).render()
}
