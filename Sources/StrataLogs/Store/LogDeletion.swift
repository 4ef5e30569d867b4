import StrataEncoding
import StrataLabels
import Synchronization

/// A deletion of log records: every record of a stream the matchers select, whose line passes
/// every line filter, with a time in `[start, end]` (LogQL `{host="cmp-3"} |= "password"` over a
/// range). `LogStore.delete` records it as a tombstone; `LogStore.applyDeletions` removes the records.
public struct LogDeletion: Sendable, Equatable {
    /// Matchers on stream labels (all must match; an empty list matches every stream).
    public var streams: [LabelMatcher]
    /// Line filters (`|=`, `!=`, `|~`, `!~`), all must hold.
    public var lineFilters: [LineFilter]
    /// Inclusive start, nanoseconds since the epoch (`Int64.min`: open).
    public var start: Int64
    /// Inclusive end, nanoseconds since the epoch (`Int64.max`: open; a record at exactly
    /// `Int64.max` ns, in the year 2262, is not covered).
    public var end: Int64

    public init(streams: [LabelMatcher], lineFilters: [LineFilter] = [], start: Int64 = .min, end: Int64 = .max) {
        self.streams = streams
        self.lineFilters = lineFilters
        self.start = start
        self.end = end
    }

    /// The query selecting exactly the records this deletion covers (the end made exclusive).
    var query: LogQuery {
        LogQuery(streams: streams, lineFilters: lineFilters, start: start, end: end == .max ? .max : end + 1, limit: 0)
    }

    /// `query` compiled (a tombstone's filters compiled when it was decoded, so this cannot fail for one).
    func compiled() throws(FormatError) -> CompiledLogQuery {
        do throws(LogStoreError) { return try CompiledLogQuery(query) } catch {
            throw FormatError(.invalid, at: 0, "log tombstone: \(error)")
        }
    }

    /// The tombstone version this build writes.
    static let tombstoneVersion: UInt8 = 1

    /// The tombstone bytes (Docs/format/manifest.md, log store state):
    /// `[version u8 = 1][matcher count varint]([kind u8][name][value])*[filter count varint]
    /// ([op u8][flags u8][pattern])*[start i64 LE][end i64 LE]`, strings as varint length + UTF-8.
    var encoded: [UInt8] {
        var w = ByteWriter(capacity: 32)
        w.appendUInt8(Self.tombstoneVersion)
        w.appendVarint(UInt64(streams.count))
        for m in streams {
            w.appendUInt8(Self.matcherKinds.firstIndex(of: m.kind).map { UInt8($0) } ?? 0)
            w.appendLengthPrefixed(m.name)
            w.appendLengthPrefixed(m.value)
        }
        w.appendVarint(UInt64(lineFilters.count))
        for f in lineFilters {
            w.appendUInt8(Self.filterOperators.firstIndex(of: f.op).map { UInt8($0) } ?? 0)
            w.appendUInt8(f.caseInsensitive ? 1 : 0)
            w.appendLengthPrefixed(f.pattern)
        }
        w.appendInt64(start)
        w.appendInt64(end)
        return w.bytes
    }

    /// Byte values of the matcher kinds and line filter operators, by position.
    static let matcherKinds: [LabelMatcher.Kind] = [.equal, .notEqual, .regex, .notRegex]
    static let filterOperators: [LineFilter.Operator] = [.contains, .notContains, .matches, .notMatches]

