import StrataMetrics

/// The crash test's deterministic data, shared with the test that checks it.
package enum CrashWorkload {
    package static func labels(_ s: Int) -> Labels {
        Labels(sorted: [Label("__name__", "crash_test_value"), Label("series", String(s))])
    }
    package static func timestamp(_ batch: Int) -> Int64 { 1_700_000_000_000 + Int64(batch) * 1000 }
    package static func value(batch: Int, series: Int) -> Double {
        if (batch + series) % 97 == 0 { return Sample.staleNaN }
        return Double(batch * 31 + series) / 4
    }
}
