import StrataStorage

/// A query that could not be parsed or evaluated.
///
/// Parse and type errors carry the query and the range of the offending text; their
/// description points at it with a caret, as operators expect from a query shell:
///
/// ```
/// parse error at column 6: unexpected "}" in label matching, expected label matching operator
///   up{a}
///        ^
/// ```
public struct QueryError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The text is not valid PromQL (syntax, unknown function, wrong argument types or counts).
        case parse = "parse error"
        /// Evaluation failed (many-to-many matching, duplicate series after label removal, ...).
        case execution = "execution error"
        /// The query needed more samples than `maxSamples`.
        case tooManySamples = "too many samples"
        /// The query ran longer than its timeout.
        case timeout = "query timed out"
        /// The caller cancelled the query (`PromQLEngineOptions.cancellation`).
        case cancelled = "query cancelled"
        /// Reading stored data failed (the message names the file and offset).
        case storage = "storage error"
    }

    public var kind: Kind
    public var message: String
    /// The query text, when known.
    public var query: String?
    /// The offending part of `query`.
    public var range: SourceRange?
    /// For `.storage`: the file problem behind it (the file, the offset and what is wrong), when
    /// a store reported one.
    public var storage: StorageError?

    public init(_ kind: Kind, _ message: String, query: String? = nil, range: SourceRange? = nil) {
        self.kind = kind
        self.message = message
        self.query = query
        self.range = range
    }

    /// A `.storage` error for what a store threw: its message, and its `StorageError` when it has one.
    package init(storage error: any Error, file: StorageError?) {
        self.init(.storage, "\(error)")
        storage = file
    }

    /// The 1-based column (in characters) where the problem starts, when known.
    public var column: Int? {
        guard let query, let range else { return nil }
        let prefix = query.utf8.prefix(max(0, min(range.start, query.utf8.count)))
        return String(decoding: prefix, as: UTF8.self).count + 1
    }

    public var description: String {
        guard let query, let range, let column else { return "\(kind.rawValue): \(message)" }
        // Show the line holding the error with a caret (^~~~) under the offending range.
        let before = String(decoding: query.utf8.prefix(range.start), as: UTF8.self)
        let lineStart = before.lastIndex(of: "\n").map { before.index(after: $0) } ?? before.startIndex
        let col = before.distance(from: lineStart, to: before.endIndex)
        let rest = query[query.index(query.startIndex, offsetBy: before.count)...]
        let line = String(before[lineStart...]) + String(rest.prefix { $0 != "\n" })
        let width = max(1, min(String(decoding: query.utf8.dropFirst(range.start).prefix(max(0, range.end - range.start)), as: UTF8.self).count, line.count - col))
        let caret = String(repeating: " ", count: col) + "^" + String(repeating: "~", count: width - 1)
        let lineNo = before.filter { $0 == "\n" }.count
        let position = lineNo > 0 ? "line \(lineNo + 1), column \(col + 1)" : "column \(column)"
        return "\(kind.rawValue) at \(position): \(message)\n  \(line)\n  \(caret)"
    }
}
