import Foundation
import Strata
@testable import StrataWire
import SwiftProtobuf

/// A fresh database in a temp directory, removed by `cleanup()`.
final class TempDatabase {
    let path: String
    let db: Database
    init(options: DatabaseOptions = DatabaseOptions()) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("strata-server-\(UUID().uuidString)").path
        db = try Database(path: path, options: options)
    }
    func cleanup() {
        try? db.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}

func promLabel(_ n: String, _ v: String) -> Prometheus_Label {
    var l = Prometheus_Label()
    l.name = n
    l.value = v
    return l
}

func promSample(_ t: Int64, _ v: Double) -> Prometheus_Sample {
    var s = Prometheus_Sample()
    s.timestamp = t
    s.value = v
    return s
}

func promSeries(_ labels: [(String, String)], _ samples: [(Int64, Double)]) -> Prometheus_TimeSeries {
    var ts = Prometheus_TimeSeries()
    ts.labels = labels.map { promLabel($0.0, $0.1) }
    ts.samples = samples.map { promSample($0.0, $0.1) }
    return ts
}

/// Every sample the store holds, by series text.
func allSamples(_ db: Database) throws -> [String: [Sample]] {
    var out: [String: [Sample]] = [:]
    for s in try db.metrics.select([try LabelMatcher(.regex, "__name__", ".+")], from: .distantPast, through: .distantFuture).series {
        var it = s.makeIterator()
        var samples: [Sample] = []
        while let x = try it.next() { samples.append(x) }
        out[s.labels.description] = samples
    }
    return out
}

/// A small deterministic generator.
struct Gen {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
