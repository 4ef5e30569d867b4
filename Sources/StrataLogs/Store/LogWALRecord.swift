import StrataEncoding
import StrataLabels

/// The log store's WAL record types and their payloads (Docs/format/log-segment.md § Log WAL records).
///
/// Type 1, a batch of records:
/// `[count varint]` then per record `[timestamp zigzag varint][flags u8][label count varint]
/// ([name len-prefixed][value len-prefixed])* [line length varint][line bytes][field count varint]
/// ([name len-prefixed][value len-prefixed])*`.
enum LogWALRecord {
    static let records: UInt8 = 1

    static func encode(_ records: ArraySlice<LogRecord>, into w: inout ByteWriter) {
        w.appendVarint(UInt64(records.count))
        for r in records {
            w.appendSignedVarint(r.timestamp)
            w.appendUInt8(r.flags.rawValue)
            w.appendVarint(UInt64(r.stream.count))
            for l in r.stream.labels {
                w.appendLengthPrefixed(l.name)
                w.appendLengthPrefixed(l.value)
            }
            w.appendLengthPrefixed(bytes: r.line)
            w.appendVarint(UInt64(r.fields.count))
            for f in r.fields {
                w.appendLengthPrefixed(f.name)
                w.appendLengthPrefixed(f.value)
            }
        }
    }

    static func decode(_ payload: UnsafeRawBufferPointer, _ visit: (LogRecord) -> Void) throws(FormatError) {
        var r = RawBufferReader(payload)
        let n = try r.count(limit: payload.count, "record count")
        for _ in 0..<n {
            let ts = try r.signedVarint()
            let flags = LogRecordFlags(rawValue: try r.uint8())
            let nl = try r.count(limit: payload.count, "label count")
            var labels: [Label] = []
            labels.reserveCapacity(nl)
            for _ in 0..<nl {
                let name = try r.string()
                let value = try r.string()
                labels.append(Label(name, value))
            }
            let len = try r.count(limit: payload.count, "line length")
            let line = Array(try r.bytes(len))
            let nf = try r.count(limit: payload.count, "field count")
            var fields: [LogField] = []
            fields.reserveCapacity(nf)
            for _ in 0..<nf {
                let name = try r.string()
                let value = try r.string()
                fields.append(LogField(name, value))
            }
            visit(LogRecord(timestamp: ts, stream: Labels(sorted: labels), line: line, fields: fields, flags: flags))
        }
        try r.expectEnd("log WAL record")
    }
}
