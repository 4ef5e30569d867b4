import StrataLogs
import StrataMetrics
import StrataTraces
import Synchronization

/// Runs `MetricStore.compact()`, `LogStore.compact()` and `TraceStore.compact()` every `interval` on a background task until stopped, so a
/// long-running process that embeds Strata stays compacted without a separate job
/// (`DatabaseOptions.compactionInterval`).
final class BackgroundCompaction: Sendable {
    private struct State {
        var stopped = false
        var task: Task<Void, Never>?
        var last: Result<LogCompactionReport, LogStoreError>?
        var lastMetrics: Result<MetricCompactionReport, MetricStoreError>?
        var lastTraces: Result<TraceCompactionReport, TraceStoreError>?
    }

    private let state = Mutex(State())
    private let logs: LogStore
    private let metrics: MetricStore
    private let traces: TraceStore
    private let interval: Duration

    init(metrics: MetricStore, logs: LogStore, traces: TraceStore, interval: Duration) {
        self.metrics = metrics
        self.traces = traces
        self.logs = logs
        self.interval = interval
    }

    func start() {
        let task = Task.detached(priority: .background) { [self] in await self.run() }
        state.withLock { $0.task = task }
    }

    /// Each pass runs under the lock, so `stop()` waits for a compaction in progress to end.
    private func run() async {
        while true {
            try? await Task.sleep(for: interval)
            let stopped = state.withLock { st -> Bool in
                if st.stopped { return true }
                do throws(MetricStoreError) { st.lastMetrics = .success(try metrics.compact()) } catch { st.lastMetrics = .failure(error) }
                do throws(LogStoreError) { st.last = .success(try logs.compact()) } catch { st.last = .failure(error) }
                do throws(TraceStoreError) { st.lastTraces = .success(try traces.compact()) } catch { st.lastTraces = .failure(error) }
                return false
            }
            if stopped { return }
        }
    }

    /// Stops the passes; returns once no compaction runs any more.
    func stop() {
        let task = state.withLock { st -> Task<Void, Never>? in
            st.stopped = true
            return st.task
        }
        task?.cancel()
    }

    /// What the last pass did to the logs and to the metrics (nil before the first); waits while a pass runs.
    var last: Result<LogCompactionReport, LogStoreError>? { state.withLock { $0.last } }
    var lastMetrics: Result<MetricCompactionReport, MetricStoreError>? { state.withLock { $0.lastMetrics } }
    var lastTraces: Result<TraceCompactionReport, TraceStoreError>? { state.withLock { $0.lastTraces } }
}
