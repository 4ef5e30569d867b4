import Foundation
import StrataLogs
import Testing

@testable import StrataIngest

/// Parses `text` with a fresh parser, fed in pieces cut at `cuts` as a streaming caller would.
func parseLog(
    _ text: String, format: LogFormat, source: LogSource = LogSource(host: "h1", program: "p", file: "p.log"),
    cuts: [Int] = [], configure: (inout LogTextParser) -> Void = { _ in }
) -> (records: [LogRecord], counts: LogParseCounts) {
    parseLog(Array(text.utf8), format: format, source: source, cuts: cuts, configure: configure)
}

func parseLog(
    _ bytes: [UInt8], format: LogFormat, source: LogSource = LogSource(host: "h1", program: "p", file: "p.log"),
    cuts: [Int] = [], configure: (inout LogTextParser) -> Void = { _ in }
) -> (records: [LogRecord], counts: LogParseCounts) {
    var parser = LogTextParser(format: format, source: source)
    configure(&parser)
    var records: [LogRecord] = []
    var pending: [UInt8] = []
    var last = 0
    for cut in cuts + [bytes.count] {
        pending += bytes[last..<cut]
        last = cut
        let isFinal = cut == bytes.count
        let used = pending.withUnsafeBufferPointer { parser.parse($0, isFinal: isFinal, into: &records) }
        pending.removeFirst(used)
    }
    return (records, parser.counts)
}

/// The Loghub data directory, or nil (with a note) when the shared data is absent.
func loghubFile(_ name: String) -> String? {
    let path = "../shared/data/loghub/OpenStack/\(name)"
    if FileManager.default.fileExists(atPath: path) { return path }
    print("note: \(path) is absent; the Loghub comparison did not run")
    return nil
}

/// RFC 4180 CSV rows (quoted fields, `""` escapes, newlines inside quotes).
func csvRows(_ text: String) -> [[String]] {
    var rows: [[String]] = []
    var row: [String] = []
    var field = ""
    var quoted = false
    var it = Array(text.unicodeScalars)[...]
    while let c = it.popFirst() {
        if quoted {
            if c == "\"" {
                if it.first == "\"" {
                    field.unicodeScalars.append("\"")
                    it.removeFirst()
                } else {
                    quoted = false
                }
            } else {
                field.unicodeScalars.append(c)
            }
        } else if c == "\"" {
            quoted = true
        } else if c == "," {
            row.append(field)
            field = ""
        } else if c == "\n" {
            row.append(field)
            rows.append(row)
            row = []
            field = ""
        } else if c != "\r" {
            field.unicodeScalars.append(c)
        }
    }
    if !field.isEmpty || !row.isEmpty {
        row.append(field)
        rows.append(row)
    }
    return rows
}
