import StrataMetrics
import StrataQuery
import Testing

/// `PromQLEngineOptions.cancellation` stops a query; `QueryResult.samplesRead` counts decoded samples.
@Suite struct EngineCancellationTests {
    @Test func aCancelledQueryThrowsCancelled() throws {
        let f = try EngineFixture()
        try f.load(["__name__": "up", "job": "a"], every: 10_000, EngineFixture.series(0, 1, 30))
        let stop = QueryCancellation()
        let engine = f.engine { $0.cancellation = stop }
        #expect(try engine.instantQuery("sum(up)", at: 300_000).value.type == .vector)
        stop.cancel()
        #expect(stop.isCancelled)
        #expect(throws: QueryError.self) { try engine.rangeQuery("rate(up[1m])", start: 0, end: 300_000, step: 10_000) }
        do {
            _ = try engine.instantQuery("count_over_time(up[5m])", at: 300_000)
            Issue.record("a cancelled query returned a result")
        } catch {
            #expect(error.kind == .cancelled)
            #expect(error.description == "query cancelled: stopped on request")
        }
        stop.reset()
        #expect(try engine.instantQuery("up", at: 300_000).value.type == .vector)
    }

    @Test func samplesReadCountsWhatTheSelectorsDecoded() throws {
        let f = try EngineFixture()
        try f.load(["__name__": "a"], every: 10_000, EngineFixture.series(0, 1, 30))  // 31 samples, 0..300 s
        try f.load(["__name__": "b"], every: 10_000, EngineFixture.series(0, 1, 30))
        let engine = f.engine()
        // (240 s, 300 s]: the samples at 250, 260, ..., 300 s.
        #expect(try engine.instantQuery("count_over_time(a[1m])", at: 300_000).samplesRead == 6)
        #expect(try engine.instantQuery("a + b", at: 300_000).samplesRead > 0)
        #expect(try engine.instantQuery("vector(1)", at: 300_000).samplesRead == 0)
    }
}
