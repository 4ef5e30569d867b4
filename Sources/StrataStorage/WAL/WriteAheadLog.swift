import StrataEncoding

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A write-ahead log: a directory of numbered segment files of checksummed records.
///
/// Appends go to an in-memory buffer; `flush()` hands the buffer to the kernel in one write
/// and `sync()` also fsyncs it, which is the point at which appended records are durable.
/// A segment is closed (fsynced) and a new one started when the next record would make it
/// larger than `segmentSize`; `cut()` starts one on demand so a store can checkpoint at an
/// exact record boundary.
///
/// ```swift
/// let wal = try WriteAheadLog.open(directory: dir + "/wal") { type, payload in
///     try head.apply(type, payload)                 // every good record, in order
/// }
/// if let damage = wal.recovery { log.warning("\(damage)") }
/// try wal.append(type: 1, payload: bytes)
/// try wal.sync()                                     // durable from here
/// ```
///
/// Not thread-safe and not `Sendable`: a store owns its log and serialises access, for
/// example under its own `Mutex`. The log does not take a directory lock; use `DatabaseLock`.
///
/// After any failed write or fsync the log refuses further work and rethrows that error
/// (a failed fsync may have lost pages the kernel has since marked clean); reopen it to
/// recover what reached the disk.
public final class WriteAheadLog {
    /// The directory holding the segment files.
    public let directory: String
    /// The size at which a segment is closed and the next one started.
    public let segmentSize: Int
    /// What `open` dropped to repair a torn or corrupt log; nil when the log was intact.
    public internal(set) var recovery: WALRecoveryReport?
    /// The index of the segment appends currently go to.
    public internal(set) var currentSegmentIndex: UInt32

    let fs: any FileSystem
    var file: OpenFile?
    /// Indices of the live segment files, ascending; the last is the current segment.
    var segments: [UInt32]
    // The log is not Sendable and its methods never re-enter, so the per-record accesses
    // below skip the runtime exclusivity checks (they cost about 10% of an append).
    /// Bytes in the current segment file (header included), not counting `buffer`.
    @exclusivity(unchecked) var segmentWritten: Int
    /// Records appended but not yet written.
    @exclusivity(unchecked) var buffer: ByteWriter
    /// The error that made the log unusable.
    @exclusivity(unchecked) var failure: StorageError?

    /// Buffered bytes beyond which `append` writes the buffer out by itself.
    static let flushThreshold = 1 << 20

    init(directory: String, fs: any FileSystem, segmentSize: Int, segments: [UInt32], recovery: WALRecoveryReport?) {
        self.directory = directory
        self.fs = fs
        self.segmentSize = segmentSize
        self.segments = segments
        self.recovery = recovery
        self.currentSegmentIndex = segments.last ?? 0
        self.segmentWritten = 0
        self.buffer = ByteWriter(capacity: 1 << 16)
    }

    deinit {
        if let file { fs.close(file) }
    }

    /// The indices of the segment files the log holds, ascending; the last is the current one.
    public var segmentIndices: [UInt32] { segments }

    /// Bytes appended and not yet written by `flush()`.
    public var bufferedByteCount: Int { buffer.count }

    /// The path of segment `index`.
    public func segmentPath(_ index: UInt32) -> String {
        FileNames.join(directory, FileNames.walSegment(index))
    }

    // MARK: Appending

