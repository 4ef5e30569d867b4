import Foundation
import Testing

@testable import StrataSim

/// Strict per-format line patterns; traceback continuation lines only after an ERROR record.
enum LinePatterns {
    static let uuid = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    nonisolated(unsafe) static let oslo = try! Regex(
        "^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\d+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) [a-z_][a-z0-9_.]*"
            + " \\[(-|(req-\(uuid) )?req-\(uuid) ([0-9a-f]{32}|-) ([0-9a-f]{32}|-) - - -)\\] (\\[instance: \(uuid)\\] )?\\S.*$")
    nonisolated(unsafe) static let continuation = try! Regex("^(Traceback \\(most recent call last\\):|  File \"[^\"]+\", line \\d+, in \\w+|    \\S.*|[A-Z]\\w+: .*)$")
    nonisolated(unsafe) static let syslog = try! Regex("^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 1-3]\\d \\d\\d:\\d\\d:\\d\\d wally\\d+ [A-Za-z]+(\\[\\d+\\])?: \\S.*$")
    nonisolated(unsafe) static let ovs = try! Regex("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\|\\d{5}\\|[a-z_()]+\\|(EMER|ERR|WARN|INFO|DBG)\\|\\S.*$")
    nonisolated(unsafe) static let libvirt = try! Regex("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\+0000: \\d+: (debug|info|warning|error) : \\w+:\\d+ : \\S.*$")
    nonisolated(unsafe) static let mysql = try! Regex("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\d+ \\[(Note|Warning|ERROR)\\] \\S.*$")
    nonisolated(unsafe) static let rabbit = try! Regex("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\[(debug|info|warning|error)\\] <0\\.\\d+\\.0> \\S.*$")

    static func pattern(for file: String) -> Regex<AnyRegexOutput> {
        if file.hasSuffix("messages.log") || file.hasSuffix("secure.log") || file.hasSuffix("haproxy.log") { return syslog }
        if file.hasSuffix("ovs-vswitchd.log") { return ovs }
        if file.hasSuffix("libvirtd.log") { return libvirt }
        if file.hasSuffix("mysqld.log") { return mysql }
        if file.hasSuffix("rabbitmq.log") { return rabbit }
        return oslo
    }

    /// Microseconds of a line's timestamp in any of the formats (syslog assumes the sim's year).
    static func time(of line: Substring, year: Int) -> Int64? {
        let u = Array(line.utf8.prefix(26))
        func n(_ i: Int, _ c: Int) -> Int? {
            guard i + c <= u.count else { return nil }
            var v = 0
            for k in i..<i + c {
                guard u[k] >= 48 && u[k] <= 57 else { return nil }
                v = v * 10 + Int(u[k] - 48)
            }
            return v
        }
        var y: Int, mo: Int, d: Int, h: Int, mi: Int, s: Int, ms = 0
        if let yy = n(0, 4), u.count > 19, u[4] == 45 {
            y = yy
            guard let a = n(5, 2), let b = n(8, 2), let c = n(11, 2), let e = n(14, 2), let f = n(17, 2) else { return nil }
            (mo, d, h, mi, s) = (a, b, c, e, f)
            if u.count > 22 && u[19] == 46, let m = n(20, 3) { ms = m }
        } else {
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            guard let m = months.firstIndex(of: String(line.prefix(3))) else { return nil }
            y = year
            mo = m + 1
            let dayText = line.dropFirst(4).prefix(2).trimmingCharacters(in: .whitespaces)
            guard let dd = Int(dayText), let c = n(7, 2), let e = n(10, 2), let f = n(13, 2) else { return nil }
            (d, h, mi, s) = (dd, c, e, f)
        }
        var comps = DateComponents()
        comps.year = y
        comps.month = mo
        comps.day = d
        comps.hour = h
        comps.minute = mi
        comps.second = s
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        guard let date = cal.date(from: comps) else { return nil }
        return Int64(date.timeIntervalSince1970) * 1_000_000 + Int64(ms) * 1000
    }
}

@Suite struct OutputShapeTests {
    static let faults: [FaultSpec] = [
        FaultSpec(kind: .glanceAPIRestart, offsetMillis: 40_000, durationMillis: 15_000),
        FaultSpec(kind: .ovsCrash, offsetMillis: 100_000),
        FaultSpec(kind: .dbConnection, offsetMillis: 160_000),
        FaultSpec(kind: .rabbitmqConnectionLoss, offsetMillis: 220_000),
        FaultSpec(kind: .noValidHost, offsetMillis: 280_000),
    ]

