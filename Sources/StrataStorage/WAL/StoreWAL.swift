/// How a store opens its write-ahead log at start-up: the part every store (metrics, logs,
/// traces) shares.
public enum StoreWAL {
    /// What opening found.
    public struct Opened {
        /// The log to append to; nil when opened read-only.
        public var wal: WriteAheadLog?
        /// What recovery repaired (read-write), one line; nil when nothing was wrong.
        public var recovery: String?
    }

    /// Replays the WAL in `directory` from segment `start` (the manifest's `walStart`: older
    /// segments are already in published segments).
    ///
    /// Read-write (the store holds the database lock): segments below `start` are deleted, a
    /// damaged tail is repaired and a fresh segment starts, as `WriteAheadLog.open` does.
    /// Read-only (another process may be writing): nothing is created, changed or deleted; each
    /// segment from `start` on is replayed up to its last whole record, and reading stops there
    /// (a writer's unfinished record looks like a torn tail). A segment that vanishes while it is
    /// read means a writer published and retired it meanwhile: `StorageError.invalidState` says
    /// to try again.
    /// - Throws: `StorageError`, or what `replay` throws.
    public static func open(
        directory: String, fs: any FileSystem, segmentSize: Int, start: Int, readOnly: Bool,
        replay: (_ type: UInt8, _ payload: UnsafeRawBufferPointer) throws -> Void
    ) throws -> Opened {
        guard readOnly else {
            if try fs.exists(directory) {
                for name in try fs.listDirectory(directory) {
                    if let i = FileNames.walSegmentIndex(name), Int(i) < start {
                        try fs.unlink(FileNames.join(directory, name))
                    }
                }
            }
            let wal = try WriteAheadLog.open(directory: directory, fs: fs, segmentSize: segmentSize, replay: replay)
            return Opened(wal: wal, recovery: wal.recovery?.description)
        }
        guard try fs.exists(directory) else { return Opened(wal: nil, recovery: nil) }
        let indexes = try fs.listDirectory(directory).compactMap(FileNames.walSegmentIndex).filter { Int($0) >= start }.sorted()
        var previous: UInt32?
        for index in indexes {
            if let p = previous, index != p &+ 1 { break }  // a gap: what follows is not reachable
            previous = index
            let path = FileNames.join(directory, FileNames.walSegment(index))
            let bytes: [UInt8]
            do throws(StorageError) { bytes = try fs.readFile(path) } catch {
                guard error.isNotFound else { throw error }
                throw StorageError.invalidState(
                    path: path, detail: "the WAL segment was retired by a writer while it was read; try again")
            }
            let scan = try bytes.withUnsafeBytes { try WALFormat.scan($0, index: index, replay) }
            if let error = scan.error {
                if error.kind == .unsupportedVersion { throw StorageError(path: path, error) }
                break
            }
        }
        return Opened(wal: nil, recovery: nil)
    }
}

extension StoreWAL {
    /// Opens a store's directory the way metrics, logs and traces all do: creates it (unless
    /// read-only), opens its manifest (removing files a crash left unpublished) and, when
    /// `durability` keeps a WAL or one is on disk, replays the WAL from the manifest's
    /// `walStart` through `replay`. Read-only, it then checks that no writer published
    /// meanwhile (`SegmentSet.checkStillCurrent`).
    /// - Returns: the store's segments and what opening the WAL found (no WAL: `wal` nil).
    /// - Throws: `StorageError`, or what `replay` throws.
    package static func openStore(
        directory: String, fs: any FileSystem, readOnly: Bool, durability: Durability, walSegmentSize: Int,
        replay: (_ type: UInt8, _ payload: UnsafeRawBufferPointer) throws -> Void
    ) throws -> (segments: SegmentSet, wal: Opened) {
        if !readOnly { try fs.createDirectory(directory) }
        let segments = try SegmentSet.open(directory: directory, fs: fs, readOnly: readOnly)
        let walDir = FileNames.join(directory, FileNames.walDirectory)
        var opened = Opened(wal: nil, recovery: nil)
        // Kept in .none mode too when one exists, so a flush can retire what an earlier writer logged.
        let walExists = try fs.exists(walDir)
        if durability != .none || walExists {
            opened = try open(
                directory: walDir, fs: fs, segmentSize: walSegmentSize,
                start: try segments.currentState().walStart, readOnly: readOnly, replay: replay)
        }
        // A writer that published meanwhile may have retired WAL segments this open expected.
        if readOnly { try segments.checkStillCurrent() }
        return (segments, opened)
    }
}
