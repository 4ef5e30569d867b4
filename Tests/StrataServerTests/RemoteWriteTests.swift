import Foundation
import Strata
import StrataIngest
@testable import StrataWire
import SwiftProtobuf
import Testing

@Suite("remote_write decoding")
struct RemoteWriteTests {
    /// Random requests encoded by the generated (swift-protobuf) code: the byte-level decoder
    /// stores exactly what swift-protobuf decodes, for 1.0 and 2.0 bodies.
    @Test(arguments: 0..<12)
    func matchesGeneratedCode(seed: Int) throws {
        var g = Gen(UInt64(seed) + 1)
        let tmp = try TempDatabase()
        defer { tmp.cleanup() }
        let ingester = RemoteWriteIngester(store: tmp.db.metrics, limits: WireLimits())
        var expected: [String: [Int64: Double]] = [:]
        for round in 0..<3 {
            var req = Prometheus_WriteRequest()
            var v2 = Io_Prometheus_Write_V2_Request()
            var symbols = [""]
            func sym(_ s: String) -> UInt32 {
                if let i = symbols.firstIndex(of: s) { return UInt32(i) }
                symbols.append(s)
                return UInt32(symbols.count - 1)
            }
            let useV2 = seed % 2 == 1
            for k in 0..<(1 + g.int(20)) {
                let name = "metric_\(g.int(4))"
                var labels = [("__name__", name), ("job", "j\(g.int(3))"), ("instance", "i\(k % 5)")]
                if g.int(3) == 0 { labels.append(("zone", g.int(2) == 0 ? "a\u{e9}" : "b\"q\\\n")) }
                labels.sort { $0.0 < $1.0 }
                var samples: [(Int64, Double)] = []
                var t = Int64(1_700_000_000_000 + round * 100_000 + g.int(50) * 10)
                for _ in 0..<(1 + g.int(4)) {
                    let v: Double = [0.0, -1.5, Double(g.int(1000)), .infinity, 1e-300][g.int(5)]
                    samples.append((t, v))
                    t += Int64(1 + g.int(1000))
                }
                let key = Labels(sorted: labels.map { Label($0.0, $0.1) }).description
                for (t, v) in samples where expected[key]?[t] == nil { expected[key, default: [:]][t] = v }
                if useV2 {
                    var ts = Io_Prometheus_Write_V2_TimeSeries()
                    ts.labelsRefs = labels.flatMap { [sym($0.0), sym($0.1)] }
                    ts.samples = samples.map { s in
                        var x = Io_Prometheus_Write_V2_Sample()
                        x.timestamp = s.0
                        x.value = s.1
                        return x
                    }
                    v2.timeseries.append(ts)
                } else {
                    req.timeseries.append(promSeries(labels, samples))
                }
            }
            v2.symbols = symbols
            let body: [UInt8] = useV2 ? try v2.serializedBytes() : try req.serializedBytes()
            let outcome = try body.withUnsafeBytes { b in useV2 ? try ingester.ingestV2(b) : try ingester.ingestV1(b) }
            #expect(outcome.invalidSeries == 0)
            #expect(outcome.series == (useV2 ? v2.timeseries.count : req.timeseries.count))
        }
        let stored = try allSamples(tmp.db)
        #expect(Set(stored.keys) == Set(expected.keys))
        for (k, samples) in stored {
            let want = expected[k]!.sorted { $0.key < $1.key }
            #expect(samples.map(\.timestamp) == want.map(\.key), "\(k)")
            #expect(samples.map(\.value.bitPattern) == want.map(\.value.bitPattern), "\(k)")
        }
    }

    /// Metadata-only requests (what Prometheus sends first) are taken and kept per family.
    @Test func metadataOnly() throws {
        let tmp = try TempDatabase()
        defer { tmp.cleanup() }
        let ingester = RemoteWriteIngester(store: tmp.db.metrics, limits: WireLimits())
        var req = Prometheus_WriteRequest()
        var m = Prometheus_MetricMetadata()
        m.type = .counter
        m.metricFamilyName = "http_requests_total"
        m.help = "Requests."
        req.metadata = [m]
        let out = try (req.serializedBytes() as [UInt8]).withUnsafeBytes { try ingester.ingestV1($0) }
        #expect(out.metadata == 1 && out.samplesAccepted == 0)
        #expect(ingester.metadata["http_requests_total"] == MetricMetadata(type: "counter", help: "Requests.", unit: ""))
    }

