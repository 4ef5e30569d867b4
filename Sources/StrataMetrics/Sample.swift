/// One sample: a timestamp in Unix milliseconds and a Float64 value.
///
/// Values are kept bit-exact: NaN payloads, ±Inf and the Prometheus stale marker
/// (`Sample.staleNaN`, bits 0x7ff0000000000002) go in and come out unchanged.
@frozen
public struct Sample: Hashable, Sendable {
    public var timestamp: Int64
    public var value: Double

    @inlinable
    public init(_ timestamp: Int64, _ value: Double) {
        self.timestamp = timestamp
        self.value = value
    }

    /// The staleness marker Prometheus writes when a series disappears.
    public static let staleNaN = Double(bitPattern: 0x7ff0_0000_0000_0002)

    /// True when `value` is the stale marker (compared by bits).
    @inlinable public var isStale: Bool { value.bitPattern == 0x7ff0_0000_0000_0002 }

    /// Bitwise equality (NaN == NaN when the payloads match).
    @inlinable
    public static func == (a: Sample, b: Sample) -> Bool {
        a.timestamp == b.timestamp && a.value.bitPattern == b.value.bitPattern
    }

    @inlinable
    public func hash(into h: inout Hasher) {
        h.combine(timestamp)
        h.combine(value.bitPattern)
    }
}