    /// Decodes tombstone bytes.
    /// - Throws: `FormatError` for an unknown version, a bad kind or flag, a string that is not
    ///   UTF-8, a regular expression that does not compile, `start > end`, or bytes left over.
    init(tombstone b: [UInt8]) throws(FormatError) {
        var r = ByteReader(b)
        let version = try r.readUInt8()
        guard version == Self.tombstoneVersion else {
            throw FormatError(.unsupportedVersion, at: 0, "log tombstone version \(version) (this build reads 1)")
        }
        func string(_ r: inout ByteReader) throws(FormatError) -> String {
            let at = r.position
            let n = try r.readLength(limit: r.remaining)
            let bytes = Array(try r.readBytes(n))
            let s = String(decoding: bytes, as: UTF8.self)
            guard s.utf8.elementsEqual(bytes) else { throw FormatError(.invalid, at: at, "log tombstone string is not UTF-8") }
            return s
        }
        var matchers: [LabelMatcher] = []
        let nm = try r.readLength(limit: r.remaining)
        for _ in 0..<nm {
            let at = r.position
            let k = Int(try r.readUInt8())
            guard k < Self.matcherKinds.count else { throw FormatError(.invalid, at: at, "log tombstone matcher kind \(k)") }
            let name = try string(&r)
            let value = try string(&r)
            do throws(LabelMatcherError) {
                matchers.append(try LabelMatcher(Self.matcherKinds[k], name, value))
            } catch {
                throw FormatError(.invalid, at: at, "log tombstone matcher: \(error)")
            }
        }
        var filters: [LineFilter] = []
        let nf = try r.readLength(limit: r.remaining)
        for _ in 0..<nf {
            let at = r.position
            let op = Int(try r.readUInt8())
            guard op < Self.filterOperators.count else { throw FormatError(.invalid, at: at, "log tombstone line filter operator \(op)") }
            let flags = try r.readUInt8()
            guard flags <= 1 else { throw FormatError(.invalid, at: at + 1, "log tombstone line filter flags \(flags)") }
            let f = LineFilter(Self.filterOperators[op], try string(&r), caseInsensitive: flags == 1)
            do throws(LogStoreError) { _ = try LineMatcher(f) } catch {
                throw FormatError(.invalid, at: at, "log tombstone line filter: \(error)")
            }
            filters.append(f)
        }
        let start = try r.readInt64()
        let end = try r.readInt64()
        guard start <= end else { throw FormatError(.invalid, at: r.position - 16, "log tombstone start \(start) after end \(end)") }
        guard r.isAtEnd else { throw FormatError(.invalid, at: r.position, "\(r.remaining) bytes after the log tombstone") }
        self.init(streams: matchers, lineFilters: filters, start: start, end: end)
    }
}

/// What `LogStore.delete` counted, or (`dryRun`) would have recorded.
public struct LogDeletionReport: Sendable, Equatable {
    /// Records the deletion covers that no earlier tombstone already hides (head and segments).
    public var records: Int
    /// Tombstones pending after the call (this one included unless `dryRun`).
    public var pendingTombstones: Int
    public var dryRun: Bool
}

/// One segment a retention or a deletion rewrote: the input, the output (nil in a dry run) and
/// their records and bytes (in a dry run, `outputBytes` is the input's bytes scaled by the
/// records kept: an estimate).
public struct LogSegmentRewrite: Sendable, Equatable {
    public var input: String
    public var output: String?
    public var recordsBefore: Int
    public var recordsAfter: Int
    public var inputBytes: Int
    public var outputBytes: Int
}

/// What `LogStore.applyDeletions` did, or (`dryRun`) would do.
public struct LogDeletionApplyReport: Sendable, Equatable {
    /// Tombstones applied (and removed from the manifest unless `dryRun`).
    public var tombstonesApplied = 0
    /// Segments all of whose records were covered: removed.
    public var segmentsDropped: [String] = []
    /// Segments holding some covered records: rewritten without them.
    public var rewrites: [LogSegmentRewrite] = []
    /// Records removed (in a dry run, head records included: a real run flushes them first).
    public var recordsDropped = 0
    /// Segment bytes before and after (a dry run estimates `after` proportionally to records kept).
    public var bytesBefore = 0
    public var bytesAfter = 0
    /// Wall seconds.
    public var seconds: Double = 0
    public var dryRun = false
    public init() {}
}

/// The store's tombstones, decoded and compiled, with the rows they hide per segment (computed
/// when a query first needs them, for segments are immutable).
struct DeletionState: ~Copyable {
    var list: [LogDeletion] = []
    var queries: [CompiledLogQuery] = []
    /// Bumped whenever `list` changes: a hidden-row set computed under an older generation is not cached.
    var generation: UInt64 = 0
    /// Segment number → the rows the tombstones hide in it (absent: not computed yet).
    var hidden: [UInt64: Set<UInt32>] = [:]
}

/// The tombstones a query hides, as of one moment.
struct Hider {
    let queries: [CompiledLogQuery]
    let generation: UInt64

    /// True when a tombstone covers `r`.
    func covers(_ r: LogRecord) -> Bool {
        for q in queries where q.matches(r) { return true }
        return false
    }
}
