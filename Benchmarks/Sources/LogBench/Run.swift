import LogWorkloads
import StrataLogs

enum Run {
    static func main(
        corpus: String, directory: String, runs: Int, durability: LogStoreOptions.Durability, sample: String,
        reuse: Bool, only: Int?
    ) throws {
        let raw = try Files.read(corpus)
        var options = LogStoreOptions()
        options.durability = durability
        let store: LogStore
        if reuse {
            store = try LogStore(directory: directory, options: options)
        } else {
            _ = Files.shell("rm -rf '\(directory)'")
            store = try ingest(raw, directory: directory, options: options)
        }
        try queries(store, raw: raw, corpus: corpus, runs: runs, sample: sample, only: only)
    }

    static func ingest(_ raw: [UInt8], directory: String, options: LogStoreOptions) throws -> LogStore {
        let durability = options.durability
        let wall0 = Files.now(), cpu0 = Files.cpuSeconds()
        let store = try LogStore(directory: directory, options: options)
        var splitter = OsloSplitter()
        var batch: [LogRecord] = []
        batch.reserveCapacity(4096)
        var lines = 0
        var start = 0
        while start < raw.count {
            var end = start
            while end < raw.count && raw[end] != 10 { end += 1 }
            if end > start {
                batch.append(splitter.record(raw[start..<end]))
                lines += 1
            }
            start = end + 1
            if batch.count == 4096 {
                try store.append(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        try store.append(batch)
        try store.flush()
        try store.close()
        let wall = Files.now() - wall0, cpu = Files.cpuSeconds() - cpu0
        let stats = try store.stats()
        let mb = Double(raw.count) / 1e6
        print("## Ingest (durability \(durability), one thread, parse + append + flush)")
        print("lines \(lines), raw \(String(format1: mb)) MB, wall \(String(format2: wall)) s, cpu \(String(format2: cpu)) s")
        print("ingest: \(String(format1: mb / wall)) MB/s wall, \(String(format1: mb / cpu)) MB/s per core (cpu)  [target >= 50]")
        print("disk: \(stats.diskBytes) bytes = \(String(format2: 100 * Double(stats.diskBytes) / Double(raw.count)))% of raw "
              + "(segments \(stats.segmentBytes), wal \(stats.walBytes), manifest \(stats.manifestBytes); \(stats.segments) segments)  [target <= 15%]")
        return store
    }

    static func queries(_ store: LogStore, raw: [UInt8], corpus: String, runs: Int, sample: String, only: Int?) throws {

        // The queries: ids picked from a copy in the middle of the corpus.
        let rep = OpenStackReplicator(sample: try Files.read(sample))
        let copies = raw.count / max(1, rep.bytesPerCopy)
        let k = copies / 2
        let rareRequest = "req-" + OpenStackReplicator.fresh("0013db4a-a7f2-4013-a135-314a1fbb97e8", copy: k)
        let instance = OpenStackReplicator.fresh("bf8c824d-f099-4433-a41e-e3da7578262e", copy: k)
        struct Q {
            var name: String
            var literal: String
            var countOnly: Bool
            var target: Double
        }
        let queries = [
            Q(name: "rare request id", literal: rareRequest, countOnly: false, target: 5),
            Q(name: "instance uuid", literal: instance, countOnly: false, target: 5),
            Q(name: "\"Claim successful\" (count)", literal: "Claim successful", countOnly: true, target: 50),
            Q(name: "\"status: 200\" (count)", literal: "status: 200", countOnly: true, target: 100),
        ]
        print("")
        print("## Warm queries (median of \(runs); ripgrep `rg -c -F` on the raw file in the same run)")
        print("| query | hits | strata ms | target ms | rg ms | rg/strata | rows verified | bytes decoded |")
        print("|---|---|---|---|---|---|---|---|")
        for (n, q) in queries.enumerated() where only == nil || only == n {
            let query = LogQuery(lineFilters: [LineFilter(.contains, q.literal)], limit: 100)
            var times: [Double] = []
            var hits = 0
            var stats = LogSearchStats()
            for _ in 0..<(runs + 1) {  // one warm-up
                let t0 = Files.now()
                if q.countOnly {
                    let r = try store.countWithStats(query)
                    hits = r.count
                    stats = r.stats
                } else {
                    let r = try store.search(query)
                    hits = r.hits.count
                    stats = r.stats
                }
                times.append((Files.now() - t0) * 1000)
            }
            times.removeFirst()
            var rgTimes: [Double] = []
            var rgCount = ""
            for _ in 0..<runs {
                let t0 = Files.now()
                rgCount = Files.shell("rg -c -F '\(q.literal)' '\(corpus)'").trimmingCharacters(in: [" ", "\n"])
                rgTimes.append((Files.now() - t0) * 1000)
            }
            let ms = Files.median(times), rg = Files.median(rgTimes)
            let agree = "\(hits)" == rgCount ? "" : " (rg: \(rgCount))"
            print("| \(q.name) | \(hits)\(agree) | \(String(format2: ms)) | \(Int(q.target)) | \(String(format1: rg)) | \(String(format1: rg / max(ms, 0.001)))x | \(stats.rowsVerified) | \(stats.bytesDecoded) |")
        }
    }
}

extension String {
    init(format1 v: Double) { self = String(Double(Int((v * 10).rounded())) / 10) }
    init(format2 v: Double) { self = String(Double(Int((v * 100).rounded())) / 100) }
    func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
