import StrataLogs
import StrataMetrics
import StrataTraces
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs a maintenance pass (`Database.maintain()`: deletions, the stored policy's retention and
/// downsampling, merges) every `interval` on a thread of its own until stopped, so a
/// long-running process that embeds Strata stays within its policy without a separate job
/// (`DatabaseOptions.compactionInterval`).
///
/// A thread, not a task: a pass is long synchronous I/O, which would hold one of the few
/// threads of Swift's shared pool (two on a 2-core machine) for its whole length.
final class BackgroundCompaction: Sendable {
    private struct State {
        var stopped = false
        var last: Result<MaintenanceReport, any Error>?
    }

    private let state = Mutex(State())
    /// Held for the whole of a pass, so `stop()` waits for a pass in progress.
    private let pass = Mutex(())
    private let maintain = Mutex<(@Sendable () throws -> MaintenanceReport)?>(nil)
    private let interval: Duration

    init(interval: Duration) {
        self.interval = interval
    }

    /// Starts the passes, each calling `maintain`.
    func start(_ maintain: @escaping @Sendable () throws -> MaintenanceReport) {
        self.maintain.withLock { $0 = maintain }
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
                let r: Result<MaintenanceReport, any Error>
                guard let body = maintain.withLock({ $0 }) else { return true }
                do { r = .success(try body()) } catch { r = .failure(error) }
                state.withLock { $0.last = r }
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

    /// What the last pass did (nil before the first).
    var last: Result<MaintenanceReport, any Error>? { state.withLock { $0.last } }
}
