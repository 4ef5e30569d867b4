import StrataLabels
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Timestamp")
struct TimestampTests {
    @Test func constructorsAgreeAcrossUnits() {
        #expect(Timestamp.seconds(1) == .milliseconds(1_000))
        #expect(Timestamp.milliseconds(1_000) == .microseconds(1_000_000))
        #expect(Timestamp.microseconds(1_000_000) == .nanoseconds(1_000_000_000))
        #expect(Timestamp.seconds(1.5).nanoseconds == 1_500_000_000)
        #expect(Timestamp.seconds(-1.5).nanoseconds == -1_500_000_000)
        #expect(Timestamp.seconds(1e-9).nanoseconds == 1)
        #expect(Timestamp.seconds(1_700_000_000.25).nanoseconds == 1_700_000_000_250_000_000)
        #expect(Timestamp.seconds(-0.25).nanoseconds == -250_000_000)
        #expect(Timestamp.seconds(9_223_372_036.0) != .distantFuture)
        #expect(Timestamp.seconds(9_223_372_037.0) == .distantFuture)
        #expect(Timestamp.seconds(-9_223_372_037.0) == .distantPast)
        #expect(Timestamp.milliseconds(Int(7)).nanoseconds == 7_000_000)
        #expect(Timestamp.seconds(UInt8(2)).milliseconds == 2_000)
    }

    @Test func coarserReadOutsRoundDownAlsoBeforeTheEpoch() {
        #expect(Timestamp.nanoseconds(1_999_999).milliseconds == 1)
        #expect(Timestamp.nanoseconds(1_999).microseconds == 1)
        #expect(Timestamp.nanoseconds(-1).milliseconds == -1)
        #expect(Timestamp.nanoseconds(-1).microseconds == -1)
        #expect(Timestamp.nanoseconds(-1_000_000).milliseconds == -1)
        #expect(Timestamp.nanoseconds(-1_000_001).milliseconds == -2)
        #expect(Timestamp.nanoseconds(-999).microseconds == -1)
        #expect(Timestamp.nanoseconds(-1_000).microseconds == -1)
        #expect(Timestamp.nanoseconds(0).milliseconds == 0)
    }

    @Test(arguments: [Int64.min / 1_000_000, -1_700_000_000_123, -1, 0, 1, 1_700_000_000_123, Int64.max / 1_000_000])
    func wholeUnitsRoundTrip(_ ms: Int64) {
        #expect(Timestamp.milliseconds(ms).milliseconds == ms)
        #expect(Timestamp.microseconds(ms).microseconds == ms)
        #expect(Timestamp.nanoseconds(ms).nanoseconds == ms)
        #expect(Timestamp.milliseconds(ms).microseconds == ms * 1_000)
    }

    @Test func outOfRangeClampsToTheEnds() {
        #expect(Timestamp.seconds(Int64.max) == .distantFuture)
        #expect(Timestamp.milliseconds(Int64.min) == .distantPast)
        #expect(Timestamp.microseconds(Int64.max / 1_000 + 1) == .distantFuture)
        #expect(Timestamp.microseconds(Int64.max / 1_000) != .distantFuture)
        #expect(Timestamp.seconds(1e300) == .distantFuture)
        #expect(Timestamp.seconds(-Double.infinity) == .distantPast)
        #expect(Timestamp.nanoseconds(UInt64.max) == .distantFuture)
        #expect(Timestamp.distantFuture + .seconds(1) == .distantFuture)
        #expect(Timestamp.distantPast - .seconds(1) == .distantPast)
        #expect(Timestamp.distantPast.nanoseconds == .min && Timestamp.distantFuture.nanoseconds == .max)
    }

    @Test func arithmeticWithDuration() {
        let t = Timestamp.seconds(1_700_000_000)
        #expect((t + .seconds(90)).milliseconds == 1_700_000_090_000)
        #expect((t - .milliseconds(1)).milliseconds == 1_699_999_999_999)
        #expect((t + .milliseconds(1_500)) - t == .milliseconds(1_500))
        #expect(t - (t + .seconds(2)) == .seconds(-2))
        // A Double duration lands on the nanosecond it means (2.4 s is 2.39999999999999993 s).
        #expect((Timestamp.nanoseconds(0) + .seconds(2.4)).nanoseconds == 2_400_000_000)
        #expect((Timestamp.nanoseconds(0) - .seconds(2.4)).nanoseconds == -2_400_000_000)
        var u = t
        u += .seconds(1)
        u -= .milliseconds(500)
        #expect(u == t + .milliseconds(500))
        #expect(t < u && [u, t].sorted() == [t, u])
        #expect(Set([t, .milliseconds(1_700_000_000_000)]).count == 1)
    }

