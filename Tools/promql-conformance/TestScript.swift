import StrataQuery
import Strata
import StrataCLIKit
import StrataLabels
import StrataMetrics

/// A promqltest file (Prometheus `promql/promqltest/test.go`): `load`, `clear` and `eval` commands.
struct TestScript {
    var commands: [Command]

    enum Command {
        case load(LoadCommand)
        case clear
        case eval(EvalCase)
        /// A command the runner could not read; the eval it belongs to (if any) fails with it.
        case broken(line: Int, expr: String?, message: String)
    }
}

/// `load <interval>` (or `load_with_nhcb`) and its series lines.
struct LoadCommand {
    var line: Int
    var interval: Int64
    var withNHCB: Bool
    /// Series in file order; a later line with the same labels replaces an earlier one.
    var series: [(labels: Labels, values: [SequenceValue])]
    /// The block declares start timestamps (`@st` lines), which Strata does not store.
    var usesStartTimestamps: Bool
}

/// What an `expect warn|info|fail ...` line asks for.
struct ExpectedMessage {
    enum Match {
        case any
        case exact(String)
        case regex(String)
    }
    var match: Match

    func matches(_ s: String) -> Bool {
        switch match {
        case .any: return true
        case .exact(let m): return m == s
        case .regex(let p):
            guard let r = try? Regex(p) else { return false }
            return s.contains(r)
        }
    }

    var text: String {
        switch match {
        case .any: "^.*$"
        case .exact(let m): m
        case .regex(let p): p
        }
    }
}

/// One `eval` command with its expectations.
struct EvalCase {
    var line: Int
    var expr: String
    var isRange: Bool
    /// Instant: evaluation time. Range: start/end/step. All in ms since the epoch.
    var start: Int64
    var end: Int64
    var step: Int64
    var eval: Int64

    var fail = false
    var warn = false
    var info = false
    var ordered = false
    var expectedFailMessage: String?
    var expectedFailRegex: String?
    var expectFail: [ExpectedMessage] = []
    var expectWarn: [ExpectedMessage] = []
    var expectInfo: [ExpectedMessage] = []
    var expectNoWarn = false
    var expectNoInfo = false
    var expectOrdered = false

    var expectScalar = false
    var expectedString: String?
    var excludeFromRangeQuery = false
    var expectRangeVector = false
    /// Expected series: labels, position (1-based, for ordered results), values.
    var expected: [Labels: (pos: Int, values: [SequenceValue])] = [:]
    var scalarValue: SequenceValue?

    var isOrdered: Bool { ordered || expectOrdered }
    var isFail: Bool { fail || !expectFail.isEmpty }
}

