import Foundation
import Strata
import StrataIngest
@testable import StrataWire
import Testing

@Suite("snappy, gzip and push bodies")
struct CodecTests {
    @Test func snappyRoundTripAndBomb() throws {
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7 / 13) }
        let c = Snappy.compress(data)
        #expect(try Snappy.decompress(c, limit: 1 << 20) == data)
        // The header claims 2 GiB: refused before anything is allocated.
        let bomb: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x08, 0x00]
        do {
            _ = try Snappy.decompress(bomb, limit: 64 << 20)
            Issue.record("a snappy bomb was inflated")
        } catch { #expect(error.kind == .tooLarge) }
        #expect(throws: WireError.self) { try Snappy.decompress(c, limit: 1000) }
        #expect(throws: WireError.self) { try Snappy.decompress(Array(c.prefix(c.count / 2)), limit: 1 << 20) }
        #expect(throws: WireError.self) { try Snappy.decompress([UInt8]("not snappy at all".utf8), limit: 1 << 20) }
        #expect(throws: WireError.self) { try Snappy.decompress([], limit: 1 << 20) }
    }

    @Test func gzipRoundTripAndBomb() throws {
        let text = [UInt8](String(repeating: "hello gzip ", count: 1000).utf8)
        #expect(try Gzip.decompress(Gzip.compress(text), limit: 1 << 20) == text)
        let zeros = [UInt8](repeating: 0, count: 50 << 20)
        let bomb = Gzip.compress(zeros)
        #expect(bomb.count < 100_000)
        do {
            _ = try Gzip.decompress(bomb, limit: 1 << 20)
            Issue.record("a gzip bomb was inflated")
        } catch { #expect(error.kind == .tooLarge) }
        #expect(throws: WireError.self) { try Gzip.decompress(Array(bomb.prefix(100)), limit: 64 << 20) }
        #expect(throws: WireError.self) { try Gzip.decompress([1, 2, 3, 4], limit: 1 << 20) }
    }

    @Test func lokiJSONPush() throws {
        let body = #"""
            {"streams":[{"stream":{"job":"varlogs","host":"h1"},"values":[["1700000000000000001","line \"one\"\n"],["1700000000000000002","two",{"trace_id":"abc"}]]},
             {"stream":{"job":"other"},"values":[]}]}
            """#
        let streams = try body.utf8CString.withUnsafeBytes { b in
            try LokiPushJSON.parse(UnsafeRawBufferPointer(rebasing: b.dropLast()), maxEntries: 100)
        }
        #expect(streams.count == 2)
        #expect(streams[0].labels == [Label("job", "varlogs"), Label("host", "h1")])
        #expect(streams[0].entries[0] == LokiPushEntry(timestamp: 1_700_000_000_000_000_001, line: Array("line \"one\"\n".utf8)))
        #expect(streams[0].entries[1].metadata == [LogField("trace_id", "abc")])
        for bad in [
            #"{"streams":[{"stream":{"a":"b"},"values":[["x","y"]]}]}"#,
            #"{"streams":[{"stream":{"a":1},"values":[]}]}"#,
            #"{"streams":[{"stream":{"a":"b"},"values":[["1","y","z","w"]]}]}"#,
            #"{"streams":[{"stream":{"a":"b"},"values":[["1","y"]"#,
            #"{"streams":[]} trailing"#,
        ] {
            #expect(throws: LokiPushError.self, "\(bad)") {
                try bad.utf8CString.withUnsafeBytes { try LokiPushJSON.parse(UnsafeRawBufferPointer(rebasing: $0.dropLast()), maxEntries: 100) }
            }
        }
        #expect(throws: LokiPushError.self) {
            try #"{"streams":[{"stream":{"a":"b"},"values":[["1","a"],["2","b"]]}]}"#.utf8CString.withUnsafeBytes {
                try LokiPushJSON.parse(UnsafeRawBufferPointer(rebasing: $0.dropLast()), maxEntries: 1)
            }
        }
    }

    /// A protobuf push encoded by the generated code is stored as the JSON push would be,
    /// structured metadata kept as fields; bad streams are refused and the rest kept.
    @Test func lokiProtobufPush() throws {
        let tmp = try TempDatabase()
        defer { tmp.cleanup() }
        var req = Logproto_PushRequest()
        var s = Logproto_StreamAdapter()
        s.labels = #"{job="varlogs", host="h\"1"}"#
        var e = Logproto_EntryAdapter()
        e.timestamp.seconds = 1_700_000_000
        e.timestamp.nanos = 5
        e.line = "hello world"
        var md = Logproto_LabelPairAdapter()
        md.name = "trace_id"
        md.value = "t1"
        e.structuredMetadata = [md]
        s.entries = [e]
        var bad = Logproto_StreamAdapter()
        bad.labels = #"{0bad="x"}"#
        bad.entries = [e]
        req.streams = [s, bad]
        var limits = WireLimits()
        limits.maxLineBytes = 1000
        let ingester = LogPushIngester(store: tmp.db.logs, limits: limits)
        let out = try (req.serializedBytes() as [UInt8]).withUnsafeBytes { try ingester.ingestProtobuf($0) }
        #expect(out.entriesAccepted == 1 && out.entriesRejected == 1)
        let hits = try tmp.db.logQL.logs(#"{job="varlogs"}"#, start: .distantPast, end: .distantFuture, limit: 10).hits
        #expect(hits.count == 1)
        #expect(hits.first?.record.stream == Labels(sorted: [Label("host", "h\"1"), Label("job", "varlogs")]))
        #expect(hits.first?.record.timestamp == 1_700_000_000_000_000_005)
        #expect(hits.first?.record.field("trace_id") == "t1")
        // Too long a line is refused with the option named.
        var long = Logproto_PushRequest()
        var ls = s
        ls.entries[0].line = String(repeating: "x", count: 1001)
        long.streams = [ls]
        let out2 = try (long.serializedBytes() as [UInt8]).withUnsafeBytes { try ingester.ingestProtobuf($0) }
        #expect(out2.entriesRejected == 1 && out2.problems.first?.contains("--max-line-bytes") == true)
    }

    /// osprofiler's OTLP mapping: the trace id is the base id, span ids the low 64 bits of the
    /// osprofiler trace ids, a span without a parent hangs off the base id; errors from the
    /// `error` attribute and the "log" event with error.kind.
    @Test func otlpMapping() throws {
        var req = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest()
        var rs = Opentelemetry_Proto_Trace_V1_ResourceSpans()
        var kv = Opentelemetry_Proto_Common_V1_KeyValue()
        kv.key = "service.name"
        kv.value.stringValue = "nova-osapi_compute"
        rs.resource.attributes = [kv]
        var ss = Opentelemetry_Proto_Trace_V1_ScopeSpans()
        ss.scope.name = "osprofiler.drivers.otlp"
        let base: [UInt8] = [0x2f, 0x69, 0x76, 0xdf, 0x50, 0xf2, 0x4d, 0x19, 0xa4, 0xb3, 0xc1, 0x84, 0x69, 0x1e, 0x89, 0x86]
        var root = Opentelemetry_Proto_Trace_V1_Span()
        root.traceID = Data(base)
        root.spanID = Data([1, 2, 3, 4, 5, 6, 7, 8])
        root.name = "wsgi"
        root.startTimeUnixNano = 1_700_000_000_000_000_000
        root.endTimeUnixNano = 1_700_000_000_250_000_000
        var child = root
        child.spanID = Data([9, 9, 9, 9, 9, 9, 9, 9])
        child.parentSpanID = root.spanID
        child.name = "db"
        var err = Opentelemetry_Proto_Common_V1_KeyValue()
        err.key = "error"
        err.value.boolValue = true
        child.attributes = [err]
        var ev = Opentelemetry_Proto_Trace_V1_Span.Event()
        ev.name = "log"
        var k1 = Opentelemetry_Proto_Common_V1_KeyValue()
        k1.key = "error.kind"
        k1.value.stringValue = "ValueError"
        ev.attributes = [k1]
        child.events = [ev]
        var badID = root
        badID.traceID = Data([1, 2, 3])
        ss.spans = [root, child, badID]
        rs.scopeSpans = [ss]
        req.resourceSpans = [rs]
        let out = try OTLPTraces.decode(try req.serializedBytes(), json: false, maxSpans: 10)
        #expect(out.rejected == 1)
        #expect(out.spans.count == 2)
        let baseID = TraceID(parsing: "2f6976df-50f2-4d19-a4b3-c184691e8986")!
        #expect(out.spans[0].baseID == baseID && out.spans[0].parentID == baseID)
        #expect(out.spans[0].traceID == TraceID(high: 0, low: 0x0102_0304_0506_0708))
        #expect(out.spans[0].service == "osapi_compute" && out.spans[0].project == "nova")
        #expect(out.spans[0].duration == 250_000 && !out.spans[0].isError)
        #expect(out.spans[1].parentID == out.spans[0].traceID && out.spans[1].isError && out.spans[1].info.errorType == "ValueError")
        // The same request as OTLP/JSON.
        let json = try OTLPTraces.decode(Array(try req.jsonString().utf8), json: true, maxSpans: 10)
        #expect(json.spans == out.spans)
        #expect(throws: WireError.self) { try OTLPTraces.decode([0xFF, 0xFF, 0xFF], json: false, maxSpans: 10) }
        #expect(throws: WireError.self) { try OTLPTraces.decode(try req.serializedBytes(), json: false, maxSpans: 1) }
    }
}
