import StrataIngest
import StrataTraces

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One problem in an osprofiler input file: where (1-based line and column, byte offset) and what.
public struct TraceInputProblem: Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var column: Int
    public var offset: Int
    public var message: String
    public var description: String { "\(path):\(line):\(column): \(message) (byte \(offset))" }
}

/// What ingesting one osprofiler file did.
public struct TraceFileReport: Sendable {
    public var path: String
    public var bytesRead = 0
    /// Events parsed and appended.
    public var events = 0
    /// Values refused (malformed JSON, missing or bad ids, bad timestamps, bad names).
    public var rejected = 0
    /// The first problems (at most `TraceFileIngester.maxListed`).
    public var problems: [TraceInputProblem] = []
}

/// Streams osprofiler JSON files (event lines, arrays, `trace show --json` reports) into a `TraceStore`.
///
/// Events are appended as they are read; pairing starts with stops happens in the store, so
/// a trace may be spread over several files. Call `TraceStore.flush(closingOpenSpans:)` when
/// the last file is in.
public struct TraceFileIngester {
    /// Problems listed per file; the rest are only counted.
    public static let maxListed = 1000
    /// Called with the bytes read so far, for progress displays.
    public var progress: ((Int) -> Void)?

    public init() {}

    /// True when `head` (the first bytes of a file) looks like osprofiler JSON.
    public static func looksLikeOsprofiler(head: [UInt8]) -> Bool {
        let text = String(decoding: head.prefix(16384), as: UTF8.self)
        guard let first = text.first(where: { !$0.isWhitespace }), first == "{" || first == "[" else { return false }
        return text.contains("\"trace_id\"") && (text.contains("\"base_id\"") || text.contains("meta.raw_payload"))
    }

    /// Reads `path` and appends its events to `store`.
    /// - Throws: `IngestError.read` when the file cannot be read, `.traces` when the store refuses a write.
    public func ingest(path: String, into store: TraceStore) throws(IngestError) -> TraceFileReport {
        var report = TraceFileReport(path: path)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IngestError.read(.io(operation: "open", path: path, offset: nil, errno: errno)) }
        defer { close(fd) }
        var parser = OsprofilerParser()
        var buffer = [UInt8](repeating: 0, count: 8 << 20)
        var filled = 0
        var fileOffset = 0  // file offset of buffer[0]
        var lines = 0  // newlines before buffer[0]
        var lastNewline = -1  // file offset of the last newline before buffer[0]
        var batch = SpanEventBatch()
        var eof = false
        while !eof || filled > 0 {
            if !eof {
                if filled == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
                let n = buffer.withUnsafeMutableBytes { b in read(fd, b.baseAddress! + filled, b.count - filled) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw IngestError.read(.io(operation: "read", path: path, offset: report.bytesRead, errno: errno))
                }
                if n == 0 { eof = true }
                filled += n
                report.bytesRead += n
                progress?(report.bytesRead)
            }
            var problems: [OsprofilerProblem] = []
            let used = buffer.withUnsafeBytes { b in
                parser.parse(
                    UnsafeRawBufferPointer(rebasing: b[0..<filled]), final: eof, into: &batch,
                    onProblem: { problems.append($0) })
            }
            if !batch.isEmpty {
                do { try store.append(batch) } catch { throw .traces(error) }
                report.events += batch.count
                batch.removeAll()
            }
            report.rejected += problems.count
            // Line numbers: count newlines up to each problem, then over the consumed bytes.
            var scanned = 0
            var lineCount = lines
            var last = lastNewline
            func advance(to end: Int) {
                buffer.withUnsafeBytes { b in
                    var i = scanned
                    while i < end {
                        if b[i] == 0x0A {
                            lineCount += 1
                            last = fileOffset + i
                        }
                        i += 1
                    }
                }
                scanned = max(scanned, end)
            }
            for p in problems where report.problems.count < Self.maxListed {
                advance(to: min(p.offset, filled))
                let at = fileOffset + p.offset
                report.problems.append(
                    TraceInputProblem(path: path, line: lineCount + 1, column: at - last, offset: at, message: p.message))
            }
            advance(to: used)
            lines = lineCount
            lastNewline = last
            if used > 0 {
                buffer.withUnsafeMutableBytes { b in
                    if used < filled { b.baseAddress!.copyMemory(from: b.baseAddress! + used, byteCount: filled - used) }
                }
                filled -= used
                fileOffset += used
            } else if eof {
                break
            }
        }
        return report
    }
}
