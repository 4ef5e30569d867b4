import Foundation
import Testing

extension ShellTests {
    /// The shell's traces mode on the demo's database (20 simulated minutes, the OVS crash at 21:10).
    @Suite("traces mode")
    struct TracesMode {
        static let start = "2019-11-19T21:00:00Z", end = "2019-11-19T21:30:00Z"
        static let window = "\\time \(start)..\(end) step 1m"

        func shell(_ lines: [String]) throws -> CLI.Result {
            try CLI.run(["shell", try DemoFixture.run().db], stdin: lines.joined(separator: "\n") + "\n")
        }

        /// The base_ids `strata query` finds for `query` over the window, newest first.
        func queried(_ query: String) throws -> [String] {
            let r = try CLI.run(["query", try DemoFixture.run().db, query, "--start", Self.start, "--end", Self.end])
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout.split(separator: "\n").dropFirst().map { String($0.prefix(36)) }
        }

        @Test func searchListsWhatQueryFindsAndTraceDrawsARow() throws {
            let expected = try queried("{error=true}")
            #expect(!expected.isEmpty, "the OVS crash should leave failed requests")
            let r = try shell([Self.window, "\\traces", "{error=true}", "\\trace 1", "\\trace \(expected.last!)"])
            #expect(r.status == 0, "\(r.stderr)")
            let rows = r.stdout.split(separator: "\n").compactMap { $0.firstMatch(of: /^ +([0-9]+)  ([0-9a-f-]{36})\s/) }
            #expect(rows.map { String($0.2) } == expected, "\(r.stdout)")
            #expect(rows.map { Int($0.1) } == Array(1...expected.count))
            // \trace 1 is the first row; the base_id form draws the last one.
            #expect(r.stdout.contains("trace \(expected[0]): "), "\(r.stdout)")
            #expect(r.stdout.contains("trace \(expected.last!): "))
            #expect(r.stdout.components(separatedBy: "critical path:").count == 3)
            #expect(r.stdout.contains("ERROR "), "the failed span shows its error")
        }

        @Test func servicesCountsEverySpanOfTheWindow() throws {
            let r = try shell([Self.window, "\\traces", "\\services", "\\format json", "span_count({}[30m])"])
            #expect(r.status == 0, "\(r.stderr)")
            let rows = r.stdout.split(separator: "\n").filter { $0.firstMatch(of: /^[a-z]+ +[a-z_-]+ +[a-z_]+ +[0-9]+ +[0-9]+\s/) != nil }
            #expect(rows.count >= 5, "\(r.stdout)")
            let total = rows.reduce(0) { sum, row in sum + (Int(row.split(separator: " ", omittingEmptySubsequences: true)[3]) ?? 0) }
            // The same spans counted by span_count over the same 30 minutes (an instant at the end).
            let json = try CLI.run(["query", try DemoFixture.run().db, "span_count({}[30m])", "--time", Self.end, "--format", "json"])
            let values = json.stdout.matches(of: /"value":\[[0-9.]+,"([0-9]+)"\]/).compactMap { Int($0.1) }
            #expect(total == values.reduce(0, +), "\\services \(total) vs span_count \(values)")
            let neutron = try #require(rows.first { $0.hasPrefix("neutron") && $0.contains(" wsgi ") })
            #expect((Int(neutron.split(separator: " ", omittingEmptySubsequences: true)[4]) ?? 0) > 0, "\(neutron)")
        }

        @Test func mistakesAreOneLineErrors() throws {
            let r = try shell(["\\traces", "\\trace 1", "\\trace nope", "{duration > }", "\\time 2001-01-01T00:00:00Z", "\\services"])
            #expect(r.status == 1)
            #expect(r.stderr.contains("error: no search yet: run one, then \\trace <#>"), "\(r.stderr)")
            #expect(r.stderr.contains("error: \\trace needs a base_id (a UUID) or the number of a row of the last search"))
            #expect(r.stderr.contains("^"), "no caret under the bad query: \(r.stderr)")
            #expect(r.stderr.contains("error: no spans between 2000-12-31T23:00:00Z and 2001-01-01T00:00:00Z"), "\(r.stderr)")
        }
    }
}
