#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StrataEncoding

/// Encodes one block of a span segment (`TraceBlockColumns` decodes it): whole traces, columns one after another
/// (Docs/format/span-segment.md § Block sections), in four sections: the 16-byte ids (stored as they are: random
/// bytes do not compress, and mixed with the rest they spoil zstd's literal tables), the
/// codes (parents, flags, dictionary codes: low entropy), the times (starts and durations in
/// µs: high entropy) and the text of the block dictionaries; the last three zstd-framed.
/// Keeping high- and low-entropy bytes apart saves about 1 byte a span.
///
/// Ids are 16 raw bytes, except that a parent which is another span of the same trace (or
/// the base) is stored as its position, which is what makes a span cost about 20 bytes.
enum TraceBlockCodec {
    /// Segment-wide dictionaries being built by the writer: one per dictionary column, as
    /// string ids of the table being written.
    struct Dictionaries {
        /// Per column: the segment code of each table string id, or -1.
        var codes: [[Int32]]
        /// Per column: the table string ids in code order.
        var values: [[UInt32]] = Array(repeating: [], count: TraceSegmentFormat.dictionaryColumns)
        /// Span kinds: the distinct combinations of the columns' codes (a `db` span of glance's
        /// `api` on one host with one statement is one kind). A span stores only its kind.
        var kinds: [[Int]] = []
        /// The segment kind of each table kind, or -1.
        var kindOf: [Int32]

        init(strings: Int, kinds: Int) {
            codes = Array(repeating: [Int32](repeating: -1, count: strings), count: TraceSegmentFormat.dictionaryColumns)
            kindOf = [Int32](repeating: -1, count: kinds)
        }

