import StrataEncoding

/// Encodes one block of a span segment (`TraceBlockColumns` decodes it): whole traces, columns one after another
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
        var previous: Span? = nil
        var previousKind = 0
        for s in spans {
            // Neighbours (siblings under one parent) often share their kind: compare, skip the hashing.
            if let p = previous, sameKind(p, s) {
                for c in 0..<TraceSegmentFormat.dictionaryColumns { codes[c].append(tuple[c]) }
                w.appendVarint(UInt64(previousKind))
                continue
            }
            for c in 0..<TraceSegmentFormat.dictionaryColumns {
                tuple[c] = dictionaries.code(c, dictionaryValue(s, c))
                codes[c].append(tuple[c])
            }
            previousKind = dictionaries.kind(tuple)
            previous = s
            w.appendVarint(UInt64(previousKind))
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
            var emptyCode: Int? = nil
            for s in spans {
                let v = s.info[field: f]
                if v.isEmpty, let e = emptyCode {
                    col.append(e + 1)
                    continue
                }
                if let x = seen[v] {
                    col.append(x + 1)
                } else {
                    seen[v] = values
                    if v.isEmpty { emptyCode = values }
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

    /// True when two spans have the same dictionary-column values (the same kind).
    @inline(__always)
    static func sameKind(_ a: Span, _ b: Span) -> Bool {
        a.name == b.name && a.service == b.service && a.project == b.project && a.host == b.host
            && a.info.requestMethod == b.info.requestMethod && a.info.requestScheme == b.info.requestScheme
            && a.info.dbStatement == b.info.dbStatement && a.info.functionName == b.info.functionName
            && a.info.errorType == b.info.errorType
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
}
