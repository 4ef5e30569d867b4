import Foundation
import Testing

@testable import StrataSim

@Suite struct StatisticalShapeTests {
    /// Without faults, iteration durations sit near Rally's medians (boot_and_delete 47.6 s;
    /// create_and_delete_image about 9.4 s, of which create_image 7.54 s) and nothing fails.
    @Test func durationsNearRallyMedians() throws {
        let (dir, summary) = try simulate(minutes: 30, seed: 3, faults: [], debug: false, tag: "stats")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(summary.failedIterations == 0)
        let iterations = try #require(try groundTruth(dir)["iterations"] as? [[String: Any]])
        func median(_ workload: String) -> Double {
            let d = iterations.filter { $0["workload"] as? String == workload }.map { ($0["duration"] as! NSNumber).doubleValue }.sorted()
            return d.isEmpty ? 0 : d[d.count / 2]
        }
        let boot = median("NovaServers.boot_and_delete_server")
        let image = median("GlanceImages.create_and_delete_image")
        let network = median("NeutronNetworks.create_and_delete_networks")
        #expect(abs(boot - 47.6) < 2.5, "boot median \(boot)")
        #expect(image > 8.5 && image < 10.5, "image median \(image)")
        #expect(network > 0.8 && network < 2.5, "network median \(network)")
        #expect(iterations.filter { $0["workload"] as? String == "NovaServers.boot_and_delete_server" }.count >= 60)
    }

    /// An Open vSwitch crash on the controller drops call_success_rate from ~98% to ~23% about a
    /// minute later, then it recovers slowly.
    @Test func ovsCrashMovesTheKPI() throws {
        let (dir, _) = try simulate(minutes: 12, faults: [FaultSpec(kind: .ovsCrash, offsetMillis: 120_000)], debug: false, tag: "kpi")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = try String(contentsOfFile: dir + "/metrics/kpi.om", encoding: .utf8)
        let rates = text.split(separator: "\n").filter { $0.hasPrefix("call_success_rate{") }.map {
            Double($0.split(separator: " ")[1])!
        }
        #expect(rates.count == 12)
        #expect(rates[0] > 96 && rates[1] > 96 && rates[2] > 96)
        #expect(rates[3] < 30, "a minute after the crash: \(rates[3])")
        #expect(rates[6] > rates[3] && rates[11] > rates[6] && rates[11] < 96)
    }
}
