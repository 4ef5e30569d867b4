import Foundation
import Testing

/// The README cannot rot: its embedding example is Examples/Embedding/main.swift verbatim (built and
/// run here), its command-line block runs at a small size, and its set-up lines are CI's.
@Suite("README")
struct ReadmeTests {
    static func readme() throws -> String { try String(contentsOf: repoRoot.appendingPathComponent("README.md"), encoding: .utf8) }

    /// The fenced block right after the line `<!-- marker -->`.
    static func block(after marker: String, in text: String) throws -> String {
        let start = try #require(text.range(of: "<!-- \(marker) -->\n"), "README has no <!-- \(marker) --> block")
        let rest = text[start.upperBound...]
        let open = try #require(rest.range(of: "\n"), "no fence")
        let close = try #require(rest[open.upperBound...].range(of: "\n```"), "unclosed fence")
        return String(rest[open.upperBound..<close.lowerBound]) + "\n"
    }

    @Test func embeddingExampleIsQuotedVerbatim() throws {
        let source = try String(contentsOf: repoRoot.appendingPathComponent("Examples/Embedding/main.swift"), encoding: .utf8)
        #expect(try Self.block(after: "Examples/Embedding/main.swift", in: Self.readme()) == source)
    }

    @Test func embeddingExampleBuildsAndRuns() throws {
        let binary = URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().appendingPathComponent("strata-embedding-example")
        #expect(FileManager.default.isExecutableFile(atPath: binary.path), "not built: \(binary.path)")
        let dir = Scratch()
        defer { dir.cleanup() }
        let p = Process()
        p.executableURL = binary
        p.arguments = [dir.path + "/db"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(text.contains(#"PromQL: {instance="wally113", job="node"} 0.9"#), "\(text)")
        #expect(text.contains("LogQL:  Unable to establish connection to http://wally113:9292/v2/images: Connection refused"))
        #expect(text.contains("errors in the last 5 minutes: 1.0"))
        #expect(text.contains("retention dropped 1 DEBUG record(s) older than an hour"), "\(text)")
        #expect(text.contains(#"trace: ["glance wsgi /v2/images/42/file"]"#), "\(text)")
        #expect(text.contains("slow request: 8f6ff588-fcb6-4983-883c-282f78922756 glance api wsgi 2.4 seconds at 2023-11-14T22:15:20Z"), "\(text)")
    }

    @Test func setUpIsTwoCommandsAndTheSecondIsCIs() throws {
        let lines = try Self.block(after: "set-up", in: Self.readme()).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasSuffix("Tools/quickstart.sh") == true)
        #expect(lines.last == "swift test --disable-xctest")
        let ci = try String(contentsOf: repoRoot.appendingPathComponent(".ci/run"), encoding: .utf8)
        #expect(ci.split(separator: "\n").contains("swift test --disable-xctest"))
        let quickstart = try String(contentsOf: repoRoot.appendingPathComponent("Tools/quickstart.sh"), encoding: .utf8)
        #expect(quickstart.contains("exec \"$bin\" demo"), "quickstart does not end in the demo")
    }

    /// Splits a shell line into words: plain words and '...' strings (what the README's lines use);
    /// stops at a `#` comment.
    static func words(_ line: Substring) -> [String] {
        var words: [String] = [], current = "", quoted = false, inWord = false
        for c in line {
            if quoted {
                if c == "'" { quoted = false } else { current.append(c) }
            } else if c == "'" {
                quoted = true
                inWord = true
            } else if c == " " {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else if c == "#" && !inWord {
                break
            } else {
                current.append(c)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    @Test func commandLineBlockRunsAtASmallSize() throws {
        let block = try Self.block(after: "tested: command line", in: Self.readme())
        let dir = Scratch()
        defer { dir.cleanup() }
        var outputs: [String: String] = [:]
        var ran = 0
        for line in block.split(separator: "\n") where line.hasPrefix("strata ") {
            var args = Self.words(line).dropFirst().map { arg -> String in
                switch arg {
                case "1h": "10m"  // the duration: ten simulated minutes, faults inside them
                case "ovs-crash@30m": "ovs-crash@5m"
                default: arg.hasPrefix("./") ? dir.path + "/" + arg.dropFirst(2) : arg
                }
            }
            if args.first == "demo" { args += ["--small"] }
            let r = try CLI.run(args)
            #expect(r.status == 0, "\(line): \(r.stderr)")
            outputs[String(line)] = r.stdout
            ran += 1
        }
        #expect(ran >= 8, "\(ran) commands")
        let all = outputs.values.joined(separator: "\n")
        #expect(all.contains(#""resultType":"streams""#) && all.contains("assertion"), "no Loki JSON with the crash")
        #expect(all.contains(#"{"status":"success","data":{"resultType":"matrix""#), "no Prometheus JSON")
        #expect(all.contains("call_success_rate{job=\"kpi\",service=\"ims\"}"), "no export")
    }
}
