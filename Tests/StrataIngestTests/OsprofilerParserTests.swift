import StrataStorage
import StrataTestSupport
import StrataTraces
import Testing

@testable import StrataIngest

@Suite struct OsprofilerParserTests {
    @Test func linesRoundTripThroughTheAssembler() throws {
        let spans = TraceFixture.spans(trace: 7, spans: 5, error: true)
        let (events, problems) = parseEvents(spans.map(TraceFixture.eventLines).joined())
        #expect(problems.isEmpty)
        #expect(events.count == 10)
        var a = SpanAssembler()
        for e in events.reversed() { a.add(e) }  // stops before starts: order does not matter
        #expect(a.pending.isEmpty)
        let got = a.takeCompleted().sorted { $0.start < $1.start }
        #expect(got.count == 5)
        for (g, s) in zip(got, spans.sorted { $0.start < $1.start }) {
            #expect(g.baseID == s.baseID && g.traceID == s.traceID && g.parentID == s.parentID)
            #expect(g.start == s.start && g.duration == s.duration)
            #expect(g.host == s.host && g.project == s.project && g.service == s.service && g.name == s.name)
            #expect(g.isError == s.isError)
            #expect(g.info.requestPath == s.info.requestPath)
            #expect(g.info.errorType == s.info.errorType && g.info.errorMessage == s.info.errorMessage)
        }
    }

    @Test func realReportOfOneImageIteration() throws {
        let text = String(decoding: try SystemFileSystem().readFile("../shared/data/msds/workloads/create_delete_image_config/test.json"), as: UTF8.self)
        let (events, problems) = parseEvents(text)
        #expect(problems.isEmpty)
        var a = SpanAssembler()
        for e in events { a.add(e) }
        a.expireAll()
        let spans = a.takeCompleted()
        #expect(spans.count == events.count / 2)
        #expect(spans.allSatisfy { $0.status.isEmpty })
        let base = try #require(TraceID(parsing: "8f6ff588-fcb6-4983-883c-282f78922756"))
        #expect(spans.allSatisfy { $0.baseID == base })
        let keystone = try #require(spans.first { $0.traceID == TraceID(parsing: "116851fb-890f-46f7-a753-0dac94d55499") })
        #expect(keystone.host == "wally113" && keystone.project == "keystone" && keystone.service == "public")
        #expect(keystone.duration == 102_030)  // 05.147722 - 05.045692
        #expect(keystone.info.requestMethod == "GET" && keystone.info.requestPath == "/")
        // The nested keystone call under a glance request keeps its parent.
        let nested = try #require(spans.first { $0.traceID == TraceID(parsing: "7967078c-ef88-420b-aca7-1e6fdf0837b6") })
        #expect(nested.parentID == TraceID(parsing: "24968a47-2031-4765-898e-69a65572f188"))
        let tree = TraceTree(baseID: base, spans: spans)
        #expect(tree.roots.allSatisfy { !$0.isOrphan })
        #expect(tree.flattened().count == spans.count)
    }

    @Test func badInputIsReportedWithItsOffsetAndGoodLinesStay() {
        let good = TraceFixture.spans(trace: 1, spans: 2).map(TraceFixture.eventLines).joined()
        let bad = [
            "{\"info\": {\"host\": \"x\"}, \"name\": \"wsgi-start\", \"timestamp\": \"2019-11-18T12:19:05.1\", \"trace_id\": \"116851fb-890f-46f7-a753-0dac94d55499\", \"parent_id\": \"116851fb-890f-46f7-a753-0dac94d55499\"}\n",
            "{\"name\": \"wsgi-start\", \"timestamp\": \"2019-11-18T12:19:05.1\", \"trace_id\": \"not-a-uuid\", \"parent_id\": \"116851fb-890f-46f7-a753-0dac94d55499\", \"base_id\": \"116851fb-890f-46f7-a753-0dac94d55499\"}\n",
            "{\"name\": \"wsgi-stop\", \"timestamp\": \"1850-11-18T12:19:05.1\", \"trace_id\": \"116851fb-890f-46f7-a753-0dac94d55499\", \"parent_id\": \"116851fb-890f-46f7-a753-0dac94d55499\", \"base_id\": \"116851fb-890f-46f7-a753-0dac94d55499\"}\n",
            "{\"name\": \"wsgi-start\", \"info\": {\"host\": \"x\"\n",
            "{\"name\": \"wsgi\", \"timestamp\": \"2019-11-18T12:19:05.1\", \"trace_id\": \"116851fb-890f-46f7-a753-0dac94d55499\", \"parent_id\": \"116851fb-890f-46f7-a753-0dac94d55499\", \"base_id\": \"116851fb-890f-46f7-a753-0dac94d55499\"}\n",
        ]
        let text = bad[0] + bad[1] + good + bad[2] + bad[3] + bad[4]
        let (events, problems) = parseEvents(text)
        #expect(events.count == 4)
        #expect(problems.count == 5)
        #expect(problems.map(\.message).contains { $0.contains("without base_id") })
        #expect(problems.map(\.message).contains { $0.contains("'not-a-uuid' is not a UUID") })
        #expect(problems.map(\.message).contains { $0.contains("timestamp '1850") })
        #expect(problems.map(\.message).contains { $0.contains("malformed JSON") })
        #expect(problems.map(\.message).contains { $0.contains("neither <point>-start nor <point>-stop") })
        let secondLine = bad[0].utf8.count
        #expect(problems.map(\.offset).contains(secondLine))
        let malformed = problems.first { $0.message.contains("malformed JSON") }
        #expect(malformed?.offset == text.utf8.count - bad[4].utf8.count - bad[3].utf8.count)
    }

