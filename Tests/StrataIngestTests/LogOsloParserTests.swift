import Foundation
import StrataLogs
import Testing

@testable import StrataIngest

@Suite struct LogOsloParserTests {
    /// Every line of Loghub's OpenStack_2k parses, and the pid, level, logger, request context and
    /// message agree with the structured ground truth (Pid, Level, Component, ADDR, Content).
    @Test func loghubOpenStackMatchesStructuredCSV() throws {
        guard let logPath = loghubFile("OpenStack_2k.log"),
            let csvPath = loghubFile("OpenStack_2k.log_structured_corrected.csv")
        else { return }
        let raw = try Data(contentsOf: URL(fileURLWithPath: logPath))
        let rows = csvRows(try String(contentsOfFile: csvPath, encoding: .utf8)).dropFirst()
        #expect(rows.count == 2000)
        let (records, counts) = parseLog(
            [UInt8](raw), format: .oslo, source: LogSource(path: logPath), cuts: [1000, 77_777, 300_001])
        #expect(counts.unparsed == 0)
        #expect(counts.continuationLines == 0)
        #expect(records.count == rows.count)
        for (record, row) in zip(records, rows) {
            let expected = "\(row[1]) \(row[2]) \(row[3]) \(row[4]) \(row[5]) \(row[6]) [\(row[7])] \(row[8])"
            #expect(String(decoding: record.line, as: UTF8.self) == expected, "line \(row[0])")
            #expect(record.field("pid") == row[4], "line \(row[0])")
            #expect(record.stream["level"] == row[5], "line \(row[0])")
            #expect(record.field("logger") == row[6], "line \(row[0])")
            #expect(record.stream["program"] == String(row[1].prefix { $0 != "." }), "line \(row[0])")
            let ctx = row[7].split(separator: " ").map(String.init)
            if ctx.first?.hasPrefix("req-") == true {
                #expect(record.field("request_id") == ctx[0], "line \(row[0])")
                #expect(record.field("user") == (ctx[1] == "-" ? nil : ctx[1]), "line \(row[0])")
                #expect(record.field("project") == (ctx[2] == "-" ? nil : ctx[2]), "line \(row[0])")
            } else {
                #expect(record.field("request_id") == nil, "line \(row[0])")
            }
            // The message starts after the context: the parser's offset gives the CSV's Content.
            let parsed = record.line.withUnsafeBufferPointer { OsloLineParser.parse($0) }
            let message = parsed.map { String(decoding: record.line[$0.messageStart...], as: UTF8.self) }
            #expect(message == row[8], "line \(row[0])")
            if row[8].hasPrefix("[instance: ") {
                #expect(record.field("instance") == String(row[8].dropFirst(11).prefix(36)), "line \(row[0])")
            }
            // Date and Time columns: the record's time in UTC.
            let seconds = Double(record.timestamp) / 1e9
            let f = DateFormatter()
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
            f.locale = Locale(identifier: "en_US_POSIX")
            #expect(f.string(from: Date(timeIntervalSince1970: seconds + 0.0000001)) == "\(row[2]) \(row[3])", "line \(row[0])")
        }
        // The wsgi access lines (template E25 and friends) give the HTTP fields.
        let access = records.filter { $0.field("http_status") != nil }
        #expect(access.count == rows.filter { $0[8].contains("\" status: ") }.count)
        let first = try #require(records.first)
        #expect(first.field("http_method") == "GET")
        #expect(first.field("http_path") == "/v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail")
        #expect(first.field("http_status") == "200")
        #expect(first.field("http_bytes") == "1893")
        #expect(first.field("http_time") == "0.2477829")
    }

    @Test func simulatorContextsInstanceAndTraceback() {
        let text = """
            2019-11-19 21:00:04.500 2931 INFO nova.compute.manager [req-11111111-2222-3333-4444-555555555555 req-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee 0123456789abcdef0123456789abcdef fedcba9876543210fedcba9876543210 - - -] [instance: 9e8d7c6b-5a49-3827-1605-f4e3d2c1b0a9] VM Started (Lifecycle Event)
            2019-11-19 21:00:05.000 2931 DEBUG nova.compute.manager [req-99999999-2222-3333-4444-555555555555 - - - - -] Running periodic task
            2019-11-19 21:00:06.000 2931 ERROR nova.compute.manager [-] Build failed
            Traceback (most recent call last):
              File "/usr/lib/python2.7/site-packages/nova/compute/manager.py", line 1, in f
                raise X
            oslo_db.exception.DBConnectionError: (pymysql.err.OperationalError) gone

            2019-11-19 21:00:07.000 2931 INFO glance.wsgi.server [-] 10.11.10.1 - - [19/Nov/2019 21:00:07] "PUT /v2/images/abc/file HTTP/1.1" 204 0 5.512345
            2019-11-19 21:00:08.000 77 INFO neutron.wsgi [req-1 u p - - -] 10.11.10.1 "GET /v2.0/ports HTTP/1.1" status: 200  len: 1708 time: 0.1623410
            garbage that is no oslo line
            """
        let (records, counts) = parseLog(text, format: .oslo, cuts: [10, 400, 700])
        #expect(records.count == 6)
        #expect(counts.continuationLines == 5)  // 4 traceback lines and the blank line after them
        #expect(counts.unparsed == 1)
        let r0 = records[0]
        #expect(r0.timestamp == 1_574_197_204_500_000_000)
        #expect(r0.field("global_request_id") == "req-11111111-2222-3333-4444-555555555555")
        #expect(r0.field("request_id") == "req-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
        #expect(r0.field("user") == "0123456789abcdef0123456789abcdef")
        #expect(r0.field("project") == "fedcba9876543210fedcba9876543210")
        #expect(r0.field("instance") == "9e8d7c6b-5a49-3827-1605-f4e3d2c1b0a9")
        #expect(r0.stream.description == #"{file="p.log", host="h1", level="INFO", program="p"}"#)
        #expect(records[1].field("request_id") == "req-99999999-2222-3333-4444-555555555555")
        #expect(records[1].field("user") == nil)
        #expect(records[2].field("request_id") == nil)
        let tb = String(decoding: records[2].line, as: UTF8.self)
        #expect(tb.hasPrefix("2019-11-19 21:00:06.000 2931 ERROR nova.compute.manager [-] Build failed\nTraceback"))
        #expect(tb.hasSuffix("gone\n"))
        #expect(records[3].field("http_method") == "PUT")
        #expect(records[3].field("http_path") == "/v2/images/abc/file")
        #expect(records[3].field("http_status") == "204")
        #expect(records[3].field("http_bytes") == "0")
        #expect(records[3].field("http_time") == "5.512345")
        #expect(records[4].field("http_status") == "200")
        #expect(records[4].field("http_bytes") == "1708")
        #expect(records[4].field("http_time") == "0.1623410")
        let bad = records[5]
        #expect(bad.flags == [.unparsed, .timestampFallback])
        #expect(bad.timestamp == records[4].timestamp)
        #expect(String(decoding: bad.line, as: UTF8.self) == "garbage that is no oslo line")
        #expect(bad.fields.isEmpty)
    }
}