        /// The segment kind of table kind `k`. Table kinds are distinct string-id tuples, so
        /// each is a new segment kind the first time it is seen; codes are numbered in the
        /// order spans first use them.
        @inline(__always)
        mutating func kind(_ k: UInt32, _ table: SpanTable) -> Int {
            let known = kindOf[Int(k)]
            if known >= 0 { return Int(known) }
            let key = table.kinds.key(k)
            var tuple = [Int](repeating: 0, count: TraceSegmentFormat.dictionaryColumns)
            for c in 0..<TraceSegmentFormat.dictionaryColumns {
                let id = Int(key[c])
                if codes[c][id] < 0 {
                    codes[c][id] = Int32(values[c].count)
                    values[c].append(key[c])
                }
                tuple[c] = Int(codes[c][id])
            }
            kinds.append(tuple)
            kindOf[Int(k)] = Int32(kinds.count - 1)
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

    /// Encodes the rows `rows` of `table` (sorted by base_id, parent_id, start; whole
    /// traces) and returns the block's sections and each span's segment kind.
    static func encode(
        _ table: SpanTable, _ rows: [Int], dictionaries: inout Dictionaries, values: inout BlockValueTable
    ) -> (sections: [[UInt8]], kinds: [Int]) {
        let n = rows.count
        let spans = table.spans
        var ids = ByteWriter(capacity: n * 20)
        var w = ByteWriter(capacity: n * 16)
        var traceTimes = BytePlanes()
        var times = BytePlanes()
        times.values.reserveCapacity(n * 2)
        var text = ByteWriter(capacity: n * 32)
        // Trace boundaries (block positions).
        var traces: [Range<Int>] = []
        var i = 0
        while i < n {
            var j = i + 1
            while j < n && spans[rows[j]].base == spans[rows[i]].base { j += 1 }
            traces.append(i..<j)
            i = j
        }
        w.appendVarint(UInt64(n))
        w.appendVarint(UInt64(traces.count))
        var traceStarts: [Int64] = []
        traceStarts.reserveCapacity(traces.count)
        var prevStart: Int64 = 0
        for t in traces {
            spans[rows[t.lowerBound]].base.append(to: &ids.bytes)
            w.appendVarint(UInt64(t.count))
            var minStart = Int64.max
            for k in t { minStart = min(minStart, spans[rows[k]].start) }
            traceTimes.append(minStart &- prevStart)
            prevStart = minStart
            traceStarts.append(minStart)
        }
        for r in rows { spans[r].trace.append(to: &ids.bytes) }
        // Parents: 0 = the base, 1 = an explicit id (next in the explicit list), 2+k = k-th span of the trace.
        var explicit: [TraceID] = []
        // The block position of each span's parent when it is in the trace, else -1.
        var parentPosition = [Int](repeating: -1, count: n)
        var position = TraceIDMap<Int>()
        for t in traces {
            // The first span of the trace with trace_id `id`: a scan for small traces, a map for big ones.
            let small = t.count <= 48
            if !small {
                position.removeAll()
                for k in t where !position.contains(spans[rows[k]].trace) { position.insert(spans[rows[k]].trace, k - t.lowerBound) }
            }
            func find(_ id: TraceID) -> Int? {
                if !small { return position[id] }
                for k in t where spans[rows[k]].trace == id { return k - t.lowerBound }
                return nil
            }
            for k in t {
                let s = spans[rows[k]]
                if s.parent == s.base {
                    w.appendVarint(0)
                } else if let pos = find(s.parent) {
                    w.appendVarint(UInt64(pos + 2))
                    parentPosition[k] = t.lowerBound + pos
                } else {
                    w.appendVarint(1)
                    explicit.append(s.parent)
                }
            }
        }
        w.appendVarint(UInt64(explicit.count))
        for id in explicit { id.append(to: &ids.bytes) }
        for r in rows { times.append(spans[r].duration) }
        for (ti, t) in traces.enumerated() {
            // Mode 0: the first span under a parent starts relative to the parent's start, the
            // next ones relative to the previous sibling's end (sequential calls leave small gaps).
            // Mode 1 (a parent cycle, bad input): every span relative to the trace's start.
            let cyclic = hasParentCycle(t, parentPosition)
            w.appendVarint(cyclic ? 1 : 0)
            for k in t {
                let s = spans[rows[k]]
                let reference: Int64
                if cyclic {
                    reference = traceStarts[ti]
                } else if k > t.lowerBound && spans[rows[k - 1]].parent == s.parent {
                    let p = spans[rows[k - 1]]
                    reference = p.start &+ p.duration
                } else if parentPosition[k] >= 0 {
                    reference = spans[rows[parentPosition[k]]].start
                } else {
                    reference = traceStarts[ti]
                }
                times.append(s.start &- reference)
            }
        }
        for r in rows { w.appendUInt8(spans[r].status) }
        var kinds = [Int](repeating: 0, count: n)
        for (k, r) in rows.enumerated() {
            kinds[k] = dictionaries.kind(spans[r].kind, table)
            w.appendVarint(UInt64(kinds[k]))
        }
        var tokens = TextIDTokens()
        var columns: [(count: Int, codes: [Int])] = []
        table.text.withUnsafeBytes { arena in
            for f in 0..<SpanTable.textFields {
                values.reset(capacity: n)
                var col: [Int] = []
                col.reserveCapacity(n)
                // 0 = the next new value of the dictionary, k = the value at k - 1 seen before:
                // columns of mostly distinct values (paths with ids) become runs of zeros.
                var emptyCode: Int? = nil
                for r in rows {
                    let s = spans[r]
                    let len = Int(s.lengths[f])
                    if len == 0, let e = emptyCode {
                        col.append(e + 1)
                        continue
                    }
                    var offset = s.text
                    for j in 0..<f { offset &+= Int(s.lengths[j]) }
                    let v = UnsafeRawBufferPointer(rebasing: arena[offset..<(offset + len)])
                    let (x, isNew) = values.index(of: v, at: offset, in: arena)
                    if isNew {
                        if len == 0 { emptyCode = x }
                        col.append(0)
                        tokens.append(v, to: &text)
                    } else {
                        col.append(x + 1)
                    }
                }
                columns.append((values.count, col))
            }
        }
        w.appendVarint(UInt64(tokens.table.count))
        for id in tokens.table { id.append(to: &ids.bytes) }
        for (count, col) in columns {
            w.appendVarint(UInt64(count))
            for x in col { w.appendVarint(UInt64(x)) }
        }
        return ([ids.bytes, w.bytes, traceTimes.encoded() + times.encoded(), text.bytes], kinds)
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

/// The distinct values of one text column in one block, by bytes: the number of each.
struct BlockValueTable {
    private var slots: [Int32] = []
    private var hashes: [UInt64] = []
    private var offsets: [Int] = []
    private var lengths: [Int] = []

    init() {}

    var count: Int { offsets.count }

    /// Empties the table, sized for up to `capacity` values.
    mutating func reset(capacity: Int) {
        var size = 64
        while size < capacity * 2 { size <<= 1 }
        if slots.count != size {
            slots = [Int32](repeating: -1, count: size)
        } else {
            slots.withUnsafeMutableBufferPointer { $0.update(repeating: -1) }
        }
        hashes.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
    }

    /// The number of value `v` (bytes of `arena` at `offset`), and whether it was new.
    mutating func index(of v: UnsafeRawBufferPointer, at offset: Int, in arena: UnsafeRawBufferPointer) -> (Int, Bool) {
        let h = ByteHash.hash(v)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = Int(slots[i])
            if s < 0 { break }
            if hashes[s] == h && lengths[s] == v.count
                && (v.count == 0 || memcmp(arena.baseAddress! + offsets[s], v.baseAddress!, v.count) == 0)
            {
                return (s, false)
            }
            i = (i &+ 1) & mask
        }
        slots[i] = Int32(offsets.count)
        hashes.append(h)
        offsets.append(offset)
        lengths.append(v.count)
        return (offsets.count - 1, true)
    }
}
