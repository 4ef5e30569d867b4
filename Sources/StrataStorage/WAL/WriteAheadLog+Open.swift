import StrataEncoding

extension WriteAheadLog {
    /// Opens (creating if needed) the log in `directory`, replays every good record, repairs
    /// a damaged tail, and starts a fresh segment for appends.
    ///
    /// Each segment is read whole and its records are checked (length, CRC32C) and handed to
    /// `replay` in order, without copying. At the first bad byte — a torn record from a crash or
    /// a corrupt one anywhere — that segment is truncated there, every later segment is
    /// deleted, and `recovery` describes what was dropped. Records before the damage were
    /// already replayed and are kept.
    ///
    /// - Parameters:
    ///   - directory: the WAL directory (usually `<store>/wal`), created if missing.
    ///   - fs: the file system.
    ///   - segmentSize: the size at which a segment is closed (default 64 MiB).
    ///   - replay: called with each good record's type and payload; the payload is valid only
    ///     during the call.
    /// - Throws: `StorageError` for I/O failures and for a segment written by a newer version
    ///   (never repaired), or whatever `replay` throws (nothing is repaired then).
    public static func open(
        directory: String, fs: any FileSystem = SystemFileSystem(), segmentSize: Int = 64 << 20,
        replay: (_ type: UInt8, _ payload: UnsafeRawBufferPointer) throws -> Void = { _, _ in }
    ) throws -> WriteAheadLog {
        precondition(segmentSize > WALFormat.segmentHeaderSize, "WAL segment size too small")
        try fs.createDirectory(directory)
        let found = try fs.listDirectory(directory).compactMap(FileNames.walSegmentIndex).sorted()
        let path = { (i: UInt32) in FileNames.join(directory, FileNames.walSegment(i)) }

        var kept: [UInt32] = []
        var lastHasRecords = false
        var damage: (index: UInt32, offset: Int, error: FormatError)?
        var truncation: (index: UInt32, size: Int)?
        var deleteFrom = found.count  // positions in `found` from here on are deleted
        var dropped = 0
        for (position, index) in found.enumerated() {
            if let previous = kept.last, index != previous &+ 1 {
                damage = (index, 0, FormatError(.invalid, at: 0, "segment \(previous &+ 1) is missing"))
                deleteFrom = position
                break
            }
            let bytes = try fs.readFile(path(index))
            let scan = try bytes.withUnsafeBytes { try WALFormat.scan($0, index: index, replay) }
            guard let error = scan.error else {
                kept.append(index)
                lastHasRecords = scan.records > 0
                continue
            }
            if error.kind == .unsupportedVersion { throw StorageError(path: path(index), error) }
            if scan.end > 0 {
                truncation = (index, scan.end)
                dropped += bytes.count - scan.end
                kept.append(index)
                lastHasRecords = scan.records > 0
                deleteFrom = position + 1
            } else {
                deleteFrom = position
            }
            // An empty last file is a segment created just before a crash: nothing was lost.
            if !(bytes.isEmpty && position == found.count - 1) { damage = (index, scan.end, error) }
            break
        }

        // Repair: cut the damaged segment at its last good record, delete everything after it.
        if let t = truncation {
            let f = try fs.open(path(t.index), mode: .readWrite)
            defer { fs.close(f) }
            try fs.truncate(f, to: t.size)
            try fs.fsync(f)
        }
        var removed: [String] = []
        for index in found[deleteFrom...] {
            let p = path(index)
            dropped += try fs.fileSize(p)
            try fs.unlink(p)
            removed.append(p)
        }
        // A last segment without records (left by an open that appended nothing) is reused.
        var next = kept.last.map { $0 &+ 1 } ?? found.first ?? 1
        var unlinked = !removed.isEmpty
        if let last = kept.last, !lastHasRecords {
            try fs.unlink(path(last))
            kept.removeLast()
            next = last
            unlinked = true
        }
        if unlinked { try fs.fsyncDirectory(directory) }

        let recovery = damage.map { d in
            WALRecoveryReport(
                segment: path(d.index), segmentIndex: d.index, offset: d.offset, bytesDropped: dropped,
                removedSegments: removed, reason: d.error)
        }
        let wal = WriteAheadLog(
            directory: directory, fs: fs, segmentSize: segmentSize, segments: kept, recovery: recovery)
        try wal.startSegment(next)
        return wal
    }
}
