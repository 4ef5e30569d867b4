/// The records not yet in a segment, in arrival order.
struct LogHead: Sendable {
    var records: [LogRecord] = []
    /// Sum of the line lengths.
    var lineBytes = 0

    mutating func add(_ r: LogRecord) {
        records.append(r)
        lineBytes += r.line.count
    }
}
