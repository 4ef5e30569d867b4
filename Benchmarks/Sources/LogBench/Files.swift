#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct BenchError: Error, CustomStringConvertible {
    var description: String
}

#if canImport(Glibc)
let RUSAGE_SELF_VALUE = __rusage_who_t(RUSAGE_SELF.rawValue)
#else
let RUSAGE_SELF_VALUE = RUSAGE_SELF
#endif

enum Files {
    static func read(_ path: String) throws -> [UInt8] {
        guard let f = fopen(path, "rb") else { throw BenchError(description: "cannot open \(path)") }
        defer { fclose(f) }
        fseek(f, 0, SEEK_END)
        let n = ftell(f)
        fseek(f, 0, SEEK_SET)
        var out = [UInt8](repeating: 0, count: n)
        let got = out.withUnsafeMutableBytes { fread($0.baseAddress, 1, n, f) }
        guard got == n else { throw BenchError(description: "short read of \(path)") }
        return out
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        guard let f = fopen(path, "wb") else { throw BenchError(description: "cannot create \(path)") }
        defer { fclose(f) }
        let n = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        guard n == bytes.count else { throw BenchError(description: "short write of \(path)") }
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF_VALUE, &u)
        return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec)
            + Double(u.ru_stime.tv_usec) / 1e6
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? 0 : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Runs a shell command and returns its standard output.
    static func shell(_ command: String) -> String {
        guard let p = popen(command, "r") else { return "" }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { fread($0.baseAddress, 1, 4096, p) }
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        pclose(p)
        return String(decoding: out, as: UTF8.self)
    }
}
