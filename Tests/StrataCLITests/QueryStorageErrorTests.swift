import Foundation
import Strata
import Testing

/// A damaged block reaches a PromQL caller as a `QueryError` of kind `.storage` that still
/// carries the `StorageError` (file and offset), not only its text.
@Suite struct QueryStorageErrorTests {
    @Test func aDamagedBlockIsAStorageErrorWithFileAndOffset() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        var options = DatabaseOptions()
        options.metrics.durability = .none
        let db = try Database(path: dir.path + "/db", options: options)
        let up = try Labels(validating: ["__name__": "up", "job": "node"])
        let ref = try db.metrics.seriesRef(for: up)
        var batch = SampleBatch()
        for i in 0..<100 { batch.append(ref, .seconds(1_700_000_000 + i * 15), Double(i % 2)) }
        _ = try db.metrics.append(batch)
        try db.close()
        let metricsDir = dir.path + "/db/metrics"
        let block = try FileManager.default.contentsOfDirectory(atPath: metricsDir).first { $0.hasSuffix(".blk") }!
        let h = try FileHandle(forUpdating: URL(fileURLWithPath: metricsDir + "/" + block))
        try h.seek(toOffset: 20)
        let b = try h.read(upToCount: 1)![0]
        try h.seek(toOffset: 20)
        h.write(Data([b ^ 0x5A]))
        try h.close()

        let reopened = try Database(path: dir.path + "/db")
        defer { try? reopened.close() }
        let engine = PromQLEngine(store: reopened.metrics)
        do {
            _ = try engine.instantQuery("sum_over_time(up[1h])", at: .seconds(1_700_001_000))
            Issue.record("the damaged block was not noticed")
        } catch {
            let e: QueryError = error
            #expect(e.kind == .storage, "\(e)")
            #expect(e.storage?.path.hasSuffix(block) == true, "\(e)")
            #expect(e.storage?.offset != nil, "\(e)")
        }
    }
}
