import StrataLabels
import StrataLogs

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StrataMetrics

/// A minimal oslo.log header splitter for the benchmark (the real parsers live in StrataIngest):
/// stream = {file, level}; fields = pid, request_id, user, project, instance, http_status.
public struct OsloSplitter {
    var streams: [[UInt8]: Labels] = [:]
    /// The last line's file and level tokens and their stream (consecutive lines mostly share it).
    var lastKey: [UInt8] = []
    var lastStream = Labels()
    public init() {}

    static func token(_ l: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Range<Int> {
        while i < l.count && l[i] == 32 { i += 1 }
        let s = i
        while i < l.count && l[i] != 32 { i += 1 }
        return s..<i
    }

    static func string(_ l: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: l[r]), as: UTF8.self)
    }

    /// A record for one raw line (the whole line is kept as is).
    public mutating func record(_ line: ArraySlice<UInt8>) -> LogRecord {
        let bytes = Array(line)
        var ts: Int64 = 0
        var fields: [LogField] = []
        var stream = Labels()
        bytes.withUnsafeBufferPointer { l in
            var i = 0
            let file = OsloSplitter.token(l, &i)
            let tsStart = i + 1
            if let t = OpenStackReplicator.parseTimestamp(bytes, tsStart) { ts = t * 1_000_000 }
            i = tsStart + 23
            let pid = OsloSplitter.token(l, &i)
            let level = OsloSplitter.token(l, &i)
            _ = OsloSplitter.token(l, &i)  // logger
            fields.append(LogField("pid", OsloSplitter.string(l, pid)))
            let sameAsLast = lastKey.count == file.count + 1 + level.count
                && lastKey.withUnsafeBufferPointer { k in
                    k[0..<file.count].elementsEqual(l[file]) && k[(file.count + 1)...].elementsEqual(l[level])
                }
            if sameAsLast {
                stream = lastStream
            } else {
                var fileKey = Array(l[file])
                if let log = findLog(fileKey) { fileKey = Array(fileKey[..<log]) }
                let key = Array(l[file]) + [0] + Array(l[level])
                if let s = streams[key] {
                    stream = s
                } else {
                    stream = Labels(sorted: [
                        Label("file", String(decoding: fileKey, as: UTF8.self)), Label("level", OsloSplitter.string(l, level)),
                    ])
                    streams[key] = stream
                }
                lastKey = key
                lastStream = stream
            }
            while i < l.count && l[i] == 32 { i += 1 }
            if i < l.count && l[i] == 91 {  // [context]
                i += 1
                let close = memchr(l.baseAddress! + i, 93, l.count - i).map {
                    UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - l.baseAddress!
                } ?? l.count
                var j = i
                var parts: [Range<Int>] = []
                while j < close {
                    let t = OsloSplitter.token(UnsafeBufferPointer(rebasing: l[..<close]), &j)
                    if !t.isEmpty { parts.append(t) }
                }
                if let first = parts.first, l[first].starts(with: Array("req-".utf8)) {
                    fields.append(LogField("request_id", OsloSplitter.string(l, first)))
                    if parts.count > 1, l[parts[1]].count == 32 { fields.append(LogField("user", OsloSplitter.string(l, parts[1]))) }
                    if parts.count > 2, l[parts[2]].count == 32 { fields.append(LogField("project", OsloSplitter.string(l, parts[2]))) }
                }
                i = min(l.count, close + 1)
                while i < l.count && l[i] == 32 { i += 1 }
                let inst = Array("[instance: ".utf8)
                if l.count - i >= inst.count + 37, l[i..<(i + inst.count)].elementsEqual(inst) {
                    fields.append(LogField("instance", OsloSplitter.string(l, (i + inst.count)..<(i + inst.count + 36))))
                }
            }
            // `status: NNN` (wsgi access lines): find each ':' with memchr and look back.
            var k = i
            while k < l.count, let p = memchr(l.baseAddress! + k, 0x3A, l.count - k) {
                let colon = UnsafePointer<UInt8>(p.assumingMemoryBound(to: UInt8.self)) - l.baseAddress!
                if colon >= 6, colon + 5 <= l.count, l[colon - 6] == 115, l[colon - 1] == 115,
                    l[(colon - 6)..<colon].elementsEqual("status".utf8), l[colon + 1] == 32
                {
                    fields.append(LogField("http_status", OsloSplitter.string(l, (colon + 2)..<(colon + 5))))
                    break
                }
                k = colon + 1
            }
        }
        return LogRecord(time: .nanoseconds(ts), stream: stream, line: bytes, fields: fields)
    }

    func findLog(_ b: [UInt8]) -> Int? {
        let log = Array(".log".utf8)
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i..<(i + 4)].elementsEqual(log) { return i + 4 }
        return nil
    }
}
