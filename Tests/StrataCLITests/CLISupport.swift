import Foundation
import Testing

/// Runs the `strata` executable built next to the test bundle.
enum CLI {
    /// The package's build products directory (where `swift test` put `strata`).
    static var binary: String {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("strata").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return exe.deletingLastPathComponent().appendingPathComponent("strata").path
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `strata args...` to completion.
    @discardableResult
    static func run(_ args: [String], stdin: String? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        if let stdin {
            let inp = Pipe()
            p.standardInput = inp
            try p.run()
            inp.fileHandleForWriting.write(Data(stdin.utf8))
            try inp.fileHandleForWriting.close()
        } else {
            p.standardInput = FileHandle.nullDevice
            try p.run()
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

/// A fresh directory under the system temp dir.
struct Scratch {
    let url: URL
    var path: String { url.path }
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("strata-cli-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func file(_ name: String, _ contents: String) -> String {
        let p = url.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: p, contents: Data(contents.utf8))
        return p
    }
    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

/// The repository root, found from this file's path.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A path under ../shared/data; the test fails clearly if it is missing.
func sharedData(_ relative: String) throws -> String {
    let p = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/data/" + relative).path
    guard FileManager.default.fileExists(atPath: p) else {
        Issue.record("shared data missing at \(p): these tests need ../shared/data beside the repository")
        throw CocoaError(.fileNoSuchFile)
    }
    return p
}

func flip(_ path: String, at offset: Int) throws {
    let h = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    try h.seek(toOffset: UInt64(offset))
    let b = try h.read(upToCount: 1)!.first!
    try h.seek(toOffset: UInt64(offset))
    try h.write(contentsOf: Data([b ^ 0x5A]))
    try h.close()
}

/// One round of a crash test: starts `strata _crash-writer args...`, SIGKILLs it after a random
/// 50-400 ms, and reads what it printed before it died.
enum KilledWriter {
    struct Round {
        /// The last batch it printed `ack N` for, if any.
        var acked: Int?
        /// The compaction steps it reported (`compacted N` lines).
        var compactions = 0
    }

    static func run(_ args: [String], ackFile: String) throws -> Round {
        _ = FileManager.default.createFile(atPath: ackFile, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["_crash-writer"] + args
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: ackFile))
        p.standardError = FileHandle.nullDevice
        try p.run()
        var rng = SystemRandomNumberGenerator()
        usleep(UInt32.random(in: 50_000...400_000, using: &rng))
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal, "the writer was killed, not finished")
        var round = Round()
        for line in try String(contentsOfFile: ackFile, encoding: .utf8).split(separator: "\n") {
            if line.hasPrefix("ack "), let n = Int(line.dropFirst(4)) { round.acked = max(round.acked ?? n, n) }
            if line.hasPrefix("compacted "), let n = Int(line.dropFirst(10)) { round.compactions += n }
        }
        return round
    }
}
