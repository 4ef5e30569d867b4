import StrataEncoding

/// The trace store's WAL record (Docs/format/span-segment.md § Trace WAL records): one type, a batch of items.
///
/// ```
/// [count varint] ( [kind u8: 0 span, 1 start event, 2 stop event] [span row] )*
/// span row: base_id, trace_id, parent_id (16 bytes each), name, service, project, host
///           (length-prefixed UTF-8), start (zigzag varint µs), duration (zigzag varint µs),
///           status u8, then the 12 SpanInfo strings length-prefixed in declaration order.
/// ```
enum TraceWALRecord {
    static let items: UInt8 = 1

    /// Encodes the rows of `table` except those at `skipping`.
    static func encode(_ table: SpanTable, skipping: Set<Int>, into w: inout ByteWriter) {
        w.appendVarint(UInt64(table.spans.count - skipping.count))
        for (i, p) in table.spans.enumerated() where skipping.isEmpty || !skipping.contains(i) {
            w.appendUInt8(p.event)
            encodeRow(p, table, into: &w)
        }
    }

    /// Encodes `rows` of `table`.
    static func encode(_ table: SpanTable, rows: ArraySlice<PackedSpan>, into w: inout ByteWriter) {
        w.appendVarint(UInt64(rows.count))
        for p in rows {
            w.appendUInt8(p.event)
            encodeRow(p, table, into: &w)
        }
    }

    /// A packed row in the span row format (the same bytes `encodeRow(_: Span)` writes).
    static func encodeRow(_ p: PackedSpan, _ table: SpanTable, into w: inout ByteWriter) {
        appendID(p.base, &w)
        appendID(p.trace, &w)
        appendID(p.parent, &w)
        let key = table.kinds.key(p.kind)
        func string(_ c: Int) {
            table.strings.withBytes(key[c]) { b in
                w.appendVarint(UInt64(b.count))
                w.append(contentsOf: b)
            }
        }
        func text(_ j: Int) {
            table.withText(p, j) { b in
                w.appendVarint(UInt64(b.count))
                w.append(contentsOf: b)
            }
        }
        for c in 0..<4 { string(c) }
        w.appendSignedVarint(p.start)
        w.appendSignedVarint(p.duration)
        w.appendUInt8(p.status)
        // SpanInfo order: method, path, query, scheme, statement, params, function, args,
        // kwargs, etype, message, extra.
        string(4); text(0); text(1); string(5); string(6); text(2); string(7); text(3); text(4); string(8); text(5); text(6)
    }

    static func encodeRow(_ s: Span, into w: inout ByteWriter) {
        appendID(s.baseID, &w)
        appendID(s.traceID, &w)
        appendID(s.parentID, &w)
        w.appendLengthPrefixed(s.name)
        w.appendLengthPrefixed(s.service)
        w.appendLengthPrefixed(s.project)
        w.appendLengthPrefixed(s.host)
        w.appendSignedVarint(s.start)
        w.appendSignedVarint(s.duration)
        w.appendUInt8(s.status.rawValue)
        for f in 0..<SpanInfo.fieldCount { w.appendLengthPrefixed(s.info[field: f]) }
    }

    @inline(__always)
    static func appendID(_ id: TraceID, _ w: inout ByteWriter) {
        id.append(to: &w.bytes)
    }

    /// Decodes a record; `body` gets nil kind for a whole span.
    static func decode(_ payload: UnsafeRawBufferPointer, _ body: (SpanEvent.Kind?, Span) -> Void) throws(FormatError) {
        var r = RawBufferReader(payload)
        let n = try r.count(limit: payload.count)
        for _ in 0..<n {
            let k = try r.uint8()
            let span = try decodeRow(&r)
            switch k {
            case 0: body(nil, span)
            case 1: body(.start, span)
            case 2: body(.stop, span)
            default: throw FormatError(.invalid, at: r.position - 1, "unknown trace WAL item kind \(k)")
            }
        }
        try r.expectEnd("trace WAL record")
    }

    static func decodeRow(_ r: inout RawBufferReader) throws(FormatError) -> Span {
        let base = try readID(&r), trace = try readID(&r), parent = try readID(&r)
        var s = Span(baseID: base, traceID: trace, parentID: parent, name: try r.string(), start: 0)
        s.service = try r.string()
        s.project = try r.string()
        s.host = try r.string()
        s.start = try r.signedVarint()
        s.duration = try r.signedVarint()
        s.status = SpanStatus(rawValue: try r.uint8())
        for f in 0..<SpanInfo.fieldCount { s.info[field: f] = try r.string() }
        return s
    }

    static func readID(_ r: inout RawBufferReader) throws(FormatError) -> TraceID {
        let b = try r.bytes(16)
        return TraceID(bytes16: b)
    }
}

extension TraceID {
    /// The id of 16 big-endian bytes (`b.count` must be 16).
    init(bytes16 b: UnsafeRawBufferPointer) {
        var hi: UInt64 = 0, lo: UInt64 = 0
        for i in 0..<8 { hi = hi << 8 | UInt64(b[i]) }
        for i in 8..<16 { lo = lo << 8 | UInt64(b[i]) }
        self.init(high: hi, low: lo)
    }

    /// Appends the 16 big-endian bytes.
    func append(to out: inout [UInt8]) {
        withUnsafeBytes(of: high.bigEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: low.bigEndian) { out.append(contentsOf: $0) }
    }
}

extension SpanInfo {
    /// How many string fields `SpanInfo` has (the order of every on-disk encoding is declaration order).
    static let fieldCount = 12

    /// String field `i` in declaration order (0 requestMethod ... 11 extra).
    subscript(field i: Int) -> String {
        get {
            switch i {
            case 0: requestMethod
            case 1: requestPath
            case 2: requestQuery
            case 3: requestScheme
            case 4: dbStatement
            case 5: dbParams
            case 6: functionName
            case 7: functionArgs
            case 8: functionKwargs
            case 9: errorType
            case 10: errorMessage
            default: extra
            }
        }
        set {
            switch i {
            case 0: requestMethod = newValue
            case 1: requestPath = newValue
            case 2: requestQuery = newValue
            case 3: requestScheme = newValue
            case 4: dbStatement = newValue
            case 5: dbParams = newValue
            case 6: functionName = newValue
            case 7: functionArgs = newValue
            case 8: functionKwargs = newValue
            case 9: errorType = newValue
            case 10: errorMessage = newValue
            default: extra = newValue
            }
        }
    }
}
