import ArgumentParser
import Strata
import StrataCLIKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct StrataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "An embeddable storage engine for the metrics, logs and traces of a cloud.",
        discussion: """
            Examples:
              strata ingest ./db node.om            # load OpenMetrics text
              strata inspect ./db --json            # what is stored
              strata export ./db '{__name__="node_load1"}' --start now-1h --end now
              strata verify ./db                    # check every checksum
              strata policy set ./db policy.yml     # what to keep, and how long
              strata compact ./db                   # apply it; merge segments
              strata delete ./db '{host="cmp-3"} |= "password"' --store logs
              strata trace ./db <base_id>           # one request's call tree

            Exit status: 0 success, 1 the command ran but found a problem (rejected input,
            corruption), 2 usage or I/O error.
            """,
        subcommands: [IngestCommand.self, QueryCommand.self, TraceCommand.self, ShellCommand.self, DemoCommand.self, ExportCommand.self, InspectCommand.self, VerifyCommand.self, CompactCommand.self, PolicyCommand.self, RulesCommand.self, DeleteCommand.self, ServeCommand.self, CrashWriterCommand.self, GenerateCommand.self]
    )

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let e as CLIFailure {
            for line in e.lines { printError(line) }
            Glibc.exit(e.status)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            if code == .failure || error is ExitCode {
                if let e = error as? ExitCode { Glibc.exit(e.rawValue) }
                printError(fullMessage(for: error))
                Glibc.exit(2)
            }
            // Usage errors (ArgumentParser's 64) map to 2, as the README's "The command line" says.
            printError(fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)")
            printError("see 'strata --help'")
            Glibc.exit(2)
        }
    }
}

/// A failure the command already described; `status` is the exit code.
struct CLIFailure: Error {
    var status: Int32
    var lines: [String]
    static func problem(_ lines: String...) -> CLIFailure { CLIFailure(status: 1, lines: lines) }
    static func io(_ lines: String...) -> CLIFailure { CLIFailure(status: 2, lines: lines) }
}

func printError(_ s: String) {
    var line = s
    if !line.hasSuffix("\n") { line += "\n" }
    writeStderr("strata: " + line)
}

/// Opens the database, turning failures into exit-status-2 errors with the path.
/// Commands that only read pass `mustExist` so a mistyped path is an error, not a new database.
func openDatabase(_ path: String, options: DatabaseOptions = DatabaseOptions(), mustExist: Bool = false, readOnly: Bool = false)
    throws -> Database
{
    if mustExist || readOnly { try requireDatabaseDirectory(path) }
    var options = options
    options.readOnly = readOnly
    do { return try Database(path: path, options: options) } catch {
        throw CLIFailure.io("\(error)")
    }
}

/// Fails with exit status 2 unless `path` is an existing directory.
func requireDatabaseDirectory(_ path: String) throws {
    var st = stat()
    guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
        throw CLIFailure.io("\(path): no such database directory")
    }
}

/// Parses a time flag or fails with a usage error naming it.
func parseTime(_ s: String?, flag: String, default d: Int64) throws -> Int64 {
    guard let s else { return d }
    guard let t = TimeSpec.parse(s) else {
        throw ValidationError("invalid time for \(flag): '\(s)' (use RFC 3339, Unix seconds, now or now-1h)")
    }
    return t
}

let stderrIsTerminal = isatty(2) == 1
