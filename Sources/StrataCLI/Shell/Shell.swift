import Strata
import StrataCLIKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One `strata shell` session: reads entries (queries and backslash commands) from a `LineSource`,
/// runs them against the current mode's store, and prints results. Errors are printed and the
/// session goes on; `failures` counts them (the exit status of a scripted session).
final class Shell {
    let modes: [any ShellMode]
    private(set) var current: any ShellMode
    var time: ShellTime
    var format: ShellFormat = .table
    var timing = false
    let style: ShellStyle
    let interactive: Bool
    let history: History?
    private(set) var failures = 0

    init(modes: [any ShellMode], time: ShellTime, style: ShellStyle, interactive: Bool, history: History?) {
        self.modes = modes
        self.current = modes[0]
        self.time = time
        self.style = style
        self.interactive = interactive
        self.history = history
    }

    /// The stores of `db`; the first is the default mode.
    static func makeModes(_ db: Database) -> [any ShellMode] {
        [
            MetricsMode(store: db.metrics, cancellation: shellInterrupt),
            LogsMode(db: db, cancellation: shellInterrupt),
            TracesMode(db: db, cancellation: shellInterrupt),
        ]
    }

    static let builtins: [(usage: String, help: String)] = [
        ("\\help", "this text"),
        ("\\metrics | \\logs | \\traces", "send bare queries to that store"),
        ("\\time [spec]", "show or set the evaluation time or range (see Time)"),
        ("\\timing", "toggle showing how long each query took and how much it read"),
        ("\\format table|json|csv", "how results are printed (json is Prometheus's API body)"),
        ("\\quit", "leave (also quit, exit or Ctrl-D)"),
    ]

    private static let builtinNames = ["help", "metrics", "logs", "traces", "time", "timing", "format", "quit"]

    // MARK: The loop

    /// Reads and runs entries until `\quit` or the end of input.
    func run(_ source: any LineSource) {
        var pending: [String] = []
        /// Runs a whole entry; false when the session should end.
        func submit() -> Bool {
            let text = pending.joined(separator: "\n")
            pending = []
            if text.trimmingWhitespace().isEmpty { return true }
            history?.add(text)
            source.suspend()
            return execute(text)
        }
        while true {
            let (prompt, width) = pending.isEmpty ? self.prompt() : continuationPrompt()
            switch source.readLine(prompt: interactive ? prompt : "", promptWidth: width) {
            case .endOfInput:
                _ = submit()
                return
            case .interrupt:
                pending = []
            case .line(let line):
                // A blank line or a backslash command ends an unfinished query (it runs, and fails
                // with a caret), so one stray bracket does not swallow the rest of a script.
                let fresh = line.trimmingWhitespace()
                if !pending.isEmpty && (fresh.isEmpty || (fresh.hasPrefix("\\") && ShellOverride.split(fresh) == nil)) {
                    guard submit() else { return }
                    if fresh.isEmpty { continue }
                }
                pending.append(line)
                switch InputCompleteness.check(pending.joined(separator: "\n")) {
                case .continues(let dropBackslash):
                    if dropBackslash, var last = pending.popLast() {
                        while last.last == " " || last.last == "\t" { last.removeLast() }
                        last.removeLast()
                        pending.append(last)
                    }
                case .complete:
                    guard submit() else { return }
                }
            }
        }
    }

    func prompt() -> (String, Int) {
        let plain = "strata[\(current.name)]> "
        return (style.bold("strata") + "[" + style.cyan(current.name) + "]> ", plain.count)
    }

    private func continuationPrompt() -> (String, Int) {
        let width = prompt().1
        return (String(repeating: " ", count: width - 5) + style.dim("...> "), width)
    }

    // MARK: Entries

    /// Runs one entry; false when it was `\quit`.
    func execute(_ text: String) -> Bool {
        let entry = text.trimmingWhitespace()
        if entry.isEmpty || entry.hasPrefix("#") { return true }
        if entry == "quit" || entry == "exit" { return false }
        if let (modeName, query) = ShellOverride.split(entry) {
            guard let mode = modes.first(where: { $0.name == modeName }) else { return true }
            guard !query.isEmpty else {
                let example = mode.examples.first?.query ?? "..."
                fail("\\\(modeName.prefix(1)) needs a query after it, e.g. \\\(modeName.prefix(1)) \(example)")
                return true
            }
            runQuery(query, in: mode)
            return true
        }
        if entry.hasPrefix("\\") { return command(entry) }
        runQuery(entry, in: current)
        return true
    }

    private func runQuery(_ query: String, in mode: any ShellMode) {
        shellInterrupt.reset()
        let started = Clock.now()
        let ctx = context()
        do {
            let r = try mode.run(query, context: ctx)
            show(r, started: started)
        } catch {
            fail(error.description)
        }
    }

