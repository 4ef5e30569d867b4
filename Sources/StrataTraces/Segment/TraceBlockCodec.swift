import StrataEncoding

/// Encodes and decodes one block of a span segment: whole traces, columns one after another
/// (FORMAT.md § Span block), in four sections: the 16-byte ids (stored as they are: random
/// bytes do not compress, and mixed with the rest they spoil zstd's literal tables), the
/// codes (parents, flags, dictionary codes: low entropy), the times (starts and durations in
/// µs: high entropy) and the text of the block dictionaries; the last three zstd-framed.
/// Keeping high- and low-entropy bytes apart saves about 1 byte a span.
///
/// Ids are 16 raw bytes, except that a parent which is another span of the same trace (or
/// the base) is stored as its position, which is what makes a span cost about 20 bytes.
enum TraceBlockCodec {
    /// Segment-wide dictionaries being built by the writer: one per dictionary column.
    struct Dictionaries {
        var ids: [[String: Int]] = Array(repeating: [:], count: TraceSegmentFormat.dictionaryColumns)
        var values: [[String]] = Array(repeating: [], count: TraceSegmentFormat.dictionaryColumns)

        /// Span kinds: the distinct combinations of the columns' codes (a `db` span of glance's
        /// `api` on one host with one statement is one kind). A span stores only its kind.
        var kinds: [[Int]] = []
        var kindIDs: [[Int]: Int] = [:]

        mutating func code(_ column: Int, _ s: String) -> Int {
            if let i = ids[column][s] { return i }
            let i = values[column].count
            ids[column][s] = i
            values[column].append(s)
            return i
        }

        mutating func kind(_ codes: [Int]) -> Int {
            if let k = kindIDs[codes] { return k }
            kindIDs[codes] = kinds.count
            kinds.append(codes)
            return kinds.count - 1
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
    static func encode(_ spans: ArraySlice<Span>, dictionaries: inout Dictionaries) -> (sections: [[UInt8]], codes: [[Int]]) {
        var ids = ByteWriter(capacity: spans.count * 20)
        var w = ByteWriter(capacity: spans.count * 16)
        var traceTimes = BytePlanes()
        var times = BytePlanes()
        times.values.reserveCapacity(spans.count * 2)
        var text = ByteWriter(capacity: spans.count * 32)
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
            spans[t.lowerBound].baseID.append(to: &ids.bytes)
            w.appendVarint(UInt64(t.count))
            var minStart = Int64.max
            for k in t { minStart = min(minStart, spans[k].start) }
            traceTimes.append(minStart &- prevStart)
            prevStart = minStart
            traceStarts.append(minStart)
        }
        for s in spans { s.traceID.append(to: &ids.bytes) }
        // Parents: 0 = the base, 1 = an explicit id (next in the explicit list), 2+k = k-th span of the trace.
        var explicit: [TraceID] = []
        // The block-relative position of each span's parent when it is in the trace, else -1.
        var parentPosition = [Int](repeating: -1, count: n)
        let first = spans.startIndex
        for t in traces {
            var position: [TraceID: Int] = [:]
            for k in t where position[spans[k].traceID] == nil { position[spans[k].traceID] = k - t.lowerBound }
            for k in t {
                let p = spans[k].parentID
                if p == spans[k].baseID {
                    w.appendVarint(0)
                } else if let pos = position[p] {
                    w.appendVarint(UInt64(pos + 2))
                    parentPosition[k - first] = t.lowerBound - first + pos
                } else {
                    w.appendVarint(1)
                    explicit.append(p)
                }
            }
        }
        w.appendVarint(UInt64(explicit.count))
        for id in explicit { id.append(to: &ids.bytes) }
        for s in spans { times.append(s.duration) }
        for (ti, t) in traces.enumerated() {
            // Mode 0: the first span under a parent starts relative to the parent's start, the
            // next ones relative to the previous sibling's end (sequential calls leave small gaps).
            // Mode 1 (a parent cycle, bad input): every span relative to the trace's start.
            let cyclic = hasParentCycle(t.lowerBound - first..<t.upperBound - first, parentPosition)
            w.appendVarint(cyclic ? 1 : 0)
            for k in t {
                let reference: Int64
                if cyclic {
                    reference = traceStarts[ti]
                } else if k > t.lowerBound && spans[k - 1].parentID == spans[k].parentID {
                    reference = spans[k - 1].start &+ spans[k - 1].duration
                } else if parentPosition[k - first] >= 0 {
                    reference = spans[parentPosition[k - first] + first].start
                } else {
                    reference = traceStarts[ti]
                }
                times.append(spans[k].start &- reference)
            }
        }
        for s in spans { w.appendUInt8(s.status.rawValue) }
        var codes: [[Int]] = Array(repeating: [], count: TraceSegmentFormat.dictionaryColumns)
        var tuple = [Int](repeating: 0, count: TraceSegmentFormat.dictionaryColumns)
        for s in spans {
            for c in 0..<TraceSegmentFormat.dictionaryColumns {
                tuple[c] = dictionaries.code(c, dictionaryValue(s, c))
                codes[c].append(tuple[c])
            }
            w.appendVarint(UInt64(dictionaries.kind(tuple)))
        }
        var tokens = TextIDTokens()
        var columns: [(count: Int, codes: [Int])] = []
        for f in TraceSegmentFormat.blockInfoFields {
            var seen: [String: Int] = [:]
            var values = 0
            var col: [Int] = []
            col.reserveCapacity(n)
            // 0 = the next new value of the dictionary, k = the value at k - 1 seen before:
            // columns of mostly distinct values (paths with ids) become runs of zeros.
            for s in spans {
                let v = s.info[field: f]
                if let x = seen[v] {
                    col.append(x + 1)
                } else {
                    seen[v] = values
                    col.append(0)
                    values += 1
                    tokens.append(v, to: &text)
                }
            }
            columns.append((values, col))
        }
        w.appendVarint(UInt64(tokens.table.count))
        for id in tokens.table { id.append(to: &ids.bytes) }
        for (count, col) in columns {
            w.appendVarint(UInt64(count))
            for x in col { w.appendVarint(UInt64(x)) }
        }
        return ([ids.bytes, w.bytes, traceTimes.encoded() + times.encoded(), text.bytes], codes)
    }

