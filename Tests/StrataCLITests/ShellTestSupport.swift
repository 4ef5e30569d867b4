import Foundation
import Synchronization
import Testing

/// Every shell test, one at a time: a session holds the database's lock.
@Suite("strata shell", .serialized)
struct ShellTests {}

/// A small database from the simulator: `strata generate` ten minutes of the testbed, then
/// `strata ingest` its KPI series and one compute node's node-exporter metrics. Built once.
enum ShellFixture {
    static let start = "2019-11-19T21:00:00Z"
    private static let built = Result { () throws -> String in try build() }

    static func database() throws -> String { try built.get() }

    private static func build() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-shell-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { ShellFixture.removeAll() }
        directories.withLock { $0.append(dir) }
        let gen = try CLI.run([
            "generate", dir + "/gen", "--duration", "10m", "--seed", "11", "--start", start, "--no-faults",
        ])
        guard gen.status == 0 else { throw FixtureError(message: "generate failed: \(gen.stderr)") }
        let ing = try CLI.run(["ingest", dir + "/db", dir + "/gen/metrics/kpi.om", dir + "/gen/metrics/wally117.om"])
        guard ing.status == 0 else { throw FixtureError(message: "ingest failed: \(ing.stderr)") }
        return dir + "/db"
    }

    private static let directories = Mutex<[String]>([])
    private static func removeAll() {
        for d in directories.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: d) }
    }

    struct FixtureError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

/// `strata shell` on a pseudo-terminal, through util-linux `script`: keys go in as bytes, the screen
/// output comes back as bytes (with escape sequences).
final class TerminalSession {
    private let process: Process
    private let input: FileHandle
    private let output = OutputBuffer()

    final class OutputBuffer: Sendable {
        private let bytes = Mutex<[UInt8]>([])
        func append(_ d: Data) { bytes.withLock { $0 += d } }
        func withLock<T>(_ body: ([UInt8]) -> T) -> T { bytes.withLock { body($0) } }
    }

    init(database: String, historyFile: String) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            throw ShellFixture.FixtureError(message: "these tests need util-linux script at /usr/bin/script (Debian: bsdutils)")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qfc", "'\(CLI.binary)' shell '\(database)'", "/dev/null"]
        var env = ProcessInfo.processInfo.environment
        env["STRATA_HISTORY"] = historyFile
        env["NO_COLOR"] = "1"
        env["COLUMNS"] = "100"
        process.environment = env
        let inPipe = Pipe(), outPipe = Pipe()
        process.standardInput = inPipe
        process.standardOutput = outPipe
        process.standardError = outPipe
        input = inPipe.fileHandleForWriting
        let sink = output
        outPipe.fileHandleForReading.readabilityHandler = { h in
            let d = h.availableData
            if !d.isEmpty { sink.append(d) }
        }
        try process.run()
    }

    /// Everything the terminal showed so far.
    var text: String { String(decoding: output.withLock { $0 }, as: UTF8.self) }

    func type(_ s: String) { input.write(Data(s.utf8)) }

    /// Sends `keys` one write at a time, as a person types.
    func keys(_ keys: [String]) {
        for k in keys {
            type(k)
            usleep(20_000)
        }
    }

    /// Waits until the output after `from` contains `needle`; false after `seconds`.
    @discardableResult
    func wait(for needle: String, after from: Int = 0, seconds: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if output(after: from).contains(needle) { return true }
            usleep(20_000)
        }
        return false
    }

    /// The output from byte `from` on.
    func output(after from: Int) -> String {
        String(decoding: output.withLock { Array($0.dropFirst(from)) }, as: UTF8.self)
    }

    var mark: Int { output.withLock { $0.count } }

    /// Waits for the process to end (after Ctrl-D); its exit status, or nil if it did not end.
    func waitForExit(seconds: Double = 20) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            return nil
        }
        return process.terminationStatus
    }

    static let up = "\u{1B}[A", left = "\u{1B}[D", right = "\u{1B}[C", home = "\u{1B}[H", end = "\u{1B}[F"
    static let delete = "\u{1B}[3~", backspace = "\u{7F}", ctrlA = "\u{01}", ctrlC = "\u{03}", ctrlD = "\u{04}"
    static let ctrlE = "\u{05}", ctrlK = "\u{0B}", ctrlU = "\u{15}", ctrlW = "\u{17}", tab = "\t", enter = "\r"
}