    private func command(_ entry: String) -> Bool {
        let body = entry.dropFirst()
        let name = String(body.prefix { $0 != " " && $0 != "\t" })
        let argument = String(body.dropFirst(name.count)).trimmingWhitespace()
        switch name {
        case "help", "h", "?":
            emit(ShellHelp.text(modes: modes, builtins: Self.builtins, style: style))
        case "quit", "q", "exit":
            return false
        case "metrics", "logs", "traces":
            guard let mode = modes.first(where: { $0.name == name }) else { break }
            current = mode
        case "time":
            if !argument.isEmpty {
                do { time = try ShellTime.parse(argument) } catch {
                    fail(error.description)
                    return true
                }
            }
            emit(time.describe(now: TimeSpec.nowMilliseconds()))
        case "timing":
            switch argument {
            case "": timing.toggle()
            case "on": timing = true
            case "off": timing = false
            default:
                fail("\\timing takes on, off or nothing (to toggle), not '\(argument)'")
                return true
            }
            emit("timing is \(timing ? "on" : "off")")
        case "format":
            if argument.isEmpty {
                emit("format is \(format.rawValue)")
            } else if let f = ShellFormat(rawValue: argument) {
                format = f
            } else {
                fail("unknown format '\(argument)'; use table, json or csv")
            }
        default:
            guard let cmd = modeCommand(name) else {
                fail("unknown command \\\(name); \\help lists the commands")
                return true
            }
            shellInterrupt.reset()
            let started = Clock.now()
            do { show(try cmd.run(argument, context()), started: started) } catch { fail(error.description) }
        }
        return true
    }

    /// The command `name` of the current mode, else of any mode.
    private func modeCommand(_ name: String) -> ShellModeCommand? {
        for mode in [current] + modes {
            if let c = mode.commands.first(where: { $0.name == name }) { return c }
        }
        return nil
    }

    private func context() -> ShellContext {
        ShellContext(
            time: time.resolve(now: TimeSpec.nowMilliseconds()), format: format, style: style,
            width: interactive ? RawTerminal.columns() : 100, cancellation: shellInterrupt)
    }

    // MARK: Completion

    /// Completion for the text before the cursor: commands and their arguments, else the mode's query words.
    func complete(_ before: String) -> Completion {
        guard before.hasPrefix("\\") else { return current.complete(before) }
        guard let space = before.firstIndex(where: { $0 == " " }) else {
            var names = Self.builtinNames.map { "\\" + $0 } + ShellOverride.prefixes.keys
            for m in modes { names += m.commands.map { "\\" + $0.name } }
            return Completion.matching(names, prefix: before, replaceFrom: 0, suffix: " ")
        }
        let name = String(before[before.index(after: before.startIndex)..<space])
        let offset = before.distance(from: before.startIndex, to: space) + 1
        let argument = String(before[before.index(after: space)...])
        func shifted(_ c: Completion) -> Completion {
            Completion(replaceFrom: c.replaceFrom + offset, candidates: c.candidates)
        }
        if let modeName = ShellOverride.prefixes["\\" + name], let mode = modes.first(where: { $0.name == modeName }) {
            return shifted(mode.complete(argument))
        }
        switch name {
        case "format":
            return shifted(Completion.matching(ShellFormat.allCases.map(\.rawValue), prefix: argument, replaceFrom: 0))
        case "timing": return shifted(Completion.matching(["on", "off"], prefix: argument, replaceFrom: 0))
        case "time":
            return shifted(
                Completion.matching(["now", "-1h..now", "-15m..now", "-6h..now"], prefix: argument, replaceFrom: 0))
        default:
            guard let cmd = modeCommand(name) else { return .none }
            return shifted(cmd.completeArgument(argument))
        }
    }

    // MARK: Output

    private func show(_ r: ShellResult, started: UInt64) {
        let elapsed = Double(Clock.now() - started) / 1e6
        emit(r.text)
        for n in r.notes { writeStderr(style.yellow(n) + "\n") }
        if timing {
            let read = r.readSummary.map { ", " + $0 } ?? ""
            emit(style.dim("time \(Self.milliseconds(elapsed))\(read)"))
        }
    }

    static func milliseconds(_ ms: Double) -> String {
        ms >= 1000
            ? String(format1: ms / 1000) + " s" : ms >= 10 ? "\(Int(ms.rounded())) ms" : String(format1: ms) + " ms"
    }

    func emit(_ text: String) {
        var s = text
        if !s.hasSuffix("\n") { s += "\n" }
        s.withUTF8 { writeStdout(UnsafeRawBufferPointer($0)) }
    }

    func fail(_ message: String) {
        failures += 1
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false)
        var out = ""
        for (i, l) in lines.enumerated() { out += (i == 0 ? style.red("error: " + l) : String(l)) + "\n" }
        if interactive {
            out.withUTF8 { writeStdout(UnsafeRawBufferPointer($0)) }
        } else {
            writeStderr(out)
        }
    }
}
