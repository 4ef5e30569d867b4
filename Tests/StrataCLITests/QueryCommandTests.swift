import Foundation
import Testing

/// `strata query` end to end: ingest a small file, query it, compare the JSON body byte for byte.
@Suite("strata query")
struct QueryCommandTests {
    static let input = """
        up{job="a",instance="x:1"} 1 1700000000000
        up{job="b",instance="y"} 0 1700000000000
        up{job="a",instance="x:1"} 1 1700000015000
        up{job="b",instance="y"} NaN 1700000015000
        req_total{job="a"} 10 1700000000000
        req_total{job="a"} 40 1700000030000
        req_total{job="a"} 70.5 1700000060000

        """

    func makeDB(_ dir: Scratch) throws -> String {
        let file = dir.file("in.prom", Self.input)
        let r = try CLI.run(["ingest", dir.path + "/db", file])
        #expect(r.status == 0, "\(r.stderr)")
        return dir.path + "/db"
    }

    @Test func instantQueryJSON() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = try makeDB(dir)
        let r = try CLI.run(["query", db, "up", "--time", "1700000020.5", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stdout
                == #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","instance":"x:1","job":"a"},"value":[1700000020.500,"1"]},{"metric":{"__name__":"up","instance":"y","job":"b"},"value":[1700000020.500,"NaN"]}]}}"#
                + "\n")
    }

    @Test func rangeQueryJSON() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = try makeDB(dir)
        let r = try CLI.run([
            "query", db, "sum by (job) (req_total)", "--start", "1700000000", "--end", "1700000060", "--step", "30s",
            "--format", "json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stdout
                == #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a"},"values":[[1700000000,"10"],[1700000030,"40"],[1700000060,"70.5"]]}]}}"#
                + "\n")
    }

    @Test func tableAndCSV() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = try makeDB(dir)
        let t = try CLI.run(["query", db, "up{job=\"a\"}", "--time", "1700000020"])
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.stdout == "__name__  instance  job  value\nup        x:1       a        1\n")
        let c = try CLI.run(["query", db, "up", "--time", "1700000020", "--format", "csv", "--limit", "1"])
        #expect(c.status == 0, "\(c.stderr)")
        #expect(c.stdout == "__name__,instance,job,timestamp,value\nup,x:1,a,1700000020,1\n")
        #expect(c.stderr.contains("1 of 2 series"))
    }

    @Test func parseErrorExitsOneWithCaret() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = try makeDB(dir)
        let r = try CLI.run(["query", db, "sum(up", "--time", "1700000020"])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("parse error"))
        #expect(r.stderr.contains("sum(up"))
        #expect(r.stderr.contains("^"))
    }

    @Test func usageAndIOErrorsExitTwo() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let missing = try CLI.run(["query", dir.path + "/nothing", "up"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nothing"))
        let db = try makeDB(dir)
        let both = try CLI.run(["query", db, "up", "--time", "now", "--start", "now-1h"])
        #expect(both.status == 2)
        let badStep = try CLI.run(["query", db, "up", "--start", "now-1h", "--step", "fast"])
        #expect(badStep.status == 2)
        let help = try CLI.run(["query", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("Examples:"))
    }
}
