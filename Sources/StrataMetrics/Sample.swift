import StrataLabels

/// One sample: a time (kept in Unix milliseconds, the metric store's unit) and a Float64 value.
///
/// ```swift
/// let s = Sample(.milliseconds(1_700_000_000_000), 1)
/// s.time        // 2023-11-14T22:13:20Z
/// ```
///
/// Values are kept bit-exact: NaN payloads, ±Inf and the Prometheus stale marker
/// (`Sample.staleNaN`, bits 0x7ff0000000000002) go in and come out unchanged.
@frozen
public struct Sample: Hashable, Sendable {
    /// The raw time, Unix milliseconds (what chunks and the PromQL evaluator work on); `time` is
    /// the same as a `Timestamp`.
    public var timestamp: Int64
    public var value: Double

    /// A sample at `time`, rounded down to the millisecond.
    @inlinable
    public init(_ time: Timestamp, _ value: Double) {
        self.timestamp = time.milliseconds
        self.value = value
    }

    /// A sample at `timestamp` Unix milliseconds: the raw path inside the package.
    @inlinable
    package init(_ timestamp: Int64, _ value: Double) {
        self.timestamp = timestamp
        self.value = value
    }

    /// The sample's time (setting it rounds down to the millisecond).
    @inlinable
    public var time: Timestamp {
        get { .milliseconds(timestamp) }
        set { timestamp = newValue.milliseconds }
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