    @Test func logsTracesAndGroundTruthAgree() throws {
        let (dir, summary) = try simulate(minutes: 6, faults: Self.faults, debug: false, tag: "shape")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(summary.failedIterations > 0)
        #expect(summary.failedIterations < summary.iterations)
        let truth = try groundTruth(dir)
        let faults = try #require(truth["faults"] as? [[String: Any]])
        #expect(faults.count == Self.faults.count)
        let windows: [(kind: String, start: Int64, end: Int64, signatures: [String])] = faults.map {
            ($0["kind"] as! String, ($0["start_us"] as! NSNumber).int64Value, ($0["end_us"] as! NSNumber).int64Value,
             $0["signatures"] as! [String])
        }

        // Every log line matches its format; signatures only inside their fault's window.
        var lines = 0
        var signatureHits = 0
        for file in files(under: dir + "/logs") {
            let text = try String(contentsOfFile: dir + "/logs/" + file, encoding: .utf8)
            let pattern = LinePatterns.pattern(for: file)
            var afterError = false
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                lines += 1
                if line.wholeMatch(of: pattern) != nil {
                    afterError = line.contains(" ERROR ")
                    let t = try #require(LinePatterns.time(of: line, year: 2019), "\(file): \(line)")
                    for w in windows {
                        for sig in w.signatures where line.contains(sig) {
                            signatureHits += 1
                            #expect(t >= w.start - 1_000_000 && t <= w.end + 10_000_000, "\(file): signature of \(w.kind) outside its window: \(line)")
                        }
                    }
                } else {
                    #expect(afterError && line.wholeMatch(of: LinePatterns.continuation) != nil, "\(file): bad line: \(line)")
                }
            }
        }
        #expect(lines > 1000)
        #expect(signatureHits >= Self.faults.count)

        // Failed iterations overlap a fault window and name it; successful ones have no error.
        let iterations = try #require(truth["iterations"] as? [[String: Any]])
        #expect(iterations.count == summary.iterations)
        var failedBases: Set<String> = []
        for it in iterations {
            let s = (it["start_us"] as! NSNumber).int64Value
            let e = (it["end_us"] as! NSNumber).int64Value
            #expect(e > s)
            if it["outcome"] as? String == "failure" {
                failedBases.insert(it["base_id"] as! String)
                let f = try #require(it["fault"] as? Int)
                #expect(s <= windows[f].end && e >= windows[f].start, "failed iteration outside its fault window")
            } else {
                #expect(it["error"] is NSNull)
            }
        }

        // osprofiler events: starts and stops pair up; parent/base semantics hold; errors only in failed traces.
        let traceText = try String(contentsOfFile: dir + "/traces/osprofiler.jsonl", encoding: .utf8)
        var open: [String: (parent: String, base: String, name: String)] = [:]
        var spanIDs: [String: Set<String>] = [:]
        var parents: [(base: String, parent: String)] = []
        var stops = 0
        var previous = ""
        for line in traceText.split(separator: "\n") {
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let name = obj["name"] as! String
            let trace = obj["trace_id"] as! String
            let parent = obj["parent_id"] as! String
            let base = obj["base_id"] as! String
            let ts = obj["timestamp"] as! String
            #expect(ts >= previous, "events out of time order")
            previous = ts
            #expect(trace != base)
            #expect(obj["project"] is String && obj["service"] is String)
            let info = try #require(obj["info"] as? [String: Any])
            #expect(info["host"] is String)
            if name.hasSuffix("-start") {
                #expect(open[trace] == nil)
                open[trace] = (parent, base, String(name.dropLast(6)))
                spanIDs[base, default: []].insert(trace)
                parents.append((base, parent))
                if name == "wsgi-start" { #expect(info["request"] is [String: Any]) }
                if name == "db-start" { #expect(info["db"] is [String: Any]) }
                if name == "rpc-start" { #expect(info["function"] is [String: Any]) }
            } else {
                #expect(name.hasSuffix("-stop"))
                let removed = open.removeValue(forKey: trace)
                let o = try #require(removed, "stop without start")
                #expect(o.parent == parent && o.base == base && o.name + "-stop" == name)
                stops += 1
                if info["etype"] != nil { #expect(failedBases.contains(base), "error span in a successful trace") }
            }
        }
        #expect(open.isEmpty, "unclosed spans")
        #expect(stops == summary.spans)
        for p in parents { #expect(p.parent == p.base || spanIDs[p.base]!.contains(p.parent)) }
    }

    @Test func metricsFilesAreOpenMetrics() throws {
        let (dir, summary) = try simulate(minutes: 3, faults: [], debug: false, tag: "metrics")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(summary.failedIterations == 0)
        let sample = try Regex("^[a-zA-Z_:][a-zA-Z0-9_:]*\\{[^}]*\\} -?\\d+(\\.\\d+)? \\d+\\.\\d{3}$")
        for file in ["wally113.om", "wally117.om", "kpi.om"] {
            let text = try String(contentsOfFile: dir + "/metrics/" + file, encoding: .utf8)
            #expect(text.hasSuffix("# EOF\n"))
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                #expect(line.wholeMatch(of: sample) != nil, "\(file): \(line)")
            }
        }
        let glances = try String(contentsOfFile: dir + "/metrics/wally113_glances.csv", encoding: .utf8)
        let rows = glances.split(separator: "\n")
        #expect(rows.first == "now,cpu.user,mem.used,load.cpucore,load.min1,load.min5,load.min15")
        #expect(rows.count == 181)
        #expect(rows[1].hasPrefix("2019-11-19 21:00:00 UTC,"))
    }
}
