import StrataLabels
import StrataLogs
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

/// The log crash test's deterministic data: batch `b` holds `perBatch` records at distinct times.
package enum LogCrashWorkload {
    static let perBatch = 8
    package static func stream(_ i: Int) -> Labels {
        Labels(sorted: [Label("host", "crash-\(i % 3)"), Label("program", "crash-writer")])
    }
    package static func timestamp(batch: Int, _ i: Int) -> Int64 {
        1_700_000_000_000_000_000 + Int64(batch) * 1_000_000_000 + Int64(i)
    }
    package static func line(batch: Int, _ i: Int) -> String {
        let id = String(batch * 131 + i, radix: 16)
        return "2023-11-14 22:13:20.\(i) 4242 INFO crash.writer [req-00000000-0000-4000-8000-\(String(repeating: "0", count: max(0, 12 - id.count)))\(id)] batch \(batch) record \(i)"
    }
    package static func records(batch b: Int) -> [LogRecord] {
        (0..<perBatch).map { i in
            LogRecord(timestamp: timestamp(batch: b, i), stream: stream(i), line: Array(line(batch: b, i).utf8),
                      fields: [LogField("batch", String(b))])
        }
    }
    /// Options that flush often, so segment writes and manifest swaps happen under fire.
    package static var options: LogStoreOptions {
        var o = LogStoreOptions()
        o.durability = .fsync
        o.maxHeadBytes = 24 << 10
        o.rowsPerBlock = 64
        return o
    }
}
