import Foundation
import Testing

/// Paths of the fixtures and tools the rule tests use.
enum RuleFixtures {
    static let testsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let promtoolCorpus = testsDir.appendingPathComponent("Fixtures/promtool").path
    static let repoRoot = testsDir.deletingLastPathComponent().deletingLastPathComponent()
    static let examples = repoRoot.appendingPathComponent("Examples/rules").path

    /// Tab-separated lines of a verdict file.
    static func tsv(_ name: String) throws -> [[String]] {
        let text = try String(contentsOfFile: promtoolCorpus + "/" + name, encoding: .utf8)
        return text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }
}

/// A finished program run.
struct ProgramResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `executable` in `directory` to completion (killed after `timeout` seconds).
func runTool(_ executable: String, _ arguments: [String], in directory: String, timeout: Double = 60) throws -> ProgramResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    p.currentDirectoryURL = URL(fileURLWithPath: directory)
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let deadline = Date().addingTimeInterval(timeout)
    // Read both pipes on other threads so a full pipe cannot stall the child.
    nonisolated(unsafe) var o = Data()
    nonisolated(unsafe) var e = Data()
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) { o = out.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { e = err.fileHandleForReading.readDataToEndOfFile() }
    while p.isRunning && Date() < deadline { usleep(10_000) }
    if p.isRunning {
        p.terminate()
        throw ToolError("\(executable) \(arguments.joined(separator: " ")) ran over \(timeout) s")
    }
    group.wait()
    p.waitUntilExit()
    return ProgramResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

struct ToolError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Debian's promtool (installed by Tools/setup-debian.sh); a test that needs it fails without it.
let promtoolPath = "/usr/bin/promtool"
