import Strata
import StrataCLIKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ANSI colours for the shell's output, or none: colours only when stdout is a terminal and
/// `NO_COLOR` is unset or empty (https://no-color.org).
struct ShellStyle {
    let enabled: Bool

    static func forStdout() -> ShellStyle {
        let noColor = getenv("NO_COLOR").map { String(cString: $0) } ?? ""
        return ShellStyle(enabled: isatty(1) == 1 && noColor.isEmpty)
    }

    private func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m" + s + "\u{1B}[0m" : s }
    func bold(_ s: String) -> String { wrap(s, "1") }
    func dim(_ s: String) -> String { wrap(s, "2") }
    func red(_ s: String) -> String { wrap(s, "31") }
    func green(_ s: String) -> String { wrap(s, "32") }
    func yellow(_ s: String) -> String { wrap(s, "33") }
    func cyan(_ s: String) -> String { wrap(s, "36") }

    /// A distinct colour per charted series (cycling through six).
    func series(_ index: Int, _ s: String) -> String {
        let codes = ["36", "33", "32", "35", "34", "31"]
        return wrap(s, codes[index % codes.count])
    }

    /// The first line of `table` in bold (its header).
    func header(_ table: String) -> String {
        guard enabled, let nl = table.firstIndex(of: "\n") else { return table }
        return bold(String(table[..<nl])) + String(table[nl...])
    }

    /// A log level coloured by severity: errors red, warnings yellow, info green, debug dim.
    func level(_ level: String) -> String {
        switch level.uppercased() {
        case "ERROR", "CRITICAL", "FATAL", "EMERG", "ALERT", "CRIT", "ERR": red(level)
        case "WARNING", "WARN": yellow(level)
        case "INFO", "NOTICE": green(level)
        case "DEBUG", "TRACE": dim(level)
        default: level
        }
    }

    /// A log line with the search literals highlighted (reverse video).
    func highlighted(_ line: String, literals: [String], caseInsensitive: Bool = false) -> String {
        guard enabled else { return line }
        let ranges = TextHighlight.ranges(of: literals, in: line, caseInsensitive: caseInsensitive)
        return TextHighlight.apply(ranges, to: line) { wrap($0, "7") }
    }
}