    /// Decodes a raw block back into spans (in stored order).
    /// - Parameters:
    ///   - dictionaries: the segment dictionaries, per dictionary column.
    ///   - kinds: the segment's span kinds, each a code per dictionary column (checked in range).
    static func decode(
        ids idBytes: UnsafeRawBufferPointer, codes raw: UnsafeRawBufferPointer, times timeBytes: UnsafeRawBufferPointer,
        text textBytes: UnsafeRawBufferPointer,
        dictionaries: [[String]], kinds: [[Int]], baseOffset: Int
    ) throws(FormatError) -> [Span] {
        var r = RawBufferReader(raw, baseOffset: baseOffset)
        var ids = RawBufferReader(idBytes, baseOffset: baseOffset)
        var text = RawBufferReader(textBytes, baseOffset: baseOffset)
        let n = try r.count(limit: raw.count, "span count")
        let traceCount = try r.count(limit: n, "trace count")
        // Two plane groups: the traces' start deltas, then the spans' durations and start offsets.
        let tracePlanes = timeBytes.isEmpty ? 0 : Int(timeBytes[0])
        let split = min(timeBytes.count, 1 + tracePlanes * traceCount)
        let traceTimes = try BytePlanes.decode(
            UnsafeRawBufferPointer(rebasing: timeBytes[0..<split]), count: traceCount, baseOffset: baseOffset)
        let times = try BytePlanes.decode(
            UnsafeRawBufferPointer(rebasing: timeBytes[split...]), count: 2 * n, baseOffset: baseOffset)
        var bases: [TraceID] = []
        var sizes: [Int] = []
        var starts: [Int64] = []
        var prevStart: Int64 = 0
        var total = 0
        for t in 0..<traceCount {
            bases.append(TraceID(bytes16: try ids.bytes(16)))
            let c = try r.count(limit: n, "spans in a trace")
            guard c > 0 else { throw FormatError(.invalid, at: r.fileOffset, "empty trace in a block") }
            sizes.append(c)
            total += c
            prevStart = prevStart &+ traceTimes[t]
            starts.append(prevStart)
        }
        guard total == n else { throw FormatError(.invalid, at: r.fileOffset, "trace sizes add to \(total), block has \(n) spans") }
        var traceIDs: [TraceID] = []
        traceIDs.reserveCapacity(n)
        for _ in 0..<n { traceIDs.append(TraceID(bytes16: try ids.bytes(16))) }
        var parentRefs: [Int] = []
        parentRefs.reserveCapacity(n)
        for _ in 0..<n { parentRefs.append(try r.count(limit: n + 2, "parent ref")) }
        let explicitCount = try r.count(limit: n, "explicit parents")
        var explicit: [TraceID] = []
        for _ in 0..<explicitCount { explicit.append(TraceID(bytes16: try ids.bytes(16))) }
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
        for i in 0..<n { spans[i].duration = times[i] }
        k = 0
        var offsets = [Int64](repeating: 0, count: n)
        for t in 0..<traceCount {
            let range = k..<(k + sizes[t])
            let mode = try r.count(limit: 1, "trace start mode")
            for i in range { offsets[i] = times[n + i] }
            if mode == 1 {
                for i in range { spans[i].start = starts[t] &+ offsets[i] }
            } else {
                try resolveStarts(&spans, range, offsets, parentRefs, traceStart: starts[t], at: r.fileOffset)
            }
            k += sizes[t]
        }
        for i in 0..<n { spans[i].status = SpanStatus(rawValue: try r.uint8()) }
        for i in 0..<n {
            let kind = try r.count(limit: kinds.count - 1, "span kind")
            guard kind < kinds.count else { throw FormatError(.invalid, at: r.fileOffset, "span kind past an empty kind table") }
            let codes = kinds[kind]
            spans[i].name = dictionaries[0][codes[0]]
            spans[i].service = dictionaries[1][codes[1]]
            spans[i].project = dictionaries[2][codes[2]]
            spans[i].host = dictionaries[3][codes[3]]
            for c in 4..<TraceSegmentFormat.dictionaryColumns {
                spans[i].info[field: TraceSegmentFormat.dictionaryInfoFields[c - 4]] = dictionaries[c][codes[c]]
            }
        }
        let tableCount = try r.count(limit: idBytes.count / 16, "text id table")
        var table: [TraceID] = []
        table.reserveCapacity(tableCount)
        for _ in 0..<tableCount { table.append(TraceID(bytes16: try ids.bytes(16))) }
        let tokens = TextIDTokens(table: table)
        for f in TraceSegmentFormat.blockInfoFields {
            let count = try r.count(limit: n, "block dictionary size")
            var values: [String] = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try tokens.string(&text)) }
            var next = 0
            for i in 0..<n {
                let code = try r.count(limit: count, "block dictionary code")
                let index: Int
                if code == 0 {
                    index = next
                    next += 1
                } else {
                    index = code - 1
                }
                guard index < min(next, count) else {
                    throw FormatError(.invalid, at: r.fileOffset, "block dictionary code \(code) refers past the values seen")
                }
                spans[i].info[field: f] = values[index]
            }
            guard next == count else { throw FormatError(.invalid, at: r.fileOffset, "block dictionary values left unused") }
        }
        try r.expectEnd("span block codes")
        try ids.expectEnd("span block ids")
        try text.expectEnd("span block text")
        return spans
    }

    /// True when following parents inside `range` (block positions) loops.
    static func hasParentCycle(_ range: Range<Int>, _ parentPosition: [Int]) -> Bool {
        for k in range {
            var p = parentPosition[k]
            var steps = 0
            while p >= 0 {
                steps += 1
                if steps > range.count { return true }
                p = parentPosition[p]
            }
        }
        return false
    }

    /// Mode-0 starts of one trace: each span's reference is its previous sibling's end, or its
    /// parent's start for the first child, or the trace start. Resolved with an explicit stack
    /// (deep call chains cannot overflow it); a dependency loop is corrupt data.
    static func resolveStarts(
        _ spans: inout [Span], _ range: Range<Int>, _ offsets: [Int64], _ parentRefs: [Int], traceStart: Int64, at offset: Int
    ) throws(FormatError) {
        var done = [Bool](repeating: false, count: range.count)
        var onStack = [Bool](repeating: false, count: range.count)
        /// The position this span's start is relative to (-1: the trace start).
        func dependency(_ i: Int) -> Int {
            if i > range.lowerBound && spans[i - 1].parentID == spans[i].parentID { return i - 1 }
            let ref = parentRefs[i]
            return ref >= 2 ? range.lowerBound + ref - 2 : -1
        }
        var stack: [Int] = []
        for i in range where !done[i - range.lowerBound] {
            stack.append(i)
            onStack[i - range.lowerBound] = true
            while let top = stack.last {
                let d = dependency(top)
                if d >= 0 && !done[d - range.lowerBound] {
                    guard !onStack[d - range.lowerBound] else {
                        throw FormatError(.invalid, at: offset, "span start references form a loop")
                    }
                    stack.append(d)
                    onStack[d - range.lowerBound] = true
                    continue
                }
                let reference: Int64
                if d < 0 {
                    reference = traceStart
                } else if d == top - 1 && spans[d].parentID == spans[top].parentID {
                    reference = spans[d].start &+ spans[d].duration
                } else {
                    reference = spans[d].start
                }
                spans[top].start = reference &+ offsets[top]
                done[top - range.lowerBound] = true
                onStack[top - range.lowerBound] = false
                stack.removeLast()
            }
        }
    }
}
