import Foundation
import StrataLabels
import StrataMetrics

@testable import StrataLogs

/// A temporary directory removed by `cleanup()`.
struct LogScratch {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "strata-logs-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

enum LogFixtures {
    static func stream(_ host: String, _ program: String) -> Labels {
        Labels(sorted: [Label("host", host), Label("program", program)])
    }

    static func record(_ t: Int64, _ text: String, host: String = "h1", program: String = "nova-api", fields: [LogField] = []) -> LogRecord {
        LogRecord(timestamp: t, stream: stream(host, program), line: Array(text.utf8), fields: fields)
    }

    /// The first `limit` lines of Loghub's OpenStack_2k (the Loghub file-name prefix removed).
    static func openStackLines(limit: Int = 2000) throws -> [String] {
        let text = try String(contentsOfFile: "../shared/data/loghub/OpenStack/OpenStack_2k.log", encoding: .utf8)
        return Array(text.split(separator: "\n", omittingEmptySubsequences: false).prefix(limit).map(String.init))
    }

    /// Options for small tests: no fsync, small blocks so several blocks exist.
    static func options(durability: LogStoreOptions.Durability = .buffered) -> LogStoreOptions {
        var o = LogStoreOptions()
        o.durability = durability
        o.rowsPerBlock = 128
        return o
    }
}
