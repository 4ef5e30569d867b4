import StrataEncoding

/// What `WriteAheadLog.open` dropped to repair a damaged log.
///
/// A crash during a write leaves a torn last record; a bad disk or a stray write leaves a
/// record whose checksum fails. Either way, the log keeps every record before the first bad
/// byte and drops everything after it, including later segments, because later records may
/// refer to the dropped ones (as Prometheus's WAL repair does). The store should log this.
public struct WALRecoveryReport: Sendable, Equatable, CustomStringConvertible {
    /// The segment file in which the damage starts.
    public var segment: String
    /// The index of that segment.
    public var segmentIndex: UInt32
    /// The offset in `segment` of the first byte dropped; the segment was truncated here
    /// (or removed, when its header was bad).
    public var offset: Int
    /// All bytes dropped: the tail of `segment` plus every later segment.
    public var bytesDropped: Int
    /// Segment files that were removed: every later one, and the damaged one itself when its
    /// header was bad.
    public var removedSegments: [String]
    /// What was wrong at `offset` (the error's offset is the same file offset).
    public var reason: FormatError

    public var description: String {
        var s = "WAL segment \(segment) damaged at offset \(offset) (\(reason)): dropped \(bytesDropped) bytes"
        if !removedSegments.isEmpty { s += ", removed \(removedSegments.count) segment file(s)" }
        return s
    }
}
