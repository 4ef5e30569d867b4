import StrataStorage
import StrataTestSupport
import Testing

@testable import StrataTraces

/// Open span segment readers stay within `TraceStoreOptions.readerCacheBytes`: with a budget
/// of one byte every lookup and search answers as with the default, and only the reader last
/// opened is held.
@Suite struct TraceReaderCacheTests {
    @Test func aTinyBudgetClosesReadersAndLookupsStillAnswer() throws {
        let dir = TemporaryDirectory()
        var options = TraceStoreOptions()
        options.durability = .none
        options.blockSpans = 16
        var all: [Span] = []
        for t in 0..<120 {
            all += TraceFixture.spans(trace: UInt64(t), spans: 3 + t % 4, start: 1_000_000_000 + Int64(t) * 60_000_000, error: t % 30 == 0)
        }
        let writer = try TraceStore(directory: dir.path, options: options)
        try writer.append(spans: all)
        try writer.flush()
        let segments = writer.segments.entries.count
        #expect(segments == 3)
        let bases = Array(Set(all.map(\.baseID))).sorted { $0.description < $1.description }
        let want = try bases.map { try writer.trace($0).map(\.traceID).sorted { $0.description < $1.description } }
        let q = TraceSearch(service: "glance", limit: 0)
        let found = try writer.search(q).map(\.baseID)
        #expect(writer.readers.count == segments, "the default budget keeps every reader")

        options.readerCacheBytes = 1
        let store = try TraceStore(directory: dir.path, options: options)
        for _ in 0..<2 {
            let got = try bases.map { try store.trace($0).map(\.traceID).sorted { $0.description < $1.description } }
            #expect(got == want)
            #expect(try store.search(q).map(\.baseID) == found)
            #expect(store.readers.count == 1, "\(store.readers.count) readers held")
        }
        #expect(store.verify().isEmpty)
    }
}
