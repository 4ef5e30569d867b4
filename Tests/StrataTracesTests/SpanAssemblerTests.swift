import StrataTestSupport
import Testing

@testable import StrataTraces

@Suite struct SpanAssemblerTests {
    func event(_ kind: SpanEvent.Kind, _ n: UInt64, at t: Int64, etype: String = "") -> SpanEvent {
        var s = Span(
            baseID: TraceFixture.id(1, 1), traceID: TraceFixture.id(n, 2), parentID: TraceFixture.id(1, 1), name: "rpc",
            service: "compute", project: "nova", host: "wally117", start: t, status: kind == .start ? .incomplete : .missingStart)
        s.info.errorType = etype
        return SpanEvent(kind: kind, span: s)
    }

    @Test func unmatchedEventsBecomeFlaggedSpansNeverDropped() {
        var a = SpanAssembler()
        a.add(event(.start, 1, at: 1_000))
        a.add(event(.stop, 2, at: 5_000, etype: "Timeout"))
        a.add(event(.stop, 3, at: 9_000))
        a.add(event(.start, 3, at: 10_000))  // stop before its start
        #expect(a.completed.count == 1)
        let skewed = a.completed[0]
        #expect(skewed.status == [.stopBeforeStart] && skewed.duration == -1_000)
        a.expire(before: 2_000)
        #expect(a.completed.count == 2 && a.pending.count == 1)
        #expect(a.completed[1].status == [.incomplete])
        a.expireAll()
        let last = a.completed[2]
        #expect(last.status.contains(.missingStart) && last.start == 5_000)
        #expect(last.info.errorType == "Timeout")
        #expect(a.pending.isEmpty)
    }

    @Test func aDuplicateStartFlagsTheEarlierOne() {
        var a = SpanAssembler()
        a.add(event(.start, 1, at: 1_000))
        a.add(event(.start, 1, at: 2_000))
        a.add(event(.stop, 1, at: 3_000))
        let spans = a.takeCompleted()
        #expect(spans.count == 2)
        #expect(spans[0].status.contains(.duplicate) && spans[0].start == 1_000)
        #expect(spans[1].status.isEmpty && spans[1].duration == 1_000)
    }

    @Test func anErrorStopMakesAnErrorSpan() {
        var a = SpanAssembler()
        a.add(event(.start, 1, at: 1_000))
        a.add(event(.stop, 1, at: 4_000, etype: "CommunicationError"))
        let s = a.takeCompleted()[0]
        #expect(s.isError && s.duration == 3_000 && s.info.errorType == "CommunicationError")
    }
}
