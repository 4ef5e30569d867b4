import StrataIngest
import StrataStorage
import StrataTraces

#if canImport(Glibc)
import Glibc
#endif

// TraceBench: the trace store's figures on simulator traces scaled up (Tools/bench-traces.sh).
//   TraceBench <osprofiler.jsonl from `strata generate`> <scratch dir> [--spans N] [--lookups N] [--searches N]

func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// CPU time of this thread: the "one core" figure, fair on a machine others share.
func cpuNow() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func percentile(_ v: [Double], _ q: Double) -> Double {
    let s = v.sorted()
    guard !s.isEmpty else { return 0 }
    return s[min(s.count - 1, max(0, Int((q * Double(s.count)).rounded(.up)) - 1))]
}

func f(_ v: Double, _ d: Int = 2) -> String {
    var scale = 1.0
    for _ in 0..<d { scale *= 10 }
    return String((v * scale).rounded() / scale)
}

/// Prints a line and flushes it (the output may be a file while the run goes on).
func say(_ s: String) {
    print(s)
    fflush(nil)
}

let args = CommandLine.arguments
guard args.count >= 3 else {
    say("usage: TraceBench <osprofiler.jsonl> <scratch dir> [--spans N] [--lookups N] [--searches N]")
    exit(2)
}
func option(_ name: String, _ d: Int) -> Int {
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return d }
    return v
}
let targetSpans = option("--spans", 10_000_000)
let lookups = option("--lookups", 2000)
let searches = option("--searches", 50)
let fs = SystemFileSystem()

// The template: the simulator's spans.
let raw = try fs.readFile(args[1])
var parser = OsprofilerParser()
var assembler = SpanAssembler()
_ = raw.withUnsafeBytes { parser.parse($0, final: true, onEvent: { assembler.add($0) }, onProblem: { _ in }) }
assembler.expireAll()
let template = assembler.takeCompleted()
let replica = SimulatorReplica(template: template)
let replicas = (targetSpans + template.count - 1) / template.count
say("template: \(template.count) spans, \(Set(template.map(\.baseID)).count) traces, \(f(Double(raw.count) / Double(template.count), 0)) bytes of event JSON a span, period \(f(Double(replica.period) / 3.6e9)) h")

// Ingest: event JSON -> parser -> store (no WAL, as `strata ingest`), flushes included.
let dir = args[2] + "/tracebench-\(getpid())"
try fs.createDirectory(dir)
var options = TraceStoreOptions()
options.durability = .none
let store = try TraceStore(directory: dir, options: options)
var ingestNanos: UInt64 = 0
var ingestCPU: UInt64 = 0
var jsonBytes = 0
var sampleIDs: [TraceID] = []
var rng = SystemRandomNumberGenerator()
var problems = 0
var firstProblem = ""
var batch = SpanEventBatch()
for r in 0..<replicas {
    let spans = replica.spans(r)
    for _ in 0..<max(1, lookups * 2 / replicas) {
        if let s = spans.randomElement(using: &rng) { sampleIDs.append(s.baseID) }
    }
    var json: [UInt8] = []
    json.reserveCapacity(spans.count * 720)
    EventJSON.append(spans, to: &json)
    jsonBytes += json.count
    let t0 = now(), c0 = cpuNow()
    var p = OsprofilerParser()
    // As `strata ingest` reads a file: 8 MiB at a time, parsed into one batch, appended.
    let chunk = 8 << 20
    try json.withUnsafeBytes { b in
        var at = 0
        while at < b.count {
            let end = min(b.count, at + chunk)
            let used = p.parse(UnsafeRawBufferPointer(rebasing: b[at..<end]), final: end == b.count, into: &batch, onProblem: { p in
                problems += 1
                if firstProblem.isEmpty { firstProblem = "byte \(p.offset): \(p.message)" }
            })
            try store.append(batch)
            batch.removeAll()
            at += max(used, 1)
        }
    }
    ingestNanos += now() - t0
    ingestCPU += cpuNow() - c0
}
let t0 = now(), c0 = cpuNow()
try store.flush(closingOpenSpans: true)
ingestNanos += now() - t0
ingestCPU += cpuNow() - c0
let stats = try store.stats()
guard problems == 0 else {
    say("the generated event JSON had \(problems) problems, first: \(firstProblem)")
    exit(1)
}
let seconds = Double(ingestNanos) / 1e9
let cpuSeconds = Double(ingestCPU) / 1e9
say("ingest: \(stats.spans) spans (\(stats.traces) traces, \(stats.segments) segments) from \(f(Double(jsonBytes) / 1e9)) GB of event JSON: \(f(cpuSeconds)) s CPU, \(f(Double(stats.spans) / cpuSeconds / 1000, 1)) k spans/s per core (wall \(f(seconds)) s, \(f(Double(stats.spans) / seconds / 1000, 1)) k spans/s)")
say("disk: \(stats.bytes) bytes, \(f(Double(stats.bytes) / Double(stats.spans), 3)) bytes/span (everything in the store directory)")

