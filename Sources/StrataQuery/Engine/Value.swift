import StrataLabels
import StrataMetrics

/// One element of an instant vector.
public struct VectorElement: Sendable {
    public var labels: Labels
    /// The evaluation time, raw Unix milliseconds; `time` is the same as a `Timestamp`.
    public var timestamp: Int64
    /// The float value (0 when the element is a histogram).
    public var value: Double
    /// The native histogram value, when the element is one.
    public var histogram: FloatHistogram?
    public init(labels: Labels, timestamp: Int64, value: Double, histogram: FloatHistogram? = nil) {
        self.labels = labels
        self.timestamp = timestamp
        self.value = value
        self.histogram = histogram
    }

    /// The evaluation time.
    public var time: Timestamp { .milliseconds(timestamp) }
}

/// One series of a range vector or of a range query's result.
/// Float points and histogram points are kept apart, as Prometheus's `Series` does (`Floats`, `Histograms`).
public struct MatrixSeries: Sendable {
    public var labels: Labels
    /// Times of the float points, raw Unix milliseconds (`times` gives them as `Timestamp`s).
    public var timestamps: [Int64]
    public var values: [Double]
    /// Times of the histogram points, raw Unix milliseconds.
    public var histogramTimestamps: [Int64]
    public var histograms: [FloatHistogram]
    public init(
        labels: Labels, timestamps: [Int64] = [], values: [Double] = [], histogramTimestamps: [Int64] = [],
        histograms: [FloatHistogram] = []
    ) {
        self.labels = labels
        self.timestamps = timestamps
        self.values = values
        self.histogramTimestamps = histogramTimestamps
        self.histograms = histograms
    }

    /// Times of the float points (a new array: loops over many points read `timestamps`).
    public var times: [Timestamp] { timestamps.map { .milliseconds($0) } }
    /// Times of the histogram points.
    public var histogramTimes: [Timestamp] { histogramTimestamps.map { .milliseconds($0) } }
}

/// The result of evaluating a query.
public enum QueryValue: Sendable {
    /// A scalar or string at its evaluation time (raw Unix milliseconds, as `VectorElement.timestamp`).
    case scalar(timestamp: Int64, value: Double)
    case string(timestamp: Int64, value: String)
    case vector([VectorElement])
    case matrix([MatrixSeries])

    public var type: ValueType {
        switch self {
        case .scalar: .scalar
        case .string: .string
        case .vector: .vector
        case .matrix: .matrix
        }
    }
}

/// A query's value plus the annotations Prometheus returns beside it.
public struct QueryResult: Sendable {
    public var value: QueryValue
    /// `PromQL warning: ...` annotations.
    public var warnings: [String]
    /// `PromQL info: ...` annotations.
    public var infos: [String]
    /// Samples the query decoded from the store (Prometheus's `totalQueryableSamples`, roughly).
    public var samplesRead: Int
    public init(value: QueryValue, warnings: [String] = [], infos: [String] = [], samplesRead: Int = 0) {
        self.value = value
        self.warnings = warnings
        self.infos = infos
        self.samplesRead = samplesRead
    }
}
