@_exported import StrataLabels
@_exported import StrataLogs
@_exported import StrataMetrics
@_exported import StrataQuery
@_exported import enum StrataStorage.Durability
@_exported import enum StrataStorage.StorageError
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
    /// Open for reading next to a writer (another process holding the lock): no lock is taken,
    /// nothing on disk is created, repaired or deleted, and every write throws. Readers see what
    /// was written up to the open (the WAL's last whole record); open again to see more.
    public var readOnly = false
    /// Run a maintenance pass in the background every this often (`Database.maintain()`: the
    /// pending deletions, the stored policy's retention and downsampling, then the merges of
    /// `MetricStore.compact()`, `LogStore.compact()`, `TraceStore.compact()`); nil, the default,
    /// leaves it to the caller or to `strata compact`. Ignored read-only.
    public var compactionInterval: Duration? = nil
    public init() {}
}

/// A Strata database: one directory holding the metric, log and trace stores, opened by one
/// writer at a time and by any number of readers (`DatabaseOptions.readOnly`).
///
/// ```swift
/// let db = try Database(path: "/var/lib/strata")
/// let up = try Labels(validating: ["__name__": "up", "job": "node"])
/// _ = try db.metrics.append(up, [Sample(.now, 1)])
/// let result = try db.metrics.select([.equal("__name__", "up")], from: .distantPast, through: .distantFuture)
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
    /// The options it was opened with (`readOnly` set in the stores' options too when read-only).
    public let options: DatabaseOptions
    private let lock: DatabaseLock?
    private let compaction: BackgroundCompaction?

    /// What the last background maintenance pass did (`DatabaseOptions.compactionInterval`):
    /// nil when none ran yet or background maintenance is off.
    public var lastBackgroundMaintenance: Result<MaintenanceReport, any Error>? { compaction?.last }

    /// The log store's directory name inside the database.
    static let logsDirectory = "logs"

    /// Opens or creates the database at `path` and takes its lock; read-only, opens an existing
    /// database without the lock.
    /// - Throws: `StorageError.locked` (naming the holder's pid) when another process has it open
    ///   for writing, or the `StorageError` naming the file that could not be read.
    public init(path: String, options: DatabaseOptions = DatabaseOptions()) throws(StorageError) {
        self.path = path
        let fs = SystemFileSystem()
        var options = options
        if options.readOnly {
            guard try fs.exists(path) else {
                throw StorageError.invalidState(path: path, detail: "no database here (a read-only open creates nothing)")
            }
            options.metrics.readOnly = true
            options.logs.readOnly = true
            options.traces.readOnly = true
            self.options = options
            lock = nil
            compaction = nil
            // A writer may publish and retire files while the stores open: try again then.
            var attempt = 0
            while true {
                do {
                    (metrics, logs, traces) = try Self.openStores(path, options, fs)
                    return
                } catch {
                    // StoreWAL.open's invalidState for a WAL segment retired under it.
                    guard attempt < 8, case .invalidState(_, let detail) = error, detail.hasSuffix("; try again") else { throw error }
                    attempt += 1
                }
            }
        }
        self.options = options
        try fs.createDirectory(path)
        let lock = try DatabaseLock.acquire(directory: path, fs: fs)
        self.lock = lock
        do {
            (metrics, logs, traces) = try Self.openStores(path, options, fs)
        } catch {
            lock.release()
            throw error
        }
        compaction = options.compactionInterval.map { BackgroundCompaction(interval: $0) }
        // Unowned: a strong reference would keep the database alive, and a weak one could make the
        // pass's thread run deinit, whose stop() waits for that very pass. deinit stops the passes
        // (waiting for one in progress) before any stored property goes away.
        compaction?.start { [unowned(unsafe) self] in try self.maintain() }
    }

    /// The three stores, opened in order; the ones opened are closed again when a later one fails.
    private static func openStores(_ path: String, _ options: DatabaseOptions, _ fs: SystemFileSystem) throws(StorageError)
        -> (MetricStore, LogStore, TraceStore)
    {
        let metrics: MetricStore
        do {
            metrics = try MetricStore(
                directory: FileNames.join(path, FileNames.metricsDirectory), options: options.metrics, fileSystem: fs)
        } catch {
            throw Self.storageError(error, path)
        }
        let logs: LogStore
        do {
            logs = try LogStore(directory: FileNames.join(path, Self.logsDirectory), options: options.logs, fileSystem: fs)
        } catch {
            try? metrics.close()
            throw Self.storageError(error, path)
        }
        do {
            let traces = try TraceStore(
                directory: FileNames.join(path, TraceStore.directoryName), options: options.traces, fileSystem: fs)
            return (metrics, logs, traces)
        } catch {
            try? logs.close()
            try? metrics.close()
            throw Self.storageError(error, path)
        }
    }

    /// The file problem behind a store's error (opening and closing throw no other kind).
    private static func storageError(_ error: some StoreErrorConvertible & CustomStringConvertible, _ path: String) -> StorageError {
        switch error {
        case let e as MetricStoreError: e.storageError ?? .invalidState(path: path, detail: e.description)
        case let e as LogStoreError: e.storageError ?? .invalidState(path: path, detail: e.description)
        case let e as TraceStoreError: e.storageError ?? .invalidState(path: path, detail: e.description)
        default: .invalidState(path: path, detail: error.description)
        }
    }

    /// Makes everything durable (flushing heads that have no WAL) and releases the lock.
    /// Closes every store even when one fails; the first failure is thrown.
    /// A database dropped without `close()` stops its background compaction before its lock is
    /// released, so that no pass can run against a directory another writer opened since.
    deinit { compaction?.stop() }

    /// - Throws: the first store's `StorageError` (the file, offset and what went wrong).
    public func close() throws(StorageError) {
        compaction?.stop()  // waits for a pass in progress
        var failure: StorageError?
        do { try metrics.close() } catch { failure = Self.storageError(error, path) }
        do { try logs.close() } catch { failure = failure ?? Self.storageError(error, path) }
        do { try traces.close() } catch { failure = failure ?? Self.storageError(error, path) }
        lock?.release()
        if let failure { throw failure }
    }
}
