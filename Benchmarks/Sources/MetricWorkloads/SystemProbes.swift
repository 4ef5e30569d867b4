#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic time for the driver's measurements.
public enum MonotonicClock {
    /// Nanoseconds since an arbitrary origin.
    public static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Seconds `body` took.
    public static func seconds<T>(_ body: () throws -> T) rethrows -> (seconds: Double, result: T) {
        let t0 = nanoseconds()
        let r = try body()
        return (Double(nanoseconds() - t0) / 1e9, r)
    }
}

/// Resident memory of this process, from /proc/self (Linux); zeros elsewhere.
public enum ProcessMemory {
    /// Current resident set size in bytes (`VmRSS`).
    public static func residentBytes() -> Int { statusField("VmRSS:") }
    /// Peak resident set size in bytes since start or the last `resetPeak()` (`VmHWM`).
    public static func peakResidentBytes() -> Int { statusField("VmHWM:") }

    /// Resets the peak to the current RSS (writes 5 to /proc/self/clear_refs, Linux 4.0+).
    /// Returns false when the kernel refuses.
    @discardableResult
    public static func resetPeak() -> Bool {
        #if os(Linux)
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var five: UInt8 = 0x35
        return write(fd, &five, 1) == 1
        #else
        return false
        #endif
    }

    private static func statusField(_ name: String) -> Int {
        guard let text = try? TextFile.contents(of: "/proc/self/status") else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let digits = line.dropFirst(name.count).filter { $0.isNumber }
            return (Int(String(digits)) ?? 0) * 1024  // the kernel reports kB
        }
        return 0
    }
}

/// Small file helpers (no Foundation).
public enum TextFile {
    struct ReadError: Error { let path: String }

    /// The whole file as UTF-8 text.
    public static func contents(of path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ReadError(path: path) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes.append(contentsOf: buf[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Scratch directories for stores under test.
public enum ScratchDirectory {
    /// A new empty directory under `parent` (default `$TMPDIR` or /tmp).
    public static func make(prefix: String, parent: String? = nil) -> String {
        let base = parent ?? getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp under \(base) failed (errno \(errno))")
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Removes `path` and everything under it (best effort).
    public static func remove(_ path: String) {
        if let dir = opendir(path) {
            var children: [String] = []
            while let e = readdir(dir) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." { children.append(name) }
            }
            closedir(dir)
            for c in children { remove(path + "/" + c) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Bytes of every regular file under `path`.
    public static func size(_ path: String) -> Int {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        if (st.st_mode & S_IFMT) != S_IFDIR { return Int(st.st_size) }
        guard let dir = opendir(path) else { return 0 }
        var children: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { children.append(name) }
        }
        closedir(dir)
        return children.reduce(0) { $0 + size(path + "/" + $1) }
    }
}

/// The median of `xs` (mean of the middle two for an even count).
public func median(_ xs: [Double]) -> Double {
    precondition(!xs.isEmpty)
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// The latency of the storage under a directory: what an fsync-per-batch append waits for.
public enum FsyncProbe {
    /// Median milliseconds of `count` rounds of "append `bytes` to a file, fsync it", in a
    /// scratch file under `parent` (removed afterwards).
    public static func medianMilliseconds(bytes: Int, count: Int, parent: String? = nil) -> Double {
        let dir = ScratchDirectory.make(prefix: "strata-fsync", parent: parent)
        defer { ScratchDirectory.remove(dir) }
        let fd = open(dir + "/probe", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { return .nan }
        defer { close(fd) }
        let payload = [UInt8](repeating: 0x5a, count: bytes)
        var ms: [Double] = []
        for _ in 0..<count {
            let (s, _) = MonotonicClock.seconds {
                payload.withUnsafeBytes { _ = write(fd, $0.baseAddress, $0.count) }
                _ = fsync(fd)
            }
            ms.append(s * 1000)
        }
        return median(ms)
    }
}
