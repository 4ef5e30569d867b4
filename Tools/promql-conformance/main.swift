import StrataQuery
import Foundation
import Strata

// strata-promql-conformance: runs Prometheus's promqltest files against Strata's PromQL engine.

let usage = """
    usage: strata-promql-conformance [DIR|FILE...] [--json] [--core-only] [--verbose]
                                     [--check-passing FILE] [--write-passing FILE]

    Runs Prometheus's PromQL test files (promql/promqltest format) against Strata: each `load`
    goes into a real on-disk metric store, each `eval` through PromQLEngine. Prints one line per
    file and a closing `N passed, M failed, K skipped` (skipped = unsupported: with --core-only
    the non-core files and experimental functions).

      --json                one JSON object per eval case: {"file","line","expr","status","message"}
      --core-only           only the core set; everything else counts as unsupported
      --verbose             also print each failing case with the reason
      --check-passing FILE  exit 1 if a case listed in FILE (file:line per line) does not pass
      --write-passing FILE  write the passing cases (file:line) to FILE
      --in-process          run files in this process (default: one child process per file, so a
                            crash fails the case that crashed and the run goes on)

    Example:
      strata-promql-conformance ../shared/conformance/promql --check-passing Tools/promql-conformance/passing.txt
    """

struct Arguments {
    var paths: [String] = []
    var json = false
    var coreOnly = false
    var verbose = false
    var inProcess = false
    var checkPassing: String?
    var writePassing: String?
    /// Child mode: run this one file and print JSON lines.
    var internalFile: String?
    var resumeAfter = 0
}

func fail(_ message: String, status: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("strata-promql-conformance: \(message)\n".utf8))
    exit(status)
}

func parseArguments() -> Arguments {
    var a = Arguments()
    var args = CommandLine.arguments.dropFirst()
    func value(_ flag: String) -> String {
        guard let v = args.popFirst() else { fail("\(flag) needs a value") }
        return v
    }
    while let arg = args.popFirst() {
        switch arg {
        case "--json": a.json = true
        case "--core-only": a.coreOnly = true
        case "--verbose", "-v": a.verbose = true
        case "--in-process": a.inProcess = true
        case "--check-passing": a.checkPassing = value(arg)
        case "--write-passing": a.writePassing = value(arg)
        case "--internal-file": a.internalFile = value(arg)
        case "--resume-after": a.resumeAfter = Int(value(arg)) ?? 0
        case "-h", "--help":
            print(usage)
            exit(0)
        default:
            if arg.hasPrefix("-") { fail("unknown option \(arg)\n\(usage)") }
            a.paths.append(arg)
        }
    }
    return a
}

/// Test files named by the arguments: directories give their `*.test` files, sorted.
func testFiles(_ paths: [String]) -> [String] {
    var out: [String] = []
    for p in paths {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else { fail("\(p): no such file or directory") }
        if isDir.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: p)) ?? []
            out += names.filter { $0.hasSuffix(".test") }.sorted().map { p.hasSuffix("/") ? p + $0 : p + "/" + $0 }
        } else {
            out.append(p)
        }
    }
    return out
}

func readScript(_ path: String) -> TestScript {
    guard let data = FileManager.default.contents(atPath: path) else { fail("\(path): cannot read") }
    return TestScript.parse(String(decoding: data, as: UTF8.self))
}

func baseName(_ path: String) -> String { path.split(separator: "/").last.map(String.init) ?? path }

/// Runs one file in this process.
func runInProcess(_ path: String, options: RunOptions, resumeAfter: Int = 0, report: (CaseResult) -> Void) {
    let runner = FileRunner(file: baseName(path), options: options)
    runner.run(readScript(path)) { r in if r.line > resumeAfter { report(r) } }
}

struct DecodedCase: Decodable {
    var file: String
    var line: Int
    var expr: String
    var status: String
    var message: String
}

