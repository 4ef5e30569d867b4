import Foundation
import StrataMetrics
import Testing

@testable import StrataLogs

/// Every line-filter count equals what `grep -F -c` / `grep -E -c` (with `-i` / `-v`) say on the raw text.
@Suite struct GrepEquivalenceTests {
    static let path = "../shared/data/loghub/OpenStack/OpenStack_2k.log"

    func grepCount(_ flags: [String], _ pattern: String) throws -> Int {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["grep", "-c"] + flags + ["--", pattern, GrepEquivalenceTests.path]
        p.environment = ["LC_ALL": "C", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test func lineFilterCountsEqualGrep() throws {
        var lines = try LogFixtures.openStackLines()
        if lines.last == "" { lines.removeLast() }
        #expect(lines.count == 2000)
        let dir = LogScratch()
        defer { dir.cleanup() }
        let store = try LogStore(directory: dir.path, options: LogFixtures.options(durability: .none))
        // One record per line; the stream is the Loghub file name that starts each line.
        let records = lines.enumerated().map { i, line in
            LogRecord(
                timestamp: Int64(i), stream: Labels(sorted: [Label("file", String(line.prefix { $0 != " " }))]),
                line: Array(line.utf8))
        }
        try store.append(Array(records[..<1000]))
        try store.flush()
        try store.append(Array(records[1000...]))  // half in a segment, half in the head, then all in segments
        let cases: [([String], String, LineFilter)] = [
            (["-F"], "Claim successful", LineFilter(.contains, "Claim successful")),
            (["-F"], "status: 200", LineFilter(.contains, "status: 200")),
            (["-F"], "status: 20", LineFilter(.contains, "status: 20")),
            (["-F"], "b9000564-fe1a-409b-b8cc-1e88b294cd1d", LineFilter(.contains, "b9000564-fe1a-409b-b8cc-1e88b294cd1d")),
            (["-F"], "req-3ea4052c", LineFilter(.contains, "req-3ea4052c")),
            (["-F"], "e4c35a9e - - -", LineFilter(.contains, "e4c35a9e - - -")),
            (["-F"], "a4", LineFilter(.contains, "a4")),
            (["-F"], "0.2", LineFilter(.contains, "0.2")),
            (["-F"], "-4", LineFilter(.contains, "-4")),
            (["-F"], "GET /v2/", LineFilter(.contains, "GET /v2/")),
            (["-F"], "[instance: ", LineFilter(.contains, "[instance: ")),
            (["-F", "-i"], "claim", LineFilter(.contains, "claim", caseInsensitive: true)),
            (["-F", "-i"], "B9000564-FE1A", LineFilter(.contains, "B9000564-FE1A", caseInsensitive: true)),
            (["-F", "-i"], "info NOVA.compute", LineFilter(.contains, "info NOVA.compute", caseInsensitive: true)),
            (["-F", "-v"], "INFO", LineFilter(.notContains, "INFO")),
            (["-E"], "status: (200|404)", LineFilter(.matches, "status: (200|404)")),
            (["-E"], "len: [0-9]{4} ", LineFilter(.matches, "len: [0-9]{4} ")),
            (["-E"], "^nova-api", LineFilter(.matches, "^nova-api")),
            (["-E"], "time: 0\\.2[0-9]+$", LineFilter(.matches, "time: 0\\.2[0-9]+$")),
            (["-E"], "[0-9a-f]{8}-[0-9a-f]{4}-4", LineFilter(.matches, "[0-9a-f]{8}-[0-9a-f]{4}-4")),
            (["-E"], "Unknown base file|Removable base files", LineFilter(.matches, "Unknown base file|Removable base files")),
            (["-E"], "VM (Started|Paused)", LineFilter(.matches, "VM (Started|Paused)")),
            (["-E", "-i"], "warning|error", LineFilter(.matches, "(?i)warning|error")),
            (["-E", "-i"], "vm (started|paused)", LineFilter(.matches, "vm (started|paused)", caseInsensitive: true)),
            (["-E", "-v"], "INFO|WARNING", LineFilter(.notMatches, "INFO|WARNING")),
        ]
        for phase in ["mixed", "flushed"] {
            if phase == "flushed" { try store.flush() }
            for (flags, pattern, filter) in cases {
                let want = try grepCount(flags, pattern)
                #expect(want >= 0)
                let got = try store.count(LogQuery(lineFilters: [filter]))
                #expect(got == want, "\(phase): grep \(flags.joined(separator: " ")) '\(pattern)' = \(want), store \(got)")
                let hits = try store.search(LogQuery(lineFilters: [filter], limit: 0)).hits
                #expect(hits.count == want, "\(phase): search for '\(pattern)'")
            }
        }
        // Every line comes back byte for byte, in order.
        let all = try store.search(LogQuery(limit: 0, direction: .forward)).hits.map { String(decoding: $0.record.line, as: UTF8.self) }
        #expect(all == lines)
    }
}
