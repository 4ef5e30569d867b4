import Strata

/// One store the shell can send bare queries to (metrics, logs, traces).
///
/// A mode parses and runs its own query language, completes its own words, and may own shell
/// commands (`\series` for metrics, `\streams` and `\context` for logs, `\trace` and `\services`
/// for traces). To add a store, write one type conforming to this protocol and list it in
/// `Shell.makeModes`. A command the current mode owns wins, so the logs mode answers `\labels` and
/// `\values` with stream labels while it is current.
///
/// Drawing helpers for those modes: `BarChart` (log counts over time), `TraceOutput.tree` (a trace waterfall),
/// `ShellStyle.highlighted` (line-filter matches) and `ShellStyle.level` (levels by severity).
/// Check `context.cancellation` in long loops so Ctrl-C stops a search.
protocol ShellMode: AnyObject {
    /// `metrics`, `logs` or `traces`: the prompt shows it, `\<name>` switches to it.
    var name: String { get }
    /// Example queries for `\help`, each with a short explanation.
    var examples: [(query: String, meaning: String)] { get }
    /// The commands this mode answers, e.g. `\series`.
    var commands: [ShellModeCommand] { get }

    /// Completion for `textBeforeCursor`, a query of this mode.
    func complete(_ textBeforeCursor: String) -> Completion
    /// Runs one query and renders its result.
    func run(_ query: String, context: ShellContext) throws(ShellError) -> ShellResult
}

/// A backslash command a mode owns.
struct ShellModeCommand {
    var name: String
    var usage: String
    var help: String
    /// Completion of the command's argument (the text after `\name `).
    var completeArgument: (String) -> Completion = { _ in .none }
    var run: (_ argument: String, _ context: ShellContext) throws(ShellError) -> ShellResult
}

/// What a query or command runs with: the time setting, the output format, the terminal.
struct ShellContext {
    var time: ShellTime.Resolved
    var format: ShellFormat
    var style: ShellStyle
    /// Columns available for tables and charts.
    var width: Int
    /// Set by Ctrl-C while the query runs.
    var cancellation: QueryCancellation
}

enum ShellFormat: String, CaseIterable {
    case table, json, csv
}

/// A rendered result and what it cost.
struct ShellResult {
    var text: String
    /// Warnings and notes for stderr.
    var notes: [String] = []
    /// e.g. "1,234 samples read", for `\timing`.
    var readSummary: String?
}
