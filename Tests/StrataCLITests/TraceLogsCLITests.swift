import Foundation
import Testing

extension ShellTests {
    /// `strata trace --logs` on the demo's database: the records it prints are exactly what the
    /// LogQL query it prints returns.
    @Suite("trace --logs")
    struct TraceLogs {
        @Test func printsTheRecordsOfItsOwnQuery() throws {
            let db = try DemoFixture.run().db
            let search = try CLI.run(["query", db, "{error=true}", "--start", "2019-11-19T21:00:00Z", "--end", "2019-11-19T21:30:00Z"])
            let id = try #require(search.stdout.split(separator: "\n").dropFirst().first.map { String($0.prefix(36)) }, "\(search.stdout)")
            let r = try CLI.run(["trace", db, id, "--logs", "--log-limit", "7"])
            #expect(r.status == 0, "\(r.stderr)")
            let lines = r.stdout.split(separator: "\n").map(String.init)
            let header = try #require(lines.firstIndex { $0.hasPrefix("logs: strata query ") }, "\(r.stdout)")
            let records = Array(lines[(header + 1)...].prefix { $0.hasPrefix("2019-") })
            #expect(records.count == 7, "\(r.stdout)")
            #expect(lines.last == "(the first 7 records; --log-limit shows more)")
            // Run the printed command: same records, same order.
            let command = lines[header].dropFirst("logs: strata query ".count)
            var args = ReadmeTests.words(command)
            args[0] = db
            let again = try CLI.run(["query"] + args + ["--limit", "7"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout.split(separator: "\n").map { String($0) } == records)
        }

        @Test func searchAsCSVHasTheTableRows() throws {
            let db = try DemoFixture.run().db
            let args = ["query", db, "{error=true}", "--start", "2019-11-19T21:00:00Z", "--end", "2019-11-19T21:30:00Z"]
            let table = try CLI.run(args)
            let csv = try CLI.run(args + ["--format", "csv"])
            #expect(csv.status == 0, "\(csv.stderr)")
            let rows = csv.stdout.split(separator: "\n").map(String.init)
            #expect(rows.first == "base_id,start,duration_us,spans,errors,root,services")
            let ids = table.stdout.split(separator: "\n").dropFirst().map { String($0.prefix(36)) }
            #expect(!ids.isEmpty && rows.dropFirst().map { String($0.prefix(36)) } == ids)
            for row in rows.dropFirst() {
                let cols = row.split(separator: ",", omittingEmptySubsequences: false)
                #expect(cols.count == 7 && Int(cols[2]) != nil && (Int(cols[4]) ?? 0) >= 1, "\(row)")
            }
        }
    }
}
