import Synchronization

/// A flag another thread (or a signal handler) sets to stop a running query.
///
/// Give one to `PromQLEngineOptions.cancellation`; the evaluator checks it between steps of work and
/// throws `QueryError` of kind `.cancelled`. Setting it is a single lock-free store, safe from a
/// signal handler. Call `reset()` before reusing it for the next query.
///
/// ```swift
/// let stop = QueryCancellation()
/// var options = PromQLEngineOptions()
/// options.cancellation = stop
/// // elsewhere, e.g. on Ctrl-C: stop.cancel()
/// ```
public final class QueryCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    /// Asks the running query to stop.
    public func cancel() { flag.store(true, ordering: .relaxed) }

    /// Clears the request, for the next query.
    public func reset() { flag.store(false, ordering: .relaxed) }

    /// Whether `cancel()` was called since the last `reset()`.
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
}
