import StrataLabels
import Testing

@Suite("Label matchers")
struct LabelMatcherTests {
    @Test(arguments: [
        ("node", "node", true), ("node", "nodes", false), ("node.*", "nodes", true), ("a|b", "b", true),
        ("a|b", "ab", false), (".*", "", true), (".+", "", false), ("x.", "x\n", true), ("[0-9]+", "123", true),
        ("[0-9]+", "12a", false), ("foo\\.bar", "foo.bar", true), ("foo\\.bar", "fooxbar", false),
        ("(?i)node", "NODE", true), ("nova-.*", "nova-api", true), ("", "", true), ("", "x", false),
    ])
    func regexIsFullyAnchored(pattern: String, value: String, matches: Bool) throws {
        let m = try LabelMatcher(.regex, "l", pattern)
        #expect(m.matches(value) == matches)
        let n = try LabelMatcher(.notRegex, "l", pattern)
        #expect(n.matches(value) == !matches)
    }

    @Test func labelsValidateLikePrometheus() throws {
        #expect(throws: LabelError.duplicateName("a")) { try Labels(validating: [Label("a", "1"), Label("a", "2")]) }
        #expect(throws: LabelError.invalidName("1a")) { try Labels(validating: [Label("1a", "x")]) }
        #expect(throws: LabelError.invalidMetricName("bad-name")) { try Labels(validating: ["__name__": "bad-name"]) }
        let l = try Labels(validating: ["__name__": "up", "job": "node", "empty": ""])
        #expect(l.count == 2)
        #expect(l.description == "up{job=\"node\"}")
        #expect(Labels.escape("a\"b\\c\nd") == "a\\\"b\\\\c\\nd")
    }
}
