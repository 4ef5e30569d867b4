import StrataIngest
import StrataLabels
import StrataLogs

/// What one Loki push did.
public struct PushOutcome: Sendable, Equatable {
    public var streams = 0
    public var entriesAccepted = 0
    public var bytesAccepted = 0
    /// Entries refused (bad stream labels, lines over the limit).
    public var entriesRejected = 0
    public var problems: [String] = []
    public init() {}
    mutating func problem(_ s: String) { if problems.count < 10 { problems.append(s) } }
}

/// Takes Loki pushes (JSON, or protobuf `PushRequest` after snappy) into a log store.
public struct LogPushIngester: Sendable {
    let store: LogStore
    let limits: WireLimits

    public init(store: LogStore, limits: WireLimits) {
        self.store = store
        self.limits = limits
    }

    /// A JSON push body (already inflated when it was gzip).
    public func ingestJSON(_ body: UnsafeRawBufferPointer) throws(WireError) -> PushOutcome {
        let streams: [LokiPushStream]
        do {
            streams = try LokiPushJSON.parse(body, maxEntries: limits.maxSamplesPerRequest)
        } catch {
            throw WireError(.malformed, error.message, offset: error.offset)
        }
        return try store(streams)
    }

    /// A protobuf `logproto.PushRequest` body (already snappy-decoded).
    public func ingestProtobuf(_ body: UnsafeRawBufferPointer) throws(WireError) -> PushOutcome {
        try store(try Self.decodeProtobuf(body, limits: limits))
    }

    /// `PushRequest{ repeated StreamAdapter streams = 1 }`, `StreamAdapter{ string labels = 1;
    /// repeated EntryAdapter entries = 2 }`, `EntryAdapter{ Timestamp timestamp = 1; string line = 2;
    /// repeated LabelPairAdapter structuredMetadata = 3 }`.
    static func decodeProtobuf(_ body: UnsafeRawBufferPointer, limits: WireLimits) throws(WireError) -> [LokiPushStream] {
        var r = ProtoReader(body)
        var streams: [LokiPushStream] = []
        var total = 0
        while !r.atEnd {
            let (f, w) = try r.tag()
            guard f == 1 else {
                try r.skip(wire: w)
                continue
            }
            try r.expect(w, ProtoReader.lengthType, "PushRequest.streams")
            var s = ProtoReader(body, try r.lengthDelimited())
            var labels: [Label] = []
            var entries: [LokiPushEntry] = []
            while !s.atEnd {
                let (f, w) = try s.tag()
                switch f {
                case 1:
                    try s.expect(w, ProtoReader.lengthType, "StreamAdapter.labels")
                    let lr = try s.lengthDelimited()
                    labels = try LabelsText.parse(s.string(lr), offset: lr.lowerBound)
                case 2:
                    try s.expect(w, ProtoReader.lengthType, "StreamAdapter.entries")
                    total += 1
                    guard total <= limits.maxSamplesPerRequest else {
                        throw WireError(.tooLarge, "more than \(limits.maxSamplesPerRequest) entries in one push (--max-samples-per-request)")
                    }
                    entries.append(try decodeEntry(body, try s.lengthDelimited()))
                default:
                    try s.skip(wire: w)
                }
            }
            streams.append(LokiPushStream(labels: labels, entries: entries))
        }
        return streams
    }

    static func decodeEntry(_ body: UnsafeRawBufferPointer, _ range: Range<Int>) throws(WireError) -> LokiPushEntry {
        var e = ProtoReader(body, range)
        var entry = LokiPushEntry(timestamp: 0, line: [])
        while !e.atEnd {
            let (f, w) = try e.tag()
            switch f {
            case 1:
                try e.expect(w, ProtoReader.lengthType, "EntryAdapter.timestamp")
                var t = ProtoReader(body, try e.lengthDelimited())
                var seconds: Int64 = 0, nanos: Int64 = 0
                while !t.atEnd {
                    let (f, w) = try t.tag()
                    if f == 1 { seconds = Int64(bitPattern: try t.varint()) }
                    else if f == 2 { nanos = Int64(Int32(truncatingIfNeeded: try t.varint())) }
                    else { try t.skip(wire: w) }
                }
                let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
                guard !overflow else { throw WireError(.malformed, "timestamp out of range", offset: range.lowerBound) }
                entry.timestamp = ns &+ nanos
            case 2:
                try e.expect(w, ProtoReader.lengthType, "EntryAdapter.line")
                entry.line = Array(UnsafeRawBufferPointer(rebasing: body[try e.lengthDelimited()]))
            case 3:
                try e.expect(w, ProtoReader.lengthType, "EntryAdapter.structuredMetadata")
                var m = ProtoReader(body, try e.lengthDelimited())
                var name = "", value = ""
                while !m.atEnd {
                    let (f, w) = try m.tag()
                    if f == 1 { name = m.string(try m.lengthDelimited()) }
                    else if f == 2 { value = m.string(try m.lengthDelimited()) }
                    else { try m.skip(wire: w) }
                }
                entry.metadata.append(LogField(name, value))
            default:
                try e.skip(wire: w)
            }
        }
        return entry
    }

