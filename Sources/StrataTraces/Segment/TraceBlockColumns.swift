import StrataEncoding

/// A decoded span block as columns of integers, with spans built only on demand.
///
/// Decoding the integer columns of a block (parents, times, flags, kinds, value codes) is
/// cheap; building `Span`s with their strings is not. A trace lookup builds the spans of one
/// trace, a search tests the integer columns and builds nothing (Docs/format/span-segment.md § Block sections).
struct TraceBlockColumns {
    let n: Int
    let bases: [TraceID]
    /// First span index of each trace, plus `n` at the end.
    let traceFirst: [Int]
    let parentRefs: [Int]
    /// For a span whose parent is explicit, the index in `explicit`; else -1.
    let explicitIndex: [Int]
    let explicit: [TraceID]
    let durations: [Int64]
    let starts: [Int64]
    let status: [UInt8]
    let kinds: [Int]
    /// Per block-dictionary column: the absolute value index of each span.
    let valueIndex: [[Int]]
    /// Per block-dictionary column: each value's byte range in `text`.
    let valueRanges: [[Range<Int>]]
    let ids: [UInt8]
    /// The text section, nil when the block was read without it (searches need no text).
    let text: [UInt8]?
    let tokens: TextIDTokens
    let dictionaries: [[String]]
    let kindTable: [[Int]]
    let traceIDsOffset: Int

    /// - Parameter onlyTrace: resolve the start times of this trace only (a lookup); nil: all.
    init(ids idBytes: [UInt8], codes raw: [UInt8], times timeBytes: [UInt8], text textBytes: [UInt8]?,
         dictionaries: [[String]], kinds kindTable: [[Int]], baseOffset: Int, onlyTrace: TraceID? = nil) throws(FormatError) {
        var parsed: Parsed! = nil
        try withRawBytes(raw) { c throws(FormatError) in
            try withRawBytes(timeBytes) { t throws(FormatError) in
                parsed = try Parsed(codes: c, times: t, idCount: idBytes.count / 16, idBytesValid: idBytes.count % 16 == 0,
                                    kindCount: kindTable.count, baseOffset: baseOffset) { traceCount in
                    // A lookup: the trace's position among the block's bases (sorted), if there.
                    guard let onlyTrace, idBytes.count >= traceCount * 16 else { return nil }
                    return idBytes.withUnsafeBytes { b -> Int? in
                        var lo = 0, hi = traceCount - 1
                        while lo <= hi {
                            let mid = (lo + hi) / 2
                            let id = TraceID(bytes16: UnsafeRawBufferPointer(rebasing: b[(mid * 16)..<(mid * 16 + 16)]))
                            if id == onlyTrace { return mid }
                            if id < onlyTrace { lo = mid + 1 } else { hi = mid - 1 }
                        }
                        return -1
                    }
                }
            }
        }
        n = parsed.n
        let traceCount = parsed.sizes.count
        guard idBytes.count == 16 * (traceCount + n + parsed.explicitCount + parsed.tableCount) else {
            throw FormatError(.invalid, at: baseOffset, "id section of \(idBytes.count) bytes does not fit the block's counts")
        }
        func id(_ i: Int) -> TraceID {
            idBytes.withUnsafeBytes { TraceID(bytes16: UnsafeRawBufferPointer(rebasing: $0[(i * 16)..<(i * 16 + 16)])) }
        }
        bases = (0..<traceCount).map(id)
        traceIDsOffset = traceCount
        let spanCount = parsed.n, explicitCount = parsed.explicitCount
        explicit = (0..<explicitCount).map { id(traceCount + spanCount + $0) }
        let table = (0..<parsed.tableCount).map { id(traceCount + spanCount + explicitCount + $0) }
        tokens = TextIDTokens(table: table)
        var first: [Int] = [0]
        for s in parsed.sizes { first.append(first[first.count - 1] + s) }
        traceFirst = first
        parentRefs = parsed.parentRefs
        var ex = [Int](repeating: -1, count: n)
        var e = 0
        for k in 0..<n where parsed.parentRefs[k] == 1 {
            ex[k] = e
            e += 1
        }
        guard e == parsed.explicitCount else { throw FormatError(.invalid, at: baseOffset, "\(e) explicit parents referenced, \(parsed.explicitCount) stored") }
        explicitIndex = ex
        durations = parsed.durations
        status = parsed.status
        kinds = parsed.kinds
        valueIndex = parsed.valueIndex
        // Value byte ranges in the text section, column after column.
        var ranges: [[Range<Int>]] = []
        if let textBytes { try withRawBytes(textBytes) { b throws(FormatError) in
            var r = RawBufferReader(b, baseOffset: baseOffset)
            for count in parsed.valueCounts {
                var col: [Range<Int>] = []
                col.reserveCapacity(count)
                for _ in 0..<count {
                    let len = try r.count(limit: r.remaining, "text length")
                    col.append(r.position..<(r.position + len))
                    _ = try r.bytes(len)
                }
                ranges.append(col)
            }
            try r.expectEnd("span block text")
        } }
        valueRanges = ranges
        ids = idBytes
        text = textBytes
        self.dictionaries = dictionaries
        self.kindTable = kindTable
        // Starts: per trace, by its mode.
        var starts = [Int64](repeating: 0, count: n)
        var resolve = 0..<traceCount
        if let onlyTrace {
            let t = bases.firstIndex(of: onlyTrace) ?? traceCount
            resolve = t..<min(t + 1, traceCount)
        }
        for t in resolve {
            let range = first[t]..<first[t + 1]
            if parsed.modes[t] == 1 {
                for i in range { starts[i] = parsed.traceStarts[t] &+ parsed.offsets[i] }
            } else {
                try TraceBlockColumns.resolveStarts(
                    &starts, range, parsed.offsets, parsed.durations, parsed.parentRefs, ex, explicit,
                    traceStart: parsed.traceStarts[t], at: baseOffset)
            }
        }
        self.starts = starts
    }