    @Test func descriptionIsRFC3339WithTheFractionNeeded() {
        #expect(Timestamp.seconds(1_700_000_000).description == "2023-11-14T22:13:20Z")
        #expect(Timestamp.milliseconds(1_700_000_000_250).description == "2023-11-14T22:13:20.250Z")
        #expect(Timestamp.microseconds(1_700_000_000_000_001).description == "2023-11-14T22:13:20.000001Z")
        #expect(Timestamp.nanoseconds(1_700_000_000_000_000_010).description == "2023-11-14T22:13:20.000000010Z")
        #expect(Timestamp.nanoseconds(0).description == "1970-01-01T00:00:00Z")
        #expect(Timestamp.nanoseconds(-1).description == "1969-12-31T23:59:59.999999999Z")
        #expect(Timestamp.seconds(951_868_800).description == "2000-03-01T00:00:00Z")
        #expect(Timestamp.seconds(1_709_208_000).description == "2024-02-29T12:00:00Z")
        #expect(Timestamp.distantPast.description == "1677-09-21T00:12:43.145224192Z")
        #expect(Timestamp.distantFuture.description == "2262-04-11T23:47:16.854775807Z")
        #expect("\(Timestamp.seconds(-86_400 * 365))" == "1969-01-01T00:00:00Z")
    }

    #if canImport(Glibc) || canImport(Darwin)
    /// The civil-date arithmetic agrees with the C library's `gmtime_r` across the whole range.
    @Test func descriptionAgreesWithGmtime() {
        let first = Timestamp.distantPast.nanoseconds / 1_000_000_000 + 1
        let last = Timestamp.distantFuture.nanoseconds / 1_000_000_000
        var s = first
        let stride = (last - first) / 20_011
        while s <= last {
            var t = time_t(s)
            var parts = tm()
            gmtime_r(&t, &parts)
            func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
            let want = "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
                + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
            #expect(Timestamp.seconds(s).description == want)
            s += stride
        }
    }
    #endif

    @Test func nowIsTheRealTimeClock() {
        let now = Timestamp.now
        #expect(now > .seconds(1_600_000_000) && now < .distantFuture)
    }

    /// The stores' edge conversions: range bounds keep open ends open and round the right way.
    @Test func rawBoundsAndDurationUnits() {
        let ms: Int64 = 1_000_000
        #expect(Timestamp.nanoseconds(1_500_000).rawBound(unit: ms, roundingUp: true) == 2)
        #expect(Timestamp.nanoseconds(1_500_000).rawBound(unit: ms, roundingUp: false) == 1)
        #expect(Timestamp.nanoseconds(-1_500_000).rawBound(unit: ms, roundingUp: true) == -1)
        #expect(Timestamp.nanoseconds(-1_500_000).rawBound(unit: ms, roundingUp: false) == -2)
        #expect(Timestamp.milliseconds(3).rawBound(unit: ms, roundingUp: true) == 3)
        #expect(Timestamp.milliseconds(3).rawBound(unit: ms, roundingUp: false) == 3)
        #expect(Timestamp.distantPast.rawBound(unit: ms, roundingUp: true) == .min)
        #expect(Timestamp.distantFuture.rawBound(unit: 1_000, roundingUp: false) == .max)
        #expect(Duration.seconds(2.4).rawUnits(1_000) == 2_400_000)
        #expect(Duration.nanoseconds(1_500).rawUnits(1_000) == 1)
        #expect(Duration.nanoseconds(1_500).rawUnits(1_000, roundingUp: true) == 2)
        #expect(Duration.nanoseconds(-1_500).rawUnits(1_000) == -2)
        #expect(Duration.seconds(Int64.max).clampedNanoseconds == .max)
        #expect(Duration.seconds(Int64.min).clampedNanoseconds == .min)
    }
}
