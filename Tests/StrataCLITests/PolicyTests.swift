import Foundation
import Strata
import Testing

@Suite struct PolicyTests {
    static let example = """
        # the issue's example
        retention:
          metrics: 30d          # default age per store
          logs: 14d
          traces: 7d
          size: 50GiB
          rules:
            - {store: logs,    selector: '{level="DEBUG"}',            keep: 2d}
            - {store: logs,    selector: '{program="ovs-vswitchd"} |= "bridge"', keep: 90d}
            - {store: metrics, selector: '{__name__=~"node_.*"}',      keep: 90d}
            - {store: traces,  selector: '{error=true}',               keep: 30d}
            - {store: metrics, selector: 'up{job="node"}',             keep: forever}
        downsample:
          - {after: 2d,  resolution: 5m}
          - {after: 30d, resolution: 1h}
        """

    @Test func theIssuesExampleParses() throws {
        let p = try RetentionPolicy.parse(Self.example)
        #expect(p.metrics == .seconds(30 * 86_400))
        #expect(p.logs == .seconds(14 * 86_400))
        #expect(p.traces == .seconds(7 * 86_400))
        #expect(p.sizeBudget == 50 << 30)
        #expect(p.rules.map(\.store) == [.logs, .logs, .metrics, .traces, .metrics])
        #expect(p.rules.map(\.keep) == [.seconds(2 * 86_400), .seconds(90 * 86_400), .seconds(90 * 86_400), .seconds(30 * 86_400), nil])
        #expect(p.rules.map(\.line) == [8, 9, 10, 11, 12])
        guard case .logs(let streams, let filters) = p.rules[1].selector else { Issue.record("not a logs selector"); return }
        #expect(streams == [.equal("program", "ovs-vswitchd")])
        #expect(filters == [LineFilter(.contains, "bridge")])
        guard case .metrics(let m) = p.rules[4].selector else { Issue.record("not a metrics selector"); return }
        #expect(Set(m.map(\.name)) == ["__name__", "job"])
        guard case .traces(let t) = p.rules[3].selector else { Issue.record("not a trace selector"); return }
        #expect(t.error == true)
        #expect(p.downsample == [
            .init(after: .seconds(2 * 86_400), resolution: .seconds(300)), .init(after: .seconds(30 * 86_400), resolution: .seconds(3600)),
        ])
    }

    @Test func blockStyleMeansTheSame() throws {
        let p = try RetentionPolicy.parse(
            """
            retention:
              logs: 14d
              rules:
              - store: logs
                selector: "{level=\\"DEBUG\\"}"   # double quotes, escaped
                keep: 2d
              -
                store: metrics
                selector: node_load1
                keep: 1h30m
            """)
        #expect(p.logs == .seconds(14 * 86_400))
        #expect(p.metrics == nil)
        #expect(p.rules.count == 2)
        #expect(p.rules[0].text == "{level=\"DEBUG\"}")
        #expect(p.rules[1].keep == .seconds(5400))
        guard case .metrics(let m) = p.rules[1].selector else { Issue.record("not a metrics selector"); return }
        #expect(m == [.equal("__name__", "node_load1")])
    }

    /// Every refusal names the file, line and column, and says why.
    @Test(arguments: [
        ("retention:\n  metrics: 30d\n  logz: 14d\n", "p.yaml:3:3: unknown key logz"),
        ("retention:\n  metrics: 30 days\n", "p.yaml:2:12: bad duration for retention.metrics"),
        ("retention:\n  rules:\n    - {store: logs, selector: '{level=\"DEBUG\"', keep: 2d}\n", "p.yaml:3:"),
        ("retention:\n  rules:\n    - {store: events, selector: '{a=\"b\"}', keep: 2d}\n", "p.yaml:3:15: unknown store events"),
        ("retention:\n  size: 10MiB\n", "p.yaml:2:9: size 10485760 bytes is smaller than one write-ahead log segment"),
        ("retention:\n  size: lots\n", "p.yaml:2:9: bad size lots"),
        ("retention:\n\tmetrics: 30d\n", "p.yaml:2:1: a tab in indentation"),
        ("retention: {metrics: 30d\n", "p.yaml:1:12: a flow mapping `{` not closed"),
        ("retention:\n  metrics: 30d\n  metrics: 31d\n", "p.yaml:3:3: duplicate key metrics"),
        ("retention:\n  metrics: &a 30d\n", "p.yaml:2:12: `&`"),
        ("retention:\n  rules:\n    - {store: metrics, selector: 'rate(x[5m])', keep: 2d}\n", "p.yaml:3:34: a metrics rule's selector is a series selector"),
        ("retention:\n  rules:\n    - {store: logs, keep: 2d}\n", "p.yaml:3:7: a rule needs a selector"),
        ("downsample:\n  - {after: 2d, resolution: 5m}\n  - {after: 30d, resolution: 7m}\n", "p.yaml:3:5: each resolution must be a multiple"),
        ("downsample:\n  - {after: 2d}\n", "p.yaml:2:5: a downsample level needs after and resolution"),
        ("retention:\n  metrics: 0\n", "p.yaml:2:12: retention.metrics must be longer than 0"),
    ])
    func badPoliciesAreRefusedWithLineAndColumn(_ text: String, _ expected: String) {
        do {
            _ = try RetentionPolicy.parse(text, file: "p.yaml", minimumSizeBudget: 192 << 20)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.hasPrefix(expected), "\(error.description)")
        }
    }

    @Test func aSelectorErrorPointsInsideTheSelector() {
        // The column of the bad matcher operator inside the quoted selector.
        let text = "retention:\n  rules:\n    - {store: metrics, selector: '{job~\"x\"}', keep: 2d}\n"
        do {
            _ = try RetentionPolicy.parse(text, file: "p.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 39, "\(error)")  // the quote is at 34, `{` at 35, `~` at 39
            #expect(error.message.hasPrefix("bad PromQL selector"))
        }
    }

    @Test func theDatabaseKeepsThePreviousPolicyWhenANewOneIsRefused() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        var options = DatabaseOptions()
        options.metrics.walSegmentSize = 1 << 20
        options.logs.walSegmentSize = 1 << 20
        options.traces.walSegmentSize = 1 << 20
        let db = try Database(path: dir.path + "/db", options: options)
        #expect(try db.policy() == nil)
        try db.setPolicy("retention:\n  metrics: 30d\n  size: 3MiB\n")
        #expect(throws: PolicyError.self) { try db.setPolicy("retention:\n  metrics: 30x\n") }
        #expect(throws: PolicyError.self) { try db.setPolicy("retention:\n  size: 2MiB\n") }  // below 3 WAL segments
        #expect(try db.policy()?.metrics == .seconds(30 * 86_400))
        try db.close()

        // A damaged policy file is reported with its path, not misread.
        let reopened = try Database(path: dir.path + "/db", options: options)
        defer { try? reopened.close() }
        try flip(reopened.policyPath, at: 14)
        do {
            _ = try reopened.policy()
            Issue.record("a damaged policy file was read")
        } catch let e as StorageError {
            #expect(e.description.contains("POLICY"), "\(e)")
        }
    }

    /// The YAML reader never traps: every prefix of the example, and thousands of random edits of
    /// it (bytes replaced, inserted, deleted), either parse or are refused with a position.
    @Test func mangledPoliciesAreRefusedNeverTrap() {
        let base = Array(Self.example.utf8)
        var inputs: [[UInt8]] = (0...base.count).map { Array(base.prefix($0)) }
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("{}[]:,-'\"#&*!|> \t\n\\abc0123456789.".utf8)
        for _ in 0..<3000 {
            var b = base
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<b.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: b[i] = alphabet.randomElement(using: &rng)!
                case 1: b.insert(alphabet.randomElement(using: &rng)!, at: i)
                default: if b.count > 1 { b.remove(at: i) }
                }
            }
            inputs.append(b)
        }
        var refused = 0
        for b in inputs {
            do {
                _ = try RetentionPolicy.parse(String(decoding: b, as: UTF8.self), file: "p.yaml")
            } catch {
                refused += 1
                #expect(error.line >= 1 && error.column >= 1, "\(error)")
                #expect(error.description.hasPrefix("p.yaml:\(error.line):\(error.column): "))
            }
        }
        #expect(refused > 1000, "most mangled policies are refused (\(refused))")
    }
}