    /// Validates streams and entries, then appends the good ones in one call.
    func store(_ streams: [LokiPushStream]) throws(WireError) -> PushOutcome {
        var out = PushOutcome()
        out.streams = streams.count
        var records: [LogRecord] = []
        records.reserveCapacity(streams.reduce(0) { $0 + $1.entries.count })
        var cache: [[Label]: Labels] = [:]
        for stream in streams {
            var problem: String?
            var labels = cache[stream.labels]
            if labels == nil {
                if stream.labels.isEmpty { problem = "a stream without labels" }
                if stream.labels.count > limits.maxLabelsPerSeries {
                    problem = "a stream with \(stream.labels.count) labels, over the limit of \(limits.maxLabelsPerSeries) (--max-labels-per-series)"
                }
                for l in stream.labels where problem == nil {
                    var n = l.name, v = l.value
                    problem = n.withUTF8 { nb in v.withUTF8 { vb in
                        limits.labelProblem(name: UnsafeRawBufferPointer(nb), value: UnsafeRawBufferPointer(vb)) } }
                }
                if problem == nil {
                    do {
                        let ls = try Labels(validating: stream.labels)
                        if ls.count == 0 { problem = "a stream whose labels are all empty" } else { labels = ls; cache[stream.labels] = ls }
                    } catch { problem = "\(error)" }
                }
            }
            guard let labels else {
                out.entriesRejected += stream.entries.count
                out.problem("stream \(Labels(sorted: stream.labels.sorted())): \(problem ?? "invalid labels")")
                continue
            }
            for e in stream.entries {
                if e.line.count > limits.maxLineBytes {
                    out.entriesRejected += 1
                    out.problem("stream \(labels): line of \(e.line.count) bytes is over the limit of \(limits.maxLineBytes) (--max-line-bytes)")
                    continue
                }
                records.append(LogRecord(time: .nanoseconds(e.timestamp), stream: labels, line: e.line, fields: e.metadata))
                out.bytesAccepted += e.line.count
            }
        }
        if !records.isEmpty {
            do { try store.append(records) } catch { throw WireError(.storage, "storage: \(error)") }
            out.entriesAccepted = records.count
        }
        return out
    }
}

/// Label sets written as text, `{job="varlogs", host="a"}`, as Loki's protobuf push carries them.
enum LabelsText {
    static func parse(_ text: String, offset: Int) throws(WireError) -> [Label] {
        let b = Array(text.utf8)
        var i = 0
        var out: [Label] = []
        func fail(_ m: String) -> WireError { WireError(.malformed, "stream labels \(text): \(m)", offset: offset + i) }
        func space() { while i < b.count && (b[i] == 0x20 || b[i] == 0x09) { i += 1 } }
        space()
        guard i < b.count, b[i] == UInt8(ascii: "{") else { throw fail("expected '{'") }
        i += 1
        space()
        if i < b.count && b[i] == UInt8(ascii: "}") { return [] }
        while true {
            space()
            let start = i
            while i < b.count, b[i] != UInt8(ascii: "="), b[i] != 0x20 { i += 1 }
            let name = String(decoding: b[start..<i], as: UTF8.self)
            space()
            guard i < b.count, b[i] == UInt8(ascii: "=") else { throw fail("expected '=' after a label name") }
            i += 1
            space()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("expected a quoted value") }
            i += 1
            var value: [UInt8] = []
            while true {
                guard i < b.count else { throw fail("unterminated value") }
                let c = b[i]
                i += 1
                if c == UInt8(ascii: "\"") { break }
                if c == UInt8(ascii: "\\") {
                    guard i < b.count else { throw fail("unterminated escape") }
                    let e = b[i]
                    i += 1
                    switch e {
                    case UInt8(ascii: "n"): value.append(0x0A)
                    case UInt8(ascii: "t"): value.append(0x09)
                    case UInt8(ascii: "r"): value.append(0x0D)
                    default: value.append(e)
                    }
                } else {
                    value.append(c)
                }
            }
            out.append(Label(name, String(decoding: value, as: UTF8.self)))
            space()
            guard i < b.count else { throw fail("expected ',' or '}'") }
            if b[i] == UInt8(ascii: "}") { return out }
            guard b[i] == UInt8(ascii: ",") else { throw fail("expected ',' or '}'") }
            i += 1
        }
    }
}
