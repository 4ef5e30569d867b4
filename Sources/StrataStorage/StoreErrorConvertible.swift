/// The error type of a store (`MetricStoreError`, `LogStoreError`, `TraceStoreError`): each has a
/// `.storage(StorageError)` case, so every file problem reaches the caller with its path, offset
/// and what is wrong, never as a bare string.
package protocol StoreErrorConvertible: Error {
    /// `error` as this store's `.storage` case.
    static func storage(_ error: StorageError) -> Self
}

extension StoreErrorConvertible {
    /// Runs `body` and rethrows its error as `Self`: an error of this type as it is, any other
    /// through `StorageError(_:path:)` (a `FormatError` becomes `.corrupt` at `path`).
    @inlinable
    package static func catching<T>(at path: String, _ body: () throws -> T) throws(Self) -> T {
        do { return try body() } catch let e as Self { throw e } catch { throw storage(StorageError(error, path: path)) }
    }
}
