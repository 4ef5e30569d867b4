/// Reads osprofiler events from JSON bytes: one object per line (what the drivers store),
/// a JSON array of them, or the nested report of `osprofiler trace show --json` (events
/// are found under its `meta.raw_payload.<name>` members and `children`).
///
/// ```swift
/// var parser = OsprofilerParser()
/// let used = bytes.withUnsafeBytes { parser.parse($0, final: true, onEvent: { events.append($0) },
///                                                onProblem: { problems.append($0) }) }
/// ```
///
/// Bad input never stops the parse: a malformed line, an event without ids, with ids that
/// are not UUIDs or a timestamp out of range is reported with its byte offset and skipped;
/// everything else goes on.
public struct OsprofilerParser {
    /// Events parsed so far.
    public private(set) var eventCount = 0
    /// Problems reported so far.
    public private(set) var problemCount = 0
    var extra: [UInt8] = []

    public init() {}

    /// Parses complete values in `buffer` and returns how many bytes were consumed.
    ///
    /// Unless `final`, a value cut off by the end of the buffer is left unconsumed, so the
    /// caller can carry the remaining bytes into the next read. `[`, `]` and `,` between
    /// top-level values are skipped, so an array of events reads like a sequence of them.
    public mutating func parse(
        _ buffer: UnsafeRawBufferPointer, final: Bool, onEvent: (SpanEvent) -> Void,
        onProblem: (OsprofilerProblem) -> Void
    ) -> Int {
        var s = JSONScanner(buffer)
        while true {
            s.skipWhitespace()
            guard s.position < buffer.count else { return buffer.count }
            let c = buffer[s.position]
            if c == UInt8(ascii: "[") || c == UInt8(ascii: "]") || c == UInt8(ascii: ",") {
                s.position += 1
                continue
            }
            let start = s.position
            guard c == UInt8(ascii: "{") else {
                report(OsprofilerProblem(offset: start, message: "expected a JSON object (an osprofiler event or report)"), onProblem)
                s.position = JSONScanner.nextObjectLine(buffer, after: start)
                continue
            }
            do throws(JSONError) {
                try parseObject(&s, depth: 0, onEvent: onEvent, onProblem: onProblem)
            } catch {
                if error.kind == .truncated && !final { return start }
                // Named at the value's start (its line), with where inside it the reader gave up.
                let detail = error.offset > start ? " (\(error.offset - start) bytes into the value)" : ""
                report(OsprofilerProblem(offset: start, message: "malformed JSON: \(error.message)\(detail)"), onProblem)
                s.position = JSONScanner.nextObjectLine(buffer, after: start)
            }
        }
    }

    mutating func report(_ p: OsprofilerProblem, _ onProblem: (OsprofilerProblem) -> Void) {
        problemCount += 1
        onProblem(p)
    }

    /// Parses one object: an event if it has a top-level `name`, otherwise a container
    /// (a report node) whose `children` and `meta.raw_payload.*` members are walked.
    mutating func parseObject(
        _ s: inout JSONScanner, depth: Int, onEvent: (SpanEvent) -> Void, onProblem: (OsprofilerProblem) -> Void
    ) throws(JSONError) {
        guard depth < 200 else { throw JSONError(.syntax, at: s.position, "report nested deeper than 200") }
        s.skipWhitespace()
        let objectStart = s.position
        var info = SpanInfo()
        var host = ""
        var name: Range<Int>? = nil
        var service = "", project = ""
        var timestamp: Range<Int>? = nil
        var traceID: Range<Int>? = nil, parentID: Range<Int>? = nil, baseID: Range<Int>? = nil
        extra.removeAll(keepingCapacity: true)
        var topExtra: [UInt8] = []
        if try s.beginObject() {
            repeat {
                let k = try s.key()
                if s.equals(k, "info") {
                    if s.peek() == UInt8(ascii: "{") {
                        try parseInfo(&s, &info, &host, depth: depth, onEvent: onEvent, onProblem: onProblem)
                    } else {
                        let raw = try s.skipValue()
                        appendExtra(&topExtra, s.bytes, prefix: "", key: k, raw)
                    }
                } else if s.equals(k, "name") {
                    name = try s.rawString()
                } else if s.equals(k, "service") {
                    service = try s.string()
                } else if s.equals(k, "project") {
                    project = try s.string()
                } else if s.equals(k, "timestamp") {
                    timestamp = try s.rawString()
                } else if s.equals(k, "trace_id") {
                    traceID = try stringOrNull(&s)
                } else if s.equals(k, "parent_id") {
                    parentID = try stringOrNull(&s)
                } else if s.equals(k, "base_id") {
                    baseID = try stringOrNull(&s)
                } else if s.equals(k, "children") && s.peek() == UInt8(ascii: "[") {
                    s.position += 1
                    if s.peek() == UInt8(ascii: "]") {
                        s.position += 1
                    } else {
                        repeat {
                            if s.peek() == UInt8(ascii: "{") {
                                try parseObject(&s, depth: depth + 1, onEvent: onEvent, onProblem: onProblem)
                            } else {
                                try s.skipValue()
                            }
                            s.skipWhitespace()
                            guard s.position < s.bytes.count else { throw JSONError(.truncated, at: s.position, "expected ']'") }
                            let c = s.bytes[s.position]
                            s.position += 1
                            if c == UInt8(ascii: "]") { break }
                            guard c == UInt8(ascii: ",") else { throw JSONError(.syntax, at: s.position - 1, "expected ',' or ']'") }
                        } while true
                    }
                } else {
                    let raw = try s.skipValue()
                    appendExtra(&topExtra, s.bytes, prefix: "event.", key: k, raw)
                }
            } while try s.nextMember()
        }
        guard let name else { return }  // a report node or the report itself: its events were walked
        let b = s.bytes
        let event: SpanEvent
        switch makeEvent(b, name: name, timestamp: timestamp, traceID: traceID, parentID: parentID, baseID: baseID) {
        case .failure(let message):
            report(OsprofilerProblem(offset: objectStart, message: message), onProblem)
            return
        case .success(let (kind, point, ts, ids)):
            if !topExtra.isEmpty {
                if extra.isEmpty {
                    extra = topExtra
                } else {
                    extra.append(UInt8(ascii: ","))
                    extra.append(contentsOf: topExtra.dropFirst())
                }
            }
            if !extra.isEmpty { extra.append(UInt8(ascii: "}")) }
            info.extra = extra.isEmpty ? "" : String(decoding: extra, as: UTF8.self)
            event = SpanEvent(
                kind: kind,
                span: Span(
                    baseID: ids.0, traceID: ids.1, parentID: ids.2, name: point, service: service, project: project,
                    host: host, start: ts, status: kind == .start ? .incomplete : .missingStart, info: info))
        }
        eventCount += 1
        onEvent(event)
    }

