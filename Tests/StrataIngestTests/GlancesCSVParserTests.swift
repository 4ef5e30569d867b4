import StrataLabels
import StrataMetrics
import Testing

@testable import StrataIngest

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite struct GlancesCSVParserTests {
    func parse(_ text: String, host: String = "wally113", zoneOverride: Int? = nil, cuts: [Int] = []) -> ParseResult {
        var parser = GlancesCSVParser(host: host, zoneOverride: zoneOverride)
        return feed(&parser, Array(text.utf8), cuts: cuts)
    }

    @Test func seriesNamesAndValues() {
        let r = parse(
            """
            now,cpu.user,mem.used,load.cpucore,load.min1,load.min5,load.min15
            2019-10-11 21:11:16 CEST,23.7,12240764928,8,1.55,1.6,1.64
            """
        )
        #expect(r.rejected == [])
        let t: Int64 = 1_570_821_076_000
        #expect(
            r.samples == [
                FlatSample("glances_cpu_user{host=\"wally113\"}", t, 23.7),
                FlatSample("glances_mem_used{host=\"wally113\"}", t, 12_240_764_928),
                FlatSample("glances_load_cpucore{host=\"wally113\"}", t, 8),
                FlatSample("glances_load_min1{host=\"wally113\"}", t, 1.55),
                FlatSample("glances_load_min5{host=\"wally113\"}", t, 1.6),
                FlatSample("glances_load_min15{host=\"wally113\"}", t, 1.64),
            ]
        )
    }

    @Test func rowsSharingASecondAreSpreadWithinItNotLost() {
        let r = parse(
            """
            now,cpu.user
            2019-10-11 23:59:52 CEST,29.1
            2019-10-11 23:59:52 CEST,27.6
            2019-10-11 23:59:52 CEST,26.0
            2019-10-11 23:59:53 CEST,29.5
            2019-10-11 23:59:53 CEST,28.0
            """
        )
        #expect(r.rejected == [])
        let t: Int64 = 1_570_831_192_000
        #expect(r.samples.map(\.timestamp) == [t, t + 500, t + 750, t + 1000, t + 1500])
        #expect(r.samples.map(\.bits) == [29.1, 27.6, 26.0, 29.5, 28.0].map(\.bitPattern))
    }

    @Test func columnsInAnyOrderEmptyCellsTextColumnsAndExtraColumns() {
        let r = parse(
            """
            load.min1,system.hostname,now,net.eth0-rx
            1.5,wally113,2019-10-11 21:11:16 CEST,100
            ,wally113,2019-10-11 21:11:17 CEST,
            2.5,"wally,113",2019-10-11 21:11:18 CEST,"300"

            """
        )
        #expect(r.rejected == [])
        let t: Int64 = 1_570_821_076_000
        #expect(
            r.samples == [
                FlatSample("glances_load_min1{host=\"wally113\"}", t, 1.5),
                FlatSample("glances_net_eth0_rx{host=\"wally113\"}", t, 100),
                FlatSample("glances_load_min1{host=\"wally113\"}", t + 2000, 2.5),
                FlatSample("glances_net_eth0_rx{host=\"wally113\"}", t + 2000, 300),
            ]
        )
        #expect(r.batch.newSeries.map(\.index) == [0, 1])
    }

    @Test(arguments: [
        ("2019-10-11 21:11:16 CEST", Int64(1_570_821_076_000)), ("2019-10-11 20:11:16 CET", 1_570_821_076_000),
        ("2019-10-11 19:11:16 UTC", 1_570_821_076_000), ("2019-10-11 19:11:16 GMT", 1_570_821_076_000),
        ("2019-10-11T19:11:16Z", 1_570_821_076_000), ("2019-10-11 21:11:16 +0200", 1_570_821_076_000),
        ("2019-10-11 21:11:16+02:00", 1_570_821_076_000), ("2019-10-11 14:11:16 -05:00", 1_570_821_076_000),
        ("2019-10-11 21:11:16 UTC+2", 1_570_821_076_000), ("2019-10-11 19:11:16.250 UTC", 1_570_821_076_250),
        ("2019-10-11 15:11:16 EDT", 1_570_821_076_000), ("2019-10-11 14:11:16 EST", 1_570_821_076_000),
        ("2019-10-11 14:11:16 CDT", 1_570_821_076_000), ("2019-10-11 13:11:16 CST", 1_570_821_076_000),
        ("2019-10-11 13:11:16 MDT", 1_570_821_076_000), ("2019-10-11 12:11:16 MST", 1_570_821_076_000),
        ("2019-10-11 12:11:16 PDT", 1_570_821_076_000), ("2019-10-11 11:11:16 PST", 1_570_821_076_000),
        ("2019-10-11 20:11:16 BST", 1_570_821_076_000), ("2019-10-12 00:41:16 IST", 1_570_821_076_000),
        ("2019-10-12 04:11:16 JST", 1_570_821_076_000), ("1570821076.5", 1_570_821_076_500),
        ("2024-02-29 23:59:59 UTC", 1_709_251_199_000), ("2019-01-15 11:00:00 CET", 1_547_546_400_000),
    ])
    func timeFormatsAndZones(time: String, ms: Int64) {
        let r = parse("now,x\n\(time),1\n")
        #expect(r.rejected == [])
        #expect(r.batch.timestamps == [ms])
    }

    @Test func zoneOverrideCorrectsAMislabelledFile() {
        // Written as CEST in November, really UTC+1: override with +3600.
        let r = parse("now,x\n2019-11-20 10:00:00 CEST,1\n", zoneOverride: 3600)
        #expect(r.batch.timestamps == [Int64(1_574_240_400_000)])
        // A file without zones needs the override.
        let none = parse("now,x\n2019-11-20 10:00:00,1\n", zoneOverride: 0)
        #expect(none.batch.timestamps == [Int64(1_574_244_000_000)])
    }

    @Test func badLinesAreRejectedAndParsingContinues() {
        let r = parse(
            """
            now,a,b
            2019-10-11 21:11:16 CEST,1,2
            2019-10-11 21:11:17 XYZT,1,2
            2019-10-11 21:11:18 CEST,1,oops
            2019-10-11 21:11:19 CEST,1
            2019-13-11 21:11:20 CEST,1,2
            2019-10-11 21:11:21,1,2
            yesterday,1,2
            2019-10-11 21:11:22 CEST,3,4
            """
        )
        #expect(r.batch.values == [1, 2, 3, 4])
        #expect(r.batch.timestamps == [1_570_821_076_000, 1_570_821_076_000, 1_570_821_082_000, 1_570_821_082_000])
        let expected: [(Int, String)] = [
            (3, "unknown time zone \"XYZT\" in field 1 at column 1"),
            (4, "expected a number in column \"b\" at column 28, found \"oops\""),
            (5, "expected 3 fields as in the header, found 2"),
            (6, "the date or time is out of range in field 1 at column 1"),
            (7, "missing time zone (pass a zone override for files without one) in field 1 at column 1"),
            (8, "expected a time like \"2019-10-11 21:11:16 CEST\" or Unix seconds in field 1 at column 1"),
        ]
        #expect(r.rejected.map(\.line) == expected.map(\.0))
        #expect(r.rejected.map(\.reason) == expected.map(\.1))
        #expect(r.rejected[1].text == "2019-10-11 21:11:18 CEST,1,oops")
    }

    @Test func headerWithoutTimeColumnRejectsEveryLine() {
        let r = parse("a,b\n1,2\n")
        #expect(r.samples == [])
        #expect(r.rejected.map(\.line) == [1, 2])
    }

    @Test func splittingTheInputAtEveryByteGivesTheSameResult() {
        let text =
            "now,cpu.user,x\n2019-10-11 21:11:16 CEST,23.7,\n2019-10-11 21:11:17 CEST,bad,1\n"
            + "2019-10-11 21:11:18 CEST,1e2,NaN"
        let whole = parse(text)
        #expect(whole.samples.count == 3)
        for cut in 0...text.utf8.count {
            let split = parse(text, cuts: [cut])
            #expect(split.samples == whole.samples, "cut at \(cut)")
            #expect(split.rejected == whole.rejected, "cut at \(cut)")
        }
    }

    /// The real file the seed testbed recorded: 61,040 rows of 6 numeric columns.
    @Test func theRecordedGlancesFile() throws {
        let path = repositoryRoot() + "/../shared/data/msds/workloads/network_create_delete_config/glances_out.csv"
        guard let bytes = readFile(path) else {
            Issue.record("shared test data is missing: \(path) (it is always present in CI)")
            return
        }
        var parser = GlancesCSVParser(host: "wally113")
        var batch = ParsedMetricBatch()
        // Stream it in 1 MiB pieces, as the CLI does.
        var pending: [UInt8] = []
        var offset = 0
        var sampleCount = 0
        var series: [Int: Labels] = [:]
        var first: (Int32, Int64, Double)?
        var last: Int64 = 0
        while true {
            let end = min(offset + (1 << 20), bytes.count)
            pending += bytes[offset..<end]
            offset = end
            let final = end == bytes.count
            let used = pending.withUnsafeBytes { parser.parse($0, isFinal: final, into: &batch) }
            pending.removeFirst(used)
            #expect(batch.rejected == [])
            for (i, l) in batch.newSeries { series[i] = l }
            if first == nil, !batch.values.isEmpty {
                first = (batch.seriesIndex[0], batch.timestamps[0], batch.values[0])
            }
            sampleCount += batch.values.count
            if let t = batch.timestamps.last { last = t }
            batch.removeAll(keepingCapacity: true)
            if final { break }
        }
        #expect(pending.isEmpty)
        #expect(parser.linesRead == 61_041)
        #expect(sampleCount == 61_040 * 6)
        #expect(series.count == 6)
        #expect(
            series.values.map(\.description).sorted() == [
                "glances_cpu_user{host=\"wally113\"}", "glances_load_cpucore{host=\"wally113\"}",
                "glances_load_min15{host=\"wally113\"}", "glances_load_min1{host=\"wally113\"}",
                "glances_load_min5{host=\"wally113\"}", "glances_mem_used{host=\"wally113\"}",
            ]
        )
        // First row: 2019-10-11 21:11:16 CEST = 19:11:16 UTC; last: 2019-10-12 15:24:37 CEST.
        #expect(series[Int(first?.0 ?? -1)]?.metricName == "glances_cpu_user")
        #expect(first?.1 == 1_570_821_076_000)
        #expect(first?.2 == 23.7)
        #expect(last == 1_570_886_677_000)
    }
}

/// The repository root, found from this file's real location (Tests/StrataIngestTests/<file>).
func repositoryRoot(_ file: String = #filePath) -> String {
    var path = file
    if let resolved = realpath(file, nil) {
        path = String(cString: resolved)
        free(resolved)
    }
    var parts = path.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}

func readFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        if n <= 0 { break }
        out += buffer[0..<n]
    }
    return out
}
