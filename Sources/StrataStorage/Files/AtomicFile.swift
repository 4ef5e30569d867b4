/// Replaces a whole file so that readers and crashes see either the old or the new content.
///
/// The protocol: write `<path>.tmp` in the same directory, fsync it, rename it over `path`,
/// then fsync the directory so the rename itself is durable. A crash before the rename
/// leaves the old file (and a `.tmp` file that the owner removes on its next open); a crash
/// after it leaves the new file.
public enum AtomicFile {
    /// Atomically replaces (or creates) `path` with `bytes`.
    ///
    /// - Throws: `StorageError.io` from the first failed step. If the failure came before the
    ///   rename, `path` still holds its old content and the temporary file is removed; if the
    ///   directory fsync failed, the new content is in place but may not survive a crash.
    public static func write(_ bytes: [UInt8], to path: String, fs: any FileSystem) throws(StorageError) {
        var renamed = false
        try write(bytes, to: path, fs: fs, renamed: &renamed)
    }

    /// `write(_:to:fs:)`, telling the caller whether the rename happened before a failure.
    static func write(_ bytes: [UInt8], to path: String, fs: any FileSystem, renamed: inout Bool) throws(StorageError) {
        let temporary = path + FileNames.temporarySuffix
        do throws(StorageError) {
            let file = try fs.open(temporary, mode: .createOrTruncate)
            do throws(StorageError) {
                try fs.write(file, bytes)
                try fs.fsync(file)
            } catch {
                fs.close(file)
                throw error
            }
            fs.close(file)
            try fs.rename(temporary, to: path)
        } catch {
            try? fs.unlink(temporary)
            throw error
        }
        renamed = true
        try fs.fsyncDirectory(FileNames.parentDirectory(of: path))
    }
}
