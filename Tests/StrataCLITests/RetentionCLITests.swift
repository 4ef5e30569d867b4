import Foundation
import Strata
import Testing

/// `strata policy`, `strata delete` and the retention pass of `strata compact`, end to end,
/// and SIGKILL in the middle of a pass.
@Suite("strata policy, delete and retention")
struct RetentionCLITests {
    static let hour: Int64 = 3_600_000
    static let t0: Int64 = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000  // an hour boundary, Unix ms

    /// Three days of data in `hours` separate flushes: 6 metric series at 60 s, 40 log records a
    /// minute-ish per hour over 3 streams (one DEBUG), and 4 traces an hour (one with an error).
    static func makeDatabase(_ path: String, hours: Int = 72) throws {
        var options = DatabaseOptions()
        options.metrics.durability = .none
        options.logs.durability = .none
        options.traces.durability = .none
        let db = try Database(path: path, options: options)
        let hosts = ["cmp-1", "cmp-2", "cmp-3"]
        for h in 0..<hours {
            let base = t0 + Int64(h) * hour
            // Time order across series: the head refuses samples older than its out-of-order window.
            var series: [(Labels, Bool)] = []
            for host in hosts {
                for name in ["node_load1", "node_cpu_seconds_total"] {
                    series.append((try Labels(validating: ["__name__": name, "host": host]), name == "node_load1"))
                }
            }
            for m in 0..<60 {
                let t = base + Int64(m) * 60_000
                for (labels, isLoad) in series {
                    _ = try db.metrics.append(labels, [Sample(.milliseconds(t), isLoad ? Double((t / 60_000) % 7) : Double((t - t0) / 1000))])
                }
            }
            for host in hosts {
                for level in ["INFO", "DEBUG"] {
                    let stream = try Labels(validating: ["host": host, "level": level, "program": "nova-compute"])
                    let records = (0..<20).map { i in
                        LogRecord(
                            time: .milliseconds(base + Int64(i) * 180_000), stream: stream,
                            line: Array("\(level) hour \(h) record \(i) \(i % 5 == 0 ? "password=secret" : "ok")".utf8))
                    }
                    try db.logs.append(records)
                }
            }
            var spans: [Span] = []
            for k in 0..<4 {
                let id = TraceID(high: UInt64(h + 1), low: UInt64(k + 1))
                for s in 0..<3 {
                    spans.append(
                        Span(
                            baseID: id, traceID: TraceID(high: UInt64(h + 1), low: UInt64(100 + k * 10 + s)),
                            parentID: s == 0 ? id : TraceID(high: UInt64(h + 1), low: UInt64(100 + k * 10)), name: "wsgi",
                            service: "api", project: k == 0 ? "glance" : "nova", host: "ctl-1",
                            startTime: .milliseconds(base + Int64(k) * 600_000 + Int64(s) * 1000), elapsed: .milliseconds(50),
                            status: k == 0 && s == 2 ? .error : []))
                }
            }
            try db.traces.append(spans: spans)
            _ = try db.metrics.flush()
            _ = try db.logs.flush()
            _ = try db.traces.flush(closingOpenSpans: true)
        }
        try db.close()
    }

    func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    func counts(_ db: String) throws -> [Int] {
        let j = try json(try CLI.run(["inspect", db, "--json"]).stdout)
        func n(_ store: String, _ key: String) -> Int { (j[store] as? [String: Any])?[key] as? Int ?? -1 }
        return [n("metrics", "samples"), n("logs", "records"), n("traces", "spans"), n("traces", "traces")]
    }

    static let policy = """
        retention:
          metrics: 24h
          logs: 36h
          traces: 12h
          rules:
            - {store: logs, selector: '{level="DEBUG"}', keep: 6h}
            - {store: metrics, selector: 'node_load1{host="cmp-1"}', keep: forever}
            - {store: traces, selector: '{error=true}', keep: 48h}
        """