    /// A sample value of 0.0 is absent on the wire (proto3); a missing timestamp is 0.
    @Test func defaultFieldsOmitted() throws {
        let tmp = try TempDatabase()
        defer { tmp.cleanup() }
        let ingester = RemoteWriteIngester(store: tmp.db.metrics, limits: WireLimits())
        let req = { var r = Prometheus_WriteRequest(); r.timeseries = [promSeries([("__name__", "z")], [(1000, 0)])]; return r }()
        let body: [UInt8] = try req.serializedBytes()
        let one = { var r = Prometheus_WriteRequest(); r.timeseries = [promSeries([("__name__", "z")], [(1000, 1)])]; return r }()
        #expect(try (one.serializedBytes() as [UInt8]).count == body.count + 9)  // the value field (tag + 8 bytes) left out
        _ = try body.withUnsafeBytes { try ingester.ingestV1($0) }
        #expect(try allSamples(tmp.db)["z"] == [Sample(.milliseconds(1000), 0)])
    }

    /// Series with bad labels are refused and counted; the other series of the request are stored.
    @Test func badSeriesRefusedOthersKept() throws {
        let tmp = try TempDatabase()
        defer { tmp.cleanup() }
        var limits = WireLimits()
        limits.maxLabelValueLength = 100
        let ingester = RemoteWriteIngester(store: tmp.db.metrics, limits: limits)
        var req = Prometheus_WriteRequest()
        req.timeseries = [
            promSeries([("__name__", "good")], [(1000, 1)]),
            promSeries([("__name__", "long"), ("v", String(repeating: "x", count: 101))], [(1000, 1)]),
            promSeries([("__name__", "bad-name")], [(1000, 1)]),
            promSeries([("1abc", "x"), ("__name__", "badlabel")], [(1000, 1)]),
            promSeries([("__name__", "dup"), ("a", "1"), ("a", "2")], [(1000, 1)]),
        ]
        var badUTF8 = promSeries([("__name__", "utf")], [(1000, 1)])
        badUTF8.labels.append(Prometheus_Label())
        var body: [UInt8] = try req.serializedBytes()
        // A label value that is not UTF-8, spliced in by hand (swift-protobuf only writes valid strings).
        var w = ProtoWriter()
        w.message(1) { ts in
            ts.message(1) { l in l.stringField(1, "__name__"); l.stringField(2, "utf") }
            ts.message(1) { l in l.stringField(1, "v"); l.bytesField(2, [0xFF, 0xFE]) }
            ts.message(2) { s in s.doubleField(1, 1); s.varintField(2, 1000) }
        }
        body += w.bytes
        let out = try body.withUnsafeBytes { try ingester.ingestV1($0) }
        #expect(out.series == 6)
        #expect(out.invalidSeries == 5)
        #expect(out.samplesAccepted == 1)
        #expect(out.problems.contains { $0.contains("--max-label-value-length") })
        #expect(out.problems.contains { $0.contains("not UTF-8") })
        #expect(Array(try allSamples(tmp.db).keys) == ["good"])
    }

    /// Over a limit or malformed: nothing of the request is stored.
    @Test func limitsRefuseWholeRequest() throws {
        let tmp = try TempDatabase()
        defer { tmp.cleanup() }
        var limits = WireLimits()
        limits.maxSeriesPerRequest = 3
        limits.maxSamplesPerRequest = 5
        limits.maxLabelsPerSeries = 4
        let ingester = RemoteWriteIngester(store: tmp.db.metrics, limits: limits)
        func body(_ series: [Prometheus_TimeSeries]) throws -> [UInt8] {
            var r = Prometheus_WriteRequest()
            r.timeseries = series
            return try r.serializedBytes()
        }
        let four = try body((0..<4).map { promSeries([("__name__", "m\($0)")], [(1000, 1)]) })
        #expect(throws: WireError.self) { try four.withUnsafeBytes { try ingester.ingestV1($0) } }
        let six = try body([promSeries([("__name__", "m")], (0..<6).map { (Int64($0) * 1000, 1) })])
        #expect(throws: WireError.self) { try six.withUnsafeBytes { try ingester.ingestV1($0) } }
        let wide = try body([promSeries((0..<5).map { ("l\($0)", "v") } + [("__name__", "w")], [(1000, 1)])])
        do {
            _ = try wide.withUnsafeBytes { try ingester.ingestV1($0) }
            Issue.record("a series over the label limit was taken")
        } catch {
            let e = error as? WireError
            #expect(e?.kind == .tooLarge && e?.message.contains("--max-labels-per-series") == true)
        }
        #expect(try allSamples(tmp.db).isEmpty)
    }

