import Foundation
import Testing

@testable import StrataQuery

/// Every `eval` expression of Prometheus's core promqltest files parses, unless the file expects
/// the evaluation to fail (most of those are runtime failures and parse too).
@Suite struct ParserConformanceTests {
    static let directory: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        parts.removeLast(4)  // Tests/StrataQueryTests/<file> and the package directory
        return parts.joined(separator: "/") + "/shared/conformance/promql"
    }()

    static let nonCore: Set<String> = [
        "native_histograms", "info", "type_and_unit", "start_timestamps", "extended_vectors", "fill-modifier",
        "duration_expression", "limit",
    ]

    struct EvalCase {
        var file: String
        var line: Int
        var expr: String
        var expectsFailure: Bool
    }

    /// The eval lines of one file: `eval instant at T <expr>`, `eval range from A to B step S <expr>`.
    static func evalCases(file: String, text: String) -> [EvalCase] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var cases: [EvalCase] = []
        for (i, raw) in lines.enumerated() {
            let line = raw.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            guard line.hasPrefix("eval") else { continue }
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count > 2 else { continue }
            let skip = words[1] == "range" ? 8 : 4
            guard words.count > skip else { continue }
            // The expression is everything after the `skip` leading words.
            var rest = Substring(line)
            for _ in 0..<skip {
                rest = rest.drop(while: { $0 != " " }).drop(while: { $0 == " " })
            }
            var fails = words[0] == "eval_fail"
            var j = i + 1
            while j < lines.count {
                let next = lines[j].trimmingPrefix(while: { $0 == " " || $0 == "\t" })
                guard next.hasPrefix("expect") else { break }
                if next.hasPrefix("expect fail") { fails = true }
                j += 1
            }
            cases.append(EvalCase(file: file, line: i + 1, expr: String(rest), expectsFailure: fails))
        }
        return cases
    }

    static func loadCases(core: Bool) throws -> [EvalCase] {
        guard let listing = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            Issue.record("conformance files not found at \(directory)")
            return []
        }
        let names = listing.filter { $0.hasSuffix(".test") }.sorted()
        var all: [EvalCase] = []
        for name in names where nonCore.contains(String(name.dropLast(5))) != core {
            let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
            all += evalCases(file: name, text: text)
        }
        return all
    }

    @Test func everyCoreEvalExpressionParses() throws {
        let cases = try Self.loadCases(core: true)
        #expect(cases.count > 1000, "conformance files missing at \(Self.directory)")
        var failures: [String] = []
        for c in cases where !c.expectsFailure {
            do {
                _ = try PromQL.parse(c.expr)
            } catch {
                failures.append("\(c.file):\(c.line): \(c.expr)\n\(error)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) core eval expressions failed to parse:\n\(failures.joined(separator: "\n"))")
    }

    @Test func printedCoreExpressionsParseToTheSameText() throws {
        for c in try Self.loadCases(core: true) where !c.expectsFailure {
            guard let expr = try? PromQL.parse(c.expr) else { continue }
            let printed = expr.description
            let reparsed = try PromQL.parse(printed)
            #expect(reparsed.description == printed, "\(c.file):\(c.line): \(c.expr)")
        }
    }
}
