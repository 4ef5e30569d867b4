import Foundation
import StrataRules
import Testing

/// `strata rules test` and `strata rules check` against the real promtool 2.42 on the corpus in
/// Fixtures/promtool: the same verdict on every file, and the same failure reports.
@Suite struct PromtoolDifferentialTests {
    /// Every unit-test file: promtool's verdict now, the verdict recorded with the corpus, and ours agree.
    @Test func unitTestVerdictsMatchPromtool() throws {
        #expect(FileManager.default.isExecutableFile(atPath: promtoolPath), "promtool is missing: run Tools/setup-debian.sh")
        let rows = try RuleFixtures.tsv("verdicts.tsv")
        #expect(rows.count >= 40)
        var passes = 0, fails = 0
        for row in rows {
            let file = row[0]
            let recorded = row[1]
            let promtool = try runTool(promtoolPath, ["test", "rules", file], in: RuleFixtures.promtoolCorpus)
            let live = promtool.status == 0 ? "pass" : "fail"
            #expect(live == recorded, "promtool's verdict on \(file) is \(live), the corpus says \(recorded)")
            let ours = RuleUnitTests.run(RuleFixtures.promtoolCorpus + "/" + file)
            #expect(
                (ours.passed ? "pass" : "fail") == live,
                "\(file): promtool says \(live), strata says \(ours.passed ? "pass" : "fail"): \(ours.failures.joined(separator: "\n"))")
            if live == "pass" { passes += 1 } else { fails += 1 }
        }
        // Both verdicts occur in the corpus.
        #expect(passes >= 20 && fails >= 10)
    }

    /// The failure reports are promtool's, byte for byte, except where the message is a parser's
    /// own wording (a PromQL parse error, a YAML decoding error).
    @Test func failureReportsMatchPromtoolByteForByte() throws {
        let wordingDiffers: Set<String> = ["37-fail-bad-expr", "41-fail-unknown-field"]
        let names = try FileManager.default.contentsOfDirectory(atPath: RuleFixtures.promtoolCorpus)
            .filter { $0.hasSuffix(".promtool.txt") && !$0.hasPrefix("check-") }.sorted()
        #expect(names.count >= 12)
        for name in names {
            let stem = String(name.dropLast(".promtool.txt".count))
            let expected = try String(contentsOfFile: RuleFixtures.promtoolCorpus + "/" + name, encoding: .utf8)
            var report = RuleUnitTests.run(RuleFixtures.promtoolCorpus + "/" + stem + ".test.yml")
            report.file = stem + ".test.yml"
            #expect(!report.passed, "\(stem) should fail")
            if wordingDiffers.contains(stem) {
                // Same structure: the same number of failure blocks, each naming the same expression.
                let blocks = expected.components(separatedBy: "\n\n").filter { $0.contains("expr:") || $0.contains("line ") }
                #expect(!blocks.isEmpty && !report.failures.isEmpty, "\(stem)")
            } else {
                #expect(RuleUnitTests.format(report) == expected, "\(stem): ours:\n\(RuleUnitTests.format(report))\npromtool's:\n\(expected)")
            }
        }
    }

    /// `rules check` refuses what promtool refuses and accepts what it accepts, with positions;
    /// two files differ on purpose and are checked against the behaviour we chose.
    @Test func checkVerdictsMatchPromtool() throws {
        // Prometheus 3 accepts group `labels` (promtool 2.42 does not know the field); a duplicate rule
        // is a lint warning with exit 0 in promtool and a refusal here.
        let versionSensitive: Set<String> = ["check-12-group-labels.yml", "check-02-valid-duplicate-rule.yml"]
        let rows = try RuleFixtures.tsv("check-verdicts.tsv")
        #expect(rows.count >= 16)
        for row in rows where !versionSensitive.contains(row[0]) {
            let file = row[0]
            let promtool = try runTool(promtoolPath, ["check", "rules", file], in: RuleFixtures.promtoolCorpus)
            let live = promtool.status == 0 ? "pass" : "fail"
            #expect(live == row[1], "promtool's verdict on \(file) is \(live), the corpus says \(row[1])")
            let path = RuleFixtures.promtoolCorpus + "/" + file
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let (_, errors) = RuleFiles.parse(text, file: file)
            #expect((errors.isEmpty ? "pass" : "fail") == live, "\(file): promtool \(live); ours: \(errors)")
            for e in errors { #expect(e.line >= 1 && e.column >= 1, "\(e) has no position") }
        }
        let labels = try String(contentsOfFile: RuleFixtures.promtoolCorpus + "/check-12-group-labels.yml", encoding: .utf8)
        let (groups, labelErrors) = RuleFiles.parse(labels, file: "check-12-group-labels.yml")
        #expect(labelErrors.isEmpty, "\(labelErrors)")
        #expect(groups.first?.rules.allSatisfy { r in !groups[0].labels.isEmpty && groups[0].labels.allSatisfy { g in r.labels.contains { $0.name == g.name } } } == true)
        let dup = try String(contentsOfFile: RuleFixtures.promtoolCorpus + "/check-02-valid-duplicate-rule.yml", encoding: .utf8)
        let (_, dupErrors) = RuleFiles.parse(dup, file: "check-02-valid-duplicate-rule.yml")
        #expect(dupErrors.count == 1 && dupErrors[0].message.contains("duplicate rule"), "\(dupErrors)")
    }

    /// Positions point at the offending text.
    @Test func checkErrorsCarryPositions() throws {
        func errors(_ name: String) throws -> [RuleFileError] {
            let text = try String(contentsOfFile: RuleFixtures.promtoolCorpus + "/" + name, encoding: .utf8)
            return RuleFiles.parse(text, file: name).errors
        }
        let promql = try errors("check-04-bad-promql.yml")
        // promtool: 6:15 for the expression's start; its parse error at the expression's column 37.
        #expect(promql.count == 1 && promql[0].line == 6 && promql[0].column > 15, "\(promql)")
        let group = try errors("check-07-duplicate-group.yml")
        #expect(group.count == 1 && group[0].line == 7, "\(group)")
        let duration = try errors("check-05-bad-duration.yml")
        #expect(duration.count == 1 && duration[0].message.contains("5x"), "\(duration)")
        let template = try errors("check-16-template-unknown-func.yml")
        #expect(template.count == 1 && template[0].message.contains("humanise"), "\(template)")
    }
}