    /// Every prefix and thousands of byte flips of a valid body: the decoder throws or decodes,
    /// never traps; a body that throws stores nothing.
    @Test func malformedBodiesNeverTrap() throws {
        let tmp = try TempDatabase()
        defer { tmp.cleanup() }
        var req = Prometheus_WriteRequest()
        req.timeseries = (0..<5).map { promSeries([("__name__", "m\($0)"), ("job", "x")], [(1000, Double($0)), (2000, 2)]) }
        var m = Prometheus_MetricMetadata()
        m.metricFamilyName = "m0"
        req.metadata = [m]
        let valid: [UInt8] = try req.serializedBytes()
        var errors = 0
        for n in 0..<valid.count {
            var d = RemoteWriteIngester.Decoded()
            do { try valid[0..<n].withUnsafeBytes { try RemoteWriteIngester.decodeV1($0, limits: WireLimits(), into: &d) } } catch { errors += 1 }
        }
        #expect(errors > valid.count / 2)
        var g = Gen(7)
        for _ in 0..<3000 {
            var b = valid
            for _ in 0..<(1 + g.int(4)) { b[g.int(b.count)] = UInt8(truncatingIfNeeded: g.next()) }
            var d = RemoteWriteIngester.Decoded()
            _ = try? b.withUnsafeBytes { try RemoteWriteIngester.decodeV1($0, limits: WireLimits(), into: &d) }
            var d2 = RemoteWriteIngester.Decoded()
            _ = try? b.withUnsafeBytes { try RemoteWriteIngester.decodeV1($0, limits: WireLimits(), into: &d2) }
        }
        // Deep nesting is not possible in this schema: a length past the end is refused at once.
        let lying: [UInt8] = [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00]
        #expect(throws: WireError.self) { try lying.withUnsafeBytes { try RemoteWriteIngester(store: tmp.db.metrics, limits: WireLimits()).ingestV1($0) } }
        #expect(try allSamples(tmp.db).isEmpty)
    }

    /// Native histograms sent as integer deltas come back as absolute bucket counts.
    @Test func histograms() throws {
        let tmp = try TempDatabase()
        defer { tmp.cleanup() }
        var h = Prometheus_Histogram()
        h.count = .countInt(10)
        h.sum = 21.5
        h.schema = 0
        h.zeroThreshold = 0.001
        h.zeroCount = .zeroCountInt(1)
        var span = Prometheus_BucketSpan()
        span.offset = 0
        span.length = 3
        h.positiveSpans = [span]
        h.positiveDeltas = [2, 3, -1]  // 2, 5, 4
        h.timestamp = 5000
        var ts = Prometheus_TimeSeries()
        ts.labels = [promLabel("__name__", "lat")]
        ts.histograms = [h]
        var req = Prometheus_WriteRequest()
        req.timeseries = [ts]
        let ingester = RemoteWriteIngester(store: tmp.db.metrics, limits: WireLimits())
        let out = try (req.serializedBytes() as [UInt8]).withUnsafeBytes { try ingester.ingestV1($0) }
        #expect(out.samplesAccepted == 1)
        let set = try tmp.db.metrics.select([.equal("__name__", "lat")], from: .distantPast, through: .distantFuture)
        let got = try set.series.first?.histograms() ?? []
        #expect(got.count == 1)
        #expect(got.first?.histogram.positiveBuckets == [2, 5, 4])
        #expect(got.first?.histogram.count == 10 && got.first?.histogram.sum == 21.5)
    }
}
