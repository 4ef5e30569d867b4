/// One osprofiler event: a `<point>-start` or a `<point>-stop`, as half a span.
///
/// `span.start` is the event's timestamp; `span.name` is the point without the suffix.
/// A start's `span.status` is `.incomplete` and a stop's is `.missingStart` until
/// `SpanAssembler` pairs them.
public struct SpanEvent: Sendable, Equatable {
    /// Which half of a span the event is.
    public enum Kind: UInt8, Sendable {
        case start = 1
        case stop = 2
    }
    public var kind: Kind
    public var span: Span

    public init(kind: Kind, span: Span) {
        self.kind = kind
        self.span = span
    }
}
