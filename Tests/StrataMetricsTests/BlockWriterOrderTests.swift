import StrataLabels
import StrataStorage
import Testing

@testable import StrataMetrics

/// `BlockWriter(anyOrder: true)`: series added in any order make the same block as in order.
@Suite struct BlockWriterOrderTests {
    @Test func seriesInAnyOrderGiveTheSameBlock() throws {
        let labels = try (0..<40).map { i in try Labels(validating: ["__name__": "m", "i": "\(i)", "__strata_aggr__": ["count", "sum", "max"][i % 3]]) }
        let ts: [Int64] = (0..<100).map { Int64($0) * 1000 }
        func values(_ l: Labels) -> [Double] { ts.map { Double($0) + Double(l.description.count) } }
        var ordered = BlockWriter()
        for l in labels.sorted() { ordered.add(l, timestamps: ts, values: values(l)) }
        var shuffled = BlockWriter(anyOrder: true)
        var rng = SystemRandomNumberGenerator()
        for l in labels.shuffled(using: &rng) { shuffled.add(l, timestamps: ts, values: values(l)) }
        let (a, sa) = ordered.finish()
        let (b, sb) = shuffled.finish()
        #expect(sa == sb)
        let dir = "/tmp/strata-blockwriter-\(UInt64.random(in: 0...UInt64.max))"
        let fs = SystemFileSystem()
        try fs.createDirectory(dir)
        defer { _ = try? fs.unlink(dir + "/a"); _ = try? fs.unlink(dir + "/b"); _ = try? fs.removeDirectory(dir) }
        try AtomicFile.write(a, to: dir + "/a", fs: fs)
        try AtomicFile.write(b, to: dir + "/b", fs: fs)
        let ra = try BlockReader(file: try fs.map(dir + "/a"))
        let rb = try BlockReader(file: try fs.map(dir + "/b"))
        #expect(ra.seriesOffsets.count == labels.count && rb.seriesOffsets.count == labels.count)
        for id in 0..<UInt32(labels.count) {
            let x = try ra.series(id), y = try rb.series(id)
            #expect(x.labels == y.labels)
            var t1: [Int64] = [], v1: [Double] = [], t2: [Int64] = [], v2: [Double] = []
            for c in x.chunks { try ra.decode(c, timestamps: &t1, values: &v1) }
            for c in y.chunks { try rb.decode(c, timestamps: &t2, values: &v2) }
            #expect(t1 == t2 && v1 == v2 && v1 == values(x.labels))
        }
    }
}
