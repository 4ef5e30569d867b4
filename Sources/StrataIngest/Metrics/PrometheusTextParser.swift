import StrataLabels
import StrataMetrics

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A streaming parser of the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text.
///
/// Every sample line `name{label="value",...} value [timestamp] [# exemplar]` becomes one sample
/// of the series named by its metric name and labels; `_bucket`, `_sum`, `_count`, `_created`,
/// `_total`, `_info` and stateset samples are kept as the plain series Prometheus stores.
/// `# HELP`, `# TYPE`, `# UNIT` and comments produce no samples; `# TYPE` sets the family whose
/// `le` (histogram) or `quantile` (summary) label values are normalised as Prometheus 3 does
/// (`1` -> `1.0`). Exemplars are skipped.
///
/// Timestamps: Prometheus text writes integer milliseconds; OpenMetrics writes seconds, possibly
/// fractional (`1520879607.789`), converted here to milliseconds exactly (extra digits truncated
/// toward zero). A sample without a timestamp gets `defaultTimestamp`.
///
/// A malformed line becomes a `RejectedLine` (line number, what was expected at which column,
/// the text) and parsing continues with the next line. In OpenMetrics, lines after `# EOF` are
/// rejected, and input that ends without `# EOF` adds a rejection numbered one past the last line.
///
/// A series seen before is found by its raw bytes (`name{...}` as written) without building its
/// labels again, so steady-state parsing allocates nothing per line.
public struct PrometheusTextParser: MetricTextParser {
    /// Which dialect the input is written in.
    public enum Format: Sendable, Equatable {
        /// Decide from the first lines (up to `sniffLines`): OpenMetrics if they contain `# EOF`,
        /// `# UNIT`, an OpenMetrics-only type (info, stateset, gaugehistogram, unknown), a counter
        /// family `x` with samples named `x_total`, or a timestamp with a fraction or exponent;
        /// otherwise Prometheus text. Until it has decided, `parse` consumes nothing and returns 0
        /// (it waits for `sniffLines` whole lines or the final chunk), so the decision does not
        /// depend on where the caller cut the input.
        case automatic
        /// Prometheus text exposition 0.0.4 (integer millisecond timestamps).
        case prometheus
        /// OpenMetrics 1.0 text (timestamps in seconds, `# EOF` ends the input).
        case openMetrics
    }

    /// How many lines automatic detection looks at before settling on Prometheus text.
    public static let sniffLines = 2000

    /// The timestamp of samples written without one, Unix milliseconds.
    public var defaultTimestamp: Int64
    /// The dialect: as given, or after automatic detection has decided, `.prometheus` or `.openMetrics`.
    public private(set) var format: Format
    /// Lines read so far.
    public private(set) var linesRead = 0
    /// Distinct series seen so far (the next new series gets this index).
    public var seriesCount: Int { labelsOfSeries.count }

    private var cache = RawSeriesCache()
    private var indexOfLabels: [Labels: Int32] = [:]
    private var labelsOfSeries: [Labels] = []
    private var family: [UInt8] = []
    private var familyType: FamilyType = .untyped
    private var sawEOF = false
    private var finished = false

    enum FamilyType: Equatable {
        case counter, gauge, histogram, gaugehistogram, summary, untyped, unknown, info, stateset
    }

    /// A parser.
    /// - Parameters:
    ///   - format: The dialect, or `.automatic` to detect it.
    ///   - defaultTimestamp: Unix milliseconds for samples written without a timestamp.
    public init(format: Format = .automatic, defaultTimestamp: Int64) {
        self.format = format
        self.defaultTimestamp = defaultTimestamp
    }

    /// The labels of the series with dense index `index` (0 ..< seriesCount).
    public func labels(ofSeries index: Int) -> Labels { labelsOfSeries[index] }

