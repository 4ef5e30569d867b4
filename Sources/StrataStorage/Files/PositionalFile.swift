/// An immutable file read by position (`pread`) into private buffers: how log segments are
/// read.
///
/// A memory map counts every page it touches in the process's resident set, and on kernels
/// whose page cache holds large folios (Linux 6.x on ext4 and XFS) one touched byte maps a
/// whole folio of up to 2 MiB: a query that reads a few small sections of each of 30 segments
/// became 100 MiB resident. Reading by position costs one copy of what is actually read and
/// keeps the resident set to it. The descriptor stays open for the life of the object (a
/// retired file stays readable until the last reader lets go); obtain one through
/// `PositionalFile(path:fs:)` so tests can inject read faults.
///
/// ```swift
/// let file = try PositionalFile(path: "/db/logs/000001.logs", fs: SystemFileSystem())
/// let header = try file.read(at: 0, count: 16)
/// ```
public final class PositionalFile: @unchecked Sendable {
    /// The path the file was opened with (for error messages).
    public let path: String
    /// The file's size in bytes when it was opened.
    public let size: Int
    private let fs: any FileSystem
    private let handle: OpenFile

    /// Opens `path` read-only.
    /// - Throws: `StorageError.io` naming the failed call and the path.
    public init(path: String, fs: any FileSystem) throws(StorageError) {
        self.path = path
        self.fs = fs
        handle = try fs.open(path, mode: .readOnly)
        do {
            size = try fs.fileSize(path)
        } catch {
            fs.close(handle)
            throw error
        }
    }

    /// The bytes `offset ..< offset + count`, or a `StorageError.corrupt` naming the file and the
    /// offset when the range runs past its end.
    public func read(at offset: Int, count: Int) throws(StorageError) -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw StorageError.corrupt(
                path: path, offset: min(max(offset, 0), size),
                detail: "file of \(size) bytes ends inside a section of \(count) bytes at offset \(offset)")
        }
        var out = [UInt8](repeating: 0, count: count)
        var failure: StorageError?
        let n = out.withUnsafeMutableBytes { b -> Int in
            do throws(StorageError) { return try fs.pread(handle, into: b, at: offset) } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        guard n == count else {
            throw StorageError.corrupt(path: path, offset: offset + n, detail: "file ended after \(n) of \(count) bytes read at offset \(offset)")
        }
        return out
    }

    deinit { fs.close(handle) }
}
