#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Strata

/// The cancellation flag Ctrl-C sets while a query runs (SIGINT's handler cannot capture context,
/// so it lives here; setting it is one atomic store).
let shellInterrupt = QueryCancellation()

/// Makes SIGINT cancel the running query instead of ending the process.
func installShellInterruptHandler() {
    signal(SIGINT) { _ in shellInterrupt.cancel() }
}
