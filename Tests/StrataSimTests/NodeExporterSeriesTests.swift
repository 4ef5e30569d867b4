import Foundation
import StrataSim
import Testing

/// The node-exporter files carry a realistic number of series with sensible shapes.
@Suite struct NodeExporterSeriesTests {
    /// Splits one host's file into scrapes: series key (name{labels}) to value, in order.
    func scrapes(_ text: String) -> [[(key: Substring, value: Double)]] {
        var out: [[(key: Substring, value: Double)]] = []
        var stamp: Substring = ""
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            // Label values may hold spaces: the value and timestamp follow the last `} `.
            let close = line.lastIndex(of: "}")!
            let parts = line[line.index(after: close)...].split(separator: " ")
            if parts[1] != stamp {
                out.append([])
                stamp = parts[1]
            }
            out[out.count - 1].append((line[...close], Double(parts[0]) ?? .nan))
        }
        return out
    }

    @Test func seriesCountsShapesAndUnitStates() throws {
        let faults = [FaultSpec(kind: .novaComputeRestart, offsetMillis: 60_000, durationMillis: 40_000, host: "wally117")]
        let (dir, _) = try simulate(minutes: 3, faults: faults, debug: false, tag: "nodeexp")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (host, range) in [("wally113", 600...800), ("wally117", 550...750)] {
            let text = try String(contentsOfFile: dir + "/metrics/\(host).om", encoding: .utf8)
            let all = scrapes(text)
            #expect(all.count == 18)
            let first = all[0]
            #expect(range.contains(first.count), "\(host): \(first.count) series")
            #expect(Set(first.map(\.key)).count == first.count, "duplicate series")
            for s in all { #expect(s.map(\.key) == first.map(\.key)) }
            // Counters never go down; every family's TYPE line precedes its samples once per scrape.
            for (a, b) in zip(all.dropLast(), all.dropFirst()) {
                for (x, y) in zip(a, b) where x.key.contains("_total{") {
                    #expect(y.value >= x.value, "\(x.key) went down")
                }
            }
            let types = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }
            #expect(types.count % 18 == 0)
            #expect(Set(types).count == types.count / 18)
            // Busy counters move, idle ones stay flat.
            let last = all[all.count - 1]
            func value(_ s: [(key: Substring, value: Double)], _ prefix: String) -> Double {
                s.first { $0.key.hasPrefix(prefix) }!.value
            }
            #expect(value(last, "node_netstat_Tcp_InSegs{") > value(first, "node_netstat_Tcp_InSegs{"))
            #expect(value(last, "node_network_receive_fifo_total{") == value(first, "node_network_receive_fifo_total{"))
            #expect(value(last, "node_time_seconds{") - value(first, "node_time_seconds{") == 170)
        }
        // The nova-compute restart: active 0 and activating 1 inside the window, active 1 outside.
        let text = try String(contentsOfFile: dir + "/metrics/wally117.om", encoding: .utf8)
        let all = scrapes(text)
        func unit(_ s: [(key: Substring, value: Double)], _ state: String) -> Double {
            s.first { $0.key.contains("name=\"nova-compute.service\",state=\"\(state)\"") }!.value
        }
        #expect(unit(all[0], "active") == 1 && unit(all[0], "activating") == 0)
        #expect(unit(all[8], "active") == 0 && unit(all[8], "activating") == 1)
        #expect(unit(all[17], "active") == 1)
    }
}
