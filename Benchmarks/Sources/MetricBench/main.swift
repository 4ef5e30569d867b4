import MetricWorkloads

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MetricBench: the metric-path figures as plain numbers (Tools/bench-metrics.sh calls it).
//
//   MetricBench decode [--runs N]    chunk column decoding, per encoding, vs Gorilla
//   MetricBench append [--runs N]    MetricStore.append with each durability
//   MetricBench select [--runs N]    select 1,000 series x one day from blocks, drain everything
//   MetricBench anchor DB            bytes/sample of Prometheus XOR chunks on the series in DB
//   MetricBench query DB [--shape DB2]  PromQL range queries over a strata-nodegen database (DB2: the
//                                    2,000-series one, for the 640-series x 1,201-step rate anchor)
//   MetricBench all [--runs N]       decode, append, select
//
// Everything runs on one thread. Figures are medians of N runs (default 5).

let usage = """
    usage: MetricBench (decode | append | select | all) [--runs N] [--tmp DIR]
           MetricBench anchor DB [--block-range-ms MS] [--max-chunk-samples N]
           MetricBench query DB [--shape DB2] [--runs N]
    """

var args = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, in args: inout [String]) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    let v = args[i + 1]
    args.removeSubrange(i...(i + 1))
    return v
}
let runs = option("--runs", in: &args).flatMap(Int.init) ?? 5
let tmp = option("--tmp", in: &args)
let blockRange = option("--block-range-ms", in: &args).flatMap(Int64.init) ?? 86_400_000
let maxChunkSamples = option("--max-chunk-samples", in: &args).flatMap(Int.init) ?? 8192
let shapeDatabase = option("--shape", in: &args)

do {
    switch args.first {
    case "decode": DecodeReport.run(runs: runs)
    case "append": try AppendReport.run(runs: runs, parent: tmp)
    case "select": try SelectReport.run(runs: runs, parent: tmp)
    case "all":
        DecodeReport.run(runs: runs)
        try AppendReport.run(runs: runs, parent: tmp)
        try SelectReport.run(runs: runs, parent: tmp)
    case "query" where args.count == 2:
        try QueryReport.run(database: args[1], shapeDatabase: shapeDatabase, runs: runs)
    case "anchor" where args.count == 2:
        try AnchorReport.run(database: args[1], blockRange: blockRange, maxChunkSamples: maxChunkSamples)
    default:
        print(usage)
        exit(2)
    }
} catch {
    print("MetricBench: \(error)")
    exit(1)
}
