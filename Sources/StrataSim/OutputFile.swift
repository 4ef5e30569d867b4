#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a simulation could not be written.
public struct SimulationError: Error, CustomStringConvertible, Sendable {
    /// The file or directory involved.
    public var path: String
    /// What went wrong (the system's error text).
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}

/// One output file: a large buffer in front of a POSIX file descriptor.
final class OutputFile {
    let path: String
    private let fd: Int32
    private var buffer: [UInt8]
    private let capacity: Int
    /// Bytes handed to the file (written or buffered).
    private(set) var bytesWritten = 0
    private var failure: SimulationError?

    init(path: String, capacity: Int) throws(SimulationError) {
        self.path = path
        self.capacity = capacity
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 { throw SimulationError(path: path, reason: String(cString: strerror(errno))) }
        buffer = []
        buffer.reserveCapacity(capacity)
    }

    deinit { if fd >= 0 { close(fd) } }

    @inline(__always)
    func append(_ bytes: [UInt8]) {
        if buffer.count + bytes.count > capacity { flushBuffer() }
        buffer.append(contentsOf: bytes)
        bytesWritten += bytes.count
    }

    @inline(__always)
    func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        if buffer.count + bytes.count > capacity { flushBuffer() }
        buffer.append(contentsOf: bytes)
        bytesWritten += bytes.count
    }

    func append(_ s: String) { append(Array(s.utf8)) }

    private func flushBuffer() {
        guard failure == nil else {
            buffer.removeAll(keepingCapacity: true)
            return
        }
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = SimulationError(path: path, reason: String(cString: strerror(errno)))
                    return
                }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered; throws the first write error seen so far.
    func flush() throws(SimulationError) {
        flushBuffer()
        if let failure { throw failure }
    }
}

/// A text log file whose lines arrive out of order (a workload iteration writes its future
/// lines when it starts): records wait here and go out in time order once the simulation
/// clock has passed them. A record may span several lines (a traceback stays with its record).
final class PendingLog {
    let file: OutputFile
    private var arena: [UInt8] = []
    private var records: [Record] = []
    private var sequence: Int64 = 0
    private(set) var recordCount = 0

    private struct Record {
        var time: Int64
        var sequence: Int64
        var start: Int32
        var length: Int32
    }

    init(file: OutputFile) { self.file = file }

    /// Queues one record (its text ends with a newline) stamped `time`.
    @inline(__always)
    func add(time: Int64, _ line: LineBytes) {
        records.append(Record(time: time, sequence: sequence, start: Int32(arena.count), length: Int32(line.count)))
        sequence += 1
        arena.append(contentsOf: line.bytes)
    }

    /// Writes, in time order, every record stamped before `limit`.
    func release(before limit: Int64) {
        if records.isEmpty { return }
        records.sort { $0.time != $1.time ? $0.time < $1.time : $0.sequence < $1.sequence }
        var cut = 0
        while cut < records.count && records[cut].time < limit { cut += 1 }
        if cut == 0 { return }
        recordCount += cut
        arena.withUnsafeBufferPointer { a in
            for i in 0..<cut {
                let r = records[i]
                file.append(UnsafeBufferPointer(rebasing: a[Int(r.start)..<Int(r.start + r.length)]))
            }
        }
        if cut == records.count {
            records.removeAll(keepingCapacity: true)
            arena.removeAll(keepingCapacity: true)
            return
        }
        var kept: [UInt8] = []
        kept.reserveCapacity(arena.count / 2)
        var rest: [Record] = []
        rest.reserveCapacity(records.count - cut)
        for i in cut..<records.count {
            var r = records[i]
            let s = Int(r.start)
            r.start = Int32(kept.count)
            kept.append(contentsOf: arena[s..<s + Int(r.length)])
            rest.append(r)
        }
        arena = kept
        records = rest
    }
}
