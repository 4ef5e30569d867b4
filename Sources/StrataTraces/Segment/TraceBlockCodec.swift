import StrataEncoding

/// Encodes and decodes one block of a span segment: whole traces, columns one after another
/// (FORMAT.md § Span block). The raw bytes are then zstd-framed by the segment writer.
///
/// Ids are 16 raw bytes, except that a parent which is another span of the same trace (or
/// the base) is stored as its position, which is what makes a span cost about 20 bytes.
enum TraceBlockCodec {
    /// Segment-wide dictionaries being built by the writer: one per dictionary column.
    struct Dictionaries {
        var ids: [[String: Int]] = Array(repeating: [:], count: TraceSegmentFormat.dictionaryColumns)
        var values: [[String]] = Array(repeating: [], count: TraceSegmentFormat.dictionaryColumns)

        mutating func code(_ column: Int, _ s: String) -> Int {
            if let i = ids[column][s] { return i }
            let i = values[column].count
            ids[column][s] = i
            values[column].append(s)
            return i
        }
    }

    /// The dictionary column values of a span, in column order.
    @inline(__always)
    static func dictionaryValue(_ s: Span, _ column: Int) -> String {
        switch column {
        case 0: s.name
        case 1: s.service
        case 2: s.project
        case 3: s.host
        default: s.info[field: TraceSegmentFormat.dictionaryInfoFields[column - 4]]
        }
    }

    /// Encodes `spans` (sorted by base_id, parent_id, start; whole traces) and returns the
    /// raw block and each span's dictionary codes (column-major: codes[column][span]).
    static func encode(_ spans: ArraySlice<Span>, dictionaries: inout Dictionaries) -> (bytes: [UInt8], codes: [[Int]]) {
        var w = ByteWriter(capacity: spans.count * 64)
        let n = spans.count
        // Trace boundaries.
        var traces: [Range<Int>] = []
        var i = spans.startIndex
        while i < spans.endIndex {
            var j = i + 1
            while j < spans.endIndex && spans[j].baseID == spans[i].baseID { j += 1 }
            traces.append(i..<j)
            i = j
        }
        w.appendVarint(UInt64(n))
        w.appendVarint(UInt64(traces.count))
        var traceStarts: [Int64] = []
        var prevStart: Int64 = 0
        for t in traces {
            spans[t.lowerBound].baseID.append(to: &w.bytes)
            w.appendVarint(UInt64(t.count))
            var minStart = Int64.max
            for k in t { minStart = min(minStart, spans[k].start) }
            w.appendSignedVarint(minStart &- prevStart)
            prevStart = minStart
            traceStarts.append(minStart)
        }
        for s in spans { s.traceID.append(to: &w.bytes) }
        // Parents: 0 = the base, 1 = an explicit id (next in the explicit list), 2+k = k-th span of the trace.
        var explicit: [TraceID] = []
        for t in traces {
            var position: [TraceID: Int] = [:]
            for k in t { position[spans[k].traceID] = k - t.lowerBound }
            for k in t {
                let p = spans[k].parentID
                if p == spans[k].baseID {
                    w.appendVarint(0)
                } else if let pos = position[p] {
                    w.appendVarint(UInt64(pos + 2))
                } else {
                    w.appendVarint(1)
                    explicit.append(p)
                }
            }
        }
        w.appendVarint(UInt64(explicit.count))
        for id in explicit { id.append(to: &w.bytes) }
        for (ti, t) in traces.enumerated() {
            for k in t { w.appendVarint(UInt64(bitPattern: spans[k].start &- traceStarts[ti])) }
        }
        for s in spans { w.appendSignedVarint(s.duration) }
        for s in spans { w.appendUInt8(s.status.rawValue) }
        var codes: [[Int]] = []
        for c in 0..<TraceSegmentFormat.dictionaryColumns {
            var col: [Int] = []
            col.reserveCapacity(n)
            for s in spans {
                let code = dictionaries.code(c, dictionaryValue(s, c))
                col.append(code)
                w.appendVarint(UInt64(code))
            }
            codes.append(col)
        }
        for f in TraceSegmentFormat.blockInfoFields {
            var ids: [String: Int] = [:]
            var values: [String] = []
            var col: [Int] = []
            col.reserveCapacity(n)
            for s in spans {
                let v = s.info[field: f]
                if let x = ids[v] {
                    col.append(x)
                } else {
                    ids[v] = values.count
                    col.append(values.count)
                    values.append(v)
                }
            }
            w.appendVarint(UInt64(values.count))
            for v in values { w.appendLengthPrefixed(v) }
            for x in col { w.appendVarint(UInt64(x)) }
        }
        return (w.bytes, codes)
    }

