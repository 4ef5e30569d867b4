import ArgumentParser
import Strata
import StrataCLIKit
import StrataStorage

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a database stores and the bytes it takes.",
        discussion: """
            --json prints numbers under metrics.*, logs.* and traces.*; *.bytes counts every byte the
            store keeps on disk (data, indexes, WAL, manifest).

            Examples:
              strata inspect ./db
              strata inspect ./db --json | jq .metrics.bytes
            """)

    @Argument(help: "The database directory.") var db: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let db = try openDatabase(self.db, readOnly: true)
        defer { try? db.close() }
        let m: MetricStoreStats
        let l: LogStoreStats
        let t: TraceStoreStats
        do {
            m = try db.metrics.stats()
            l = try db.logs.stats()
            t = try db.traces.stats()
        } catch { throw CLIFailure.problem("\(error)") }
        if json {
            print(
                """
                {"metrics":{"series":\(m.series),"samples":\(m.samples),"bytes":\(m.bytes),"blocks":\(m.blocks),\
                "head_samples":\(m.headSamples),"min_time":\(m.minTime.map(String.init) ?? "null"),\
                "max_time":\(m.maxTime.map(String.init) ?? "null"),"downsampled":[\(m.downsampled.map { "{\"resolution_ms\":\($0.resolution),\"blocks\":\($0.blocks),\"points\":\($0.points),\"bytes\":\($0.bytes)}" }.joined(separator: ","))]},\
                "logs":{"records":\(l.records),"raw_bytes":\(l.rawBytes),"bytes":\(l.diskBytes),"segments":\(l.segments),\
                "head_records":\(l.headRecords),"segment_bytes":\(l.segmentBytes),"wal_bytes":\(l.walBytes)},\
                \(traceInspectJSON(t))}
                """)
            return
        }
        let perSample = m.samples > 0 ? String(format3: Double(m.bytes) / Double(m.samples)) : "-"
        let range = m.minTime.map { TimeSpec.formatRFC3339($0) + " .. " + TimeSpec.formatRFC3339(m.maxTime!) } ?? "-"
        print(
            Table(
                header: ["store", "series", "samples", "blocks", "on disk", "bytes/sample", "time range"],
                rows: [["metrics", "\(m.series)", "\(m.samples)", "\(m.blocks)", formatBytes(m.bytes), perSample, range]]
            ).render())
        for d in m.downsampled {
            print("  downsampled to \(PolicyCommand.keep(.milliseconds(d.resolution))) steps: \(d.blocks) block\(d.blocks == 1 ? "" : "s"), \(d.points) aggregate points, \(formatBytes(d.bytes))")
        }
        let ratio = l.rawBytes > 0 ? String(format3: 100 * Double(l.diskBytes) / Double(l.rawBytes)) + "%" : "-"
        print("")
        print(
            Table(
                header: ["store", "records", "raw text", "segments", "head records", "on disk", "disk/raw"],
                rows: [["logs", "\(l.records)", formatBytes(l.rawBytes), "\(l.segments)", "\(l.headRecords)", formatBytes(l.diskBytes), ratio]]
            ).render())
        print("")
        print(traceInspectTable(t))
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Read every file, check every checksum and invariant, and list each problem.",
        discussion: """
            Exit status 1 when anything is wrong; each problem is one line naming the file and offset.
            A torn WAL tail found while opening is repaired (truncated) and listed.

            Example:
              strata verify ./db && echo clean
            """)

    @Argument(help: "The database directory.") var db: String

    func run() throws {
        try requireDatabaseDirectory(self.db)
        let db: Database
        do { db = try Database(path: self.db) } catch {
            let problem: StorageError = error
            if problem.errno != nil || problem.isLocked { throw CLIFailure.io(problem.description) }
            print(problem.description)  // a damaged MANIFEST or segment list: a problem found
            throw ExitCode(1)
        }
        defer { try? db.close() }
        var problems = db.metrics.recoveryReport.map { "repaired on open: \($0)" }
        problems += db.metrics.verify().map(\.description)
        problems += db.logs.recoveryReport.map { "repaired on open: \($0)" }
        problems += db.logs.verify().map(\.description)
        problems += db.traces.recoveryReport.map { "repaired on open: \($0)" }
        problems += db.traces.verify().map(\.description)
        do { _ = try db.policy() } catch { problems.append("\(error)") }  // the stored policy file
        for p in problems { print(p) }
        if !problems.isEmpty {
            printError("\(problems.count) problem\(problems.count == 1 ? "" : "s") found")
            throw ExitCode(1)
        }
        print("ok")
    }
}