/// Runs one file in a child process; when the child dies, the case it was on fails and a new
/// child resumes after it.
func runIsolated(_ path: String, options: RunOptions) -> [CaseResult] {
    let script = readScript(path)
    let allCases: [(Int, String)] = script.commands.compactMap {
        switch $0 {
        case .eval(let c): (c.line, c.expr)
        case .broken(let line, let expr?, _): (line, expr)
        default: nil
        }
    }
    var results: [CaseResult] = []
    var resumeAfter = 0
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    while true {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["--internal-file", path, "--resume-after", String(resumeAfter)] + (options.coreOnly ? ["--core-only"] : [])
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { fail("cannot run \(exe): \(error)") }
        // A case that never returns must not hang the run: the watchdog kills the child.
        let pid = p.processIdentifier
        let watchdog = DispatchWorkItem { _ = kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(fileTimeoutSeconds), execute: watchdog)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        watchdog.cancel()
        let decoder = JSONDecoder()
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let d = try? decoder.decode(DecodedCase.self, from: Data(line)) else { continue }
            results.append(
                CaseResult(file: d.file, line: d.line, expr: d.expr, status: CaseResult.Status(rawValue: d.status) ?? .fail, message: d.message))
        }
        if p.terminationReason == .exit && p.terminationStatus == 0 { break }
        let done = Set(results.map(\.line))
        guard let crashed = allCases.first(where: { $0.0 > resumeAfter && !done.contains($0.0) }) else { break }
        let how = p.terminationReason == .uncaughtSignal ? "signal \(p.terminationStatus)" : "exit status \(p.terminationStatus)"
        results.append(
            CaseResult(file: baseName(path), line: crashed.0, expr: crashed.1, status: .fail, message: "the runner crashed (\(how))"))
        resumeAfter = crashed.0
    }
    return results.sorted { $0.line < $1.line }
}

/// How long one file may run in its child process.
let fileTimeoutSeconds = 600

func readPassingList(_ path: String) -> [String] {
    guard let data = FileManager.default.contents(atPath: path) else { fail("\(path): cannot read") }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty && !$0.hasPrefix("#") }
}

func main() {
    let args = parseArguments()
    let options = RunOptions(coreOnly: args.coreOnly)
    if let file = args.internalFile {
        runInProcess(file, options: options, resumeAfter: args.resumeAfter) { r in
            print(r.json)
            fflush(nil)
        }
        exit(0)
    }
    guard !args.paths.isEmpty else { fail("no test files given\n\(usage)") }
    var all: [CaseResult] = []
    for path in testFiles(args.paths) {
        var results: [CaseResult] = []
        if args.inProcess {
            runInProcess(path, options: options) { results.append($0) }
        } else {
            results = runIsolated(path, options: options)
        }
        all += results
        if args.json {
            for r in results { print(r.json) }
        } else {
            let n = results.count { $0.status == .pass }
            let m = results.count { $0.status == .fail }
            let k = results.count { $0.status == .unsupported }
            print("\(baseName(path)): \(n) passed, \(m) failed, \(k) unsupported")
            if args.verbose {
                for r in results where r.status == .fail { print("  FAIL \(r.id): \(r.expr)\n       \(r.message)") }
            }
        }
        fflush(nil)
    }
    let summary =
        "\(all.count { $0.status == .pass }) passed, \(all.count { $0.status == .fail }) failed, \(all.count { $0.status == .unsupported }) skipped"
    if args.json {
        FileHandle.standardError.write(Data((summary + "\n").utf8))
    } else {
        print(summary)
    }
    if let path = args.writePassing {
        let ids = all.filter { $0.status == .pass }.map(\.id)
        let text = ids.joined(separator: "\n") + (ids.isEmpty ? "" : "\n")
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else { fail("\(path): cannot write") }
    }
    if let path = args.checkPassing {
        let byId = Dictionary(all.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let listed = readPassingList(path)
        var regressions = 0
        for id in listed where byId[id]?.status != .pass {
            regressions += 1
            let r = byId[id]
            FileHandle.standardError.write(
                Data("regression: \(id) \(r?.expr ?? "(case not found)"): \(r.map { "\($0.status.rawValue): \($0.message)" } ?? "")\n".utf8))
        }
        let listedSet = Set(listed)
        let newlyPassing = all.filter { $0.status == .pass && !listedSet.contains($0.id) }.count
        if newlyPassing > 0 {
            FileHandle.standardError.write(Data("\(newlyPassing) passing cases are not in \(path) (update it with --write-passing)\n".utf8))
        }
        if regressions > 0 {
            FileHandle.standardError.write(Data("\(regressions) cases listed in \(path) no longer pass\n".utf8))
            exit(1)
        }
    }
    exit(0)
}

main()
