import StrataLabels
import StrataMetrics
import StrataQuery
import StrataTestSupport
import Testing

/// PromQL over downsampled data answers like the raw data: the `*_over_time` functions exactly when
/// the range is a multiple of the resolution and the steps are aligned to it, `rate`/`increase` within
/// 1 % on a counter with resets.
@Suite struct DownsampledPromQLTests {
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 24 * hour
    static let start: Int64 = 500 * day
    static let end: Int64 = start + 3 * day

    typealias Gen = SeededRandom

    /// Two stores with the same 3 days of 10 s samples (a counter with resets and two gauges, integer
    /// values so that sums are exact); the second is downsampled to 5 m steps for everything older
    /// than a day.
    static func stores() throws -> (raw: EngineFixture, downsampled: EngineFixture) {
        let raw = try EngineFixture("raw")
        let down = try EngineFixture("down")
        var g = Gen(state: 7)
        var data: [Labels: [Sample]] = [:]
        var counter = [100.0, 5000.0]
        var t = start
        while t <= end {
            for (i, host) in ["a", "b"].enumerated() {
                counter[i] += Double(10 + g.next() % 20)
                if g.next() % 1500 == 0 { counter[i] = Double(g.next() % 10) }  // a reset every ~4 h
                data[try Labels(validating: ["__name__": "requests_total", "host": host]), default: []].append(Sample(t, counter[i]))
                data[try Labels(validating: ["__name__": "temperature", "host": host]), default: []].append(
                    Sample(t, Double(Int(g.next() % 400)) - 100))
            }
            t += 10_000
        }
        for f in [raw, down] {
            for (l, s) in data { _ = try f.store.append(l, s) }
            try f.store.flush()
        }
        let report = try down.store.downsample([DownsampleLevel(after: day, resolution: 5 * minute)], now: end)
        #expect(report.steps.first?.cut == end - day)
        return (raw, down)
    }

    static func matrix(_ f: EngineFixture, _ q: String, start: Int64, end: Int64, step: Int64) throws -> [String: [(Int64, Double)]] {
        let r = try f.engine().rangeQuery(q, start: start, end: end, step: step)
        guard case .matrix(let series) = r.value else {
            Issue.record("not a matrix")
            return [:]
        }
        var out: [String: [(Int64, Double)]] = [:]
        for s in series { out[s.labels.description] = Array(zip(s.timestamps, s.values)) }
        return out
    }

    @Test func overTimeFunctionsAreExactOnAlignedRanges() throws {
        let (raw, down) = try Self.stores()
        // 1 h windows at 1 h steps, over the downsampled day, across the cut and over the raw days.
        for q in [
            "sum_over_time(temperature[1h])", "count_over_time(temperature[1h])", "min_over_time(temperature[1h])",
            "max_over_time(temperature[1h])", "avg_over_time(temperature[1h])", "count_over_time(requests_total[30m])",
            "avg_over_time(requests_total[2h])", "sum by (host) (sum_over_time(temperature[1h]))",
        ] {
            let a = try Self.matrix(raw, q, start: Self.start + Self.hour, end: Self.end, step: Self.hour)
            let b = try Self.matrix(down, q, start: Self.start + Self.hour, end: Self.end, step: Self.hour)
            #expect(!a.isEmpty)
            #expect(a.keys.sorted() == b.keys.sorted(), "\(q)")
            for (k, points) in a {
                let other = b[k] ?? []
                #expect(points.count == other.count, "\(q) \(k)")
                for (p, o) in zip(points, other) {
                    #expect(p.0 == o.0 && p.1 == o.1, "\(q) \(k) at \(p.0): raw \(p.1), downsampled \(o.1)")
                }
            }
        }
    }

    @Test func rateAndIncreaseAreWithinOnePercent() throws {
        let (raw, down) = try Self.stores()
        var checked = 0
        var worst = 0.0
        for q in ["rate(requests_total[1h])", "increase(requests_total[1h])", "rate(requests_total[6h])", "sum(rate(requests_total[1h]))"] {
            let a = try Self.matrix(raw, q, start: Self.start + 6 * Self.hour, end: Self.end, step: Self.hour)
            let b = try Self.matrix(down, q, start: Self.start + 6 * Self.hour, end: Self.end, step: Self.hour)
            #expect(a.keys.sorted() == b.keys.sorted(), "\(q)")
            for (k, points) in a {
                let other = Dictionary(uniqueKeysWithValues: (b[k] ?? []).map { ($0.0, $0.1) })
                for (t, v) in points {
                    guard let w = other[t] else {
                        Issue.record("\(q) \(k): no value at \(t)")
                        continue
                    }
                    #expect(abs(w - v) <= 0.01 * abs(v), "\(q) \(k) at \(t): raw \(v), downsampled \(w)")
                    worst = max(worst, abs(w - v) / abs(v))
                    checked += 1
                }
            }
        }
        #expect(checked > 200)
        #expect(worst > 0, "the downsampled answers are not the raw ones")  // 0.14 % at worst today
    }

    @Test func resetsAndPlainSelectorsOverDownsampledRanges() throws {
        let (raw, down) = try Self.stores()
        let from = Self.start + 6 * Self.hour
        let to = Self.end - Self.day
        let a = try Self.matrix(raw, "resets(requests_total[6h])", start: from, end: to, step: Self.hour)
        let b = try Self.matrix(down, "resets(requests_total[6h])", start: from, end: to, step: Self.hour)
        var total = 0.0
        for (k, points) in a {
            let other = Dictionary(uniqueKeysWithValues: (b[k] ?? []).map { ($0.0, $0.1) })
            for (t, v) in points {
                let w = other[t] ?? 0
                // A reset in the window's first step has no earlier step to compare with.
                #expect(w <= v && v - w <= 1, "\(k) at \(t): raw \(v), downsampled \(w)")
                total += v
            }
        }
        #expect(total > 0, "the data has resets")
        // A plain selector reads the step average, once per step, under the series' own labels.
        let plain = try Self.matrix(down, "temperature", start: from, end: to, step: 5 * Self.minute)
        #expect(Set(plain.keys) == [#"temperature{host="a"}"#, #"temperature{host="b"}"#])
        let avg = try Self.matrix(raw, "avg_over_time(temperature[5m])", start: from, end: to, step: 5 * Self.minute)
        for (k, points) in plain {
            let expected = avg["{" + k.split(separator: "{", maxSplits: 1)[1]] ?? []
            #expect(points.count == expected.count)
            for (p, e) in zip(points, expected) { #expect(p.0 == e.0 && p.1 == e.1, "\(k) at \(p.0)") }
        }
    }
}
