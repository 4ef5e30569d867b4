import ArgumentParser
import Strata
import StrataCLIKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct ShellCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell",
        abstract: "Explore a database interactively: PromQL, LogQL and trace queries with tables, charts, history and completion.",
        discussion: """
            On a terminal: line editing, history across sessions (kept in
            $STRATA_HISTORY, else ~/.strata_history), Tab completion of metric
            names, labels, values, functions and commands, Ctrl-C to drop a line
            or stop a running query, Ctrl-D to quit. Type \\help in the shell for
            its commands and example queries.

            When stdin is not a terminal, entries are read line by line and
            results printed as plain text (no prompt, no colour), so scripts can
            drive it; errors go to stderr and the session goes on.

            Queries run at the newest stored sample or span when that is more
            than five minutes old (else at now); \\time changes this. \\logs and
            \\traces switch the store bare queries go to.

            Examples:
              strata shell ./db
              printf '%s\\n' '\\time -1h..now step 1m' 'rate(up[5m])' \\
                | strata shell ./db

            Exit status: 0 success; 1 when a scripted session had a failed
            entry; 2 usage or I/O error.
            """)

    @Argument(help: "The database directory.") var db: String
    @Option(help: "Initial output format: table, json or csv.") var format: String = "table"

    func run() throws {
        guard let initialFormat = ShellFormat(rawValue: format) else {
            throw ValidationError("unknown --format '\(format)'; use table, json or csv")
        }
        let database = try openDatabase(db, readOnly: true)
        defer { try? database.close() }
        let terminal = RawTerminal()
        let interactive = terminal != nil
        let stats = try? database.metrics.stats()
        let logStats = try? database.logs.stats()
        let traceStats = try? database.traces.stats()
        let newest = [stats?.maxTime, traceStats?.maxTime.map { $0 / 1000 }].compactMap { $0 }.max()
        let (time, note) = Self.initialTime(newestSample: newest)
        let shell = Shell(
            modes: Shell.makeModes(database), time: time,
            style: interactive ? .forStdout() : ShellStyle(enabled: false),
            interactive: interactive, history: interactive ? History(path: History.defaultPath()) : nil)
        shell.format = initialFormat
        if let terminal, let history = shell.history {
            installShellInterruptHandler()
            shell.emit(
                "strata shell on \(db): \(stats.map { "\($0.series) series, \($0.samples) samples" } ?? "metrics")"
                    + (logStats.map { ", \($0.records) log records" } ?? "") + (traceStats.map { ", \($0.spans) spans" } ?? "") + "."
                    + " \\help for help, Ctrl-D to quit.")
            if let note { shell.emit(shell.style.dim(note)) }
            let editor = LineEditor(terminal: terminal, history: history) { [unowned shell] in shell.complete($0) }
            shell.run(editor)
            terminal.restore()
        } else {
            shell.run(PipedLines())
        }
        if !interactive && shell.failures > 0 { throw ExitCode(1) }
    }

    /// Now, unless the newest sample is more than five minutes old: then that sample's time (with a
    /// note saying so), so a copied or simulated database shows data straight away.
    static func initialTime(newestSample: Int64?) -> (ShellTime, String?) {
        let now = TimeSpec.nowMilliseconds()
        guard let newest = newestSample, newest < now - 300_000 else {
            return (.instant(.now(offset: 0)), nil)
        }
        return (
            .instant(.absolute(newest)),
            "the newest sample is at \(TimeSpec.formatRFC3339(newest)); queries run there (\\time now to change)"
        )
    }
}
