import Foundation
import Strata
import StrataLabels
import Testing

/// Flips real bytes in each file kind and checks the errors name the file and offset.
@Suite("Corruption")
struct CorruptionTests {
    func makeDB(_ dir: Scratch) throws -> String {
        var text = ""
        for s in 0..<4 {
            for i in 0..<500 { text += "m{s=\"\(s)\"} \(Double(i * (s + 1)) / 4) \(1_700_000_000_000 + Int64(i) * 10_000 + Int64(s))\n" }
        }
        let input = dir.file("in.prom", text)
        let r = try CLI.run(["ingest", dir.path + "/db", input])
        #expect(r.status == 0, "\(r.stderr)")
        return dir.path + "/db"
    }

    func blockFile(_ db: String) throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: db + "/metrics").filter { $0.hasSuffix(".blk") }
        return db + "/metrics/" + names.sorted()[0]
    }

    @Test func flippedChunkByteIsFoundAndOtherSeriesStillRead() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = try makeDB(dir)
        let blk = try blockFile(db)
        try flip(blk, at: 12)  // inside the first chunk record (series s="0")
        let v = try CLI.run(["verify", db])
        #expect(v.status == 1)
        #expect(v.stdout.contains(blk.components(separatedBy: "/").last!))
        #expect(v.stdout.contains("offset"))
        let bad = try CLI.run(["export", db, "m{s=\"0\"}"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("offset"))
        let good = try CLI.run(["export", db, "m{s=\"3\"}"])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.split(separator: "\n").count == 501)
    }

    @Test(arguments: [0, 5, -10, -40, -70])
    func flippedIndexOrFooterByteNeverTraps(offsetFromEnd: Int) throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = try makeDB(dir)
        let blk = try blockFile(db)
        let size = try FileManager.default.attributesOfItem(atPath: blk)[.size] as! Int
        try flip(blk, at: offsetFromEnd >= 0 ? offsetFromEnd : size + offsetFromEnd)
        let v = try CLI.run(["verify", db])
        #expect(v.status == 1)
        #expect(v.stdout.contains(".blk"))
        let e = try CLI.run(["export", db, "m"])
        #expect(e.status == 1, "a damaged block is an error, not silence")
    }

    @Test func flippedManifestByteIsAClearError() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let db = try makeDB(dir)
        try flip(db + "/metrics/MANIFEST", at: 9)
        let v = try CLI.run(["verify", db])
        #expect(v.status == 1)
        #expect(v.stdout.contains("MANIFEST"))
        let e = try CLI.run(["export", db, "m"])
        #expect(e.status != 0)
        #expect(e.stderr.contains("MANIFEST"))
    }

    @Test func tornWALTailIsTruncatedAndReported() throws {
        let dir = Scratch()
        defer { dir.cleanup() }
        let path = dir.path + "/db"
        do {
            var o = DatabaseOptions()
            o.metrics.durability = .fsync
            let d = try Database(path: path, options: o)
            for i in 0..<50 {
                _ = try d.metrics.append(try Labels(validating: ["__name__": "w"]), [Sample(Int64(i) * 1000, Double(i))])
            }
            // Not closed cleanly: leave the head in the WAL.
        }
        let walDir = path + "/metrics/wal"
        let seg = try FileManager.default.contentsOfDirectory(atPath: walDir).sorted().last!
        let segPath = walDir + "/" + seg
        let size = try FileManager.default.attributesOfItem(atPath: segPath)[.size] as! Int
        try flip(segPath, at: size - 3)  // inside the last record
        let v = try CLI.run(["verify", path])
        #expect(v.stdout.contains(seg), "\(v.stdout)")
        let d = try Database(path: path)
        defer { try? d.close() }
        let got = try d.metrics.select([.equal("__name__", "w")], from: .min, through: .max).series[0].samples()
        #expect(got.count == 49)
        #expect(got.last!.timestamp == 48_000)
    }
}