    /// Decodes a raw block back into spans (in stored order).
    /// - Parameter dictionaries: the segment dictionaries, per dictionary column.
    static func decode(_ raw: UnsafeRawBufferPointer, dictionaries: [[String]], baseOffset: Int) throws(FormatError) -> [Span] {
        var r = RawBufferReader(raw, baseOffset: baseOffset)
        let n = try r.count(limit: raw.count, "span count")
        let traceCount = try r.count(limit: n, "trace count")
        var bases: [TraceID] = []
        var sizes: [Int] = []
        var starts: [Int64] = []
        var prevStart: Int64 = 0
        var total = 0
        for _ in 0..<traceCount {
            bases.append(TraceID(bytes16: try r.bytes(16)))
            let c = try r.count(limit: n, "spans in a trace")
            guard c > 0 else { throw FormatError(.invalid, at: r.fileOffset, "empty trace in a block") }
            sizes.append(c)
            total += c
            prevStart = prevStart &+ (try r.signedVarint())
            starts.append(prevStart)
        }
        guard total == n else { throw FormatError(.invalid, at: r.fileOffset, "trace sizes add to \(total), block has \(n) spans") }
        var traceIDs: [TraceID] = []
        traceIDs.reserveCapacity(n)
        for _ in 0..<n { traceIDs.append(TraceID(bytes16: try r.bytes(16))) }
        var parentRefs: [Int] = []
        parentRefs.reserveCapacity(n)
        for _ in 0..<n { parentRefs.append(try r.count(limit: n + 2, "parent ref")) }
        let explicitCount = try r.count(limit: n, "explicit parents")
        var explicit: [TraceID] = []
        for _ in 0..<explicitCount { explicit.append(TraceID(bytes16: try r.bytes(16))) }
        var spans: [Span] = []
        spans.reserveCapacity(n)
        var k = 0
        var e = 0
        for t in 0..<traceCount {
            let first = k
            for _ in 0..<sizes[t] {
                let ref = parentRefs[k]
                let parent: TraceID
                if ref == 0 {
                    parent = bases[t]
                } else if ref == 1 {
                    guard e < explicit.count else { throw FormatError(.invalid, at: r.fileOffset, "explicit parent missing") }
                    parent = explicit[e]
                    e += 1
                } else {
                    guard ref - 2 < sizes[t] else { throw FormatError(.invalid, at: r.fileOffset, "parent position out of trace") }
                    parent = traceIDs[first + ref - 2]
                }
                spans.append(Span(baseID: bases[t], traceID: traceIDs[k], parentID: parent, name: "", start: 0))
                k += 1
            }
        }
        k = 0
        for t in 0..<traceCount {
            for _ in 0..<sizes[t] {
                spans[k].start = starts[t] &+ Int64(bitPattern: try r.varint())
                k += 1
            }
        }
        for i in 0..<n { spans[i].duration = try r.signedVarint() }
        for i in 0..<n { spans[i].status = SpanStatus(rawValue: try r.uint8()) }
        for c in 0..<TraceSegmentFormat.dictionaryColumns {
            let dict = dictionaries[c]
            for i in 0..<n {
                let code = try r.count(limit: dict.count - 1, "dictionary code")
                guard code < dict.count else { throw FormatError(.invalid, at: r.fileOffset, "dictionary code past an empty dictionary") }
                let v = dict[code]
                switch c {
                case 0: spans[i].name = v
                case 1: spans[i].service = v
                case 2: spans[i].project = v
                case 3: spans[i].host = v
                default: spans[i].info[field: TraceSegmentFormat.dictionaryInfoFields[c - 4]] = v
                }
            }
        }
        for f in TraceSegmentFormat.blockInfoFields {
            let count = try r.count(limit: n, "block dictionary size")
            var values: [String] = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try r.string()) }
            for i in 0..<n {
                let code = try r.count(limit: count - 1, "block dictionary code")
                guard code < count else { throw FormatError(.invalid, at: r.fileOffset, "block dictionary code past an empty dictionary") }
                spans[i].info[field: f] = values[code]
            }
        }
        try r.expectEnd("span block")
        return spans
    }
}
