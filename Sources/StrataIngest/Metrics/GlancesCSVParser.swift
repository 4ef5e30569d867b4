import StrataLabels
import StrataMetrics

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A streaming parser of the CSV files Glances writes (`glances --export csv`).
///
/// The first line is the header: one column holds the time (`now` or `timestamp`), every other
/// column becomes the series `glances_<column>{host="<host>"}` with characters outside
/// `[a-zA-Z0-9_:]` replaced by `_` (`cpu.user` -> `glances_cpu_user`). Columns may come in any
/// order. A column whose first non-empty cell is not a number (say `system.hostname`) is a text
/// column and is ignored; in a numeric column a non-numeric cell rejects the whole line. Empty
/// cells are skipped.
///
/// Times look like `2019-10-11 21:11:16 CEST` (also `T` between date and time, fractional
/// seconds, `Z`, `+0200`, `+02:00`, `UTC+2`) or are Unix seconds. A zone abbreviation is taken
/// at face value (CEST is +02:00); `zoneOverride` replaces whatever zone a line names, for files
/// whose zone is wrong or missing. An unknown or missing zone rejects the line.
///
/// Glances prints times to the second but may refresh faster, so consecutive rows can share a
/// second with different values (the seed testbed's file has thousands). Rather than lose those
/// measurements as duplicate timestamps, the k-th extra row within one second is placed at
/// `1000 - 1000 >> k` ms into it (+500, +750, +875, ... ms), keeping rows in file order.
public struct GlancesCSVParser: MetricTextParser {
    /// The value of the `host` label of every series.
    public let host: String
    /// Seconds east of UTC used for every line instead of the zone it names, or nil.
    public let zoneOverride: Int?
    /// Lines read so far.
    public private(set) var linesRead = 0
    /// Distinct series created so far.
    public private(set) var seriesCount = 0

    private enum ColumnKind: Equatable { case time, undecided, numeric, text }
    private struct Column {
        var header: String
        var metricName: String
        var kind: ColumnKind
        var series: Int32 = -1
    }

    private var columns: [Column] = []
    private var timeColumn = -1
    private var headerLine = 0
    private var headerProblem: String?
    private var fields: [Range<Int>] = []
    private var scratch: [Double] = []
    /// The time the previous accepted row printed, and how many rows in a row printed it.
    private var previousRowTime = Int64.min
    private var rowsInSameSecond = 0

    /// A parser.
    /// - Parameters:
    ///   - host: The `host` label of every series (the CLI passes `--host` or derives it from the file name).
    ///   - zoneOverride: Seconds east of UTC to use instead of the zone written on each line.
    public init(host: String, zoneOverride: Int? = nil) {
        self.host = host
        self.zoneOverride = zoneOverride
    }

    /// The metric name of a Glances column: `glances_` plus the column name with characters
    /// outside `[a-zA-Z0-9_:]` replaced by `_`.
    public static func metricName(forColumn column: String) -> String {
        var out = "glances_"
        for b in column.utf8 {
            out.unicodeScalars.append(TextBytes.isMetricNameChar(b) ? Unicode.Scalar(b) : "_")
        }
        return out
    }

    public mutating func parse(_ data: UnsafeRawBufferPointer, isFinal: Bool, into batch: inout ParsedMetricBatch)
        -> Int
    {
        guard let raw = data.baseAddress, data.count > 0 else { return 0 }
        let base = raw.assumingMemoryBound(to: UInt8.self)
        let count = data.count
        var pos = 0
        while pos < count {
            var lineEnd = count
            var next = count
            if let nl = memchr(base + pos, 0x0A, count - pos) {
                lineEnd = UnsafeRawPointer(nl) - raw
                next = lineEnd + 1
            } else if !isFinal {
                break
            }
            linesRead += 1
            var end = lineEnd
            if end > pos && base[end - 1] == 0x0D { end -= 1 }
            parseLine(base + pos, end - pos, &batch)
            pos = next
        }
        return pos
    }

