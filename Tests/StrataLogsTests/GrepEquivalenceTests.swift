import Foundation
import StrataLabels
import StrataMetrics
import Testing

@testable import StrataLogs

/// Every line-filter count equals what `grep -F -c` / `grep -E -c` (with `-i` / `-v`) say on the raw text.
@Suite struct GrepEquivalenceTests {
    static let path = "../shared/data/loghub/OpenStack/OpenStack_2k.log"

    func grepCount(_ flags: [String], _ pattern: String, file: String = GrepEquivalenceTests.path) throws -> Int {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["grep", "-c"] + flags + ["--", pattern, file]
        p.environment = ["LC_ALL": "C", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Lines full of hex ids that are neither UUIDs nor 32-digit ids (audit ids, SHA1s, pointers):
    /// they leave templates as hex runs, and filters that cut through them still count as grep does.
    @Test func hexRunLinesCountEqualGrep() throws {
        var rng = SystemRandomNumberGenerator()
        func hex(_ n: Int) -> String {
            var s = ""
            repeat {
                s = String((0..<n).map { _ in "0123456789abcdef".randomElement(using: &rng)! })
            } while !s.contains(where: \.isLetter) || !s.contains(where: \.isNumber)
            return s
        }
        let audits = (0..<20).map { _ in hex(16) }
        var lines: [String] = []
        for i in 0..<3000 {
            let a = audits[i % audits.count]
            switch i % 3 {
            case 0: lines.append("\(i) DEBUG auth 'token': <TokenModel (audit_id=\(a), audit_chain_id=[u'\(a)']) at 0x7f\(hex(10))> ok")
            case 1: lines.append("\(i) DEBUG session REQ: -H \"X-Auth-Token: {SHA1}\(hex(40))\" len \(i * 7)")
            default: lines.append("\(i) INFO plain deadbeef \(a)x and 0x\(hex(12)) cafe\(i)")
            }
        }
        let dir = LogScratch()
        defer { dir.cleanup() }
        let file = dir.path + "-lines.txt"
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let store = try LogStore(directory: dir.path, options: LogFixtures.options(durability: .none))
        try store.append(lines.enumerated().map { i, l in
            LogRecord(timestamp: Int64(i), stream: Labels(sorted: [Label("file", "k")]), line: Array(l.utf8))
        })
        try store.flush()
        let a0 = audits[0]
        let cases: [([String], String, LineFilter)] = [
            (["-F"], "audit_id=\(a0)", LineFilter(.contains, "audit_id=\(a0)")),
            (["-F"], String(a0.dropFirst(3).prefix(6)), LineFilter(.contains, String(a0.dropFirst(3).prefix(6)))),
            (["-F"], "at 0x7f", LineFilter(.contains, "at 0x7f")),
            (["-F"], "{SHA1}", LineFilter(.contains, "{SHA1}")),
            (["-F"], "deadbeef", LineFilter(.contains, "deadbeef")),
            (["-F"], "\(a0)x", LineFilter(.contains, "\(a0)x")),
            (["-F"], "e1", LineFilter(.contains, "e1")),
            (["-F", "-i"], "AUDIT_ID=\(a0.uppercased())", LineFilter(.contains, "AUDIT_ID=\(a0.uppercased())", caseInsensitive: true)),
            (["-E"], "0x[0-9a-f]{12}$", LineFilter(.matches, "0x[0-9a-f]{12}$")),
            (["-E"], "SHA1\\}[0-9a-f]{40}\"", LineFilter(.matches, "SHA1\\}[0-9a-f]{40}\"")),
            (["-E"], "audit_id=[0-9]", LineFilter(.matches, "audit_id=[0-9]")),
        ]
        for (flags, pattern, filter) in cases {
            let want = try grepCount(flags, pattern, file: file)
            let got = try store.count(LogQuery(lineFilters: [filter]))
            #expect(got == want && want >= 0, "grep \(flags.joined(separator: " ")) '\(pattern)' = \(want), store \(got)")
        }
        let back = try store.search(LogQuery(limit: 0, direction: .forward)).hits.map { String(decoding: $0.record.line, as: UTF8.self) }
        #expect(back == lines)
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