    public mutating func parse(_ data: UnsafeRawBufferPointer, isFinal: Bool, into batch: inout ParsedMetricBatch)
        -> Int
    {
        let count = data.count
        guard let raw = data.baseAddress, count > 0 else {
            if isFinal { finish(&batch) }
            return 0
        }
        let base = raw.assumingMemoryBound(to: UInt8.self)
        if format == .automatic {
            guard let detected = sniff(base, count, isFinal: isFinal) else { return 0 }
            format = detected
        }
        var pos = 0
        while pos < count {
            var lineEnd = count
            var next = count
            if let nl = memchr(base + pos, 0x0A, count &- pos) {
                lineEnd = UnsafeRawPointer(nl) - raw
                next = lineEnd &+ 1
            } else if !isFinal {
                break
            }
            linesRead &+= 1
            var end = lineEnd
            if end > pos && base[end &- 1] == 0x0D { end &-= 1 }
            parseLine(base + pos, end &- pos, &batch)
            pos = next
        }
        if isFinal { finish(&batch) }
        return pos
    }

    private mutating func finish(_ batch: inout ParsedMetricBatch) {
        if finished { return }
        finished = true
        if format == .openMetrics && !sawEOF {
            batch.rejected.append(
                RejectedLine(line: linesRead + 1, reason: "OpenMetrics input does not end with \"# EOF\"", text: "")
            )
        }
    }

    // MARK: - Lines

