@_exported import StrataLogs
@_exported import StrataMetrics
@_exported import StrataQuery
import StrataStorage
@_exported import StrataTraces

/// Options for opening a `Database`.
public struct DatabaseOptions: Sendable {
    /// Options of the metric store.
    public var metrics = MetricStoreOptions()
    /// Options of the log store.
    public var logs = LogStoreOptions()
    /// Options of the trace store.
    public var traces = TraceStoreOptions()
    public init() {}
}

/// A Strata database: one directory holding the metric store and the log store (and, later, the
/// trace store), opened by one writer at a time.
///
/// ```swift
/// let db = try Database(path: "/var/lib/strata")
/// let up = try Labels(validating: ["__name__": "up", "job": "node"])
/// _ = try db.metrics.append(up, [Sample(1_700_000_000_000, 1)])
/// let result = try db.metrics.select([.equal("__name__", "up")], from: 0, through: .max)
/// try db.close()
/// ```
public final class Database: Sendable {
    /// The database directory.
    public let path: String
    /// The metric store (`<path>/metrics`).
    public let metrics: MetricStore
    /// The log store (`<path>/logs`).
    public let logs: LogStore
    /// The trace store (`<path>/traces`).
    public let traces: TraceStore
    private let lock: DatabaseLock

    /// The log store's directory name inside the database.
    static let logsDirectory = "logs"

    /// Opens or creates the database at `path` and takes its lock.
    /// - Throws: `StorageError.locked` (naming the holder's pid) when another process has it open,
    ///   or a storage error naming the file that could not be read.
    public init(path: String, options: DatabaseOptions = DatabaseOptions()) throws {
        self.path = path
        let fs = SystemFileSystem()
        try fs.createDirectory(path)
        lock = try DatabaseLock.acquire(directory: path, fs: fs)
        do {
            metrics = try MetricStore(
                directory: FileNames.join(path, FileNames.metricsDirectory), options: options.metrics, fileSystem: fs)
        } catch {
            lock.release()
            throw error
        }
        do {
            logs = try LogStore(directory: FileNames.join(path, Self.logsDirectory), options: options.logs, fileSystem: fs)
        } catch {
            try? metrics.close()
            lock.release()
            throw error
        }
        do {
            traces = try TraceStore(
                directory: FileNames.join(path, TraceStore.directoryName), options: options.traces, fileSystem: fs)
        } catch {
            try? logs.close()
            try? metrics.close()
            lock.release()
            throw error
        }
    }

    /// Makes everything durable (flushing heads that have no WAL) and releases the lock.
    /// Closes every store even when one fails; the first failure is thrown.
    public func close() throws {
        var failure: (any Error)?
        do { try metrics.close() } catch { failure = error }
        do { try logs.close() } catch { failure = failure ?? error }
        do { try traces.close() } catch { failure = failure ?? error }
        lock.release()
        if let failure { throw failure }
    }
}
