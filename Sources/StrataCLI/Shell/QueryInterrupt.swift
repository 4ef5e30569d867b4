import Strata

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The cancellation flag Ctrl-C sets while a query runs (SIGINT's handler cannot capture context,
/// so it lives here; setting it is one atomic store).
let shellInterrupt = QueryCancellation()

/// Makes SIGINT cancel the running query instead of ending the process. SIGINT is also unblocked:
/// a parent (util-linux `script`, for one) may hand it over blocked, and a blocked Ctrl-C would wait
/// until the query ended.
func installShellInterruptHandler() {
    signal(SIGINT) { _ in shellInterrupt.cancel() }
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
}