    @inline(__always)
    private mutating func parseLine(_ p: UnsafePointer<UInt8>, _ n: Int, _ batch: inout ParsedMetricBatch) {
        var i = 0
        while i < n && (p[i] == 0x20 || p[i] == 0x09) { i &+= 1 }
        if i == n { return }  // blank line
        if sawEOF {
            reject(p, n, "unexpected content after \"# EOF\"", &batch)
            return
        }
        if p[i] == UInt8(ascii: "#") {
            parseComment(p, n, from: i, &batch)
        } else {
            parseSample(p, n, from: i, &batch)
        }
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

    @inline(__always)
    private mutating func parseSample(
        _ p: UnsafePointer<UInt8>,
        _ n: Int,
        from start: Int,
        _ batch: inout ParsedMetricBatch
    ) {
        var i = start
        guard TextBytes.isMetricNameStart(p[i]) else {
            reject(p, n, "expected a metric name at column \(i + 1)", &batch)
            return
        }
        while i < n && TextBytes.isMetricNameChar(p[i]) { i &+= 1 }
        let nameEnd = i
        while i < n && (p[i] == 0x20 || p[i] == 0x09) { i &+= 1 }
        var seriesEnd = nameEnd
        if i < n && p[i] == UInt8(ascii: "{") {
            guard let close = TextBytes.closingBrace(p, n, from: i) else {
                // Build the labels only to name the error precisely.
                if case .failure(let reason) = buildLabels(p, n, start: start, nameEnd: nameEnd, seriesEnd: n) {
                    reject(p, n, reason, &batch)
                } else {
                    reject(p, n, "expected '}' to close the label set opened at column \(i + 1)", &batch)
                }
                return
            }
            seriesEnd = close &+ 1
        }
        i = seriesEnd
        // Value.
        guard i < n && (p[i] == 0x20 || p[i] == 0x09) else {
            if i < n {
                reject(p, n, "expected a space before the value at column \(i + 1)", &batch)
            } else {
                reject(p, n, "expected a value at column \(i + 1)", &batch)
            }
            return
        }
        while i < n && (p[i] == 0x20 || p[i] == 0x09) { i &+= 1 }
        let valueStart = i
        while i < n && p[i] != 0x20 && p[i] != 0x09 { i &+= 1 }
        if valueStart == i {
            reject(p, n, "expected a value at column \(i + 1)", &batch)
            return
        }
        guard let value = NumberParsing.parseFloat(p + valueStart, i &- valueStart) else {
            let token = String(
                decoding: UnsafeBufferPointer(start: p + valueStart, count: i &- valueStart),
                as: UTF8.self
            )
            reject(p, n, "expected a float value at column \(valueStart + 1), found \"\(token)\"", &batch)
            return
        }
        // Optional timestamp, then an optional exemplar.
        var timestamp = defaultTimestamp
        while i < n && (p[i] == 0x20 || p[i] == 0x09) { i &+= 1 }
        if i < n && p[i] != UInt8(ascii: "#") {
            let tsStart = i
            while i < n && p[i] != 0x20 && p[i] != 0x09 { i &+= 1 }
            let parsed =
                format == .openMetrics
                ? NumberParsing.parseSecondsAsMilliseconds(p + tsStart, i &- tsStart)
                : NumberParsing.parseInt64(p + tsStart, i &- tsStart)
            guard let ts = parsed else {
                let token = String(
                    decoding: UnsafeBufferPointer(start: p + tsStart, count: i &- tsStart),
                    as: UTF8.self
                )
                let what = format == .openMetrics ? "a timestamp in seconds" : "an integer timestamp in milliseconds"
                reject(p, n, "expected \(what) at column \(tsStart + 1), found \"\(token)\"", &batch)
                return
            }
            timestamp = ts
            while i < n && (p[i] == 0x20 || p[i] == 0x09) { i &+= 1 }
        }
        if i < n && p[i] != UInt8(ascii: "#") {
            reject(p, n, "expected an end of line or an exemplar ('#') at column \(i + 1)", &batch)
            return
        }
        // Series: the raw bytes `name{...}` identify it.
        let keyLength = seriesEnd &- start
        let key = p + start
        let h = RawSeriesCache.hash(key, keyLength)
        let series: Int32
        if let known = cache.find(key, keyLength, hash: h) {
            series = known
        } else {
            switch buildLabels(p, n, start: start, nameEnd: nameEnd, seriesEnd: seriesEnd) {
            case .failure(let reason):
                reject(p, n, reason, &batch)
                return
            case .success(let labels):
                if let existing = indexOfLabels[labels] {
                    series = existing
                } else {
                    series = Int32(labelsOfSeries.count)
                    labelsOfSeries.append(labels)
                    indexOfLabels[labels] = series
                    batch.newSeries.append((index: Int(series), labels: labels))
                }
                cache.insert(key, keyLength, hash: h, series: series)
            }
        }
        batch.append(series: series, timestamp: timestamp, value: value)
    }

    enum LabelsResult {
        case success(Labels)
        case failure(String)
    }

    /// Parses and validates `name{...}` in full; only for series not seen before.
    private func buildLabels(_ p: UnsafePointer<UInt8>, _ n: Int, start: Int, nameEnd: Int, seriesEnd: Int)
        -> LabelsResult
    {
        let name = String(decoding: UnsafeBufferPointer(start: p + start, count: nameEnd - start), as: UTF8.self)
        var labels = [Label("__name__", name)]
        var i = nameEnd
        while i < seriesEnd && (p[i] == 0x20 || p[i] == 0x09) { i += 1 }
        let belongsToFamily = family.count <= nameEnd - start && memoryEqual(p + start, family, family.count)
        if i < seriesEnd && p[i] == UInt8(ascii: "{") {
            i += 1
            var value: [UInt8] = []
            while true {
                while i < seriesEnd && (p[i] == 0x20 || p[i] == 0x09) { i += 1 }
                if i < seriesEnd && p[i] == UInt8(ascii: "}") { break }
                guard i < seriesEnd, TextBytes.isLabelNameStart(p[i]) else {
                    return .failure("expected a label name or '}' at column \(i + 1)")
                }
                let labelStart = i
                while i < seriesEnd && TextBytes.isLabelNameChar(p[i]) { i += 1 }
                let labelName = String(
                    decoding: UnsafeBufferPointer(start: p + labelStart, count: i - labelStart),
                    as: UTF8.self
                )
                while i < seriesEnd && (p[i] == 0x20 || p[i] == 0x09) { i += 1 }
                guard i < seriesEnd, p[i] == UInt8(ascii: "=") else {
                    return .failure("expected '=' after label name \"\(labelName)\" at column \(i + 1)")
                }
                i += 1
                while i < seriesEnd && (p[i] == 0x20 || p[i] == 0x09) { i += 1 }
                guard i < seriesEnd, p[i] == UInt8(ascii: "\"") else {
                    return .failure("expected '\"' to open the value of label \"\(labelName)\" at column \(i + 1)")
                }
                let valueStart = i
                i += 1
                value.removeAll(keepingCapacity: true)
                var closed = false
                while i < seriesEnd {
                    let c = p[i]
                    if c == UInt8(ascii: "\"") {
                        closed = true
                        i += 1
                        break
                    }
                    if c == UInt8(ascii: "\\") && i + 1 < seriesEnd {
                        let e = p[i + 1]
                        switch e {
                        case UInt8(ascii: "\\"): value.append(e)
                        case UInt8(ascii: "\""): value.append(e)
                        case UInt8(ascii: "n"): value.append(0x0A)
                        default: value.append(c); value.append(e)  // kept as written, as Prometheus does
                        }
                        i += 2
                        continue
                    }
                    value.append(c)
                    i += 1
                }
                guard closed else {
                    return .failure(
                        "expected '\"' to close the value of label \"\(labelName)\" opened at column \(valueStart + 1)"
                    )
                }
                guard var text = String(validating: value, as: UTF8.self) else {
                    return .failure(
                        "the value of label \"\(labelName)\" at column \(valueStart + 1) is not valid UTF-8"
                    )
                }
                if belongsToFamily
                    && ((familyType == .histogram && labelName == "le")
                        || (familyType == .summary && labelName == "quantile")),
                    let f = value.withUnsafeBufferPointer({ NumberParsing.parseFloat($0.baseAddress!, $0.count) })
                {
                    text = OpenMetricsFloatFormat.format(f)
                }
                labels.append(Label(labelName, text))
                while i < seriesEnd && (p[i] == 0x20 || p[i] == 0x09) { i += 1 }
                if i < seriesEnd && p[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if i < seriesEnd && p[i] == UInt8(ascii: "}") { break }
                return .failure("expected ',' or '}' after the value of label \"\(labelName)\" at column \(i + 1)")
            }
        }
        labels.sort()
        for k in 1..<labels.count where labels[k].name == labels[k - 1].name {
            return .failure("duplicate label name \"\(labels[k].name)\"")
        }
        labels.removeAll { $0.value.isEmpty }
        return .success(Labels(sorted: labels))
    }

    // MARK: - Comments

    private mutating func parseComment(
        _ p: UnsafePointer<UInt8>,
        _ n: Int,
        from start: Int,
        _ batch: inout ParsedMetricBatch
    ) {
        var i = start + 1
        guard let keyword = TextBytes.token(p, n, &i) else { return }  // a lone '#'
        let kw = UnsafeBufferPointer(start: p + keyword.lowerBound, count: keyword.count)
        if kw.elementsEqual("EOF".utf8) {
            if format == .openMetrics {
                if TextBytes.token(p, n, &i) != nil {
                    reject(p, n, "expected nothing after \"# EOF\"", &batch)
                    return
                }
                sawEOF = true
            }
            return
        }
        let isHelp = kw.elementsEqual("HELP".utf8)
        let isType = kw.elementsEqual("TYPE".utf8)
        let isUnit = kw.elementsEqual("UNIT".utf8)
        guard isHelp || isType || isUnit else { return }  // an ordinary comment
        let keywordText = String(decoding: kw, as: UTF8.self)
        guard let name = TextBytes.token(p, n, &i) else {
            reject(p, n, "expected a metric name after \"# \(keywordText)\" at column \(i + 1)", &batch)
            return
        }
        guard TextBytes.isMetricName(p + name.lowerBound, name.count) else {
            reject(
                p,
                n,
                "expected a valid metric name after \"# \(keywordText)\" at column \(name.lowerBound + 1)",
                &batch
            )
            return
        }
        if isType {
            guard let typeRange = TextBytes.token(p, n, &i) else {
                reject(p, n, "expected a metric type at column \(i + 1)", &batch)
                return
            }
            let typeText = String(
                decoding: UnsafeBufferPointer(start: p + typeRange.lowerBound, count: typeRange.count),
                as: UTF8.self
            )
            guard let type = Self.familyType(typeText, openMetrics: format == .openMetrics) else {
                reject(p, n, "unknown metric type \"\(typeText)\" at column \(typeRange.lowerBound + 1)", &batch)
                return
            }
            if TextBytes.token(p, n, &i) != nil {
                reject(p, n, "expected an end of line after the metric type at column \(i + 1)", &batch)
                return
            }
            family = Array(UnsafeBufferPointer(start: p + name.lowerBound, count: name.count))
            familyType = type
        } else if String(validating: UnsafeBufferPointer(start: p, count: n), as: UTF8.self) == nil {
            reject(p, n, "the \(keywordText) text is not valid UTF-8", &batch)
        }
    }

    static func familyType(_ s: String, openMetrics: Bool) -> FamilyType? {
        switch s {
        case "counter": .counter
        case "gauge": .gauge
        case "histogram": .histogram
        case "summary": .summary
        case "untyped": .untyped
        case "unknown": .unknown
        case "gaugehistogram": .gaugehistogram
        case "info": .info
        case "stateset": .stateset
        default: nil
        }
    }

    // MARK: - Detection

    /// Decides the dialect from the whole lines of `p`; nil when more input is needed.
    private func sniff(_ p: UnsafePointer<UInt8>, _ count: Int, isFinal: Bool) -> Format? {
        var counters: [[UInt8]] = []
        var pos = 0
        var lines = 0
        while pos < count && lines < Self.sniffLines {
            var end = count
            var next = count
            if let nl = memchr(p + pos, 0x0A, count - pos) {
                end = UnsafePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - p
                next = end + 1
            } else if !isFinal {
                return nil
            }
            lines += 1
            let line = p + pos
            let n = end - pos
            pos = next
            var i = 0
            guard let first = TextBytes.token(line, n, &i) else { continue }
            if line[first.lowerBound] == UInt8(ascii: "#") {
                if first.count > 1 { continue }
                guard let kw = TextBytes.token(line, n, &i) else { continue }
                let k = UnsafeBufferPointer(start: line + kw.lowerBound, count: kw.count)
                if k.elementsEqual("EOF".utf8) || k.elementsEqual("UNIT".utf8) { return .openMetrics }
                guard k.elementsEqual("TYPE".utf8), let name = TextBytes.token(line, n, &i),
                    let type = TextBytes.token(line, n, &i)
                else { continue }
                let t = String(
                    decoding: UnsafeBufferPointer(start: line + type.lowerBound, count: type.count),
                    as: UTF8.self
                )
                switch t {
                case "info", "stateset", "gaugehistogram", "unknown": return .openMetrics
                case "counter":
                    counters.append(
                        Array(UnsafeBufferPointer(start: line + name.lowerBound, count: name.count))
                            + Array("_total".utf8)
                    )
                default: break
                }
                continue
            }
            // A sample: its name, then value and timestamp tokens after the label set.
            var j = first.lowerBound
            while j < n && TextBytes.isMetricNameChar(line[j]) { j += 1 }
            let name = Array(UnsafeBufferPointer(start: line + first.lowerBound, count: j - first.lowerBound))
            if counters.contains(name) { return .openMetrics }
            while j < n && (line[j] == 0x20 || line[j] == 0x09) { j += 1 }
            if j < n && line[j] == UInt8(ascii: "{") {
                guard let close = TextBytes.closingBrace(line, n, from: j) else { continue }
                j = close + 1
            }
            guard TextBytes.token(line, n, &j) != nil, let ts = TextBytes.token(line, n, &j) else { continue }
            for k in ts where line[k] == UInt8(ascii: ".") || line[k] | 0x20 == UInt8(ascii: "e") {
                if line[ts.lowerBound] != UInt8(ascii: "#") { return .openMetrics }
            }
        }
        if isFinal || lines >= Self.sniffLines { return .prometheus }
        return nil
    }
}