// Trace by base_id, warm: a fresh handle, one pass to warm the page cache and readers, then timed.
let reader = try TraceStore(directory: dir, options: options)
let ids = Array(sampleIDs.shuffled(using: &rng).prefix(lookups))
var spansSeen = 0
for id in ids { spansSeen += try reader.trace(id).count }
var lookupTimes: [Double] = []
var lookupCPU: [Double] = []
for id in ids {
    let a = now(), c = cpuNow()
    let got = try reader.trace(id)
    lookupCPU.append(Double(cpuNow() - c) / 1e6)
    lookupTimes.append(Double(now() - a) / 1e6)
    precondition(!got.isEmpty, "trace \(id) not found")
}
say("trace by base_id (warm, \(ids.count) traces, \(f(Double(spansSeen) / Double(ids.count), 1)) spans each): CPU p50 \(f(percentile(lookupCPU, 0.5), 3)) ms, p99 \(f(percentile(lookupCPU, 0.99), 3)) ms; wall p50 \(f(percentile(lookupTimes, 0.5), 3)) ms, p99 \(f(percentile(lookupTimes, 0.99), 3)) ms")

// Absent base_ids: what every lookup pays per segment (filters, block tables, false positives).
var absentCPU: [Double] = []
for _ in 0..<min(lookups, 1000) {
    let id = TraceID(high: UInt64.random(in: 0...UInt64.max, using: &rng), low: UInt64.random(in: 0...UInt64.max, using: &rng))
    let c = cpuNow()
    let got = try reader.trace(id)
    absentCPU.append(Double(cpuNow() - c) / 1e6)
    precondition(got.isEmpty)
}
say("absent base_id (\(absentCPU.count) lookups, \(stats.segments) segments): CPU p50 \(f(percentile(absentCPU, 0.5), 3)) ms, p99 \(f(percentile(absentCPU, 0.99), 3)) ms")

// Search: slow glance requests (a glance span over 2 s) in a random hour window, limit 20.
let first = stats.minTime ?? 0, last = stats.maxTime ?? 0
var windows: [Int64] = []
for _ in 0..<searches { windows.append(Int64.random(in: first...max(first, last - 3_600_000_000), using: &rng)) }
func search(_ start: Int64) throws -> Int {
    try reader.search(TraceSearch(service: "glance", minDuration: 2_000_000, start: start, end: start + 3_600_000_000, limit: 20)).count
}
var found = 0
for w in windows { found += try search(w) }
var searchTimes: [Double] = []
var searchCPU: [Double] = []
for w in windows {
    let a = now(), c = cpuNow()
    _ = try search(w)
    searchCPU.append(Double(cpuNow() - c) / 1e6)
    searchTimes.append(Double(now() - a) / 1e6)
}
say("search {service=\"glance\", duration > 2s} in an hour, limit 20 (\(windows.count) windows, \(f(Double(found) / Double(windows.count), 1)) traces each): CPU median \(f(percentile(searchCPU, 0.5), 3)) ms, p99 \(f(percentile(searchCPU, 0.99), 3)) ms; wall median \(f(percentile(searchTimes, 0.5), 3)) ms, p99 \(f(percentile(searchTimes, 0.99), 3)) ms")

// Clean up the scratch store.
func removeTree(_ p: String) {
    guard let names = try? fs.listDirectory(p) else {
        try? fs.unlink(p)
        return
    }
    for n in names {
        let c = p + "/" + n
        do { try fs.unlink(c) } catch { removeTree(c) }
    }
    try? fs.removeDirectory(p)
}
if args.contains("--keep") {
    // For whole-process timing of `strata trace` against the kept store: a few base_ids.
    let f = try fs.open(dir + ".ids", mode: .createOrTruncate)
    try fs.write(f, Array(ids.prefix(20).map { "\($0)\n" }.joined().utf8))
    fs.close(f)
    say("kept: \(dir) (base_ids in \(dir).ids)")
} else {
    removeTree(dir)
}
