/// Events packed (`SpanTable`): what StrataIngest's `OsprofilerParser` writes and
/// `TraceStore.append(_:)` takes, the fast path from osprofiler JSON with no `String` per field.
///
/// ```swift
/// var batch = SpanEventBatch()
/// _ = bytes.withUnsafeBytes { parser.parse($0, final: true, into: &batch, onProblem: { print($0) }) }
/// try store.append(batch)
/// batch.removeAll()
/// ```
public struct SpanEventBatch: Sendable {
    /// The events, packed (the parser writes here directly).
    package var table = SpanTable()

    public init() {}

    /// Events in the batch.
    public var count: Int { table.spans.count }
    public var isEmpty: Bool { table.spans.isEmpty }
    /// The events as values (builds their strings).
    public var events: [SpanEvent] { table.spans.map { table.event($0) } }

    /// Adds `event`.
    public mutating func append(_ event: SpanEvent) { table.append(event.span, event: event.kind.rawValue) }
    /// Adds a whole span.
    public mutating func append(span: Span) { table.append(span, event: 0) }

    /// Empties the batch, keeping its memory for the next one.
    public mutating func removeAll() {
        table.spans.removeAll(keepingCapacity: true)
        table.text.removeAll(keepingCapacity: true)
        if table.strings.count > 4096 || table.kinds.count > 4096 {
            table.strings = ByteInterner()
            table.kinds = KindTable()
        }
    }
}
