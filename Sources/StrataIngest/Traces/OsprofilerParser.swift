import StrataTraces

/// Reads osprofiler events from JSON bytes: one object per line (what the drivers store),
/// a JSON array of them, or the nested report of `osprofiler trace show --json` (events
/// are found under its `meta.raw_payload.<name>` members and `children`).
///
/// ```swift
/// var parser = OsprofilerParser()
/// var batch = SpanEventBatch()
/// let used = bytes.withUnsafeBytes { parser.parse($0, final: true, into: &batch,
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
    /// Members of `info` (and of the event) kept as JSON text: the `extra` field.
    var extra: [UInt8] = []
    /// Decoded string values of the value being parsed (`Fields` point into it).
    var scratch: [UInt8] = []
    /// The statuses of a start and a stop event, read once (StrataTraces' statics are calls from here).
    let startStatus = SpanStatus.incomplete.rawValue, stopStatus = SpanStatus.missingStart.rawValue

    public init() {
        assert(
            Fields.columns == SpanTable.columns && Fields.texts == SpanTable.textFields - 1
                && Fields.extra == SpanTable.extraField, "Fields no longer matches SpanTable")
    }

    /// Parses complete values in `buffer` into `batch` and returns how many bytes were consumed.
    ///
    /// Unless `final`, a value cut off by the end of the buffer is left unconsumed (none of its
    /// events are added), so the caller can carry the remaining bytes into the next read.
    /// `[`, `]` and `,` between top-level values are skipped, so an array of events reads like
    /// a sequence of them.
    public mutating func parse(
        _ buffer: UnsafeRawBufferPointer, final: Bool, into batch: inout SpanEventBatch,
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
            let mark = (batch.table.spans.count, batch.table.text.count, eventCount)
            scratch.removeAll(keepingCapacity: true)
            do throws(JSONError) {
                try parseObject(&s, depth: 0, into: &batch.table, onProblem: onProblem)
            } catch {
                if error.kind == .truncated && !final {
                    // Carried into the next read whole: forget the events already taken from it.
                    batch.table.spans.removeLast(batch.table.spans.count - mark.0)
                    batch.table.text.removeLast(batch.table.text.count - mark.1)
                    eventCount = mark.2
                    return start
                }
                // Named at the value's start (its line), with where inside it the reader gave up.
                let detail = error.offset > start ? " (\(error.offset - start) bytes into the value)" : ""
                report(OsprofilerProblem(offset: start, message: "malformed JSON: \(error.message)\(detail)"), onProblem)
                s.position = JSONScanner.nextObjectLine(buffer, after: start)
            }
        }
    }

    /// Parses complete values in `buffer`, calling `onEvent` with each event (after the
    /// buffer's problems); returns how many bytes were consumed, as `parse(_:final:into:onProblem:)`.
    public mutating func parse(
        _ buffer: UnsafeRawBufferPointer, final: Bool, onEvent: (SpanEvent) -> Void,
        onProblem: (OsprofilerProblem) -> Void
    ) -> Int {
        var batch = SpanEventBatch()
        let used = parse(buffer, final: final, into: &batch, onProblem: onProblem)
        for p in batch.table.spans { onEvent(batch.table.event(p)) }
        return used
    }

    mutating func report(_ p: OsprofilerProblem, _ onProblem: (OsprofilerProblem) -> Void) {
        problemCount += 1
        onProblem(p)
    }

    /// Where an event's string values are: in the input when they needed no decoding, else
    /// in `scratch`. Lanes 0-8 the dictionary columns (`SpanTable`), lanes 9-14 the text
    /// fields before `extra`.
    struct Fields {
        var starts = SIMD16<Int32>()
        var counts = SIMD16<Int32>()
        /// 1 where the value is in `scratch`.
        var inScratch = SIMD16<Int32>()
        static let host = 3, service = 1, project = 2, method = 4, scheme = 5, statement = 6, function = 7, etype = 8
        static let path = 9, query = 10, params = 11, args = 12, kwargs = 13, message = 14
        /// `SpanTable.columns`, its text fields before `extra`, and `SpanTable.extraField`, as
        /// constants (loops over them unroll; `init` checks them in debug builds).
        static let columns = 9, texts = 6, extra = 6
    }

    /// Reads a string value as field `f`: its bytes in the input, or decoded into `scratch`.
    @inline(__always)
    mutating func string(_ s: inout JSONScanner, _ fields: inout Fields, _ f: Int) throws(JSONError) {
        let r = try s.rawString()
        if s.lastStringEscaped {
            store(try s.decodedBytes(r, into: &scratch), &fields, f, inScratch: true)
        } else {
            store(r, &fields, f, inScratch: false)
        }
    }

    /// Takes any value's raw JSON (as it is in the input) as field `f`.
    @inline(__always)
    mutating func rawValue(_ s: inout JSONScanner, _ fields: inout Fields, _ f: Int) throws(JSONError) {
        store(try s.skipValue(), &fields, f, inScratch: false)
    }

    @inline(__always)
    func store(_ r: Range<Int>, _ fields: inout Fields, _ f: Int, inScratch: Bool) {
        fields.starts[f] = Int32(truncatingIfNeeded: r.lowerBound)
        fields.counts[f] = Int32(truncatingIfNeeded: r.count)
        fields.inScratch[f] = inScratch ? 1 : 0
    }

    /// Parses one object: an event if it has a top-level `name`, otherwise a container
    /// (a report node) whose `children` and `meta.raw_payload.*` members are walked.
    mutating func parseObject(
        _ s: inout JSONScanner, depth: Int, into table: inout SpanTable, onProblem: (OsprofilerProblem) -> Void
    ) throws(JSONError) {
        guard depth < 200 else { throw JSONError(.syntax, at: s.position, "report nested deeper than 200") }
        s.skipWhitespace()
        let objectStart = s.position
        var fields = Fields()
        var name: Range<Int>? = nil
        var timestamp: Range<Int>? = nil
        var traceID: ParsedID? = nil, parentID: ParsedID? = nil, baseID: ParsedID? = nil
        extra.removeAll(keepingCapacity: true)
        var topExtra: [UInt8] = []
        if try s.beginObject() {
            repeat {
                let k = try s.key()
                if s.equals(k, "info") {
                    if s.peek() == UInt8(ascii: "{") {
                        try parseInfo(&s, &fields, depth: depth, into: &table, onProblem: onProblem)
                    } else {
                        let raw = try s.skipValue()
                        appendExtra(&topExtra, s.bytes, prefix: "", key: k, raw)
                    }
                } else if s.equals(k, "name") {
                    name = try s.rawString()
                } else if s.equals(k, "service") {
                    try string(&s, &fields, Fields.service)
                } else if s.equals(k, "project") {
                    try string(&s, &fields, Fields.project)
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
                                try parseObject(&s, depth: depth + 1, into: &table, onProblem: onProblem)
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
            store(point.range, &fields, 0, inScratch: point.inScratch)
            table.spans.append(pack(fields, b, kind: kind, time: ts, ids: ids, into: &table))
        }
        eventCount += 1
    }

    /// The packed event of `fields` (strings interned, text appended to the table's arena).
    func pack(_ fields: Fields, _ input: UnsafeRawBufferPointer, kind: SpanEvent.Kind, time: Int64, ids: (TraceID, TraceID, TraceID),
              into table: inout SpanTable) -> PackedSpan {
        var key = KindKey()
        var p = PackedSpan(base: ids.0, trace: ids.1, parent: ids.2, start: time, duration: 0, text: table.text.count,
                           lengths: SIMD8(), kind: 0,
                           status: kind == .start ? startStatus : stopStatus,
                           event: kind.rawValue)
        scratch.withUnsafeBytes { sb in
            @inline(__always) func value(_ f: Int) -> UnsafeRawBufferPointer {
                let lo = Int(fields.starts[f])
                let src = fields.inScratch[f] != 0 ? sb : input
                return UnsafeRawBufferPointer(rebasing: src[lo..<(lo + Int(fields.counts[f]))])
            }
            for c in 0..<Fields.columns where fields.counts[c] != 0 {
                key[c] = table.strings.intern(value(c))
            }
            for j in 0..<Fields.texts where fields.counts[Fields.path + j] != 0 {
                table.text.append(contentsOf: value(Fields.path + j))
                p.lengths[j] = UInt32(fields.counts[Fields.path + j])
            }
        }
        table.text.append(contentsOf: extra)
        p.lengths[Fields.extra] = UInt32(extra.count)
        p.kind = table.kinds.intern(key)
        return p
    }

    /// An id member: where its text is, and the id when it is a UUID.
    typealias ParsedID = (range: Range<Int>, id: TraceID?)

    func stringOrNull(_ s: inout JSONScanner) throws(JSONError) -> ParsedID? {
        if s.peek() == UInt8(ascii: "n") {
            try s.literal("null")
            return nil
        }
        return try s.idString()
    }

    struct Failure: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    enum Made {
        /// The kind, where the point's bytes are (input or `scratch`), the time, and base/trace/parent ids.
        case success((SpanEvent.Kind, (range: Range<Int>, inScratch: Bool), Int64, (TraceID, TraceID, TraceID)))
        case failure(String)
    }

    mutating func makeEvent(
        _ b: UnsafeRawBufferPointer, name: Range<Int>, timestamp: Range<Int>?, traceID: ParsedID?,
        parentID: ParsedID?, baseID: ParsedID?
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
        var nameText: String { JSONScanner.text(b, name) }
        func id(_ field: StaticString, _ parsed: ParsedID?) -> Result<TraceID, Failure> {
            guard let parsed else { return .failure(Failure("\(nameText) event without \(field)")) }
            if let id = parsed.id { return .success(id) }
            let r = parsed.range
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
        // The point, escapes decoded (kept as written when they are bad).
        let raw = name.lowerBound..<pointEnd
        guard JSONScanner(b).hasEscape(raw) else { return .success((kind, (raw, false), ts, (base, trace, parent))) }
        let mark = scratch.count
        let point: Range<Int>
        if let r = try? JSONScanner(b).decodedBytes(raw, into: &scratch) {
            point = r
        } else {
            scratch.removeLast(scratch.count - mark)
            scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[raw]))
            point = mark..<scratch.count
        }
        return .success((kind, (point, true), ts, (base, trace, parent)))
    }

    /// Reads `info`: the typed members into `fields`, the rest into `extra`, nested raw payloads as events.
    mutating func parseInfo(
        _ s: inout JSONScanner, _ fields: inout Fields, depth: Int, into table: inout SpanTable,
        onProblem: (OsprofilerProblem) -> Void
    ) throws(JSONError) {
        guard try s.beginObject() else { return }
        repeat {
            let k = try s.key()
            if s.equals(k, "host") && s.peek() == UInt8(ascii: "\"") {
                try string(&s, &fields, Fields.host)
            } else if s.equals(k, "request") && s.peek() == UInt8(ascii: "{") {
                if try s.beginObject() { try parseMembers(&s, prefix: "request.") { p, s, k throws(JSONError) in
                    if s.equals(k, "path") { try p.string(&s, &fields, Fields.path) }
                    else if s.equals(k, "method") { try p.string(&s, &fields, Fields.method) }
                    else if s.equals(k, "query") { try p.string(&s, &fields, Fields.query) }
                    else if s.equals(k, "scheme") { try p.string(&s, &fields, Fields.scheme) }
                    else { return false }
                    return true
                } }
            } else if s.equals(k, "db") && s.peek() == UInt8(ascii: "{") {
                if try s.beginObject() { try parseMembers(&s, prefix: "db.") { p, s, k throws(JSONError) in
                    if s.equals(k, "statement") { try p.string(&s, &fields, Fields.statement) }
                    else if s.equals(k, "params") { try p.rawValue(&s, &fields, Fields.params) }
                    else { return false }
                    return true
                } }
            } else if s.equals(k, "function") && s.peek() == UInt8(ascii: "{") {
                if try s.beginObject() { try parseMembers(&s, prefix: "function.") { p, s, k throws(JSONError) in
                    if s.equals(k, "name") { try p.string(&s, &fields, Fields.function) }
                    else if s.equals(k, "args") { try p.rawValue(&s, &fields, Fields.args) }
                    else if s.equals(k, "kwargs") { try p.rawValue(&s, &fields, Fields.kwargs) }
                    else { return false }
                    return true
                } }
            } else if s.equals(k, "etype") && s.peek() == UInt8(ascii: "\"") {
                try string(&s, &fields, Fields.etype)
            } else if s.equals(k, "message") && s.peek() == UInt8(ascii: "\"") {
                try string(&s, &fields, Fields.message)
            } else if k.count > 17 && s.equals(k.lowerBound..<(k.lowerBound + 17), "meta.raw_payload.")
                && s.peek() == UInt8(ascii: "{")
            {
                // A report node's raw event: parse it as an event of its own, keeping our extra.
                let saved = extra
                try parseObject(&s, depth: depth + 1, into: &table, onProblem: onProblem)
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
        _ s: inout JSONScanner, prefix: StaticString,
        _ typed: (inout OsprofilerParser, inout JSONScanner, Range<Int>) throws(JSONError) -> Bool
    ) throws(JSONError) {
        repeat {
            let k = try s.key()
            if try !typed(&self, &s, k) {
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

    /// Reads a string; when it is a UUID (the common case of osprofiler ids) also returns
    /// the id, parsed without a second pass.
    mutating func idString() throws(JSONError) -> (range: Range<Int>, id: TraceID?) {
        skipWhitespace()
        let p = position
        if p &+ 38 <= bytes.count && bytes[p] == UInt8(ascii: "\"") && bytes[p &+ 37] == UInt8(ascii: "\""),
            let id = TraceID(bytes: UnsafeRawBufferPointer(rebasing: bytes[(p &+ 1)..<(p &+ 37)]))
        {
            // 36 hex digits and dashes: no quote, backslash or control character inside.
            position = p &+ 38
            return ((p &+ 1)..<(p &+ 37), id)
        }
        return (try rawString(), nil)
    }
}
