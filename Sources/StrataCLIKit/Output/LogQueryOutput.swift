import StrataLabels
import StrataLogs
import StrataMetrics

/// Renders log query results: Loki's `/loki/api/v1/query_range` JSON for streams, and text lines
/// for terminals and pipes.
package enum LogQueryOutput {
    /// The body Loki returns for a streams result:
    /// `{"status":"success","data":{"resultType":"streams","result":[{"stream":{...},"values":[["<ns>","<line>"],...]}],"stats":{"summary":{...}}}}`.
    /// Streams appear in the order of their first hit; values keep the hits' order (newest first
    /// for a backward query). Stats carry Loki's summary keys only. Invalid UTF-8 is shown as U+FFFD.
    /// - Parameter categorized: Loki 3's `categorize-labels` encoding (asked for with the header
    ///   `X-Loki-Response-Encoding-Flags: categorize-labels`): each value carries a third element,
    ///   `{"structuredMetadata":{...}}`, with the record's fields, and `data` says
    ///   `"encodingFlags":["categorize-labels"]`.
    package static func lokiStreamsJSON(_ result: LogSearchResult, execSeconds: Double, categorized: Bool = false) -> String {
        var order: [Labels] = []
        var values: [Labels: [LogRecord]] = [:]
        var bytes = 0
        for h in result.hits {
            if values[h.record.stream] == nil { order.append(h.record.stream) }
            values[h.record.stream, default: []].append(h.record)
            bytes += h.record.line.count
        }
        var out = #"{"status":"success","data":{"resultType":"streams","result":["#
        for (i, stream) in order.enumerated() {
            if i > 0 { out += "," }
            out += #"{"stream":"# + QueryOutput.jsonLabels(stream) + #","values":["#
            for (k, r) in values[stream, default: []].enumerated() {
                if k > 0 { out += "," }
                out += "[\"\(r.timestamp)\"," + QueryOutput.jsonString(String(decoding: r.line, as: UTF8.self))
                if categorized {
                    out += ",{"
                    if !r.fields.isEmpty {
                        out += "\"structuredMetadata\":{"
                        out += r.fields.map { QueryOutput.jsonString($0.name) + ":" + QueryOutput.jsonString($0.value) }.joined(separator: ",")
                        out += "}"
                    }
                    out += "}"
                }
                out += "]"
            }
            out += "]}"
        }
        let lines = result.hits.count
        let secs = max(execSeconds, 1e-9)
        out += "]"
        if categorized { out += #","encodingFlags":["categorize-labels"]"# }
        out += #","stats":{"summary":{"#
        out += "\"bytesProcessedPerSecond\":\(Int(Double(bytes) / secs)),\"linesProcessedPerSecond\":\(Int(Double(lines) / secs)),"
        out += "\"totalBytesProcessed\":\(bytes),\"totalLinesProcessed\":\(lines),\"execTime\":\(execSeconds),"
        out += "\"totalEntriesReturned\":\(lines)}}}}"
        return out
    }

    /// One record as a text line: `2019-11-19T21:00:04.500Z {host="wally113", ...} <line>`.
    /// With `highlight`, the parts of the line that the `|=` literals and `|~` regexes matched are
    /// shown in bold red (ANSI escapes: use only on a terminal). A regex that Swift's `Regex` cannot
    /// compile (the store reads POSIX ERE) is left unhighlighted.
    package static func text(_ record: LogRecord, highlight: [LineFilter] = []) -> String {
        var line = String(decoding: record.line, as: UTF8.self)
        if !highlight.isEmpty { line = highlighted(line, highlight) }
        return formatTimestamp(record.timestamp) + " " + record.stream.description + " " + line
    }

    /// RFC 3339 UTC with milliseconds, and nanoseconds when the time has any below the millisecond.
    package static func formatTimestamp(_ ns: Int64) -> String {
        let ms = ns >= 0 ? ns / 1_000_000 : (ns - 999_999) / 1_000_000
        let base = TimeSpec.formatRFC3339(ms)  // ...SS.mmmZ or ...SSZ
        let sub = ns - ms * 1_000_000
        var digits = String(sub)
        digits = String(repeating: "0", count: 6 - digits.count) + digits
        let stem = base.hasSuffix("Z") ? String(base.dropLast()) : base
        let withMillis = stem.contains(".") ? stem : stem + ".000"
        return withMillis + (sub == 0 ? "" : digits) + "Z"
    }

    /// Wraps each occurrence of the `|=` literals (case-insensitive ones too) and `|~` regex matches
    /// in ANSI bold red.
    static func highlighted(_ line: String, _ filters: [LineFilter]) -> String {
        let literals = filters.filter { $0.op == .contains && !$0.pattern.isEmpty }
        let regexes = filters.filter { $0.op == .matches && !$0.pattern.isEmpty }
        guard !literals.isEmpty || !regexes.isEmpty else { return line }
        let bytes = Array(line.utf8)
        var marked = [Bool](repeating: false, count: bytes.count)
        for f in regexes {
            guard let regex = try? Regex(f.pattern) else { continue }
            for r in line.ranges(of: regex) where !r.isEmpty {
                let a = line.utf8.distance(from: line.startIndex, to: r.lowerBound)
                let b = line.utf8.distance(from: line.startIndex, to: r.upperBound)
                for k in a..<min(b, bytes.count) { marked[k] = true }
            }
        }
        for f in literals {
            let needle = Array(f.pattern.utf8)
            guard needle.count <= bytes.count else { continue }
            let fold: (UInt8) -> UInt8 = f.caseInsensitive ? { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 } : { $0 }
            let n = needle.map(fold)
            var i = 0
            while i + n.count <= bytes.count {
                var ok = true
                for k in 0..<n.count where fold(bytes[i + k]) != n[k] {
                    ok = false
                    break
                }
                if ok {
                    for k in i..<(i + n.count) { marked[k] = true }
                    i += n.count
                } else {
                    i += 1
                }
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 32)
        var on = false
        for (i, b) in bytes.enumerated() {
            if marked[i] != on {
                out += Array((marked[i] ? "\u{1B}[1;31m" : "\u{1B}[0m").utf8)
                on = marked[i]
            }
            out.append(b)
        }
        if on { out += Array("\u{1B}[0m".utf8) }
        return String(decoding: out, as: UTF8.self)
    }
}
