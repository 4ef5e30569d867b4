import StrataLabels
import StrataMetrics

/// The samples a `MetricTextParser` produced from one chunk of text.
///
/// Samples are stored column-wise: `seriesIndex[i]`, `timestamps[i]` and `values[i]` describe
/// sample `i`. A series index is dense and global for the life of the parser: the first series
/// the parser ever sees gets 0, the next new one 1, and so on. `newSeries` lists the series that
/// were first seen while filling this batch, so a caller keeps its own `index -> series` map.
///
/// ```swift
/// var parser = PrometheusTextParser(defaultTimestamp: now)
/// var batch = ParsedMetricBatch()
/// let used = bytes.withUnsafeBytes { parser.parse($0, isFinal: true, into: &batch) }
/// for (index, labels) in batch.newSeries { refs[index] = store.series(labels) }
/// ```
public struct ParsedMetricBatch: Sendable {
    /// Series first seen in this batch, with their global dense index.
    public var newSeries: [(index: Int, labels: Labels)]
    /// The series of each sample.
    public var seriesIndex: [Int32]
    /// The timestamp of each sample, Unix milliseconds.
    public var timestamps: [Int64]
    /// The value of each sample, bit-exact (NaN payloads, ±Inf).
    public var values: [Double]
    /// Lines that were refused, in input order.
    public var rejected: [RejectedLine]

    /// An empty batch.
    public init() {
        newSeries = []
        seriesIndex = []
        timestamps = []
        values = []
        rejected = []
    }

    /// The number of samples in the batch.
    @inlinable public var sampleCount: Int { values.count }

    /// Empties the batch, optionally keeping the arrays' storage for the next chunk.
    public mutating func removeAll(keepingCapacity: Bool) {
        newSeries.removeAll(keepingCapacity: keepingCapacity)
        seriesIndex.removeAll(keepingCapacity: keepingCapacity)
        timestamps.removeAll(keepingCapacity: keepingCapacity)
        values.removeAll(keepingCapacity: keepingCapacity)
        rejected.removeAll(keepingCapacity: keepingCapacity)
    }

    @inlinable
    mutating func append(series: Int32, timestamp: Int64, value: Double) {
        seriesIndex.append(series)
        timestamps.append(timestamp)
        values.append(value)
    }
}

/// A line a parser refused: where, why, and what it said.
///
/// `reason` says what was expected and at which column (1-based, counted in bytes), for example
/// `expected '=' after label name "job" at column 12`.
public struct RejectedLine: Sendable, Error, Equatable, CustomStringConvertible {
    /// The 1-based line number in the whole input (across chunks).
    public var line: Int
    /// What was wrong.
    public var reason: String
    /// The line as written (invalid UTF-8 shown with replacement characters).
    public var text: String

    public init(line: Int, reason: String, text: String) {
        self.line = line
        self.reason = reason
        self.text = text
    }

    public var description: String { "line \(line): \(reason): \(text)" }
}

/// A streaming parser of a metric text format.
///
/// The parser keeps its state (line numbers, series seen, metric families) across calls, so a
/// caller feeds a big file in chunks of a few megabytes:
///
/// ```swift
/// var pending = [UInt8]()          // unconsumed tail of the previous chunk + the next chunk
/// let used = pending.withUnsafeBytes { parser.parse($0, isFinal: atEOF, into: &batch) }
/// pending.removeFirst(used)
/// ```
public protocol MetricTextParser {
    /// Parses whole lines of `data` and appends their samples, new series and rejections to `batch`.
    ///
    /// - Parameters:
    ///   - data: The bytes to parse, starting at the beginning of a line.
    ///   - isFinal: True when `data` ends the input; the last line then needs no newline.
    ///   - batch: Receives the results (appended; not cleared).
    /// - Returns: The number of bytes consumed. Unless `isFinal`, this ends after the last `\n`
    ///   in `data`; the caller passes the rest again, followed by more input.
    mutating func parse(_ data: UnsafeRawBufferPointer, isFinal: Bool, into batch: inout ParsedMetricBatch) -> Int
}
