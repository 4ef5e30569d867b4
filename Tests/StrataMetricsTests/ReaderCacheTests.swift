import StrataLabels
import StrataStorage
import Testing

@testable import StrataMetrics

/// Open block readers stay within `MetricStoreOptions.readerCacheBytes`: with a budget of one
/// byte every selection answers exactly as with the default, readers are opened again as
/// needed, and no more than the last one is held.
@Suite struct MetricReaderCacheTests {
    @Test func aTinyBudgetClosesReadersAndSelectionsStillAnswer() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var options = MetricCompactionTests().options()
        let writer = try MetricStore(directory: dir.path, options: options)
        try MetricCompactionTests().fill(writer, seed: 7)
        let blocks = writer.segments.entries.count
        #expect(blocks >= 15)
        let all = try LabelMatcher(.regex, "__name__", ".+")
        let want = try allSamples(writer.select([all], from: .min, through: .max))
        let oneSeries = try allSamples(writer.select([.equal("s", "3")], from: 5 * 3_600_000, through: 9 * 3_600_000))
        #expect(writer.readers.count == blocks, "the default budget keeps every reader")
        try writer.close()

        options.readerCacheBytes = 1
        let store = try MetricStore(directory: dir.path, options: options)
        for _ in 0..<2 {
            #expect(try allSamples(store.select([all], from: .min, through: .max)) == want)
            #expect(try allSamples(store.select([.equal("s", "3")], from: 5 * 3_600_000, through: 9 * 3_600_000)) == oneSeries)
            #expect(store.readers.count == 1, "\(store.readers.count) readers held")
        }
        #expect(store.verify().isEmpty)
    }
}