    private func reject(_ p: UnsafePointer<UInt8>, _ n: Int, _ reason: String, _ batch: inout ParsedMetricBatch) {
        batch.rejected.append(
            RejectedLine(
                line: linesRead,
                reason: reason,
                text: String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
            )
        )
    }

    private mutating func parseLine(_ p: UnsafePointer<UInt8>, _ n: Int, _ batch: inout ParsedMetricBatch) {
        if n == 0 { return }
        if let problem = splitFields(p, n) {
            reject(p, n, problem, &batch)
            return
        }
        if headerLine == 0 {
            headerLine = linesRead
            readHeader(p, n, &batch)
            return
        }
        if let headerProblem {
            reject(p, n, "no usable header: \(headerProblem) (line \(headerLine))", &batch)
            return
        }
        guard fields.count == columns.count else {
            reject(p, n, "expected \(columns.count) fields as in the header, found \(fields.count)", &batch)
            return
        }
        let tf = fields[timeColumn]
        var timestamp: Int64
        switch parseTime(p + tf.lowerBound, tf.count) {
        case .failure(let reason):
            reject(p, n, "\(reason) in field \(timeColumn + 1) at column \(tf.lowerBound + 1)", &batch)
            return
        case .success(let ms):
            timestamp = ms
        }
        // Validate every cell first so a rejected line adds nothing.
        scratch.removeAll(keepingCapacity: true)
        for (k, column) in columns.enumerated() {
            let f = fields[k]
            var v = Double.nan
            if column.kind != .time && column.kind != .text && !f.isEmpty {
                if let parsed = NumberParsing.parseFloat(p + f.lowerBound, f.count) {
                    v = parsed
                } else if column.kind == .numeric {
                    let cell = String(
                        decoding: UnsafeBufferPointer(start: p + f.lowerBound, count: f.count),
                        as: UTF8.self
                    )
                    reject(
                        p,
                        n,
                        "expected a number in column \"\(column.header)\" at column \(f.lowerBound + 1), "
                            + "found \"\(cell)\"",
                        &batch
                    )
                    return
                }
            }
            scratch.append(v)
        }
        if timestamp == previousRowTime {
            rowsInSameSecond += 1
            timestamp += 1000 - (1000 >> min(rowsInSameSecond, 10))
        } else {
            previousRowTime = timestamp
            rowsInSameSecond = 0
        }
        for k in columns.indices {
            let f = fields[k]
            guard columns[k].kind != .time && columns[k].kind != .text && !f.isEmpty else { continue }
            if columns[k].kind == .undecided {
                // The first non-empty cell decides whether the column holds numbers.
                let isNumber = NumberParsing.parseFloat(p + f.lowerBound, f.count) != nil
                columns[k].kind = isNumber ? .numeric : .text
                if !isNumber { continue }
            }
            if columns[k].series < 0 {
                columns[k].series = Int32(seriesCount)
                seriesCount += 1
                let labels = Labels(
                    sorted: [Label("__name__", columns[k].metricName), Label("host", host)].filter { !$0.value.isEmpty }
                )
                batch.newSeries.append((index: Int(columns[k].series), labels: labels))
            }
            batch.append(series: columns[k].series, timestamp: timestamp, value: scratch[k])
        }
    }

    private mutating func readHeader(_ p: UnsafePointer<UInt8>, _ n: Int, _ batch: inout ParsedMetricBatch) {
        for f in fields {
            let name = String(decoding: UnsafeBufferPointer(start: p + f.lowerBound, count: f.count), as: UTF8.self)
            let lower = name.lowercased()
            if timeColumn < 0 && (lower == "now" || lower == "timestamp") {
                timeColumn = columns.count
                columns.append(Column(header: name, metricName: "", kind: .time))
            } else {
                columns.append(Column(header: name, metricName: Self.metricName(forColumn: name), kind: .undecided))
            }
        }
        if timeColumn < 0 {
            headerProblem = "expected a time column named \"now\" or \"timestamp\""
            reject(p, n, headerProblem!, &batch)
        }
    }

