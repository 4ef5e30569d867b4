import Foundation
import Testing

/// The promqltest runner (`strata-promql-conformance`), driven as CI drives it: small test files
/// in, one JSON verdict per eval case out. Each case below is built so that it passes only when the
/// runner reads the notation and compares results the way Prometheus's harness does, and a twin
/// with a wrong expectation must fail.
@Suite("PromQL conformance runner")
struct ConformanceRunnerTests {
    struct Verdict: Decodable {
        var file: String
        var line: Int
        var expr: String
        var status: String
        var message: String
    }

    /// Runs the tool on `text` (as `name`) and returns the verdicts by line.
    func run(_ text: String, name: String = "case.test", extra: [String] = []) throws -> (verdicts: [Int: Verdict], stdout: String, status: Int32) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-conf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        let r = try ConformanceTool.run([path, "--json", "--in-process"] + extra)
        var verdicts: [Int: Verdict] = [:]
        for line in r.stdout.split(separator: "\n") {
            let v = try JSONDecoder().decode(Verdict.self, from: Data(line.utf8))
            verdicts[v.line] = v
        }
        return (verdicts, r.stdout, r.status)
    }

    func statuses(_ text: String) throws -> [Int: String] {
        try run(text).verdicts.mapValues(\.status)
    }

    @Test func expandingNotationBlanksAndStaleMarkers() throws {
        let s = try statuses(
            """
            load 1m
              a 0+10x3 100
              b 1-2x2
              c 5x2 _x2 7
              d 1 _ 3 stale 5

            eval range from 0 to 4m step 1m a
              a 0 10 20 30 100

            eval range from 0 to 2m step 1m b
              b 1 -1 -3

            eval range from 0 to 5m step 1m c
              c 5 5 5 5 5 7

            eval range from 0 to 4m step 1m d
              d 1 1 3 _ 5

            eval range from 0 to 4m step 1m d
              d 1 1 3 3 5

            eval instant at 3m d
            """)
        #expect(s == [7: "pass", 10: "pass", 13: "pass", 16: "pass", 19: "fail", 22: "pass"])
    }

    @Test func toleranceNaNAndMissingOrExtraSeries() throws {
        let s = try statuses(
            """
            load 1m
              m{a="1"} 20
              m{a="2"} NaN

            eval instant at 0 m
              m{a="1"} 20.00001
              m{a="2"} NaN

            eval instant at 0 m
              m{a="1"} 20.001
              m{a="2"} NaN

            eval instant at 0 m
              m{a="1"} 20

            eval instant at 0 m{a="1"}
              m{a="1"} 20
              m{a="3"} 20

            eval instant at 0 m{a="1"}
              {a="1"} 20
            """)
        #expect(s == [5: "pass", 9: "fail", 13: "fail", 16: "fail", 20: "fail"])
    }

    @Test func scalarsStringsAndOrderedResults() throws {
        let s = try statuses(
            """
            load 1m
              m{a="1"} 2
              m{a="2"} 1

            eval instant at 0 scalar(m{a="1"})
              2

            eval instant at 0 scalar(m{a="1"})
              {} 2

            eval instant at 0 "text"
              expect string "text"

            eval instant at 0 "text"
              expect string "other"

            eval instant at 0 sort(m)
              expect ordered
              m{a="2"} 1
              m{a="1"} 2

            eval_ordered instant at 0 sort(m)
              m{a="1"} 2
              m{a="2"} 1
            """)
        #expect(s == [5: "pass", 8: "fail", 11: "pass", 14: "fail", 17: "pass", 22: "fail"])
    }

    @Test func expectedFailuresAndAnnotations() throws {
        let s = try statuses(
            """
            load 1m
              x{a="1"} 1
              x{a="2"} 2
              y 1

            eval instant at 0 x + on() x
              expect fail

            eval instant at 0 x + on() x
              expect fail msg: this is not the message

            eval instant at 0 y
              expect fail

            eval_fail instant at 0 x + on() x

            eval instant at 0 quantile(2, y)
              expect warn
              {} +Inf

            eval instant at 0 quantile(2, y)
              expect no_warn
              {} +Inf

            eval instant at 0 quantile(2, y)
              expect warn regex: quantile value should be between 0 and 1
              {} +Inf

            eval instant at 0 quantile(0.5, y)
              expect no_warn
              {} 1
            """)
        #expect(s == [6: "pass", 9: "fail", 12: "fail", 15: "pass", 17: "pass", 21: "fail", 25: "pass", 29: "pass"])
    }

    @Test func rangeVectorResultsAndNativeHistogramsAreCompared() throws {
        let r = try run(
            """
            load 1m
              m 1 2 3
              h {{schema:0 sum:1 count:1}} {{schema:0 sum:3 count:2 buckets:[1 1]}}x1

            eval instant at 2m m[2m]
              expect range vector from 1m to 2m step 1m
              m 2 3

            eval instant at 2m h
              h {{schema:0 sum:3 count:2 buckets:[1 1]}}

            eval instant at 2m count(h)
              {} 1

            eval instant at 2m h
              h {{schema:0 sum:3 count:2 buckets:[1 2]}}

            eval instant at 2m h
              h 2

            eval instant at 2m h
              h {{schema:0 sum:3 count:2 buckets:[1 1] counter_reset_hint:gauge}}
            """)
        #expect(r.verdicts[5]?.status == "pass", "\(r.verdicts[5]?.message ?? "")")
        #expect(r.verdicts[9]?.status == "pass", "\(r.verdicts[9]?.message ?? "")")
        #expect(r.verdicts[12]?.status == "pass", "\(r.verdicts[12]?.message ?? "")")
        // A different bucket, a float where a histogram comes back, a hint the stored sample lacks.
        #expect(r.verdicts[15]?.status == "fail")
        #expect(r.verdicts[18]?.status == "fail")
        #expect(r.verdicts[18]?.message.contains("but got histogram") == true)
        #expect(r.verdicts[21]?.status == "fail")
    }

    @Test func coreOnlySkipsNonCoreFilesAndExperimentalFunctions() throws {
        let text = """
            load 1m
              m 1

            eval instant at 0 mad_over_time(m[1m])
              {} 0

            eval instant at 0 m
              m 1
            """
        let all = try run(text).verdicts
        #expect(all[4]?.status == "pass")
        let core = try run(text, extra: ["--core-only"]).verdicts
        #expect(core[4]?.status == "unsupported")
        #expect(core[7]?.status == "pass")
        let nonCore = try run(text, name: "limit.test", extra: ["--core-only"]).verdicts
        #expect(nonCore.values.allSatisfy { $0.status == "unsupported" })
    }

    @Test func summaryLinesAndThePassingListGate() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-conf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let test = dir.appendingPathComponent("t.test").path
        _ = FileManager.default.createFile(
            atPath: test,
            contents: Data("load 1m\n  m 1\n\neval instant at 0 m\n  m 1\n\neval instant at 0 m\n  m 2\n".utf8))
        let list = dir.appendingPathComponent("passing.txt").path
        let first = try ConformanceTool.run([dir.path, "--write-passing", list])
        #expect(first.status == 0)
        #expect(first.stdout == "t.test: 1 passed, 1 failed, 0 unsupported\n1 passed, 1 failed, 0 skipped\n")
        #expect(String(decoding: FileManager.default.contents(atPath: list) ?? Data(), as: UTF8.self) == "t.test:4\n")
        #expect(try ConformanceTool.run([test, "--check-passing", list]).status == 0)
        _ = FileManager.default.createFile(atPath: list, contents: Data("t.test:4\nt.test:7\n".utf8))
        let gate = try ConformanceTool.run([test, "--check-passing", list])
        #expect(gate.status == 1)
        #expect(gate.stderr.contains("t.test:7"))
    }
}

/// Runs the `strata-promql-conformance` executable built beside the test bundle.
enum ConformanceTool {
    static var binary: String {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("strata-promql-conformance").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return exe.deletingLastPathComponent().appendingPathComponent("strata-promql-conformance").path
    }

    static func run(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}
