import StrataMetrics
import Testing

@testable import StrataQuery

/// Classic-histogram functions against Prometheus's `BucketFraction` / `BucketQuantile` semantics.
@Suite struct EngineHistogramTests {
    private static let minute: Int64 = 60_000

    /// The buckets the conformance cases use: le=1:1, le=2:3, le=3:6, le=+Inf:100.
    private static let standard = [
        ClassicBucket(upperBound: 1, count: 1), ClassicBucket(upperBound: 2, count: 3),
        ClassicBucket(upperBound: 3, count: 6), ClassicBucket(upperBound: .infinity, count: 100),
    ]

    private func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(1, abs(b)) }

    // MARK: bucketFraction

    @Test func fractionWithUpperInsideInfBucketCountsNoneOfIt() {
        // [2,3] holds 3 observations; the +Inf bucket has infinite width, so 5 interpolates to its start.
        #expect(close(bucketFraction(2, 5, Self.standard), 0.03))
        #expect(close(bucketFraction(2, 3.5, Self.standard), 0.03))
    }

    @Test func fractionWithUpperInfTakesTheWholeInfBucket() {
        // Lower 400 interpolates to the +Inf bucket's start (rank 6); +Inf reaches the total.
        #expect(close(bucketFraction(400, .infinity, Self.standard), 0.94))
        #expect(close(bucketFraction(-.infinity, .infinity, Self.standard), 1))
    }

    @Test func fractionOfOnlyAnInfBucketIsZeroForFiniteRanges() {
        let single = [ClassicBucket(upperBound: .infinity, count: 100)]
        #expect(bucketFraction(0, 1, single) == 0)
        #expect(bucketFraction(0, .infinity, single) == 1)
    }

    @Test func fractionInterpolatesInsideFiniteBuckets() {
        // Lowest bucket starts at 0 (positive upper bound): 0.5 is half of its 1 observation.
        #expect(close(bucketFraction(0, 0.5, Self.standard), 0.005))
        // 1.5 is half-way through [1,2] (2 observations): rank 2.
        #expect(close(bucketFraction(1.5, 3, Self.standard), (6 - 2) / 100))
        #expect(close(bucketFraction(-.infinity, 2, Self.standard), 0.03))
    }

    @Test func fractionSpecialCases() {
        #expect(bucketFraction(3, 2, Self.standard) == 0)
        #expect(bucketFraction(2, 2, Self.standard) == 0)
        #expect(bucketFraction(.nan, 2, Self.standard).isNaN)
        #expect(bucketFraction(0, .nan, Self.standard).isNaN)
        let zero = Self.standard.map { ClassicBucket(upperBound: $0.upperBound, count: 0) }
        #expect(bucketFraction(0, 5, zero).isNaN)
        // No +Inf bucket: not a usable histogram.
        #expect(bucketFraction(0, 5, Array(Self.standard.dropLast())).isNaN)
    }

    @Test func fractionWithNonPositiveFirstBucketStartsAtMinusInf() {
        // le=-1:10, le=0:20, le=+Inf:40. The first bucket spans (-Inf,-1]: any bound inside it takes it whole.
        let b = [
            ClassicBucket(upperBound: -1, count: 10), ClassicBucket(upperBound: 0, count: 20),
            ClassicBucket(upperBound: .infinity, count: 40),
        ]
        #expect(close(bucketFraction(-5, -0.5, b), (15 - 10) / 40))
        #expect(close(bucketFraction(-.infinity, -1, b), 10.0 / 40))
    }

    // MARK: bucketQuantile

    @Test func quantileIgnoresSmallDeltasWithoutForcingMonotonicity() {
        // A drop of 1.5e-12 relative is noise by `almost.Equal` (difference over the *sum* of
        // both counts, 7.5e-13 < 1e-12): absorbed silently, no info annotation.
        let b = [
            ClassicBucket(upperBound: 1, count: 1), ClassicBucket(upperBound: 2, count: 1 - 1.5e-12),
            ClassicBucket(upperBound: .infinity, count: 2),
        ]
        let (v, forced) = bucketQuantile(0.25, b)
        #expect(!forced)
        #expect(close(v, 0.5))
    }

    @Test func quantileForcesRealDecreasesAgainstTheLastAcceptedCount() {
        // 10, 5, 10 (+1e-13 relative): the decrease is forced up to 10 and the last count is
        // then within tolerance of that accepted 10, so it becomes exactly 10.
        let b = [
            ClassicBucket(upperBound: 1, count: 10), ClassicBucket(upperBound: 2, count: 5),
            ClassicBucket(upperBound: 3, count: 10 * (1 + 1e-13)), ClassicBucket(upperBound: .infinity, count: 20),
        ]
        let (v, forced) = bucketQuantile(0.5, b)
        #expect(forced)
        // Rank 10 is reached by the first bucket: its upper bound.
        #expect(v == 1)
    }

    @Test func quantileSpecialCases() {
        #expect(bucketQuantile(.nan, Self.standard).0.isNaN)
        #expect(bucketQuantile(-0.1, Self.standard).0 == -.infinity)
        #expect(bucketQuantile(1.1, Self.standard).0 == .infinity)
        #expect(bucketQuantile(0.99, Self.standard).0 == 3)
        #expect(bucketQuantile(0.5, [ClassicBucket(upperBound: .infinity, count: 5)]).0.isNaN)
    }

    @Test func almostEqualFollowsPrometheus() {
        #expect(almostEqual(.nan, .nan, 1e-12))
        #expect(!almostEqual(.nan, 1, 1e-12))
        #expect(almostEqual(1, 1 + 1e-15, 1e-12))
        #expect(!almostEqual(1, 1 + 1e-9, 1e-12))
        #expect(!almostEqual(0, 1e-300, 1e-12))
        #expect(almostEqual(.infinity, .infinity, 1e-12))
    }

    // MARK: Through the engine

    private func fixture(_ name: String = #function) throws -> EngineFixture {
        let f = try EngineFixture(name)
        for (le, c) in [("1", 1.0), ("2", 3), ("3", 6), ("+Inf", 100)] {
            try f.load(["__name__": "h_bucket", "le": le], every: Self.minute, [c])
        }
        return f
    }

    @Test func histogramFractionQueries() throws {
        let f = try fixture()
        let e = f.engine()
        for (q, want) in [
            ("histogram_fraction(2, 5, h_bucket)", 0.03), ("histogram_fraction(400, +Inf, h_bucket)", 0.94),
            ("histogram_fraction(2, 3.5, h_bucket)", 0.03),
        ] {
            let r = try e.instantQuery(q, at: 0)
            #expect(r.warnings.isEmpty && r.infos.isEmpty)
            let v = vectorValues(r)["{}"]
            #expect(v.map { close($0, want) } == true, "\(q) gave \(String(describing: v))")
        }
    }

    @Test func invalidQuantileWarnsEvenWithoutInput() throws {
        let f = try fixture()
        let r = try f.engine().instantQuery("histogram_quantile(NaN, non_existent)", at: 0)
        #expect(vectorValues(r).isEmpty)
        #expect(r.warnings == ["PromQL warning: quantile value should be between 0 and 1, got NaN (1:20)"])
    }

    @Test func forcedMonotonicityInfoNamesNoMetric() throws {
        let f = try EngineFixture()
        for (le, c) in [("1", 5.0), ("2", 3), ("+Inf", 10)] {
            try f.load(["__name__": "m_bucket", "le": le], every: Self.minute, [c])
        }
        let r = try f.engine().instantQuery("histogram_quantile(0.5, m_bucket)", at: 0)
        #expect(r.warnings.isEmpty)
        #expect(r.infos.count == 1)
        #expect(r.infos.first?.hasPrefix("PromQL info: input to histogram_quantile needed to be fixed for monotonicity") == true)
        #expect(r.infos.first?.contains("for metric name") == false)
        #expect(r.infos.first?.hasSuffix("(1:25)") == true)
    }
}