    /// Splits a CSV line into field ranges (quoted fields: the text inside the quotes).
    private mutating func splitFields(_ p: UnsafePointer<UInt8>, _ n: Int) -> String? {
        fields.removeAll(keepingCapacity: true)
        var i = 0
        while true {
            if i < n && p[i] == UInt8(ascii: "\"") {
                let open = i
                i += 1
                let s = i
                while true {
                    guard i < n else { return "expected '\"' to close the field opened at column \(open + 1)" }
                    if p[i] == UInt8(ascii: "\"") {
                        if i + 1 < n && p[i + 1] == UInt8(ascii: "\"") {
                            i += 2
                            continue
                        }
                        break
                    }
                    i += 1
                }
                fields.append(s..<i)
                i += 1
                guard i >= n || p[i] == UInt8(ascii: ",") else {
                    return "expected ',' after the quoted field at column \(i + 1)"
                }
            } else {
                let s = i
                while i < n && p[i] != UInt8(ascii: ",") { i += 1 }
                fields.append(s..<i)
            }
            if i >= n { return nil }
            i += 1  // the comma
        }
    }

    enum TimeResult {
        case success(Int64)
        case failure(String)
    }

    /// `YYYY-MM-DD[ T]HH:MM:SS[.fff][ ][zone]` or Unix seconds, to Unix milliseconds.
    private func parseTime(_ p: UnsafePointer<UInt8>, _ n: Int) -> TimeResult {
        if n > 0, n < 5 || p[4] != UInt8(ascii: "-") {
            if let ms = NumberParsing.parseSecondsAsMilliseconds(p, n) { return .success(ms) }
        }
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= n else { return nil }
            var v = 0
            for k in at..<(at + count) {
                let d = p[k] &- 0x30
                if d >= 10 { return nil }
                v = v * 10 + Int(d)
            }
            return v
        }
        func at(_ i: Int, _ c: Character) -> Bool { i < n && p[i] == c.asciiValue! }
        guard let year = digits(0, 4), at(4, "-"), let month = digits(5, 2), at(7, "-"), let day = digits(8, 2),
            at(10, " ") || at(10, "T"), let hour = digits(11, 2), at(13, ":"), let minute = digits(14, 2), at(16, ":"),
            let second = digits(17, 2)
        else {
            return .failure("expected a time like \"2019-10-11 21:11:16 CEST\" or Unix seconds")
        }
        guard (1...12).contains(month), day >= 1, day <= TimeZoneAbbreviations.daysInMonth(year: year, month: month),
            hour < 24, minute < 60, second < 61
        else {
            return .failure("the date or time is out of range")
        }
        var i = 19
        var millis = 0
        if at(i, ".") || at(i, ",") {
            i += 1
            var scale = 100
            let s = i
            while i < n, p[i] &- 0x30 < 10 {
                millis += Int(p[i] &- 0x30) * scale
                scale /= 10
                i += 1
            }
            if i == s { return .failure("expected digits after the decimal point at column \(i + 1)") }
        }
        while i < n && p[i] == 0x20 { i += 1 }
        let offset: Int
        if let zoneOverride {
            offset = zoneOverride
        } else if i == n {
            return .failure("missing time zone (pass a zone override for files without one)")
        } else if let o = TimeZoneAbbreviations.offset(of: UnsafeBufferPointer(start: p + i, count: n - i)) {
            offset = o
        } else {
            let zone = String(decoding: UnsafeBufferPointer(start: p + i, count: n - i), as: UTF8.self)
            return .failure("unknown time zone \"\(zone)\"")
        }
        let days = TimeZoneAbbreviations.daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return .success(Int64(seconds) * 1000 + Int64(millis))
    }
}
