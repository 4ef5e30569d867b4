#if canImport(Glibc)
import Glibc
#endif

/// The threads that parse and evaluate queries: a fixed number of POSIX threads with large stacks.
///
/// The query languages' parsers, type checker and evaluator recurse once per level of an
/// expression, and a left-deep chain such as `1+1+...+1` is one level per operator: 3,000 terms
/// overflowed an 8 MiB stack. With 1 GiB of stack per thread (address space, committed only as
/// it is touched), every query under `--max-query-length` fits, and nothing a client sends can
/// crash the server this way. Jobs run in arrival order.
final class QueryThreads: @unchecked Sendable {
    static let stackBytes = 1 << 30

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var queue: [@Sendable () -> Void] = []
    private var head = 0
    private var stopping = false
    private var threads: [pthread_t] = []

    init(count: Int) {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        pthread_attr_setstacksize(&attr, Self.stackBytes)
        for _ in 0..<max(1, count) {
            var t = pthread_t()
            let box = Unmanaged.passRetained(self).toOpaque()
            let rc = pthread_create(&t, &attr, { arg in
                let me = Unmanaged<QueryThreads>.fromOpaque(arg!).takeRetainedValue()
                me.work()
                return nil
            }, box)
            precondition(rc == 0, "pthread_create failed: \(rc)")
            threads.append(t)
        }
        pthread_attr_destroy(&attr)
    }

    /// Runs once every thread has ended (each holds a reference while it runs).
    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    private func work() {
        while true {
            pthread_mutex_lock(mutex)
            while head == queue.count && !stopping { pthread_cond_wait(condition, mutex) }
            if head == queue.count && stopping {
                pthread_mutex_unlock(mutex)
                return
            }
            let job = queue[head]
            head += 1
            if head > 1024 && head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            pthread_mutex_unlock(mutex)
            job()
        }
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        pthread_mutex_lock(mutex)
        queue.append(job)
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Runs `body` on one of the threads and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
            submit {
                do { c.resume(returning: try body()) } catch { c.resume(throwing: error) }
            }
        }
    }

    /// Lets the queued jobs finish, then ends the threads.
    func shutdown() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
        for t in threads { pthread_join(t, nil) }
        threads = []
    }
}
