/// A span of a query's text, in UTF-8 byte offsets from its start (0-based, end exclusive).
/// Errors print it as a 1-based column with a caret under the query.
public struct SourceRange: Sendable, Hashable {
    public var start: Int
    public var end: Int

    @inlinable
    public init(_ start: Int, _ end: Int) {
        self.start = start
        self.end = end
    }

    /// The smallest range covering both.
    public func union(_ o: SourceRange) -> SourceRange { SourceRange(min(start, o.start), max(end, o.end)) }
}