    /// The integer columns as read from the codes and times sections.
    struct Parsed {
        var n = 0
        var sizes: [Int] = []
        var traceStarts: [Int64] = []
        var parentRefs: [Int] = []
        var explicitCount = 0
        var modes: [Int] = []
        var durations: [Int64] = []
        var offsets: [Int64] = []
        var status: [UInt8] = []
        var kinds: [Int] = []
        var tableCount = 0
        var valueCounts: [Int] = []
        var valueIndex: [[Int]] = []

        /// - Parameter onlyTrace: given the trace count, the index of the one trace whose
        ///   block-dictionary value indexes a lookup needs (-1: none), or nil for every span.
        init(codes raw: UnsafeRawBufferPointer, times timeBytes: UnsafeRawBufferPointer, idCount: Int, idBytesValid: Bool,
             kindCount: Int, baseOffset: Int, onlyTrace: (Int) -> Int? = { _ in nil }) throws(FormatError) {
            guard idBytesValid else { throw FormatError(.invalid, at: baseOffset, "id section not a multiple of 16 bytes") }
            var r = RawBufferReader(raw, baseOffset: baseOffset)
            n = try r.count(limit: min(raw.count, idCount), "span count")
            let traceCount = try r.count(limit: n, "trace count")
            let tracePlanes = timeBytes.isEmpty ? 0 : Int(timeBytes[0])
            let split = min(timeBytes.count, 1 + tracePlanes * traceCount)
            let traceTimes = try BytePlanes.decode(UnsafeRawBufferPointer(rebasing: timeBytes[0..<split]), count: traceCount, baseOffset: baseOffset)
            let times = try BytePlanes.decode(UnsafeRawBufferPointer(rebasing: timeBytes[split...]), count: 2 * n, baseOffset: baseOffset)
            var total = 0
            var prev: Int64 = 0
            for t in 0..<traceCount {
                let c = try r.count(limit: n, "spans in a trace")
                guard c > 0 else { throw FormatError(.invalid, at: r.fileOffset, "empty trace in a block") }
                sizes.append(c)
                total += c
                prev = prev &+ traceTimes[t]
                traceStarts.append(prev)
            }
            guard total == n else { throw FormatError(.invalid, at: r.fileOffset, "trace sizes add to \(total), block has \(n) spans") }
            parentRefs.reserveCapacity(n)
            for t in 0..<traceCount { parentRefs += try r.counts(sizes[t], limit: sizes[t] + 1, "parent ref") }
            explicitCount = try r.count(limit: n, "explicit parents")
            durations = Array(times[0..<n])
            offsets = Array(times[n...])
            modes = try r.counts(traceCount, limit: 1, "trace start mode")
            status = Array(try r.bytes(n))
            if n > 0 && kindCount == 0 { throw FormatError(.invalid, at: r.fileOffset, "span kind past an empty kind table") }
            kinds = try r.counts(n, limit: kindCount - 1, "span kind")
            tableCount = try r.count(limit: idCount, "text id table")
            // The spans whose value indexes are resolved: all, or one trace's for a lookup.
            var keep = 0..<n
            if let t = onlyTrace(traceCount) {
                if t < 0 {
                    keep = 0..<0
                } else {
                    let lo = sizes[..<t].reduce(0, +)
                    keep = lo..<(lo + sizes[t])
                }
            }
            for _ in TraceSegmentFormat.blockInfoFields {
                let count = try r.count(limit: n, "block dictionary size")
                let at = r.fileOffset
                // Codes in place become value indexes: 0 is the next new value, k the (k-1)-th seen.
                var col = try r.counts(n, limit: count, "block dictionary code")
                var next = 0
                var bad = 0
                col.withUnsafeMutableBufferPointer { c in
                    // New values before the kept spans are only counted (a lookup needs one trace).
                    // (code - 1) >> 63 is -1 for a 0 code and 0 otherwise (codes are >= 0): no branch.
                    for i in 0..<keep.lowerBound { next &-= (c[i] &- 1) >> 63 }
                    for i in keep {
                        let code = c[i]
                        let isNew = code == 0 ? 1 : 0
                        let reference = code &- 1
                        bad |= reference >= next ? 1 : 0  // a reference to a value not seen yet (-1 for new)
                        c[i] = isNew == 1 ? next : reference
                        next &+= isNew
                    }
                    for i in keep.upperBound..<c.count { next &-= (c[i] &- 1) >> 63 }
                }
                if bad != 0 { throw FormatError(.invalid, at: at, "block dictionary code refers past the values seen") }
                guard next == count else { throw FormatError(.invalid, at: r.fileOffset, "block dictionary values left unused") }
                valueCounts.append(count)
                valueIndex.append(col)
            }
            try r.expectEnd("span block codes")
        }
    }

