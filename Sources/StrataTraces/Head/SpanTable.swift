#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Spans held compactly, for the ingest path: fixed-size rows with no references, the
/// repeated strings (name, service, project, host, method, scheme, statement, function,
/// error type) interned once as bytes and referenced by a "kind" number, and the rest of
/// the text (paths, params, args, messages, extra) in one byte arena.
///
/// A `Span` holds 15 `String`s; copying, pairing and sorting a million of them was mostly
/// reference counting and page faults (Benchmarks/README.md § Trace store). A `PackedSpan`
/// is 112 bytes of plain data. `Span`s are built only when something reads the head.
///
/// `package`: StrataIngest's osprofiler parser writes events straight into a table.
package struct SpanTable {
    /// Interned strings; id 0 is "".
    package var strings = ByteInterner()
    /// Distinct combinations of the nine dictionary columns' string ids.
    package var kinds = KindTable()
    /// Text of the block columns, each span's 7 fields one after another.
    package var text: [UInt8] = []
    package var spans: [PackedSpan] = []

    package init() {}

    /// Dictionary columns (Docs/format/span-segment.md § Index: the dictionaries): name, service, project, host,
    /// then `SpanInfo` fields requestMethod, requestScheme, dbStatement, functionName, errorType.
    package static let columns = TraceSegmentFormat.dictionaryColumns
    static let hostColumn = 3, serviceColumn = 1, projectColumn = 2, errorTypeColumn = 8
    /// Text fields: `SpanInfo` fields requestPath, requestQuery, dbParams, functionArgs,
    /// functionKwargs, errorMessage, extra (TraceSegmentFormat.blockInfoFields).
    package static let textFields = TraceSegmentFormat.blockInfoFields.count
    package static let errorMessageField = 5, extraField = 6

    // MARK: Packing and unpacking

    /// Packs `span` (an event when `event` is 1 start or 2 stop, a whole span when 0).
    mutating func pack(_ span: Span, event: UInt8) -> PackedSpan {
        var key = KindKey()
        for c in 0..<SpanTable.columns {
            var v = TraceBlockCodec.dictionaryValue(span, c)
            key[c] = v.withUTF8 { strings.intern(UnsafeRawBufferPointer($0)) }
        }
        var p = PackedSpan(base: span.baseID, trace: span.traceID, parent: span.parentID, start: span.start,
                           duration: span.duration, text: text.count, lengths: SIMD8(), kind: kinds.intern(key),
                           status: span.status.rawValue, event: event)
        for (j, f) in TraceSegmentFormat.blockInfoFields.enumerated() {
            var v = span.info[field: f]
            v.withUTF8 { text.append(contentsOf: $0) }
            p.lengths[j] = UInt32(v.utf8.count)
        }
        return p
    }

    /// Appends `span` packed.
    mutating func append(_ span: Span, event: UInt8) {
        spans.append(pack(span, event: event))
    }

    /// The `String` of string id `id`.
    func string(_ id: UInt32) -> String { strings.string(id) }

    /// Text field `field` of `p` as bytes.
    @inline(__always)
    func withText<R>(_ p: PackedSpan, _ field: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var offset = p.text
        for j in 0..<field { offset &+= Int(p.lengths[j]) }
        let n = Int(p.lengths[field])
        return text.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + n)])) }
    }

    /// The `Span` of a packed row.
    func span(_ p: PackedSpan) -> Span {
        let key = kinds.key(p.kind)
        var s = Span(
            baseID: p.base, traceID: p.trace, parentID: p.parent, name: string(key[0]), service: string(key[1]),
            project: string(key[2]), host: string(key[3]), start: p.start, duration: p.duration,
            status: SpanStatus(rawValue: p.status))
        for c in 4..<SpanTable.columns where key[c] != 0 {
            s.info[field: TraceSegmentFormat.dictionaryInfoFields[c - 4]] = string(key[c])
        }
        var offset = p.text
        text.withUnsafeBytes { b in
            for (j, f) in TraceSegmentFormat.blockInfoFields.enumerated() {
                let n = Int(p.lengths[j])
                if n > 0 { s.info[field: f] = String(decoding: UnsafeRawBufferPointer(rebasing: b[offset..<(offset + n)]), as: UTF8.self) }
                offset += n
            }
        }
        return s
    }

    /// The event of a packed row with `event` 1 or 2.
    package func event(_ p: PackedSpan) -> SpanEvent {
        SpanEvent(kind: p.event == 2 ? .stop : .start, span: span(p))
    }

    /// True when two rows of this table are the same event (ids, times, flags, strings, text).
    func same(_ a: PackedSpan, _ b: PackedSpan) -> Bool {
        guard a.trace == b.trace, a.base == b.base, a.parent == b.parent, a.start == b.start, a.duration == b.duration,
            a.status == b.status, a.event == b.event, a.kind == b.kind, a.lengths == b.lengths
        else { return false }
        let n = Int(a.lengths.wrappedSum())
        if n == 0 || a.text == b.text { return true }
        return text.withUnsafeBytes { t in
            memcmp(t.baseAddress! + a.text, t.baseAddress! + b.text, n) == 0
        }
    }

    // MARK: Moving rows between tables

    /// Copies row `p` of `other` into this table's strings, kinds and text; returns the row rebased here.
    mutating func adopt(_ p: PackedSpan, from other: SpanTable, kindMap: inout [UInt32], stringMap: inout [UInt32]) -> PackedSpan {
        var q = p
        q.kind = mapKind(p.kind, from: other, kindMap: &kindMap, stringMap: &stringMap)
        let n = Int(p.lengths.wrappedSum())
        q.text = text.count
        if n > 0 { other.text.withUnsafeBytes { text.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[p.text..<(p.text + n)])) } }
        return q
    }

    /// This table's kind for kind `k` of `other`; `kindMap` and `stringMap` (filled with
    /// `UInt32.max`, sized to `other`'s kinds and strings) cache the answers.
    mutating func mapKind(_ k: UInt32, from other: SpanTable, kindMap: inout [UInt32], stringMap: inout [UInt32]) -> UInt32 {
        let cached = kindMap[Int(k)]
        if cached != .max { return cached }
        var key = other.kinds.key(k)
        for c in 0..<SpanTable.columns {
            let s = Int(key[c])
            if stringMap[s] == .max {
                stringMap[s] = other.strings.withBytes(UInt32(s)) { strings.intern($0) }
            }
            key[c] = stringMap[s]
        }
        let mine = kinds.intern(key)
        kindMap[Int(k)] = mine
        return mine
    }
}

