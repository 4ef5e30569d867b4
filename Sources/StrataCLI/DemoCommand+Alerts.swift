import Strata
import StrataCLIKit
import StrataRules

#if canImport(Glibc)
    import Glibc
#endif

extension DemoReport {
    /// Evaluates the demo's rules over the run and shows each alert's timeline, then says which
    /// alerts fired around the KPI drop at `kpiFall` (ms).
    func alerts(rules path: String, kpiFall: Int64) throws {
        let groups: [RuleGroupDefinition]
        do { groups = try RuleFiles.load([path]) } catch { throw CLIFailure(status: 1, lines: error.errors.map(\.description)) }
        let report = RuleHistory.evaluate(groups, runner: RuleQueryRunner(database: db), start: start, end: end, interval: 60_000, write: false)
        for f in report.failures { print(style.red("rule \(f.rule): \(f.message)")) }
        print(RulesOutput.timeline(report, start: start, end: end, color: style.enabled))
        let near = report.transitions.filter { $0.state == .firing && abs($0.time - kpiFall) <= 10 * 60_000 }
        var seen: Set<String> = []
        let names = near.map(\.rule).filter { seen.insert($0).inserted }
        if !names.isEmpty {
            print(style.bold("Fired within 10 minutes of the drop: " + names.joined(separator: ", ") + "."))
        }
    }
}

/// Writes `text` to `path` (replacing it).
func writeTextFile(_ path: String, _ text: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw CLIFailure.io("\(path): cannot create the file (errno \(errno))") }
    defer { close(fd) }
    var t = text
    let ok = t.withUTF8 { u in write(fd, u.baseAddress, u.count) == u.count }
    if !ok { throw CLIFailure.io("\(path): write failed (errno \(errno))") }
}