    func stringOrNull(_ s: inout JSONScanner) throws(JSONError) -> Range<Int>? {
        if s.peek() == UInt8(ascii: "n") {
            try s.literal("null")
            return nil
        }
        return try s.rawString()
    }

    struct Failure: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    enum Made {
        case success((SpanEvent.Kind, String, Int64, (TraceID, TraceID, TraceID)))
        case failure(String)
    }

    func makeEvent(
        _ b: UnsafeRawBufferPointer, name: Range<Int>, timestamp: Range<Int>?, traceID: Range<Int>?,
        parentID: Range<Int>?, baseID: Range<Int>?
    ) -> Made {
        let kind: SpanEvent.Kind
        let pointEnd: Int
        if JSONScanner(b).endsWith(name, "-start") {
            kind = .start
            pointEnd = name.upperBound - 6
        } else if JSONScanner(b).endsWith(name, "-stop") {
            kind = .stop
            pointEnd = name.upperBound - 5
        } else {
            let text = JSONScanner.text(b, name)
            return .failure("event name '\(text.prefix(80))' is neither <point>-start nor <point>-stop")
        }
        let point = (try? JSONScanner.decode(b, name.lowerBound..<pointEnd)) ?? JSONScanner.text(b, name.lowerBound..<pointEnd)
        var nameText: String { JSONScanner.text(b, name) }
        func id(_ field: StaticString, _ r: Range<Int>?) -> Result<TraceID, Failure> {
            guard let r else { return .failure(Failure("\(nameText) event without \(field)")) }
            guard let id = TraceID(bytes: UnsafeRawBufferPointer(rebasing: b[r])) else {
                return .failure(Failure("\(nameText) event: \(field) '\(JSONScanner.text(b, r).prefix(80))' is not a UUID"))
            }
            return .success(id)
        }
        let base: TraceID, trace: TraceID, parent: TraceID
        switch id("base_id", baseID) {
        case .success(let v): base = v
        case .failure(let f): return .failure(f.message)
        }
        switch id("trace_id", traceID) {
        case .success(let v): trace = v
        case .failure(let f): return .failure(f.message)
        }
        switch id("parent_id", parentID) {
        case .success(let v): parent = v
        case .failure(let f): return .failure(f.message)
        }
        guard let timestamp else { return .failure("\(nameText) event without timestamp") }
        guard let ts = OsprofilerTimestamp.parse(UnsafeRawBufferPointer(rebasing: b[timestamp])) else {
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: b[timestamp]), as: UTF8.self)
            return .failure(
                "\(nameText) event: timestamp '\(text.prefix(80))' is not %Y-%m-%dT%H:%M:%S.%f within 1970...2200")
        }
        return .success((kind, point, ts, (base, trace, parent)))
    }

    /// Reads `info`: the typed members into `info`, the rest into `extra`, nested raw payloads as events.
    mutating func parseInfo(
        _ s: inout JSONScanner, _ info: inout SpanInfo, _ host: inout String, depth: Int,
        onEvent: (SpanEvent) -> Void, onProblem: (OsprofilerProblem) -> Void
    ) throws(JSONError) {
        guard try s.beginObject() else { return }
        repeat {
            let k = try s.key()
            if s.equals(k, "host") && s.peek() == UInt8(ascii: "\"") {
                host = try s.string()
            } else if s.equals(k, "request") && s.peek() == UInt8(ascii: "{") {
                if try s.beginObject() { try parseMembers(&s, prefix: "request.") { s, k throws(JSONError) in
                    if s.equals(k, "path") { info.requestPath = try s.string() }
                    else if s.equals(k, "method") { info.requestMethod = try s.string() }
                    else if s.equals(k, "query") { info.requestQuery = try s.string() }
                    else if s.equals(k, "scheme") { info.requestScheme = try s.string() }
                    else { return false }
                    return true
                } }
            } else if s.equals(k, "db") && s.peek() == UInt8(ascii: "{") {
                if try s.beginObject() { try parseMembers(&s, prefix: "db.") { s, k throws(JSONError) in
                    if s.equals(k, "statement") { info.dbStatement = try s.string() }
                    else if s.equals(k, "params") { info.dbParams = JSONScanner.text(s.bytes, try s.skipValue()) }
                    else { return false }
                    return true
                } }
            } else if s.equals(k, "function") && s.peek() == UInt8(ascii: "{") {
                if try s.beginObject() { try parseMembers(&s, prefix: "function.") { s, k throws(JSONError) in
                    if s.equals(k, "name") { info.functionName = try s.string() }
                    else if s.equals(k, "args") { info.functionArgs = JSONScanner.text(s.bytes, try s.skipValue()) }
                    else if s.equals(k, "kwargs") { info.functionKwargs = JSONScanner.text(s.bytes, try s.skipValue()) }
                    else { return false }
                    return true
                } }
            } else if s.equals(k, "etype") && s.peek() == UInt8(ascii: "\"") {
                info.errorType = try s.string()
            } else if s.equals(k, "message") && s.peek() == UInt8(ascii: "\"") {
                info.errorMessage = try s.string()
            } else if k.count > 17 && s.equals(k.lowerBound..<(k.lowerBound + 17), "meta.raw_payload.")
                && s.peek() == UInt8(ascii: "{")
            {
                // A report node's raw event: parse it as an event of its own, keeping our extra.
                let saved = extra
                try parseObject(&s, depth: depth + 1, onEvent: onEvent, onProblem: onProblem)
                extra = saved
            } else {
                let raw = try s.skipValue()
                appendExtra(&extra, s.bytes, prefix: "", key: k, raw)
            }
        } while try s.nextMember()
    }

    /// Walks an object's members after `{`: `typed` takes the known ones (returning true),
    /// the rest go to `extra` as `<prefix><key>`.
    mutating func parseMembers(
        _ s: inout JSONScanner, prefix: StaticString, _ typed: (inout JSONScanner, Range<Int>) throws(JSONError) -> Bool
    ) throws(JSONError) {
        repeat {
            let k = try s.key()
            if try !typed(&s, k) {
                let raw = try s.skipValue()
                appendExtra(&extra, s.bytes, prefix: prefix, key: k, raw)
            }
        } while try s.nextMember()
    }

    /// Appends `"<prefix><key>":<raw>` to an open JSON object text (starting it with `{`).
    func appendExtra(_ out: inout [UInt8], _ b: UnsafeRawBufferPointer, prefix: StaticString, key: Range<Int>, _ raw: Range<Int>) {
        out.append(out.isEmpty ? UInt8(ascii: "{") : UInt8(ascii: ","))
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeRawBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount))
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[key]))
        out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[raw]))
    }
}

/// A problem in osprofiler input: the byte offset in the buffer given to the parser, and what.
public struct OsprofilerProblem: Sendable, Equatable {
    public var offset: Int
    public var message: String
    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }
}

extension JSONScanner {
    /// The position just after the next newline at or after `from` (the end if none).
    static func lineAfter(_ b: UnsafeRawBufferPointer, _ from: Int) -> Int {
        var i = from
        while i < b.count {
            if b[i] == 0x0A { return i + 1 }
            i += 1
        }
        return b.count
    }

    /// The start of the first line after the one holding `offset` that begins (after blanks)
    /// with `{`: where parsing resumes after a bad value, so one problem is reported once.
    static func nextObjectLine(_ b: UnsafeRawBufferPointer, after offset: Int) -> Int {
        var line = lineAfter(b, offset)
        while line < b.count {
            var i = line
            while i < b.count && (b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0D) { i += 1 }
            if i < b.count && b[i] == UInt8(ascii: "{") { return line }
            line = lineAfter(b, line)
        }
        return b.count
    }

    /// The bytes of `r` as text.
    static func text(_ b: UnsafeRawBufferPointer, _ r: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: b[r]), as: UTF8.self)
    }
}
