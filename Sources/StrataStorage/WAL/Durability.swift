/// When a store acknowledges an append: the same three choices for metrics, logs and traces.
public enum Durability: Sendable, Hashable {
    /// After the WAL record is written and fsynced: survives power loss.
    case fsync
    /// After the WAL record is written to the OS: survives a crash of the process, not of the machine.
    case buffered
    /// No WAL: data is durable only after `flush()`. For bulk loads that flush at the end.
    case none

    /// Makes what was just appended to `wal` as durable as this choice promises.
    package func acknowledge(_ wal: WriteAheadLog) throws(StorageError) {
        switch self {
        case .fsync: try wal.sync()
        case .buffered: try wal.flush()
        case .none: break
        }
    }

    /// Writes a record with `write`, then acknowledges it per this choice. A failure is kept in
    /// `failure` (the store refuses writes from then on: nothing acknowledged is lost) and thrown.
    package func log(
        to wal: WriteAheadLog, failure: inout StorageError?, _ write: (WriteAheadLog) throws(StorageError) -> Void
    ) throws(StorageError) {
        do {
            try write(wal)
            try acknowledge(wal)
        } catch {
            failure = error
            throw error
        }
    }
}
