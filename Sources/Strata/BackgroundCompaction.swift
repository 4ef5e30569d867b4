import StrataLogs
import StrataMetrics
import StrataTraces
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs `MetricStore.compact()`, `LogStore.compact()` and `TraceStore.compact()` every
/// `interval` on a thread of its own until stopped, so a long-running process that embeds
/// Strata stays compacted without a separate job (`DatabaseOptions.compactionInterval`).
///
/// A thread, not a task: a pass is long synchronous I/O, which would hold one of the few
/// threads of Swift's shared pool (two on a 2-core machine) for its whole length.
final class BackgroundCompaction: Sendable {
    private struct State {
        var stopped = false
        var last: Result<LogCompactionReport, LogStoreError>?
        var lastMetrics: Result<MetricCompactionReport, MetricStoreError>?
        var lastTraces: Result<TraceCompactionReport, TraceStoreError>?
    }

    private let state = Mutex(State())
    /// Held for the whole of a pass, so `stop()` waits for a pass in progress.
    private let pass = Mutex(())
    private let metrics: MetricStore
    private let logs: LogStore
    private let traces: TraceStore
    private let interval: Duration

    init(metrics: MetricStore, logs: LogStore, traces: TraceStore, interval: Duration) {
        self.metrics = metrics
        self.logs = logs
        self.traces = traces
        self.interval = interval
    }

    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { context in
            let me = Unmanaged<BackgroundCompaction>.fromOpaque(context!).takeRetainedValue()
            me.run()
            return nil
        }, context)
        if started == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<BackgroundCompaction>.fromOpaque(context).release()
        }
    }

    private var stopped: Bool { state.withLock { $0.stopped } }

    private func run() {
        let step = Duration.milliseconds(20)
        while true {
            var waited = Duration.zero
            while waited < interval {
                if stopped { return }
                let nap = min(step, interval - waited)
                usleep(UInt32(clamping: nap.components.seconds * 1_000_000 + nap.components.attoseconds / 1_000_000_000_000))
                waited += nap
            }
            let finished = pass.withLock { _ -> Bool in
                if stopped { return true }
                let m: Result<MetricCompactionReport, MetricStoreError>
                do throws(MetricStoreError) { m = .success(try metrics.compact()) } catch { m = .failure(error) }
                let l: Result<LogCompactionReport, LogStoreError>
                do throws(LogStoreError) { l = .success(try logs.compact()) } catch { l = .failure(error) }
                let t: Result<TraceCompactionReport, TraceStoreError>
                do throws(TraceStoreError) { t = .success(try traces.compact()) } catch { t = .failure(error) }
                state.withLock { st in (st.lastMetrics, st.last, st.lastTraces) = (m, l, t) }
                return false
            }
            if finished { return }
        }
    }

    /// Stops the passes; returns once no pass runs any more.
    func stop() {
        state.withLock { $0.stopped = true }
        pass.withLock { _ in }
    }

    /// What the last pass did to the logs, metrics and traces (nil before the first).
    var last: Result<LogCompactionReport, LogStoreError>? { state.withLock { $0.last } }
    var lastMetrics: Result<MetricCompactionReport, MetricStoreError>? { state.withLock { $0.lastMetrics } }
    var lastTraces: Result<TraceCompactionReport, TraceStoreError>? { state.withLock { $0.lastTraces } }
}
