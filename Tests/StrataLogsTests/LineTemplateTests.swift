import Testing

@testable import StrataLogs

@Suite struct LineTemplateTests {
    func roundTrip(_ line: [UInt8]) -> ([UInt8], [UInt8]) {
        var template: [UInt8] = [], numbers: [UInt8] = [], ids: [UInt8] = []
        line.withUnsafeBytes { LineTemplate.mask($0, template: &template, numbers: &numbers, ids: &ids) }
        var out: [UInt8] = []
        var n = 0, i = 0
        let ok = template.withUnsafeBytes { t in
            numbers.withUnsafeBytes { nb in
                ids.withUnsafeBytes { ib in LineTemplate.rebuild(t, numbers: nb, numberAt: &n, ids: ib, idAt: &i, into: &out) }
            }
        }
        #expect(ok)
        #expect(n == numbers.count && i == ids.count)
        return (template, out)
    }

    @Test func openStackShapesMaskAndRebuildExactly() {
        let line = Array(
            "2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 54fadb412c4e40cdbaed9335e4c35a9e - - -] 10.11.10.1 \"GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1\" status: 200 len: 1893 time: 0.2477829"
                .utf8)
        let (template, back) = roundTrip(line)
        #expect(back == line)
        #expect(template.filter { $0 == LineTemplate.uuid }.count == 1)
        #expect(template.filter { $0 == LineTemplate.hex32 }.count == 3)
        #expect(!template.contains(UInt8(ascii: "7")), "every digit is a variable")
    }

    @Test func uuidsAreMaskedEvenInsideDigitRunsAndHexEdgesAreRespected() {
        let cases = [
            "x12345678123e4567-e89b-12d3-a456-426614174000y",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "0123456789abcdef0123456789abcdef-0123-4567-89ab-0123456789ab",
            "\u{01}\u{02}\u{03}\u{04} control bytes and 42",
            "",
            "ABCDEF12-3456-7890-ABCD-EF1234567890 uppercase stays text",
        ]
        for c in cases {
            let (_, back) = roundTrip(Array(c.utf8))
            #expect(back == Array(c.utf8), "\(c)")
        }
        let (t, _) = roundTrip(Array("x12345678123e4567-e89b-12d3-a456-426614174000y".utf8))
        #expect(t.contains(LineTemplate.uuid))
    }

    @Test func hexRunsLeaveTheTemplateSoLinesShareIt() {
        func line(_ audit: String, _ sha: String, _ ptr: String) -> [UInt8] {
            Array("'token': <TokenModel (audit_id=\(audit), audit_chain_id=[u'\(audit)']) at 0x\(ptr)> X-Auth-Token: {SHA1}\(sha) end".utf8)
        }
        let a = line("1e9f4545936e9035", "484326c8f29756191e3074e649a4e620bcd029e9", "7f9b3c7481a0")
        let b = line("0ab3c2d1e4f56789", "6f1e3ea62d9670ef22ec04f0d221079b4c5b2ce1", "7f9b3c748f10")
        let (ta, backA) = roundTrip(a)
        let (tb, backB) = roundTrip(b)
        #expect(backA == a && backB == b)
        #expect(ta == tb, "the ids are variables, not template text")
        #expect(ta.filter { $0 == LineTemplate.hexRun }.count == 4)
        // Not hex runs: no digit, no letter, too short, glued to a word, before a dash.
        for text in ["deadbeefcafe", "12345678", "ab12cd3", "x1e9f4545936e9035", "1e9f4545936e9035z", "1e9f4545-936e"] {
            let (t, back) = roundTrip(Array(text.utf8))
            #expect(back == Array(text.utf8))
            #expect(!t.contains(LineTemplate.hexRun), "\(text)")
        }
        // A version-1 template's literal 0x05 byte reads as text after the upgrade.
        let v1: [UInt8] = [0x61, LineTemplate.hexRun, 0x62, LineTemplate.escape, 0x01, LineTemplate.number]
        let up = LineTemplate.upgradingVersion1(v1)
        #expect(up == [0x61, LineTemplate.escape, LineTemplate.hexRun, 0x62, LineTemplate.escape, 0x01, LineTemplate.number])
        #expect(TemplateProgram(up).numberSlots == 1)
        // The planner: a hex fragment may fall in a hex run, so such templates are verified.
        let dict = TemplateDictionary([ta], trigrams: TrigramIndex.build([ta]))
        #expect(dict.literalDecisions(Array("audit_id=1e9f".utf8), folded: false) == [.verify])
        #expect(dict.literalDecisions(Array("audit_id=zz".utf8), folded: false) == [.none])
    }

    @Test func randomBytesRoundTrip() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array("0123456789abcdef-ABC xyz\u{01}\u{04}\u{05}".utf8) + [0, 255, 10]
        for _ in 0..<2000 {
            let n = Int.random(in: 0..<120, using: &rng)
            let line = (0..<n).map { _ in alphabet.randomElement(using: &rng)! }
            let (_, back) = roundTrip(line)
            #expect(back == line)
        }
    }

    @Test func plannerDecidesTemplatesSoundly() {
        let templates: [[UInt8]] = ["a Claim successful \u{03}", "status: \u{03} len", "id \u{01} end"].map { t in
            var template: [UInt8] = [], n: [UInt8] = [], i: [UInt8] = []
            let src = t.replacingOccurrences(of: "\u{03}", with: "77").replacingOccurrences(
                of: "\u{01}", with: "123e4567-e89b-12d3-a456-426614174000")
            Array(src.utf8).withUnsafeBytes { LineTemplate.mask($0, template: &template, numbers: &n, ids: &i) }
            return template
        }
        let dict = TemplateDictionary(templates, trigrams: TrigramIndex.build(templates))
        #expect(dict.literalDecisions(Array("Claim successful".utf8), folded: false) == [.all, .none, .none])
        #expect(dict.literalDecisions(Array("claim SUCCESSFUL".utf8).map(asciiLower), folded: true) == [.all, .none, .none])
        #expect(dict.literalDecisions(Array("status: 200".utf8), folded: false) == [.none, .verify, .none])
        #expect(dict.literalDecisions(Array("e89b".utf8), folded: false) == [.none, .none, .verify])
        #expect(dict.literalDecisions(Array("7 en".utf8), folded: false)[2] == .verify, "a uuid may end in 7")
        #expect(dict.literalDecisions(Array("x en".utf8), folded: false)[2] == .none)
    }

    @Test func requiredLiteralsOfRegexes() {
        #expect(RequiredLiterals.extract("fail(ed|ure)")! == [[Array("fail".utf8)]])
        #expect(RequiredLiterals.extract("ERROR|CRITICAL")! == [[Array("ERROR".utf8)], [Array("CRITICAL".utf8)]])
        #expect(RequiredLiterals.extract("status: [45]\\d\\d")! == [[Array("status: ".utf8)]])
        #expect(RequiredLiterals.extract("abc?d")! == [[Array("ab".utf8), Array("d".utf8)]])
        #expect(RequiredLiterals.extract("x|.*") == nil)
    }
}