    @Test func aChunkBoundaryInsideAnEventIsCarriedOver() {
        let text = Array(TraceFixture.spans(trace: 3, spans: 3).map(TraceFixture.eventLines).joined().utf8)
        var parser = OsprofilerParser()
        var events = 0
        var problems = 0
        let cut = text.count / 2 + 7
        let used = text[..<cut].withUnsafeBytes {
            parser.parse($0, final: false, onEvent: { _ in events += 1 }, onProblem: { _ in problems += 1 })
        }
        #expect(used < cut)
        _ = text[used...].withUnsafeBytes {
            parser.parse($0, final: true, onEvent: { _ in events += 1 }, onProblem: { _ in problems += 1 })
        }
        #expect(events == 6 && problems == 0)
    }

    @Test func aReportCutAnywhereParsesToTheSameEvents() throws {
        let bytes = try SystemFileSystem().readFile("../shared/data/msds/workloads/create_delete_image_config/test.json")
        var whole = OsprofilerParser()
        var all = SpanEventBatch()
        _ = bytes.withUnsafeBytes { whole.parse($0, final: true, into: &all, onProblem: { Issue.record("\($0)") }) }
        #expect(all.count == 24)  // 12 spans, each a start and a stop
        let expected = all.events
        // The report is one nested value: cut before its end, nothing may be taken from it.
        for cut in stride(from: 1, to: bytes.count, by: max(1, bytes.count / 37)) {
            var parser = OsprofilerParser()
            var batch = SpanEventBatch()
            let used = bytes.withUnsafeBytes {
                parser.parse(UnsafeRawBufferPointer(rebasing: $0[0..<cut]), final: false, into: &batch, onProblem: { _ in })
            }
            #expect(batch.isEmpty && parser.eventCount == 0, "cut at \(cut)")
            let rest = bytes.withUnsafeBytes {
                parser.parse(UnsafeRawBufferPointer(rebasing: $0[used...]), final: true, into: &batch, onProblem: { Issue.record("\($0)") })
            }
            #expect(rest == bytes.count - used)
            #expect(batch.events == expected, "cut at \(cut)")
        }
    }

    @Test func unknownInfoMembersAreKeptAsJSON() {
        let line = "{\"info\": {\"host\": \"h\", \"db\": {\"statement\": \"SELECT 1\", \"params\": {\"a\": [1, 2]}, \"engine\": \"mysql\"}, \"thread\": 7}, \"name\": \"db-start\", \"service\": \"api\", \"timestamp\": \"2019-11-18T12:19:05\", \"trace_id\": \"116851fb-890f-46f7-a753-0dac94d55499\", \"project\": \"glance\", \"parent_id\": \"8f6ff588-fcb6-4983-883c-282f78922756\", \"base_id\": \"8f6ff588-fcb6-4983-883c-282f78922756\"}"
        let (events, problems) = parseEvents(line)
        #expect(problems.isEmpty)
        let e = events.first
        #expect(e?.span.info.dbStatement == "SELECT 1")
        #expect(e?.span.info.dbParams == "{\"a\": [1, 2]}")
        #expect(e?.span.info.extra == "{\"db.engine\":\"mysql\",\"thread\":7}")
        #expect(e?.span.start == OsprofilerTimestamp.parse("2019-11-18T12:19:05.000000"))
    }

    @Test func timestampsParseAndFormat() {
        #expect(OsprofilerTimestamp.parse("1970-01-01T00:00:00.000001") == 1)
        #expect(OsprofilerTimestamp.parse("2019-11-18T12:19:05.147722") == 1_574_079_545_147_722)
        #expect(OsprofilerTimestamp.format(1_574_079_545_147_722) == "2019-11-18T12:19:05.147722")
        #expect(OsprofilerTimestamp.parse("2019-02-30T00:00:00") == nil)
        #expect(OsprofilerTimestamp.parse("2019-11-18T12:19") == nil)
    }
}
