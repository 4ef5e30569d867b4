import StrataIngest
import StrataLabels
import StrataMetrics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A metric text format `ingest` understands.
public enum MetricFileFormat: String, Sendable, CaseIterable {
    case openmetrics, prometheus, glances
}

/// What ingesting one file did.
public struct FileIngestReport: Sendable {
    public var path: String
    public var format: MetricFileFormat
    public var bytesRead = 0
    public var samplesAccepted = 0
    /// Lines the parser refused (each listed in `rejectedLines`, at most 1,000 kept).
    public var linesRejected = 0
    /// Samples the store refused (out of window, conflicting duplicates).
    public var samplesRejected = 0
    public var duplicatesIgnored = 0
    public var rejectedLines: [RejectedLine] = []
    public var storeRejections: [AppendRejection] = []
    /// True when `strict` discarded the whole file because of a bad line.
    public var discarded = false
}

/// Streams metric text files into a `MetricStore`.
public struct MetricFileIngester {
    public var strict = false
    /// Host label for Glances files; nil derives it from the file name.
    public var host: String?
    /// The time given to samples that carry none, raw Unix milliseconds.
    public var defaultTimestamp: Int64
    /// Called with bytes read so far, for progress displays.
    public var progress: ((Int) -> Void)?

    /// An ingester that gives samples without a time of their own `defaultTime` (rounded down to
    /// the millisecond), usually `.now`.
    public init(defaultTime: Timestamp) { self.defaultTimestamp = defaultTime.milliseconds }

    /// An ingester with a raw Unix-milliseconds default time: the path inside the package.
    package init(defaultTimestamp: Int64) { self.defaultTimestamp = defaultTimestamp }

    /// Guesses the format from the file name and its first bytes.
    public static func detectFormat(path: String, head: [UInt8]) -> MetricFileFormat? {
        let text = String(decoding: head.prefix(4096), as: UTF8.self)
        let lower = path.lowercased()
        if lower.hasSuffix(".csv") || text.hasPrefix("now,") || text.contains(",cpu.user") { return .glances }
        if text.contains("# EOF") || lower.hasSuffix(".om") || text.contains("# UNIT ") { return .openmetrics }
        if text.contains("# TYPE ") || text.contains("# HELP ") { return .prometheus }
        if let first = text.split(separator: "\n").first(where: { !$0.hasPrefix("#") && !$0.isEmpty }),
            first.contains("{") || first.split(separator: " ").count >= 2,
            let c = first.first, c.isLetter || c == "_" || c == ":"
        {
            return .prometheus
        }
        return nil
    }

    /// Ingests one file. Without `strict`, good lines go in even when others are rejected;
    /// with it, a file with any bad line contributes nothing.
    /// - Throws: `IngestError.read` when the file cannot be read, `.metrics` when the store refuses a write.
    public func ingest(path: String, format: MetricFileFormat, into store: MetricStore) throws(IngestError) -> FileIngestReport {
        var report = FileIngestReport(path: path, format: format)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IngestError.read(.io(operation: "open", path: path, offset: nil, errno: errno)) }
        defer { close(fd) }

        var parser: any MetricTextParser
        switch format {
        case .openmetrics, .prometheus:
            parser = PrometheusTextParser(defaultTimestamp: defaultTimestamp)
        case .glances:
            parser = GlancesCSVParser(host: host ?? MetricFileIngester.hostFromFileName(path))
        }
        var refs: [SeriesRef?] = []
        var staged: [SampleBatch] = []
        var batch = ParsedMetricBatch()
        var buffer = [UInt8](repeating: 0, count: 4 << 20)
        var carry = 0
        var eof = false
        while !eof {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + carry, $0.count - carry) }
            if n < 0 { throw IngestError.read(.io(operation: "read", path: path, offset: report.bytesRead, errno: errno)) }
            if n == 0 { eof = true }
            report.bytesRead += n
            let filled = carry + n
            let consumed = buffer.withUnsafeBytes { parser.parse(UnsafeRawBufferPointer(rebasing: $0[0..<filled]), isFinal: eof, into: &batch) }
            carry = filled - consumed
            if carry > 0 {
                if consumed == 0 && carry == buffer.count {
                    buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count))  // a line longer than the buffer
                } else {
                    buffer.withUnsafeMutableBytes { b in
                        b.baseAddress!.copyMemory(from: b.baseAddress! + consumed, byteCount: carry)
                    }
                }
            }
            // Series first (so refs exist), then the samples.
            for (index, labels) in batch.newSeries {
                while refs.count <= index { refs.append(nil) }
                do { refs[index] = try store.seriesRef(for: labels) } catch { throw .metrics(error) }
            }
            var sb = SampleBatch(capacity: batch.seriesIndex.count)
            for i in 0..<batch.seriesIndex.count {
                let idx = Int(batch.seriesIndex[i])
                guard idx < refs.count, let ref = refs[idx] else {
                    throw IngestError.read(.invalidState(path: path, detail: "internal: the parser reported a sample before its series"))
                }
                sb.append(ref, milliseconds: batch.timestamps[i], batch.values[i])
            }
            report.linesRejected += batch.rejected.count
            for r in batch.rejected where report.rejectedLines.count < 1000 { report.rejectedLines.append(r) }
            if strict {
                if report.linesRejected == 0 { staged.append(sb) }
            } else if sb.count > 0 {
                do { record(try store.append(sb), into: &report) } catch { throw .metrics(error) }
            }
            batch.removeAll(keepingCapacity: true)
            progress?(report.bytesRead)
        }
        if strict {
            if report.linesRejected > 0 {
                report.discarded = true
            } else {
                for sb in staged {
                    do { record(try store.append(sb), into: &report) } catch { throw .metrics(error) }
                }
            }
        }
        return report
    }

    private func record(_ s: AppendSummary, into report: inout FileIngestReport) {
        report.samplesAccepted += s.accepted
        report.samplesRejected += s.rejected
        report.duplicatesIgnored += s.duplicatesIgnored
        for r in s.rejections where report.storeRejections.count < 1000 { report.storeRejections.append(r) }
    }

    /// `wally113_glances.csv` → `wally113`: the file name up to the first `_`, `.` or `-`.
    public static func hostFromFileName(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let stem = name.split(whereSeparator: { $0 == "." || $0 == "_" }).first.map(String.init) ?? name
        return stem.isEmpty ? "unknown" : stem
    }
}

/// Ingest could not read its input, or a store refused what it read. Every case names the file
/// or carries the store's error (which names the file and offset where there is one).
public enum IngestError: Error, CustomStringConvertible {
    /// The input file could not be opened or read (the call, the path and the errno).
    case read(StorageError)
    /// The file's format cannot be told from its first bytes.
    case unknownFormat(path: String)
    /// The metric store refused the data.
    case metrics(MetricStoreError)
    /// The log store refused the data.
    case logs(LogStoreError)
    /// The trace store refused the data.
    case traces(TraceStoreError)

    public var description: String {
        switch self {
        case .read(let e): e.description
        case .unknownFormat(let p): "\(p): cannot tell the format; pass --format"
        case .metrics(let e): e.description
        case .logs(let e): e.description
        case .traces(let e): e.description
        }
    }
}
