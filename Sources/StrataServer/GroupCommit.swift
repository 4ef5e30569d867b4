import NIOPosix
import Synchronization

/// Group commit: write requests put their records in the WAL (written to the OS), then wait here
/// for an fsync that started after their write. One fsync runs at a time; every request that
/// arrives while it runs shares the next one, so many concurrent requests cost one fsync.
final class GroupCommit: Sendable {
    private struct State {
        var running = false
        /// Syncs started so far; the one running is number `started`.
        var started: UInt64 = 0
        var waiters: [(needs: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    }

    private let state = Mutex(State())
    private let sync: @Sendable () throws -> Void
    private let pool: NIOThreadPool
    private let onSync: @Sendable (Int) -> Void

    /// - Parameters:
    ///   - sync: makes everything written so far durable (runs on `pool`).
    ///   - onSync: called after each sync with the number of requests it acknowledged.
    init(pool: NIOThreadPool, sync: @escaping @Sendable () throws -> Void, onSync: @escaping @Sendable (Int) -> Void) {
        self.pool = pool
        self.sync = sync
        self.onSync = onSync
    }

    /// Returns once an fsync that started after this call has finished.
    func commit() async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let start = state.withLock { s -> Bool in
                if s.running {
                    s.waiters.append((s.started + 1, c))
                    return false
                }
                s.running = true
                s.started += 1
                s.waiters.append((s.started, c))
                return true
            }
            if start { pool.submit { _ in self.runSyncs() } }
        }
    }

    private func runSyncs() {
        while true {
            let generation = state.withLock { $0.started }
            var failure: (any Error)?
            do { try sync() } catch { failure = error }
            let (done, again) = state.withLock { s -> ([CheckedContinuation<Void, any Error>], Bool) in
                var done: [CheckedContinuation<Void, any Error>] = []
                s.waiters.removeAll { w in
                    if w.needs <= generation {
                        done.append(w.continuation)
                        return true
                    }
                    return false
                }
                if s.waiters.isEmpty {
                    s.running = false
                    return (done, false)
                }
                s.started += 1
                return (done, true)
            }
            onSync(done.count)
            for c in done {
                if let failure { c.resume(throwing: failure) } else { c.resume() }
            }
            if !again { return }
        }
    }
}
