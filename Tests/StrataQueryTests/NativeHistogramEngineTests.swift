import StrataLabels
import StrataMetrics
import Testing

@testable import StrataQuery

/// Native histograms through the engine: selection, rate, aggregation, functions and annotations.
@Suite("Native histogram queries")
struct NativeHistogramEngineTests {
    private static let minute: Int64 = 60_000

    /// An exponential (schema 0) histogram: `count` observations spread as 1:2:1 over (0.5,1], (1,2], (2,4].
    static func hist(_ count: Double, sum: Double? = nil) -> FloatHistogram {
        var h = FloatHistogram()
        h.count = count
        h.sum = sum ?? count * 1.5
        h.positiveSpans = [HistogramSpan(offset: 0, length: 3)]
        h.positiveBuckets = [count / 4, count / 2, count / 4]
        return h
    }

    private func fixture(_ name: String = #function) throws -> EngineFixture {
        let f = try EngineFixture(name)
        // A counter of histograms growing by 4 observations a minute, with a reset at 6m.
        let counts: [Double] = [0, 4, 8, 12, 16, 20, 2, 6, 10, 14, 18]
        let a = counts.enumerated().map { HistogramSample(Int64($0.offset) * Self.minute, Self.hist($0.element)) }
        _ = try f.store.appendHistograms(try Labels(validating: ["__name__": "req", "job": "a"]), a)
        let b = (0...10).map { HistogramSample(Int64($0) * Self.minute, Self.hist(Double($0) * 8)) }
        _ = try f.store.appendHistograms(try Labels(validating: ["__name__": "req", "job": "b"]), b)
        try f.load(["__name__": "req", "job": "float"], every: Self.minute, EngineFixture.series(0, 1, 10))
        return f
    }

    private func histogram(_ r: QueryResult, _ job: String) -> FloatHistogram? {
        guard case .vector(let v) = r.value else { return nil }
        return v.first { $0.labels["job"] == job }?.histogram
    }

    @Test func selectorsReturnHistogramsAndFloatsSideBySide() throws {
        let f = try fixture()
        let r = try f.engine().instantQuery("req", at: 10 * Self.minute)
        guard case .vector(let v) = r.value else { Issue.record("not a vector"); return }
        #expect(v.count == 3)
        #expect(histogram(r, "a")?.count == 18)
        #expect(histogram(r, "b")?.count == 80)
        #expect(v.first { $0.labels["job"] == "float" }?.histogram == nil)
        #expect(v.first { $0.labels["job"] == "float" }?.value == 10)
        // A range query keeps float and histogram points apart.
        let m = try f.engine().rangeQuery("req{job=~\"a|float\"}", start: 0, end: 2 * Self.minute, step: Self.minute)
        guard case .matrix(let series) = m.value else { Issue.record("not a matrix"); return }
        #expect(series.map(\.histograms.count) == [3, 0])
        #expect(series.map(\.timestamps.count) == [0, 3])
    }

    @Test func rateHandlesCounterResetsAndRefusesMixes() throws {
        let f = try fixture()
        // job=b: 8 observations a minute over the 10-minute window, extrapolated to the full range.
        let b = try #require(histogram(try f.engine().instantQuery("rate(req{job=\"b\"}[10m])", at: 10 * Self.minute), "b"))
        #expect(abs(b.count - 8.0 / 60) < 1e-9)
        #expect(b.counterResetHint == .gauge)
        // job=a: 20 before the reset, then 18 after: 38 observations, from the sample at 0 (no extrapolation).
        let a = try #require(histogram(try f.engine().instantQuery("increase(req{job=\"a\"}[11m])", at: 10 * Self.minute), "a"))
        #expect(abs(a.count - 38) < 1e-9)
        #expect(abs(a.positiveBuckets.reduce(0, +) - 38) < 1e-9)
        // Floats and histograms in one range: no result, one warning naming the metric.
        try f.load(["__name__": "mix"], every: Self.minute, [0, 1, 2, 3, 4])
        let later = (5...10).map { HistogramSample(Int64($0) * Self.minute, Self.hist(Double($0))) }
        _ = try f.store.appendHistograms(try Labels(validating: ["__name__": "mix"]), later)
        let mix = try f.engine().instantQuery("rate(mix[10m])", at: 10 * Self.minute)
        guard case .vector(let mv) = mix.value else { Issue.record("not a vector"); return }
        #expect(mv.isEmpty)
        #expect(mix.warnings == ["PromQL warning: encountered a mix of histograms and floats for metric name \"mix\" (1:6)"])
        // The histograms alone are fine.
        let only = try f.engine().instantQuery("rate(mix[4m])", at: 10 * Self.minute)
        #expect(only.warnings.isEmpty)
        #expect(histogram(only, "") == nil)
        guard case .vector(let ov) = only.value else { Issue.record("not a vector"); return }
        #expect(ov.count == 1 && ov[0].histogram != nil)
        // Floats and histograms in one aggregation: no result, one warning.
        let agg = try f.engine().instantQuery("sum(req)", at: 10 * Self.minute)
        guard case .vector(let v) = agg.value else { Issue.record("not a vector"); return }
        #expect(v.isEmpty)
        #expect(agg.warnings == ["PromQL warning: encountered a mix of histograms and floats for aggregation (1:5)"])
    }