    @Test func policySetShowAndRefusal() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = dir.path + "/db"
        try Self.makeDatabase(db, hours: 2)
        let good = dir.file("p.yml", Self.policy)
        let set = try CLI.run(["policy", "set", db, good])
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdout.contains("metrics 1d; logs 1d12h; traces 12h; 3 rules"), "\(set.stdout)")
        let bad = dir.file("bad.yml", "retention:\n  metrics: 24h\n  rules:\n    - {store: logs, selector: '{level=DEBUG}', keep: 6h}\n")
        let refused = try CLI.run(["policy", "set", db, bad])
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("strata: \(bad):4:"), "\(refused.stderr)")
        #expect(refused.stderr.contains("bad LogQL selector"), "\(refused.stderr)")
        let show = try CLI.run(["policy", "show", db])
        #expect(show.status == 0)
        #expect(show.stdout.hasPrefix(Self.policy), "the previous policy stays: \(show.stdout)")
        #expect(show.stdout.contains("logs     {level=\"DEBUG\"}"), "\(show.stdout)")
        // A damaged policy file is a problem verify reports, with the file.
        try flip(db + "/POLICY", at: 20)
        let v = try CLI.run(["verify", db])
        #expect(v.status == 1)
        #expect(v.stdout.contains("POLICY"), "\(v.stdout)")
        for args in [["policy", "--help"], ["delete", "--help"], ["compact", "--help"]] {
            let h = try CLI.run(args)
            #expect(h.status == 0 && h.stdout.contains("Example"), "\(args)")
        }
    }

    /// Retention cuts exactly: after the pass no query returns data older than its cut, and the
    /// counts drop by exactly what the cuts cover.
    @Test func retentionCutsExactlyPerRule() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = dir.path + "/db"
        try Self.makeDatabase(db)
        #expect(try CLI.run(["policy", "set", db, dir.file("p.yml", Self.policy)]).status == 0)
        let before = try counts(db)
        #expect(before == [72 * 6 * 60, 72 * 6 * 20, 72 * 12, 72 * 4])
        let dry = try CLI.run(["compact", db, "--dry-run", "--json"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(try counts(db) == before, "a dry run changes nothing")

        let r = try CLI.run(["compact", db])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("retention"), "\(r.stdout)")
        // Newest data: metrics/logs t0 + 72h - 1 min (and - 3 min), traces t0 + 71h + 30m + 2s.
        let newestMetric = Self.t0 + 72 * Self.hour - 60_000
        let metricCut = newestMetric - 24 * Self.hour
        // Kept: node_load1{cmp-1} whole (60 * 72), the 5 other series from the cut on.
        let keptPerSeries = Int((newestMetric - metricCut) / 60_000) + 1
        let newestLog: Int64 = Self.t0 + 71 * Self.hour + 19 * 180_000
        var logTimes: [Int64] = []
        for h in 0..<72 {
            for i in 0..<20 { logTimes.append(Self.t0 + Int64(h) * Self.hour + Int64(i) * 180_000) }
        }
        let infoCut: Int64 = newestLog - 36 * Self.hour
        let debugCut: Int64 = newestLog - 6 * Self.hour
        let infoKept = logTimes.filter { $0 >= infoCut }.count
        let debugKept = logTimes.filter { $0 >= debugCut }.count
        let after = try counts(db)
        #expect(after[0] == 60 * 72 + 5 * keptPerSeries)
        #expect(after[1] == 3 * (infoKept + debugKept))
        // Traces: the error trace (k == 0) of each hour kept 48 h, the others 12 h (span by span).
        let newestSpan: Int64 = Self.t0 + 71 * Self.hour + 3 * 600_000 + 2000
        var spans = 0
        for h in 0..<72 {
            for k in 0..<4 {
                let keep: Int64 = k == 0 ? 48 * Self.hour : 12 * Self.hour
                for s in 0..<3 {
                    let start: Int64 = Self.t0 + Int64(h) * Self.hour + Int64(k) * 600_000 + Int64(s) * 1000
                    if start >= newestSpan - keep { spans += 1 }
                }
            }
        }
        #expect(after[2] == spans)

        // No query returns data older than its cut.
        let old = try CLI.run([
            "query", db, "count_over_time(node_cpu_seconds_total[1h])", "--time", "\(Double(metricCut - 1) / 1000)", "--format", "json",
        ])
        #expect(old.stdout.contains("\"result\":[]"), "\(old.stdout)")
        let kept = try CLI.run(["query", db, "count_over_time(node_load1{host=\"cmp-1\"}[1h])", "--time", "\(Double(Self.t0 + Self.hour) / 1000)"])
        #expect(kept.stdout.contains("60"), "the forever rule keeps the oldest hour: \(kept.stdout)")
        let oldDebug = try CLI.run([
            "query", db, "{level=\"DEBUG\"}", "--store", "logs", "--start", "\(Double(Self.t0) / 1000)",
            "--end", "\(Double(newestLog - 6 * Self.hour - 1) / 1000)", "--format", "json",
        ])
        #expect(oldDebug.stdout.contains("\"result\":[]"), "\(oldDebug.stdout)")
        #expect(try CLI.run(["verify", db]).status == 0)
        // A second pass has nothing left to cut.
        let again = try CLI.run(["compact", db, "--json"])
        #expect(try counts(db) == after, "\(again.stdout)")
    }

    /// Downsampling through `strata compact`: `inspect` shows the tier, and aligned
    /// `*_over_time` queries answer exactly as on the raw copy.
    @Test func downsamplingThroughCompactAnswersAlignedQueriesExactly() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = dir.path + "/db"
        try Self.makeDatabase(db, hours: 48)
        let raw = dir.path + "/raw"
        try FileManager.default.copyItem(atPath: db, toPath: raw)
        #expect(try CLI.run(["policy", "set", db, dir.file("p.yml", "downsample:\n  - {after: 12h, resolution: 5m}\n")]).status == 0)
        let r = try CLI.run(["compact", db])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("downsample 5m"), "\(r.stdout)")
        let inspect = try json(try CLI.run(["inspect", db, "--json"]).stdout)
        let tiers = (inspect["metrics"] as? [String: Any])?["downsampled"] as? [[String: Any]] ?? []
        #expect(tiers.count == 1 && tiers.first?["resolution_ms"] as? Int == 300_000, "\(inspect)")
        // 6 series, steps up to the cut (newest - 12 h, rounded down to 5 min), 5 aggregates each,
        // and one marker ending each counter chain: one chain per aggregate block (a day of steps).
        let newest = Self.t0 + 48 * Self.hour - 60_000
        let cut = (newest - 12 * Self.hour) / 300_000 * 300_000
        let steps = Int((cut - Self.t0) / 300_000) + 1  // (t0 - 5m, t0] holds the first sample
        let day = 288 * 300_000 as Int64
        let blocks = Int(cut / day - Self.t0 / day) + 1
        #expect(tiers.first?["blocks"] as? Int == blocks, "\(tiers)")
        #expect(tiers.first?["points"] as? Int == 6 * (5 * steps + blocks), "\(tiers)")
        for q in ["avg_over_time(node_load1[1h])", "max_over_time(node_load1[1h])", "count_over_time(node_cpu_seconds_total[1h])"] {
            let at = "\(Double(Self.t0 + 20 * Self.hour) / 1000)"
            let a = try CLI.run(["query", raw, q, "--time", at, "--format", "json"])
            let b = try CLI.run(["query", db, q, "--time", at, "--format", "json"])
            #expect(a.status == 0 && a.stdout == b.stdout, "\(q): \(a.stdout) against \(b.stdout)")
        }
    }

    /// `strata delete` hides at once, compaction then removes exactly what it counted.
    @Test func deleteHidesAtOnceAndCompactionRemovesExactly() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = dir.path + "/db"
        try Self.makeDatabase(db, hours: 6)
        let before = try counts(db)
        let sel = #"{host="cmp-3"} |= "password""#
        let dry = try CLI.run(["delete", db, sel, "--store", "logs", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout == "logs: would delete \(6 * 2 * 4) records\n", "\(dry.stdout)")
        let del = try CLI.run(["delete", db, sel, "--store", "logs"])
        #expect(del.stdout.hasPrefix("logs: deleted 48 records"), "\(del.stdout)")
        let q = try CLI.run(["query", db, #"{program="nova-compute"} |= "password""#, "--store", "logs", "--format", "json",
                             "--start", "\(Double(Self.t0) / 1000)", "--end", "\(Double(Self.t0 + 7 * Self.hour) / 1000)", "--limit", "5000"])
        #expect(!q.stdout.contains("cmp-3"), "hidden at once")
        #expect(q.stdout.contains("cmp-2"))

        let m = try CLI.run(["delete", db, #"node_load1{host="cmp-2"}"#, "--start", "\(Double(Self.t0) / 1000)", "--end", "\(Double(Self.t0 + Self.hour - 1) / 1000)"])
        #expect(m.stdout.hasPrefix("metrics: deleted 60 samples in 1 series"), "\(m.stdout)")
        let t = try CLI.run(["delete", db, "{error=true}"])
        #expect(t.stdout.hasPrefix("traces: deleted 18 spans in 6 traces"), "\(t.stdout)")
        // The counts drop by exactly what was deleted once the files are rewritten.
        let c = try CLI.run(["compact", db])
        #expect(c.status == 0, "\(c.stderr)")
        #expect(try counts(db) == [before[0] - 60, before[1] - 48, before[2] - 18, before[3] - 6])
        #expect(try CLI.run(["verify", db]).status == 0)
    }

    /// SIGKILL in the middle of `strata compact` (deletions, retention, downsampling): the database opens,
    /// verifies, and the next pass ends where an uninterrupted one does.
    @Test func sigkillDuringARetentionPassLosesNothingItShouldKeep() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let reference = dir.path + "/reference"
        try Self.makeDatabase(reference)
        // The policy's retention, and downsampling too.
        let policy = dir.file("p.yml", Self.policy + "\ndownsample:\n  - {after: 6h, resolution: 5m}\n")
        #expect(try CLI.run(["policy", "set", reference, policy]).status == 0)
        #expect(try CLI.run(["delete", reference, #"{host="cmp-1"} |= "password""#, "--store", "logs"]).status == 0)
        let crashed = dir.path + "/crashed"
        try FileManager.default.copyItem(atPath: reference, toPath: crashed)
        #expect(try CLI.run(["compact", reference]).status == 0)
        let expected = try counts(reference)
        let queries = [
            #"sum by (host) (count_over_time(node_cpu_seconds_total[30d]))"#, #"sum(count_over_time({program="nova-compute"}[30d]))"#,
        ]
        let at = "\(Double(Self.t0 + 72 * Self.hour) / 1000)"
        let expectedAnswers = try queries.map { try CLI.run(["query", reference, $0, "--time", at, "--format", "json"]).stdout }

        var killedMidway = 0
        for round in 0..<3 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLI.binary)
            p.arguments = ["compact", crashed]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32(100_000 + round * 150_000))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            if p.terminationReason == .uncaughtSignal { killedMidway += 1 }
            let v = try CLI.run(["verify", crashed])
            #expect(v.status == 0, "round \(round): \(v.stdout)\(v.stderr)")
        }
        #expect(killedMidway >= 1, "at least one pass was killed before it finished")
        let finish = try CLI.run(["compact", crashed])
        #expect(finish.status == 0, "\(finish.stderr)")
        #expect(try counts(crashed) == expected)
        let answers = try queries.map { try CLI.run(["query", crashed, $0, "--time", at, "--format", "json"]).stdout }
        #expect(answers == expectedAnswers)
    }
}