    /// Appends one record to the buffer.
    ///
    /// The record is not on disk until `flush()` (and not durable until `sync()`), except
    /// that a buffer past 1 MiB and a segment rotation write it out early.
    /// - Parameters:
    ///   - type: the caller's record type, 1...255 (0 is reserved: zeroed bytes are never a record).
    ///   - payload: at most 1 GiB.
    /// - Throws: `StorageError` from an early write or rotation, or the error that broke the log.
    public func append(type: UInt8, payload: UnsafeRawBufferPointer) throws(StorageError) {
        precondition(type != 0, "WAL record type 0 is reserved")
        precondition(payload.count <= WALFormat.maxPayload, "WAL record payload over 1 GiB")
        if let failure { throw failure }
        let start = buffer.count
        var typeByte = type
        let crc = CRC32C.update(withUnsafeBytes(of: &typeByte) { CRC32C.checksum($0) }, payload)
        var header = (UInt32(truncatingIfNeeded: payload.count).littleEndian, crc.littleEndian, type)
        withUnsafeBytes(of: &header) { h in
            buffer.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: h[0..<WALFormat.recordHeaderSize]))
        }
        buffer.bytes.append(contentsOf: payload)
        if segmentWritten &+ buffer.count > segmentSize || buffer.count >= Self.flushThreshold {
            try spill(recordStart: start)
        }
    }

    /// Appends one record to the buffer (see `append(type:payload:)`).
    public func append(type: UInt8, payload: [UInt8]) throws(StorageError) {
        let failure: StorageError? = payload.withUnsafeBytes { p in
            do throws(StorageError) {
                try append(type: type, payload: p)
                return nil
            } catch { return error }
        }
        if let failure { throw failure }
    }

    /// Appends one record whose payload `encode` writes straight into the log's buffer.
    ///
    /// `encode` must only append to the writer, and must not touch this log.
    /// ```swift
    /// try wal.append(type: 2) { w in w.appendVarint(ref); w.appendFloat64(value) }
    /// ```
    public func append(type: UInt8, encoding encode: (inout ByteWriter) -> Void) throws(StorageError) {
        precondition(type != 0, "WAL record type 0 is reserved")
        if let failure { throw failure }
        let start = buffer.count
        var header = (UInt32(0), UInt32(0), type)
        withUnsafeBytes(of: &header) { h in
            buffer.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: h[0..<WALFormat.recordHeaderSize]))
        }
        encode(&buffer)
        let end = buffer.count
        precondition(end >= start + WALFormat.recordHeaderSize, "a WAL record encoder removed bytes")
        let length = end - start - WALFormat.recordHeaderSize
        precondition(length <= WALFormat.maxPayload, "WAL record payload over 1 GiB")
        buffer.bytes.withUnsafeMutableBytes { p in
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: p[(start + 8)..<end]))
            p.storeBytes(of: UInt32(length).littleEndian, toByteOffset: start, as: UInt32.self)
            p.storeBytes(of: crc.littleEndian, toByteOffset: start + 4, as: UInt32.self)
        }
        if segmentWritten + buffer.count > segmentSize || buffer.count >= Self.flushThreshold {
            try spill(recordStart: start)
        }
    }

    /// Rotates before the record at `recordStart` if it overflows the segment, and writes a big buffer out.
    func spill(recordStart: Int) throws(StorageError) {
        do throws(StorageError) {
            if segmentWritten + buffer.count > segmentSize && segmentWritten + recordStart > WALFormat.segmentHeaderSize
            {
                try writeBuffer(upTo: recordStart)
                try rotate()
            }
            if buffer.count >= Self.flushThreshold { try writeBuffer(upTo: buffer.count) }
        } catch {
            failure = error
            throw error
        }
    }

    // MARK: Writing and syncing

    /// Writes the buffered records to the current segment in one write call.
    public func flush() throws(StorageError) {
        if let failure { throw failure }
        do throws(StorageError) {
            try writeBuffer(upTo: buffer.count)
        } catch {
            failure = error
            throw error
        }
    }

    /// Writes the buffered records and fsyncs the segment: every record appended so far is durable
    /// when this returns.
    public func sync() throws(StorageError) {
        if let failure { throw failure }
        do throws(StorageError) {
            try writeBuffer(upTo: buffer.count)
            try fs.fsync(currentFile())
        } catch {
            failure = error
            throw error
        }
    }

    /// Writes the buffered records and returns a duplicate descriptor of the current segment, for
    /// an fsync outside the owner's lock (group commit: appends go on while it runs). A rotation
    /// fsyncs a segment before leaving it, so once `fsync` of the returned file succeeds, every
    /// record appended before this call is durable. The caller closes the descriptor.
    public func flushForDetachedSync() throws(StorageError) -> OpenFile {
        try flush()
        let f = try currentFile()
        let d = dup(f.descriptor)
        guard d >= 0 else { throw StorageError.io(operation: "dup", path: f.path, offset: nil, errno: errno) }
        return OpenFile(descriptor: d, path: f.path)
    }

    /// Ends the current segment (written and fsynced) and starts the next one, unless the
    /// current segment holds no records yet.
    ///
    /// A store checkpoints with it: `let k = try wal.cut()`, persist everything appended so far
    /// elsewhere, then `try wal.removeSegments(before: k)`.
    /// - Returns: the index of the segment that the next append goes to.
    @discardableResult
    public func cut() throws(StorageError) -> UInt32 {
        if let failure { throw failure }
        do throws(StorageError) {
            try writeBuffer(upTo: buffer.count)
            if segmentWritten > WALFormat.segmentHeaderSize { try rotate() }
        } catch {
            failure = error
            throw error
        }
        return currentSegmentIndex
    }

    /// Deletes the segments with indices below `index` (never the current one), oldest first,
    /// then fsyncs the directory.
    public func removeSegments(before index: UInt32) throws(StorageError) {
        if let failure { throw failure }
        let limit = min(index, currentSegmentIndex)
        let doomed = segments.prefix { $0 < limit }
        guard !doomed.isEmpty else { return }
        for i in doomed {
            do throws(StorageError) {
                try fs.unlink(segmentPath(i))
            } catch {
                if !error.isNotFound { throw error }
            }
            segments.removeFirst()
        }
        try fs.fsyncDirectory(directory)
    }

    /// Syncs and closes the log; later calls throw.
    public func close() throws(StorageError) {
        if let failure { throw failure }
        try sync()
        if let file { fs.close(file) }
        file = nil
        failure = .invalidState(path: directory, detail: "the write-ahead log is closed")
    }

    // MARK: Internals

    func currentFile() throws(StorageError) -> OpenFile {
        guard let file else { throw StorageError.invalidState(path: directory, detail: "no open WAL segment") }
        return file
    }

    /// Writes `buffer[0..<n]` to the current segment and drops it from the buffer.
    func writeBuffer(upTo n: Int) throws(StorageError) {
        guard n > 0 else { return }
        let file = try currentFile()
        let failure: StorageError? = buffer.bytes.withUnsafeBytes { b in
            do throws(StorageError) {
                try fs.write(file, UnsafeRawBufferPointer(rebasing: b[0..<n]))
                return nil
            } catch { return error }
        }
        if let failure { throw failure }
        segmentWritten += n
        if n == buffer.count {
            buffer.bytes.removeAll(keepingCapacity: true)
        } else {
            buffer.bytes.removeFirst(n)
        }
    }

    /// Fsyncs and closes the current segment and starts the next.
    func rotate() throws(StorageError) {
        let old = try currentFile()
        try fs.fsync(old)
        fs.close(old)
        file = nil
        try startSegment(currentSegmentIndex + 1)
    }

    /// Creates segment `index` with its header and makes its directory entry durable.
    func startSegment(_ index: UInt32) throws(StorageError) {
        let f = try fs.open(segmentPath(index), mode: .createNew)
        do throws(StorageError) {
            try fs.write(f, WALFormat.segmentHeader(index: index))
            try fs.fsyncDirectory(directory)
        } catch {
            fs.close(f)
            throw error
        }
        file = f
        currentSegmentIndex = index
        segments.append(index)
        segmentWritten = WALFormat.segmentHeaderSize
    }
}

@available(*, unavailable, message: "serialise access to a WriteAheadLog, e.g. under a Mutex")
extension WriteAheadLog: Sendable {}
