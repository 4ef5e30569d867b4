import LogWorkloads
import StrataLogs
import StrataMetrics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// LogBench: the log-store figures (Tools/bench-logs.sh calls it).
//
//   LogBench corpus FILE [--mb N]     write Loghub OpenStack_2k replicated to N MB (default 200)
//   LogBench run FILE DIR [--runs N]  ingest FILE into a LogStore in DIR, then the warm queries,
//                                     each with ripgrep (`rg -c -F`) on FILE in the same run
//
// Medians of N runs (default 7). One thread.

let usage = """
    usage: LogBench corpus FILE [--mb N] [--sample PATH]
           LogBench run FILE DIR [--runs N] [--durability buffered|none|fsync] [--reuse] [--only Q]
    """

var args = Array(CommandLine.arguments.dropFirst())
@MainActor func option(_ name: String) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    let v = args[i + 1]
    args.removeSubrange(i...(i + 1))
    return v
}
let runs = option("--runs").flatMap(Int.init) ?? 7
let megabytes = option("--mb").flatMap(Int.init) ?? 200
let samplePath = option("--sample") ?? "../shared/data/loghub/OpenStack/OpenStack_2k.log"
let durabilityName = option("--durability") ?? "buffered"
let only = option("--only").flatMap(Int.init)
let reuse = args.contains("--reuse")
args.removeAll { $0 == "--reuse" }

do {
    switch args.first {
    case "corpus" where args.count == 2:
        try Corpus.write(to: args[1], megabytes: megabytes, sample: samplePath)
    case "run" where args.count == 3:
        let durability: LogStoreOptions.Durability =
            switch durabilityName {
            case "none": .none
            case "fsync": .fsync
            default: .buffered
            }
        try Run.main(
            corpus: args[1], directory: args[2], runs: runs, durability: durability, sample: samplePath, reuse: reuse, only: only)
    default:
        print(usage)
        exit(2)
    }
} catch {
    print("LogBench: \(error)")
    exit(1)
}