/// One span or event in a `SpanTable`: plain data, no references.
package struct PackedSpan {
    var base: TraceID
    var trace: TraceID
    var parent: TraceID
    var start: Int64
    var duration: Int64
    /// Offset of the span's text fields in the table's arena.
    var text: Int
    /// Byte counts of the 7 text fields (lane 7 unused).
    package var lengths: SIMD8<UInt32>
    /// The table's kind: the nine dictionary columns' string ids.
    package var kind: UInt32
    var status: UInt8
    /// 0 a whole span, 1 a start event, 2 a stop event.
    var event: UInt8
    /// A span the head paired from a start and a stop.
    var paired = false

    package init(
        base: TraceID, trace: TraceID, parent: TraceID, start: Int64, duration: Int64, text: Int, lengths: SIMD8<UInt32>,
        kind: UInt32, status: UInt8, event: UInt8
    ) {
        self.base = base
        self.trace = trace
        self.parent = parent
        self.start = start
        self.duration = duration
        self.text = text
        self.lengths = lengths
        self.kind = kind
        self.status = status
        self.event = event
    }

    @inline(__always) var end: Int64 { start &+ max(0, duration) }
    @inline(__always) var textCount: Int { Int(lengths.wrappedSum()) }
}

/// The nine dictionary columns' string ids of a span (lanes 9-15 are zero).
package typealias KindKey = SIMD16<UInt32>