/// The size budget: over it, every keep is scaled down by one factor until the database fits.
@Suite struct SizeBudgetTests {
    /// 1 KiB WAL segments (so a budget of a few KiB is accepted) and no WAL writes.
    static var smallWALs: DatabaseOptions {
        var options = DatabaseOptions()
        for wal in [\DatabaseOptions.metrics.walSegmentSize, \.logs.walSegmentSize, \.traces.walSegmentSize] { options[keyPath: wal] = 1024 }
        options.metrics.durability = .none
        options.logs.durability = .none
        options.traces.durability = .none
        return options
    }

    @Test func overTheBudgetEveryKeepShrinksByOneFactorUntilItFits() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let path = dir.path + "/db"
        try RetentionCLITests.makeDatabase(path)
        let db = try Database(path: path, options: Self.smallWALs)
        defer { try? db.close() }
        // First the policy alone (it cuts some), then a budget of half what is left.
        let base = "retention:\n  metrics: 48h\n  logs: 60h\n  traces: 48h\n  rules:\n    - {store: logs, selector: '{level=\"DEBUG\"}', keep: 12h}\n"
        try db.setPolicy(base)
        _ = try db.maintain()
        let full = try db.diskBytes()
        let budget = full / 2
        try db.setPolicy(base + "  size: \(budget)B\n")
        let withPolicy = try db.diskBytes()
        let dry = try db.maintain(dryRun: true)
        #expect(dry.keepScale.map { $0 < 1 } == true, "the dry run shows the scaling")
        #expect(try db.diskBytes() == withPolicy, "a dry run writes nothing")
        let r = try db.maintain()
        let f = try #require(r.keepScale)
        #expect(f > 0.2 && f < 1, "\(f)")
        let used = try db.diskBytes()
        #expect(used <= budget, "\(used) bytes against a budget of \(budget)")
        // Each rule lost the same fraction of its keep: the logs' DEBUG records kept 12h·f, INFO 60h·f.
        let newest = try #require(try db.logs.stats().maxTime)
        func oldest(_ level: String) throws -> Int64? {
            var q = LogQuery(streams: [.equal("level", level)])
            q.limit = 1
            q.direction = .forward
            return try db.logs.search(q).hits.first?.record.timestamp
        }
        let hourNs: Double = 3_600_000_000_000
        let debugAge = Double(newest - (try #require(try oldest("DEBUG")))) / hourNs
        let infoAge = Double(newest - (try #require(try oldest("INFO")))) / hourNs
        #expect(debugAge <= 12 * f + 0.01 && debugAge >= 12 * f - 0.1, "DEBUG spans \(debugAge) h, f = \(f)")
        #expect(infoAge <= 60 * f + 0.01 && infoAge >= 60 * f - 0.1, "INFO spans \(infoAge) h, f = \(f)")
    }

    /// A budget with no keeps at all: `forever` counts as each store's span, so the oldest data
    /// of every store goes first, evenly.
    @Test func aBudgetAloneCutsTheOldestOfEveryStore() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let path = dir.path + "/db"
        try RetentionCLITests.makeDatabase(path, hours: 24)
        let db = try Database(path: path, options: Self.smallWALs)
        defer { try? db.close() }
        _ = try db.maintain(policy: RetentionPolicy())  // merges first, so the budget below is measured on merged files
        let full = try db.diskBytes()
        try db.setPolicy("retention:\n  size: \(full * 6 / 10)B\n")
        let before = (try db.metrics.stats().samples, try db.logs.stats().records, try db.traces.stats().spans)
        let r = try db.maintain()
        let f = try #require(r.keepScale)
        #expect(f > 0 && f < 1, "\(f)")
        let used = try db.diskBytes()
        #expect(used <= full * 6 / 10, "\(used) bytes against \(full * 6 / 10)")
        let after = (try db.metrics.stats().samples, try db.logs.stats().records, try db.traces.stats().spans)
        #expect(after.0 < before.0 && after.1 < before.1 && after.2 < before.2, "every store gave up its oldest data: \(before) -> \(after)")
        let m = try #require(try db.metrics.stats().minTime)
        #expect(m > RetentionCLITests.t0, "the oldest metric samples went")
    }

    /// A pass with nothing old enough to cut leaves the heads alone: a background pass every few
    /// minutes does not write a tiny block and segment each time.
    @Test func aPassWithNothingToCutLeavesTheHeadsAlone() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = try Database(path: dir.path + "/db")
        defer { try? db.close() }
        try db.setPolicy("retention:\n  metrics: 1d\n  logs: 1d\n  traces: 1d\n")
        let t0 = Timestamp.seconds(1_700_000_000)
        _ = try db.metrics.append(try Labels(validating: ["__name__": "up"]), (0..<60).map { Sample(t0 + .seconds($0 * 60), 1) })
        try db.logs.append([LogRecord(time: t0, stream: try Labels(validating: ["host": "h"]), line: Array("x".utf8))])
        let id = TraceID(high: 1, low: 1)
        try db.traces.append(spans: [Span(baseID: id, traceID: id, parentID: id, name: "wsgi", startTime: t0, elapsed: .milliseconds(5))])
        _ = try db.maintain()
        #expect(try db.traces.stats().segments == 0)
        #expect(try db.traces.stats().headSpans == 1)
        #expect(try db.metrics.stats().blocks == 0)
        #expect(try db.metrics.stats().headSamples == 60)
        #expect(try db.logs.stats().segments == 0)
        #expect(try db.logs.stats().headRecords == 1)
        // A day later the old data is cut exactly, through the head's flush.
        _ = try db.metrics.append(try Labels(validating: ["__name__": "up"]), [Sample(t0 + .seconds(86_400 + 1800), 1)])
        _ = try db.maintain()
        #expect(try db.metrics.stats().samples == 31)  // samples at or after newest - 1 d
    }

    /// A deleted stream leaves the stream and label listings at once, not only the queries.
    @Test func aDeletedStreamLeavesTheListings() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let path = dir.path + "/db"
        try RetentionCLITests.makeDatabase(path, hours: 2)
        let db = try Database(path: path)
        defer { try? db.close() }
        #expect(try db.logs.labelValues("host") == ["cmp-1", "cmp-2", "cmp-3"])
        try db.logs.append([LogRecord(time: .milliseconds(RetentionCLITests.t0 + 3 * 3_600_000), stream: try Labels(validating: ["host": "cmp-3", "level": "INFO", "program": "nova-compute"]), line: Array("in the head".utf8))])
        _ = try db.delete(try Database.deletion(#"{host="cmp-3"}"#, store: .logs))
        #expect(try db.logs.labelValues("host") == ["cmp-1", "cmp-2"])
        #expect(try db.logs.streams(matching: [.equal("host", "cmp-3")]).isEmpty)
        // A deletion bounded in time or by a line filter hides records, not the stream.
        _ = try db.delete(try Database.deletion(#"{host="cmp-2"} |= "password""#, store: .logs))
        #expect(try db.logs.labelValues("host") == ["cmp-1", "cmp-2"])
    }
}