    @Test func aggregationAndArithmetic() throws {
        let f = try fixture()
        let sum = try #require(histogram(try f.engine().instantQuery("sum by (job) (req{job!=\"float\"})", at: 10 * Self.minute), "a"))
        #expect(sum.count == 18)
        let total = try f.engine().instantQuery("sum(req{job!=\"float\"})", at: 10 * Self.minute)
        guard case .vector(let v) = total.value, let h = v.first?.histogram else { Issue.record("no histogram"); return }
        #expect(h.count == 98)
        #expect(h.positiveBuckets == [24.5, 49, 24.5])
        let scaled = try #require(histogram(try f.engine().instantQuery("req{job=\"b\"} * 2 / 4", at: 10 * Self.minute), "b"))
        #expect(scaled.count == 40)
        let diff = try #require(histogram(try f.engine().instantQuery("req{job=\"b\"} - req{job=\"b\"} offset 1m", at: 10 * Self.minute), "b"))
        #expect(diff.count == 8)
        // max ignores histograms with an info; a histogram compared with a float is dropped with an info.
        let mx = try f.engine().instantQuery("max(req)", at: 10 * Self.minute)
        #expect(mx.infos == ["PromQL info: ignored histogram in max aggregation (1:1)"])
        let cmp = try f.engine().instantQuery("req{job=\"a\"} > 1", at: 10 * Self.minute)
        guard case .vector(let c) = cmp.value else { Issue.record("not a vector"); return }
        #expect(c.isEmpty)
        #expect(cmp.infos.first?.contains("incompatible sample types encountered for binary operator \">\"") == true)
    }

    @Test func histogramFunctions() throws {
        let f = try fixture()
        let at = 10 * Self.minute
        func value(_ q: String) throws -> Double? {
            guard case .vector(let v) = try f.engine().instantQuery(q, at: at).value else { return nil }
            return v.first?.value
        }
        #expect(try value("histogram_count(req{job=\"b\"})") == 80)
        #expect(try value("histogram_sum(req{job=\"b\"})") == 120)
        #expect(try value("histogram_avg(req{job=\"b\"})") == 1.5)
        // Half the observations are at or below 1: the median is the bucket boundary 1.
        #expect(abs(try value("histogram_quantile(0.25, req{job=\"b\"})")! - 1) < 1e-12)
        #expect(abs(try value("histogram_fraction(0, 2, req{job=\"b\"})")! - 0.75) < 1e-12)
        #expect(try value("histogram_stdvar(req{job=\"b\"})")! > 0)
        // Float series give histogram functions nothing.
        guard case .vector(let none) = try f.engine().instantQuery("histogram_count(req{job=\"float\"})", at: at).value else {
            Issue.record("not a vector")
            return
        }
        #expect(none.isEmpty)
        #expect(try value("count_over_time(req{job=\"a\"}[10m])") == 10)
        #expect(try value("resets(req{job=\"a\"}[10m])") == 1)
        let avg = try #require(histogram(try f.engine().instantQuery("avg_over_time(req{job=\"b\"}[2m])", at: at), "b"))
        #expect(abs(avg.count - 76) < 1e-9)
    }

    @Test func trimOperatorsKeepOneSideOfTheCutoff() throws {
        let f = try fixture()
        let at = 10 * Self.minute
        // job=b at 10m: 20 in (0.5,1], 40 in (1,2], 20 in (2,4].
        let below = try #require(histogram(try f.engine().instantQuery("req{job=\"b\"} </ 1", at: at), "b"))
        #expect(below.count == 20)
        #expect(abs(below.sum - 20 * 0.5.squareRoot()) < 1e-9)
        let above = try #require(histogram(try f.engine().instantQuery("req{job=\"b\"} >/ 1", at: at), "b"))
        #expect(above.count == 60)
        #expect(abs(above.sum - (40 * 2.0.squareRoot() + 20 * 8.0.squareRoot())) < 1e-9)
        // Halfway through (1,2] on the exponential scale: half of its 40.
        let half = try #require(histogram(try f.engine().instantQuery("req{job=\"b\"} </ 1.4142135623730951", at: at), "b"))
        #expect(abs(half.count - 40) < 1e-9)
        // Nothing removed: the histogram comes back unchanged, sum included.
        let all = try #require(histogram(try f.engine().instantQuery("req{job=\"b\"} </ 4", at: at), "b"))
        #expect(all.sum == 120 && all.count == 80)
        // Floats cannot be trimmed.
        let floats = try f.engine().instantQuery("req{job=\"float\"} </ 1", at: at)
        guard case .vector(let v) = floats.value else { Issue.record("not a vector"); return }
        #expect(v.isEmpty)
        #expect(floats.infos.count == 1)
    }
}
