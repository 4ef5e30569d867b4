import Foundation
import Testing

@testable import StrataSim

/// Every line of every log file matches its format's strict pattern (traceback continuation
/// lines only after an ERROR record); returns the number of lines per file name.
func checkLogLines(_ dir: String) throws -> [String: Int] {
    var counts: [String: Int] = [:]
    for file in files(under: dir + "/logs") {
        let text = try String(contentsOfFile: dir + "/logs/" + file, encoding: .utf8)
        let pattern = LinePatterns.pattern(for: file)
        var afterError = false
        var n = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            n += 1
            if line.wholeMatch(of: pattern) != nil {
                afterError = line.contains(" ERROR ")
            } else {
                #expect(afterError && line.wholeMatch(of: LinePatterns.continuation) != nil, "\(file): bad line: \(line)")
            }
        }
        counts[file, default: 0] += n
    }
    return counts
}

func iterations(_ dir: String) throws -> [(workload: String, start: Int64, end: Int64)] {
    let list = try #require(try groundTruth(dir)["iterations"] as? [[String: Any]])
    return list.map { ($0["workload"] as! String, ($0["start_us"] as! NSNumber).int64Value, ($0["end_us"] as! NSNumber).int64Value) }
}

/// The most iterations of `workload` in flight at once.
func maxInFlight(_ its: [(workload: String, start: Int64, end: Int64)], _ workload: String) -> Int {
    var events: [(Int64, Int)] = []
    for it in its where it.workload == workload {
        events.append((it.start, 1))
        events.append((it.end, -1))
    }
    events.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
    var n = 0
    var best = 0
    for e in events {
        n += e.1
        best = max(best, n)
    }
    return best
}

@Suite struct WorkloadAndScaleTests {
    static let server = "NovaServers.boot_and_delete_server"
    static let image = "GlanceImages.create_and_delete_image"
    static let network = "NeutronNetworks.create_and_delete_networks"

    /// With DEBUG on, every API request leaves haproxy, keystone and DEBUG records, all in format.
    @Test func debugChatterParses() throws {
        let (dir, _) = try simulate(minutes: 2, faults: [], debug: true, tag: "chatter")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let counts = try checkLogLines(dir)
        for f in ["wally113/haproxy.log", "wally113/keystone.log", "wally113/placement-api.log", "wally117/nova-compute.log"] {
            #expect((counts[f] ?? 0) > 0, "\(f) is empty")
        }
        let haproxy = try String(contentsOfFile: dir + "/logs/wally113/haproxy.log", encoding: .utf8)
        let httplog = try Regex(
            "^Nov 19 \\d\\d:\\d\\d:\\d\\d wally113 haproxy\\[\\d+\\]: [\\d.]+:\\d+ \\[19/Nov/2019:\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\] [a-z_]+ [a-z_]+/wally113"
                + " \\d+/\\d+/\\d+/\\d+/\\d+ \\d{3} \\d+ - - ---- \\d+/\\d+/\\d+/\\d+/0 0/0 \"(GET|POST|PUT|DELETE) /\\S* HTTP/1.1\"$")
        let lines = haproxy.split(separator: "\n")
        #expect(lines.count > 100)
        for line in lines where !line.contains("[horizon]") { #expect(line.wholeMatch(of: httplog) != nil, "\(line)") }
        // Every nova-api access line has its haproxy line.
        let nova = try String(contentsOfFile: dir + "/logs/wally113/nova-api.log", encoding: .utf8)
        let novaAccess = nova.split(separator: "\n").filter { $0.contains("nova.osapi_compute.wsgi.server") }.count
        #expect(lines.filter { $0.contains(" nova_api nova_api/") }.count == novaAccess)
    }

    @Test func workloadSelectionAndConcurrency() throws {
        let (dir, summary) = try simulate(minutes: 4, faults: [], debug: false, tag: "select") { c in
            c.workloads = [.bootAndDeleteServer]
            c.concurrency = 4
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let its = try iterations(dir)
        #expect(summary.iterations == its.count && its.count >= 4)
        #expect(its.allSatisfy { $0.workload == Self.server })
        #expect(maxInFlight(its, Self.server) == 4)
        let glance = try String(contentsOfFile: dir + "/logs/wally113/glance-api.log", encoding: .utf8)
        #expect(!glance.contains("/v2/images"))
    }

    /// Sequential: the scenarios take turns (image, network, server), one iteration at a time.
    @Test func sequentialRunsTakeTurns() throws {
        let (dir, _) = try simulate(minutes: 9, faults: [], debug: false, tag: "seq") { c in c.sequential = true }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let its = try iterations(dir).sorted { $0.start < $1.start }
        var order: [String] = []
        for it in its where order.last != it.workload { order.append(it.workload) }
        #expect(order == [Self.image, Self.network, Self.server])
        for i in its.indices.dropFirst() { #expect(its[i].start >= its[i - 1].end, "iterations overlap") }
    }

    /// Twenty computes for a minute: every host writes its files and every line parses.
    @Test func twentyHosts() throws {
        let (dir, summary) = try simulate(minutes: 1, debug: true, tag: "hosts") { c in c.computeHosts = 20 }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let counts = try checkLogLines(dir)
        #expect(counts["wally140/nova-compute.log"] ?? 0 > 0)
        #expect(counts["wally140/neutron-openvswitch-agent.log"] ?? 0 > 0)
        #expect(FileManager.default.fileExists(atPath: dir + "/metrics/wally140.om"))
        let truth = try groundTruth(dir)
        #expect((truth["computes"] as? [String])?.count == 20)
        #expect(summary.logRecords > 5000)
    }
}