    /// The trace index of `base`, if the block has it (traces are in base_id order). When the
    /// columns were decoded for one trace, only that trace's spans have their start times.
    func trace(_ base: TraceID) -> Int? {
        var lo = 0, hi = bases.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            if bases[mid] == base { return mid }
            if bases[mid] < base { lo = mid + 1 } else { hi = mid - 1 }
        }
        return nil
    }

    func traceOf(span k: Int) -> Int {
        var lo = 0, hi = bases.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if traceFirst[mid] <= k { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    func traceID(_ k: Int) -> TraceID {
        let i = traceIDsOffset + k
        return ids.withUnsafeBytes { TraceID(bytes16: UnsafeRawBufferPointer(rebasing: $0[(i * 16)..<(i * 16 + 16)])) }
    }

    /// Builds span `k` of trace `t`.
    func span(_ k: Int, trace t: Int) throws(FormatError) -> Span {
        let ref = parentRefs[k]
        let parent: TraceID
        if ref == 0 {
            parent = bases[t]
        } else if ref == 1 {
            parent = explicit[explicitIndex[k]]
        } else {
            parent = traceID(traceFirst[t] + ref - 2)
        }
        let codes = kindTable[kinds[k]]
        var s = Span(
            baseID: bases[t], traceID: traceID(k), parentID: parent, name: dictionaries[0][codes[0]],
            service: dictionaries[1][codes[1]], project: dictionaries[2][codes[2]], host: dictionaries[3][codes[3]],
            start: starts[k], duration: durations[k], status: SpanStatus(rawValue: status[k]))
        for c in 4..<TraceSegmentFormat.dictionaryColumns {
            s.info[field: TraceSegmentFormat.dictionaryInfoFields[c - 4]] = dictionaries[c][codes[c]]
        }
        guard let text else { throw FormatError(.invalid, at: 0, "span built from a block read without its text") }
        for (j, f) in TraceSegmentFormat.blockInfoFields.enumerated() {
            let range = valueRanges[j][valueIndex[j][k]]
            if range.isEmpty { continue }
            s.info[field: f] = try withRawBytes(text) { b throws(FormatError) in
                try tokens.text(UnsafeRawBufferPointer(rebasing: b[range]), at: range.lowerBound)
            }
        }
        return s
    }

    /// The search summary of trace `t` from the integer columns (no strings built but names).
    func summary(ofTrace t: Int) -> TraceSummary {
        let range = traceFirst[t]..<traceFirst[t + 1]
        var root = range.lowerBound
        var services = Set<String>()
        var start = Int64.max, end = Int64.min
        var errors = 0, flagged = 0
        for k in range {
            let top = parentRefs[k] == 0, rootTop = parentRefs[root] == 0
            if (top && !rootTop) || (top == rootTop && starts[k] < starts[root]) { root = k }
            let codes = kindTable[kinds[k]]
            let project = dictionaries[2][codes[2]]
            services.insert(project.isEmpty ? dictionaries[1][codes[1]] : project)
            start = min(start, starts[k])
            end = max(end, starts[k] &+ max(0, durations[k]))
            if status[k] & SpanStatus.error.rawValue != 0 { errors += 1 }
            if status[k] & SpanStatus.flagged.rawValue != 0 { flagged += 1 }
        }
        let codes = kindTable[kinds[root]]
        return TraceSummary(
            baseID: bases[t], rootName: "\(dictionaries[2][codes[2]]) \(dictionaries[1][codes[1]]) \(dictionaries[0][codes[0]])",
            services: services.sorted(), spanCount: range.count, start: start, duration: end - start, errorCount: errors,
            flaggedCount: flagged)
    }

    /// Every span of the block, in stored order.
    func allSpans() throws(FormatError) -> [Span] {
        var out: [Span] = []
        out.reserveCapacity(n)
        for t in 0..<bases.count {
            for k in traceFirst[t]..<traceFirst[t + 1] { out.append(try span(k, trace: t)) }
        }
        return out
    }

    /// The spans of trace `t`.
    func spans(ofTrace t: Int) throws(FormatError) -> [Span] {
        var out: [Span] = []
        for k in traceFirst[t]..<traceFirst[t + 1] { out.append(try span(k, trace: t)) }
        return out
    }

    /// Mode-0 starts of one trace (Docs/format/span-segment.md § Block sections): relative to the previous
    /// sibling's end, the parent's start, or the trace start; resolved with an explicit stack,
    /// a reference loop is corrupt data.
    static func resolveStarts(
        _ starts: inout [Int64], _ range: Range<Int>, _ offsets: [Int64], _ durations: [Int64], _ parentRefs: [Int],
        _ explicitIndex: [Int], _ explicit: [TraceID], traceStart: Int64, at offset: Int
    ) throws(FormatError) {
        func sameParent(_ a: Int, _ b: Int) -> Bool {
            guard parentRefs[a] == parentRefs[b] else { return false }
            return parentRefs[a] != 1 || explicit[explicitIndex[a]] == explicit[explicitIndex[b]]
        }
        /// The span this one's start is relative to (-1: the trace start), and whether it is its end.
        func dependency(_ i: Int) -> (Int, Bool) {
            if i > range.lowerBound && sameParent(i - 1, i) { return (i - 1, true) }
            let ref = parentRefs[i]
            return ref >= 2 ? (range.lowerBound + ref - 2, false) : (-1, false)
        }
        var done = [Bool](repeating: false, count: range.count)
        var onStack = [Bool](repeating: false, count: range.count)
        var stack: [Int] = []
        for i in range where !done[i - range.lowerBound] {
            stack.append(i)
            onStack[i - range.lowerBound] = true
            while let top = stack.last {
                let (d, isEnd) = dependency(top)
                if d >= 0 && !done[d - range.lowerBound] {
                    guard !onStack[d - range.lowerBound] else {
                        throw FormatError(.invalid, at: offset, "span start references form a loop")
                    }
                    stack.append(d)
                    onStack[d - range.lowerBound] = true
                    continue
                }
                let reference = d < 0 ? traceStart : (isEnd ? starts[d] &+ durations[d] : starts[d])
                starts[top] = reference &+ offsets[top]
                done[top - range.lowerBound] = true
                onStack[top - range.lowerBound] = false
                stack.removeLast()
            }
        }
    }
}
