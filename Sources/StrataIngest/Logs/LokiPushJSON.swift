import StrataLabels
import StrataLogs

/// One entry of a Loki push: a time, a line and its structured metadata.
public struct LokiPushEntry: Sendable, Equatable {
    /// Nanoseconds since the Unix epoch.
    public var timestamp: Int64
    public var line: [UInt8]
    /// Structured metadata (Loki 3), kept as the record's fields.
    public var metadata: [LogField]
    public init(timestamp: Int64, line: [UInt8], metadata: [LogField] = []) {
        self.timestamp = timestamp
        self.line = line
        self.metadata = metadata
    }
}

/// One stream of a Loki push: its labels (as sent, not validated yet) and entries.
public struct LokiPushStream: Sendable, Equatable {
    public var labels: [Label]
    public var entries: [LokiPushEntry]
    public init(labels: [Label], entries: [LokiPushEntry]) {
        self.labels = labels
        self.entries = entries
    }
}

/// A push body that could not be read, with the byte offset.
public struct LokiPushError: Error, Sendable, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public var description: String { "\(message) (at byte \(offset))" }
}

/// Loki's JSON push body (`POST /loki/api/v1/push`, `Content-Type: application/json`):
/// `{"streams":[{"stream":{"label":"value"},"values":[["<ns>","<line>",{"meta":"data"}]]}]}`.
public enum LokiPushJSON {
    /// Parses a whole body.
    /// - Parameter maxEntries: refuse bodies with more entries than this.
    public static func parse(_ body: UnsafeRawBufferPointer, maxEntries: Int) throws(LokiPushError) -> [LokiPushStream] {
        var s = JSONScanner(body)
        var streams: [LokiPushStream] = []
        var total = 0
        do throws(JSONError) {
            guard try s.beginObject() else { return [] }
            repeat {
                let key = try s.key()
                guard s.equals(key, "streams") else {
                    try s.skipValue()
                    continue
                }
                try array(&s) { s throws(JSONError) in
                    var labels: [Label] = []
                    var entries: [LokiPushEntry] = []
                    guard try s.beginObject() else { return }
                    repeat {
                        let k = try s.key()
                        if s.equals(k, "stream") {
                            if try s.beginObject() {
                                repeat {
                                    let name = try s.decoded(try s.key())
                                    let at = s.position
                                    guard s.peek() == UInt8(ascii: "\"") else { throw JSONError(.syntax, at: at, "label \(name): value is not a string") }
                                    labels.append(Label(name, try s.string()))
                                } while try s.nextMember()
                            }
                        } else if s.equals(k, "values") {
                            try array(&s) { s throws(JSONError) in
                                total += 1
                                if total > maxEntries {
                                    throw JSONError(.syntax, at: s.position, "more than \(maxEntries) entries in one push (--max-samples-per-request)")
                                }
                                entries.append(try entry(&s))
                            }
                        } else {
                            try s.skipValue()
                        }
                    } while try s.nextMember()
                    streams.append(LokiPushStream(labels: labels, entries: entries))
                }
            } while try s.nextMember()
            if s.peek() != nil { throw JSONError(.syntax, at: s.position, "data after the JSON object") }
        } catch {
            throw LokiPushError(offset: error.offset, message: "malformed push JSON: \(error.message)")
        }
        return streams
    }

    /// `["<ns>", "<line>"]` or `["<ns>", "<line>", {"name": "value"}]`.
    static func entry(_ s: inout JSONScanner) throws(JSONError) -> LokiPushEntry {
        let at = s.position
        try s.expect(UInt8(ascii: "["), "an entry array [\"<ns>\", \"<line>\"]")
        let tr = try s.rawString()
        var ns: Int64 = 0
        var digits = 0
        for i in tr {
            let c = s.bytes[i]
            guard c >= 0x30 && c <= 0x39, digits < 19 else {
                throw JSONError(.syntax, at: i, "timestamp is not a whole number of nanoseconds")
            }
            ns = ns * 10 + Int64(c - 0x30)
            digits += 1
        }
        if digits == 0 { throw JSONError(.syntax, at: tr.lowerBound, "empty timestamp") }
        try s.expect(UInt8(ascii: ","), "',' after the timestamp")
        let lr = try s.rawString()
        var line: [UInt8] = []
        if s.lastStringEscaped {
            _ = try s.decodedBytes(lr, into: &line)
        } else {
            line = Array(UnsafeRawBufferPointer(rebasing: s.bytes[lr]))
        }
        var metadata: [LogField] = []
        if s.peek() == UInt8(ascii: ",") {
            s.position += 1
            if try s.beginObject() {
                repeat {
                    let name = try s.decoded(try s.key())
                    metadata.append(LogField(name, try s.string()))
                } while try s.nextMember()
            }
        }
        guard s.peek() == UInt8(ascii: "]") else { throw JSONError(.syntax, at: at, "an entry has more than 3 elements") }
        s.position += 1
        return LokiPushEntry(timestamp: ns, line: line, metadata: metadata)
    }

    static func array(_ s: inout JSONScanner, _ element: (inout JSONScanner) throws(JSONError) -> Void) throws(JSONError) {
        try s.expect(UInt8(ascii: "["), "an array")
        if s.peek() == UInt8(ascii: "]") {
            s.position += 1
            return
        }
        while true {
            try element(&s)
            guard let c = s.peek() else { throw JSONError(.truncated, at: s.position, "unterminated array") }
            s.position += 1
            if c == UInt8(ascii: "]") { return }
            guard c == UInt8(ascii: ",") else { throw JSONError(.syntax, at: s.position - 1, "expected ',' or ']' in an array") }
        }
    }
}
