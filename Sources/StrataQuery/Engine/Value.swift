import StrataMetrics

/// One element of an instant vector.
public struct VectorElement: Sendable {
    public var labels: Labels
    public var timestamp: Int64
    public var value: Double
    public init(labels: Labels, timestamp: Int64, value: Double) {
        self.labels = labels
        self.timestamp = timestamp
        self.value = value
    }
}

/// One series of a range vector or of a range query's result.
public struct MatrixSeries: Sendable {
    public var labels: Labels
    public var timestamps: [Int64]
    public var values: [Double]
    public init(labels: Labels, timestamps: [Int64] = [], values: [Double] = []) {
        self.labels = labels
        self.timestamps = timestamps
        self.values = values
    }
}

/// The result of evaluating a query.
public enum QueryValue: Sendable {
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
