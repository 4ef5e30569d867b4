import ArgumentParser
import Strata
import StrataCLIKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
import StrataLabels
#endif

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write metric series as OpenMetrics text.",
        discussion: """
            The selector is a PromQL series selector. 'strata ingest' of the output gives back every
            sample bit-exactly (non-canonical NaNs such as the stale marker are written as
            NaN(0x7ff0000000000002), which only Strata reads).

            Examples:
              strata export ./db '{__name__=~"node_load.*"}' > load.om
              strata export ./db 'node_cpu_seconds_total{mode="idle"}' --start now-1h --end now
            """)

    @Argument(help: "The database directory.") var db: String
    @Argument(help: "A series selector, e.g. 'up{job=\"node\"}'.") var selector: String
    @Option(help: "Start time (RFC 3339, Unix seconds, now-1h). Default: the beginning.") var start: String?
    @Option(help: "End time. Default: the end.") var end: String?

    func run() throws {
        let matchers: [LabelMatcher]
        do { matchers = try SeriesSelector.parse(selector) } catch {
            throw CLIFailure.problem("\(error)")
        }
        let from = try parseTime(start, flag: "--start", default: .min)
        let through = try parseTime(end, flag: "--end", default: .max)
        let db = try openDatabase(self.db, readOnly: true)
        defer { try? db.close() }
        let set: SeriesSet
        do { set = try db.metrics.select(matchers, from: from, through: through) } catch {
            throw CLIFailure.problem("\(error)")
        }
        var out = OutputBuffer()
        for s in set.series {
            let prefix = OpenMetricsExport.formatSeries(s.labels) + " "
            var it = s.makeIterator()
            do {
                while let sample = try it.next() {
                    out.write(prefix)
                    out.write(OpenMetricsExport.formatValue(sample.value))
                    out.write(" ")
                    out.write(OpenMetricsExport.formatTimestamp(sample.timestamp))
                    out.write("\n")
                }
            } catch {
                out.flush()
                throw CLIFailure.problem("\(error)")
            }
        }
        out.write("# EOF\n")
        out.flush()
    }
}

/// Buffered stdout.
struct OutputBuffer {
    private var buf: [UInt8] = []
    init() { buf.reserveCapacity(1 << 16) }
    mutating func write(_ s: String) {
        var s = s
        s.withUTF8 { buf.append(contentsOf: $0) }
        if buf.count >= 1 << 16 { flush() }
    }
    mutating func flush() {
        guard !buf.isEmpty else { return }
        buf.withUnsafeBytes { writeStdout($0) }
        buf.removeAll(keepingCapacity: true)
    }
}