extension TestScript {
    /// Parses a test file; malformed commands become `.broken` entries so the rest still runs.
    static func parse(_ text: String) -> TestScript {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0).trimmingCharacters(inSpacesAndTabs: ())
        }
        for k in lines.indices where lines[k].hasPrefix("#") { lines[k] = "" }
        var commands: [Command] = []
        var i = 0
        while i < lines.count {
            let l = lines[i]
            if l.isEmpty {
                i += 1
                continue
            }
            let word = String(l.prefix { $0 != " " && $0 != "\t" }).lowercased()
            if word == "clear" {
                commands.append(.clear)
                i += 1
            } else if word.hasPrefix("load") {
                let (next, cmd) = parseLoad(lines, i)
                commands.append(cmd)
                i = next + 1
            } else if word.hasPrefix("eval") {
                let (next, cmd) = parseEval(lines, i)
                commands.append(cmd)
                i = next + 1
            } else {
                commands.append(.broken(line: i + 1, expr: nil, message: "invalid command \"\(l)\""))
                i += 1
            }
        }
        return TestScript(commands: commands)
    }

    private static func parseLoad(_ lines: [String], _ i0: Int) -> (Int, Command) {
        var i = i0
        let head = lines[i]
        let parts = head.split(whereSeparator: { $0 == " " || $0 == "\t" })
        let keyword = parts.first.map(String.init) ?? ""
        // Skip the block whatever happens, so a bad line does not derail the rest of the file.
        var end = i
        while end + 1 < lines.count && !lines[end + 1].isEmpty { end += 1 }
        guard keyword == "load" || keyword == "load_with_nhcb", parts.count == 2,
            let interval = TimeSpec.parseDuration(String(parts[1]))
        else {
            return (end, .broken(line: i + 1, expr: nil, message: "invalid load command \"\(head)\""))
        }
        var cmd = LoadCommand(
            line: i + 1, interval: interval, withNHCB: keyword == "load_with_nhcb", series: [], usesStartTimestamps: false)
        var index: [Labels: Int] = [:]
        while i < end {
            i += 1
            let def = lines[i]
            if isStartTimestampLine(def) {
                cmd.usesStartTimestamps = true
                continue
            }
            do {
                let (labels, values) = try SeriesDescription.parse(def, line: i + 1)
                if let k = index[labels] {
                    cmd.series[k].values = values
                } else {
                    index[labels] = cmd.series.count
                    cmd.series.append((labels, values))
                }
            } catch {
                return (end, .broken(line: i + 1, expr: nil, message: "\(error)"))
            }
        }
        return (end, .load(cmd))
    }

    /// `metric{labels}@st <offsets>` or `@st <offsets>` (start timestamps).
    static func isStartTimestampLine(_ l: String) -> Bool {
        guard let sp = l.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return false }
        return l[..<sp].hasSuffix("@st")
    }

    // The patterns of test.go, verbatim.
    nonisolated(unsafe) static let patEvalInstant = try! Regex(#"^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$"#)
    nonisolated(unsafe) static let patEvalRange = try! Regex(#"^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$"#)
    nonisolated(unsafe) static let patExpect = try! Regex(#"^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$"#)
    nonisolated(unsafe) static let patExpectRange = try! Regex(#"^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$"#)

    private static func groups(_ m: Regex<AnyRegexOutput>.Match) -> [String?] {
        (0..<m.output.count).map { k in m.output[k].substring.map(String.init) }
    }

    private static func parseEval(_ lines: [String], _ i0: Int) -> (Int, Command) {
        var i = i0
        let head = lines[i]
        var end = i
        while end + 1 < lines.count && !lines[end + 1].isEmpty { end += 1 }
        let lineNo = i + 1
        var c: EvalCase
        var mod: String?
        if let m = head.wholeMatch(of: patEvalInstant) {
            let g = groups(m)
            mod = g[1]
            let expr = g[3] ?? ""
            guard let at = TimeSpec.parseDuration(g[2] ?? "") else {
                return (end, .broken(line: lineNo, expr: expr, message: "invalid timestamp definition \"\(g[2] ?? "")\""))
            }
            c = EvalCase(line: lineNo, expr: expr, isRange: false, start: at, end: at, step: 0, eval: at)
        } else if let m = head.wholeMatch(of: patEvalRange) {
            let g = groups(m)
            mod = g[1]
            let expr = g[5] ?? ""
            guard let from = TimeSpec.parseDuration(g[2] ?? ""), let to = TimeSpec.parseDuration(g[3] ?? ""),
                let step = TimeSpec.parseDuration(g[4] ?? ""), to >= from
            else {
                return (end, .broken(line: lineNo, expr: expr, message: "invalid range definition in \"\(head)\""))
            }
            c = EvalCase(line: lineNo, expr: expr, isRange: true, start: from, end: to, step: step, eval: to)
        } else {
            return (end, .broken(line: lineNo, expr: nil, message: "invalid evaluation command \"\(head)\""))
        }
        switch mod {
        case "ordered": c.ordered = true
        case "fail": c.fail = true
        case "warn": c.warn = true
        case "info": c.info = true
        default: break
        }

        func broken(_ message: String) -> (Int, Command) {
            (end, .broken(line: lineNo, expr: c.expr, message: message))
        }
        var j = 1
        while i + 1 < lines.count {
            defer { j += 1 }
            i += 1
            let def = lines[i]
            if def.isEmpty {
                i -= 1
                break
            }
            if c.fail && def.hasPrefix("expected_fail_message") {
                c.expectedFailMessage = String(def.dropFirst("expected_fail_message".count)).trimmingCharacters(inSpacesAndTabs: ())
                break
            }
            if c.fail && def.hasPrefix("expected_fail_regexp") {
                c.expectedFailRegex = String(def.dropFirst("expected_fail_regexp".count)).trimmingCharacters(inSpacesAndTabs: ())
                break
            }
            if def.hasPrefix("expect range vector") {
                guard let m = def.wholeMatch(of: patExpectRange) else { return broken("invalid range vector definition \"\(def)\"") }
                let g = groups(m)
                guard let from = TimeSpec.parseDuration(g[1] ?? ""), let to = TimeSpec.parseDuration(g[2] ?? ""),
                    let step = TimeSpec.parseDuration(g[3] ?? ""), to >= from
                else { return broken("invalid range vector definition \"\(def)\"") }
                c.expectRangeVector = true
                c.start = from
                c.end = to
                c.step = step
                c.eval = to
                c.excludeFromRangeQuery = true
                continue
            }
            if def.hasPrefix("expect string") {
                let rest = def.dropFirst("expect string".count)
                guard rest.first == " ", let s = GoString.unquote(Array(rest.dropFirst().utf8)) else {
                    return broken("expected string literal not valid in \"\(def)\"")
                }
                c.expectedString = s
                c.excludeFromRangeQuery = true
                continue
            }
            if def.split(separator: " ", omittingEmptySubsequences: false).first == "expect" {
                guard let m = def.wholeMatch(of: patExpect) else { return broken("invalid expect statement \"\(def)\"") }
                let g = groups(m)
                var e = ExpectedMessage(match: .any)
                if let kind = g[2], let text = g[3] {
                    let t = text.trimmingCharacters(inSpacesAndTabs: ())
                    if kind == "msg" {
                        e.match = .exact(t)
                    } else {
                        guard (try? Regex(t)) != nil else { return broken("invalid regex \(t)") }
                        e.match = .regex(t)
                    }
                }
                switch g[1] {
                case "fail": c.expectFail.append(e)
                case "warn": c.expectWarn.append(e)
                case "info": c.expectInfo.append(e)
                case "no_warn": c.expectNoWarn = true
                case "no_info": c.expectNoInfo = true
                default: c.expectOrdered = true
                }
                j -= 1
                if (!c.expectInfo.isEmpty && c.expectNoInfo) || (!c.expectWarn.isEmpty && c.expectNoWarn)
                    || c.expectFail.count > 1
                {
                    return broken("invalid combination of expect lines")
                }
                continue
            }
            if let f = parseNumber(def) {
                c.expectScalar = true
                c.scalarValue = .float(f)
                c.expected = [:]
                break
            }
            do {
                let (labels, values) = try SeriesDescription.parse(def, line: i + 1)
                if values.count > 1 && !c.isRange && !c.expectRangeVector {
                    return broken("expecting multiple values in instant evaluation not allowed")
                }
                c.expectScalar = false
                c.expected[labels] = (j, values)
            } catch {
                return broken("\(error)")
            }
        }
        return (end, .eval(c))
    }

    /// Go's `strconv.ParseInt(s, 0, 64)` then `strconv.ParseFloat(s, 64)`, as test.go's `parseNumber`.
    static func parseNumber(_ s: String) -> Double? {
        guard !s.isEmpty, !s.contains(" "), !s.contains("\t") else { return nil }
        var t = Substring(s)
        var negative = false
        if let f = t.first, f == "+" || f == "-" {
            negative = f == "-"
            t = t.dropFirst()
        }
        let lower = t.lowercased()
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where lower.hasPrefix(prefix) {
            if let v = Int64(lower.dropFirst(2).replacingUnderscores(), radix: radix) { return Double(negative ? -v : v) }
        }
        if lower.count > 1 && lower.hasPrefix("0") && lower.allSatisfy({ $0 >= "0" && $0 <= "7" }),
            let v = Int64(lower.dropFirst(), radix: 8)
        {
            return Double(negative ? -v : v)
        }
        if let v = Int64(lower) { return Double(negative ? -v : v) }
        switch lower {
        case "inf", "infinity": return negative ? -.infinity : .infinity
        case "nan": return .nan
        default: break
        }
        guard lower.allSatisfy({ $0.isNumber || $0 == "." || $0 == "e" || $0 == "+" || $0 == "-" }),
            let v = Double(lower)
        else { return nil }
        return negative ? -v : v
    }
}

extension String {
    func trimmingCharacters(inSpacesAndTabs _: ()) -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}

extension StringProtocol {
    func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}
