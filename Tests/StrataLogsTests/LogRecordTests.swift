import StrataLabels
import StrataMetrics
import Testing

@testable import StrataLogs

@Suite struct LogRecordTests {
    @Test func fieldLookupReturnsFirstValueOrNil() throws {
        let stream = try Labels(validating: ["host": "wally113", "program": "nova-api"])
        let r = LogRecord(
            timestamp: 1, stream: stream, line: Array("hello".utf8),
            fields: [LogField("request_id", "req-1"), LogField("pid", "25746")])
        #expect(r.field("pid") == "25746")
        #expect(r.field("request_id") == "req-1")
        #expect(r.field("user") == nil)
        #expect(r.flags.isEmpty)
    }
}