/// Interned `KindKey`s, numbered in first-seen order.
package struct KindTable {
    private(set) var keys: [KindKey] = []
    private var slots = [Int32](repeating: -1, count: 64)
    private var last: (key: KindKey, id: UInt32)? = nil

    var count: Int { keys.count }

    @inline(__always) func key(_ id: UInt32) -> KindKey { keys[Int(id)] }

    package mutating func intern(_ key: KindKey) -> UInt32 {
        if let last, last.key == key { return last.id }
        let h = KindTable.hash(key)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s < 0 { break }
            if keys[Int(s)] == key {
                last = (key, UInt32(s))
                return UInt32(s)
            }
            i = (i &+ 1) & mask
        }
        let id = UInt32(keys.count)
        keys.append(key)
        slots[i] = Int32(id)
        if keys.count * 2 > slots.count { rehash() }
        last = (key, id)
        return id
    }

    private mutating func rehash() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (id, key) in keys.enumerated() {
            var i = Int(truncatingIfNeeded: KindTable.hash(key)) & mask
            while slots[i] >= 0 { i = (i &+ 1) & mask }
            slots[i] = Int32(id)
        }
    }

    @inline(__always)
    static func hash(_ k: KindKey) -> UInt64 {
        // Lanes paired into words, unrolled (constant lane indices stay in registers).
        let a = UInt64(k[0]) | UInt64(k[1]) << 32, b = UInt64(k[2]) | UInt64(k[3]) << 32
        let c = UInt64(k[4]) | UInt64(k[5]) << 32, d = UInt64(k[6]) | UInt64(k[7]) << 32
        var h = (a &* 0x9E37_79B9_7F4A_7C15) ^ (b &* 0xBF58_476D_1CE4_E5B9) ^ (c &* 0x94D0_49BB_1331_11EB)
            ^ (d &* 0xD6E8_FEB8_6659_FD93) ^ UInt64(k[8])
        h = (h ^ (h >> 32)) &* 0x9E37_79B9_7F4A_7C15
        return h ^ (h >> 29)
    }
}

/// Byte strings interned to dense ids (0 is the empty string), with a seeded hash.
package struct ByteInterner {
    private(set) var storage: [UInt8] = []
    /// Value `i` is `storage[ends[i]..<ends[i + 1]]`.
    private(set) var ends: [Int] = [0, 0]
    private var hashes: [UInt64] = [0]
    private var slots = [Int32](repeating: -1, count: 64)

    init() {}

    /// Number of ids, the empty string's included.
    var count: Int { ends.count - 1 }

    /// The id of `b`, adding it if new.
    package mutating func intern(_ b: UnsafeRawBufferPointer) -> UInt32 {
        if b.isEmpty { return 0 }
        let h = ByteHash.hash(b)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s < 0 { break }
            if hashes[Int(s)] == h && equals(Int(s), b) { return UInt32(s) }
            i = (i &+ 1) & mask
        }
        let id = count
        storage.append(contentsOf: b)
        ends.append(storage.count)
        hashes.append(h)
        slots[i] = Int32(id)
        if id * 2 > slots.count { rehash() }
        return UInt32(id)
    }

    @inline(__always)
    private func equals(_ id: Int, _ b: UnsafeRawBufferPointer) -> Bool {
        let lo = ends[id], hi = ends[id + 1]
        guard hi - lo == b.count else { return false }
        return storage.withUnsafeBytes { memcmp($0.baseAddress! + lo, b.baseAddress!, b.count) == 0 }
    }

    private mutating func rehash() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for id in 1..<count {
            var i = Int(truncatingIfNeeded: hashes[id]) & mask
            while slots[i] >= 0 { i = (i &+ 1) & mask }
            slots[i] = Int32(id)
        }
    }

    /// The bytes of `id`.
    @inline(__always)
    func withBytes<R>(_ id: UInt32, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let lo = ends[Int(id)], hi = ends[Int(id) + 1]
        return storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[lo..<hi])) }
    }

    func string(_ id: UInt32) -> String {
        id == 0 ? "" : withBytes(id) { String(decoding: $0, as: UTF8.self) }
    }
}

/// A fast 64-bit hash of bytes for in-memory tables, seeded per process so crafted input
/// cannot aim at collisions.
enum ByteHash {
    static let seed = UInt64.random(in: .min ... .max)

    @inline(__always)
    static func hash(_ b: UnsafeRawBufferPointer) -> UInt64 {
        let n = b.count
        var h = seed ^ (UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15)
        var i = 0
        while i &+ 8 <= n {
            h = (h ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 29
            i &+= 8
        }
        if i < n {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                v |= UInt64(b[i]) << shift
                shift &+= 8
                i &+= 1
            }
            h = (h ^ v) &* 0x94D0_49BB_1331_11EB
        }
        h ^= h >> 32
        h &*= 0xD6E8_FEB8_6659_FD93
        return h ^ (h >> 32)
    }
}
