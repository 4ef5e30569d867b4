/// The text of `\help`: the commands, the query kinds with examples, and the keys.
enum ShellHelp {
    static func text(modes: [any ShellMode], builtins: [(usage: String, help: String)], style: ShellStyle) -> String {
        var out = style.bold("Queries") + "\n"
        out += "  A bare line is a query for the current store (the prompt shows it: strata[metrics]>).\n"
        out += "  Switch with \\metrics, \\logs, \\traces; send one query elsewhere with a prefix:\n"
        out += "  \\m <PromQL>, \\l <LogQL>, \\t <trace query>. End a line with \\ or leave a bracket or\n"
        out += "  quote open to continue on the next line.\n"
        for mode in modes {
            out += "\n" + style.bold(mode.name) + "\n"
            let width = mode.examples.map(\.query.count).max() ?? 0
            for e in mode.examples {
                out +=
                    "  " + style.cyan(e.query) + String(repeating: " ", count: max(1, width - e.query.count + 2))
                    + style.dim(e.meaning) + "\n"
            }
        }
        out += "\n" + style.bold("Commands") + "\n"
        var rows: [(String, String)] = builtins.map { ($0.usage, $0.help) }
        for mode in modes { rows += mode.commands.map { ($0.usage, $0.help) } }
        let w = rows.map(\.0.count).max() ?? 0
        for (u, h) in rows { out += "  " + u + String(repeating: " ", count: w - u.count + 2) + h + "\n" }
        out += "\n" + style.bold("Time") + "\n"
        out += "  \\time now | \\time -1h | \\time 2024-09-04T11:23:00Z      instant queries at that moment\n"
        out += "  \\time -1h..now [step 1m] | \\time A..B step 30s         range queries (tables summarise,\n"
        out += "                                                       charts draw each series)\n"
        out += "\n" + style.bold("Keys") + "\n"
        out += "  Left/Right, Home/End, Ctrl-A/E  move      Ctrl-K/U/W  cut to end/start/word\n"
        out += "  Up/Down                         history   Tab         complete (lists when ambiguous)\n"
        out += "  Ctrl-C  drop the line, or stop a running query      Ctrl-D  quit on an empty line"
        return out
    }
}
