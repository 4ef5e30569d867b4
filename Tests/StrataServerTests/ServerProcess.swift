import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

// Helpers for the tests that drive a real `strata-server` process and real clients (Prometheus,
// promtool, node-exporter, the Python scripts in Clients/): child processes with deadlines, a
// small HTTP/1.1 client on a raw socket, free ports, scratch directories.

/// A failure of a helper (a deadline passed, a process did not start); the message says what.
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Seconds on a monotonic clock.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Unix time in seconds, with a fraction.
func unixSeconds() -> Double { Date().timeIntervalSince1970 }

func sleepSeconds(_ s: Double) { if s > 0 { usleep(UInt32(min(s, 60) * 1_000_000)) } }

/// Calls `body` every `interval` seconds until it returns a value, or throws when `timeout`
/// seconds have passed (naming `what` and the last thing `body` said through `note`).
func poll<T>(_ what: String, timeout: Double, interval: Double = 0.2, _ body: (_ note: inout String) throws -> T?) throws -> T {
    let deadline = monotonicSeconds() + timeout
    var note = ""
    while true {
        if let v = try body(&note) { return v }
        if monotonicSeconds() >= deadline {
            throw HarnessError("timed out after \(timeout) s waiting for \(what)" + (note.isEmpty ? "" : "; last: \(note.prefix(2000))"))
        }
        sleepSeconds(interval)
    }
}

// MARK: Paths

enum Paths {
    /// The build products directory (where `swift build` put strata and strata-server).
    static func product(_ name: String) -> String {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = dir.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return exe.deletingLastPathComponent().appendingPathComponent(name).path
    }

    static var strataServer: String { product("strata-server") }
    static var strata: String { product("strata") }

    /// Tests/StrataServerTests/Clients/<name>.
    static func client(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Clients").appendingPathComponent(name).path
    }

    /// The Python with python3-snappy, python-logging-loki and osprofiler (never pyenv's).
    static let python = "/usr/bin/python3"
    static let promtool = "/usr/bin/promtool"
    static let prometheus = "/usr/bin/prometheus"
    static let nodeExporter = "/usr/bin/prometheus-node-exporter"
}

/// A fresh directory under the system temp dir, removed by `cleanup()`.
struct ScratchDir: Sendable {
    let path: String
    init(_ tag: String) {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("strata-itest-\(tag)-\(UUID().uuidString.prefix(8))").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func sub(_ name: String) -> String { path + "/" + name }
    func write(_ name: String, _ text: String) throws -> String {
        let p = sub(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// A TCP port that was free a moment ago (bound to port 0 on 127.0.0.1, then released), for
/// programs that cannot report the port they chose.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard bound == 0 else { throw HarnessError("bind: errno \(errno)") }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}

// MARK: Child processes

/// A child process whose stdout and stderr go to files (no pipe can fill up and block it).
/// `stop()` or `kill()` it in a `defer`; both do nothing once it has exited.
final class Child: @unchecked Sendable {
    let name: String
    let process = Process()
    let stdoutPath: String
    let stderrPath: String

    init(_ executable: String, _ arguments: [String], name: String, logDir: String, stdin: [UInt8]? = nil) throws {
        self.name = name
        let tag = "\(name)-\(UUID().uuidString.prefix(6))"
        stdoutPath = logDir + "/\(tag).stdout"
        stderrPath = logDir + "/\(tag).stderr"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        if let stdin {
            let p = logDir + "/\(tag).stdin"
            try Data(stdin).write(to: URL(fileURLWithPath: p))
            process.standardInput = FileHandle(forReadingAtPath: p)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits up to `timeout` seconds for the process to exit; true when it did.
    @discardableResult
    func wait(timeout: Double) -> Bool {
        let deadline = monotonicSeconds() + timeout
        while process.isRunning {
            if monotonicSeconds() >= deadline { return false }
            usleep(5_000)
        }
        process.waitUntilExit()
        return true
    }

    func signal(_ sig: Int32) { if process.isRunning { Glibc.kill(pid, sig) } }

    /// SIGKILL (when still running), then waits for the exit.
    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(pid, SIGKILL)
        wait(timeout: 10)
    }

    /// SIGTERM, up to `grace` seconds for the exit, then SIGKILL. True when SIGTERM was enough.
    @discardableResult
    func stop(grace: Double = 10) -> Bool {
        guard process.isRunning else { return true }
        Glibc.kill(pid, SIGTERM)
        if wait(timeout: grace) { return true }
        kill()
        return false
    }

    var exitedNormally: Bool { !process.isRunning && process.terminationReason == .exit }
    var status: Int32 { process.terminationStatus }
}

/// What a program that ran to completion did.
struct RunResult: Sendable, CustomStringConvertible {
    var status: Int32
    var exited: Bool
    var stdout: String
    var stderr: String
    var ok: Bool { exited && status == 0 }
    var description: String { "status \(status)\(exited ? "" : " (signal)"); stdout: \(stdout.prefix(3000)); stderr: \(stderr.prefix(3000))" }
}

/// Runs a program to completion (killed, and an error thrown, after `timeout` seconds).
func runProgram(_ executable: String, _ arguments: [String], stdin: [UInt8]? = nil, timeout: Double = 30) throws -> RunResult {
    let dir = ScratchDir("run")
    defer { dir.cleanup() }
    let child = try Child(executable, arguments, name: URL(fileURLWithPath: executable).lastPathComponent, logDir: dir.path, stdin: stdin)
    defer { child.kill() }
    guard child.wait(timeout: timeout) else {
        child.kill()
        throw HarnessError("\(executable) \(arguments.joined(separator: " ")) ran over \(timeout) s; stderr: \(child.stderr.prefix(2000))")
    }
    return RunResult(status: child.status, exited: child.process.terminationReason == .exit, stdout: child.stdout, stderr: child.stderr)
}

/// `/usr/bin/python3 -I Clients/<script> args...`.
func runClientScript(_ script: String, _ arguments: [String], timeout: Double = 60) throws -> RunResult {
    try runProgram(Paths.python, ["-I", Paths.client(script)] + arguments, timeout: timeout)
}

/// `promtool args...`.
func promtool(_ arguments: [String], stdin: [UInt8]? = nil, timeout: Double = 30) throws -> RunResult {
    try runProgram(Paths.promtool, arguments, stdin: stdin, timeout: timeout)
}

// MARK: strata-server

/// A `strata-server` process on a database directory, listening on a port it chose itself
/// (`--listen 127.0.0.1:0`, read back from its "listening on" line).
final class ServerProcess: @unchecked Sendable {
    let db: String
    let child: Child
    let port: Int

    var base: String { "http://127.0.0.1:\(port)" }
    var hostPort: String { "127.0.0.1:\(port)" }
    var pid: Int32 { child.pid }
    var isRunning: Bool { child.isRunning }
    var stderr: String { child.stderr }

    /// Starts the server (maintenance off unless `extra` says otherwise) and waits for it to listen.
    init(db: String, logDir: String, extra: [String] = [], timeout: Double = 30) throws {
        self.db = db
        child = try Child(
            Paths.strataServer, [db, "--listen", "127.0.0.1:0", "--maintenance-interval", "0"] + extra, name: "strata-server", logDir: logDir)
        let c = child
        do {
            port = try poll("strata-server to print its port", timeout: timeout, interval: 0.02) { note in
                let text = c.stderr
                if let r = text.range(of: "listening on 127.0.0.1:") {
                    let digits = text[r.upperBound...].prefix { $0.isNumber }
                    if let p = Int(digits), p > 0, text[r.upperBound...].dropFirst(digits.count).hasPrefix("\n") { return p }
                }
                if !c.isRunning { throw HarnessError("strata-server exited with \(c.status) before listening: \(text)") }
                note = text
                return nil
            }
        } catch {
            child.kill()
            throw error
        }
    }

    /// SIGTERM and the exit (within `timeout`); records an issue unless it exited with status 0.
    func stop(timeout: Double = 20, sourceLocation: SourceLocation = #_sourceLocation) {
        guard child.isRunning else { return }
        child.signal(SIGTERM)
        let exited = child.wait(timeout: timeout)
        #expect(exited, "strata-server did not exit within \(timeout) s of SIGTERM", sourceLocation: sourceLocation)
        if !exited {
            child.kill()
            return
        }
        #expect(
            child.process.terminationReason == .exit && child.status == 0,
            "strata-server's exit after SIGTERM: status \(child.status), stderr: \(child.stderr.suffix(2000))", sourceLocation: sourceLocation)
    }

    /// SIGKILL (a crash), and the exit.
    func kill() { child.kill() }

    func get(_ path: String, headers: [(String, String)] = [], timeout: Double = 15) throws -> RawResponse {
        try RawHTTP.request(port: port, "GET", path, headers: headers, timeout: timeout)
    }

    func post(_ path: String, body: [UInt8], headers: [(String, String)], timeout: Double = 15) throws -> RawResponse {
        try RawHTTP.request(port: port, "POST", path, headers: headers, body: body, timeout: timeout)
    }

    /// GET `path` with `params` as the query string; the body as JSON (an issue when it is not).
    func getJSON(_ path: String, _ params: [(String, String)] = []) throws -> (RawResponse, [String: Any]) {
        let r = try get(path + RawHTTP.query(params))
        return (r, try r.jsonObject())
    }
}

// MARK: HTTP

struct RawResponse: Sendable, CustomStringConvertible {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
    var description: String { "HTTP \(status) \(text.prefix(1500))" }

    func jsonObject() throws -> [String: Any] {
        guard let o = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) as? [String: Any] else {
            throw HarnessError("not a JSON object: \(self)")
        }
        return o
    }
}

/// A minimal HTTP/1.1 client on a blocking socket (one request per connection): it can send
/// bodies URLSession would not (a Content-Length longer than the body), and every call is
/// bounded by `timeout`.
enum RawHTTP {
    static func request(
        port: Int, _ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = [],
        declaredLength: Int? = nil, timeout: Double = 15
    ) throws -> RawResponse {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port)).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw HarnessError("connect to 127.0.0.1:\(port): errno \(errno)") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if method != "GET" || !body.isEmpty { head += "Content-Length: \(declaredLength ?? body.count)\r\n" }
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        head += "\r\n"
        let out = Array(head.utf8) + body
        var sent = 0
        while sent < out.count {
            let n = out[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 {
                // The server may answer early (and close) before reading a whole large body.
                break
            }
            sent += n
        }
        if declaredLength != nil { shutdown(fd, Int32(SHUT_WR)) }
        let deadline = monotonicSeconds() + timeout
        var received: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                received += buf[0..<n]
                if let r = try? parse(received), r.complete { return r.response }
            } else if n == 0 {
                break
            } else if errno == EINTR {
                continue
            } else if errno == ECONNRESET && !received.isEmpty {
                break
            } else {
                throw HarnessError("\(method) \(path) on port \(port): recv errno \(errno) after \(received.count) bytes")
            }
            if monotonicSeconds() > deadline { throw HarnessError("\(method) \(path) on port \(port): no whole answer in \(timeout) s") }
        }
        guard !received.isEmpty else { throw HarnessError("\(method) \(path) on port \(port): connection closed without an answer") }
        let r = try parse(received)
        guard r.complete else { throw HarnessError("\(method) \(path) on port \(port): answer cut short: \(String(decoding: received.prefix(500), as: UTF8.self))") }
        return r.response
    }

    /// A response parsed from what arrived so far; `complete` when its body is whole.
    static func parse(_ b: [UInt8]) throws -> (response: RawResponse, complete: Bool) {
        let sep: [UInt8] = [13, 10, 13, 10]
        guard let end = b.indices.dropLast(3).first(where: { b[$0..<$0 + 4].elementsEqual(sep) }) else {
            return (RawResponse(status: 0, headers: [], body: []), false)
        }
        let lines = String(decoding: b[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw HarnessError("bad status line \(lines[0])") }
        var headers: [(name: String, value: String)] = []
        for l in lines.dropFirst() {
            guard let c = l.firstIndex(of: ":") else { continue }
            headers.append((String(l[..<c]), l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)))
        }
        var r = RawResponse(status: status, headers: headers, body: [])
        let rest = Array(b[(end + 4)...])
        if let cl = r.header("content-length"), let n = Int(cl) {
            r.body = Array(rest.prefix(n))
            return (r, rest.count >= n)
        }
        if r.header("transfer-encoding")?.lowercased().contains("chunked") == true {
            var i = 0
            var body: [UInt8] = []
            while true {
                guard let crlf = rest[i...].indices.dropLast().first(where: { rest[$0] == 13 && rest[$0 + 1] == 10 }) else { return (r, false) }
                let sizeText = String(decoding: rest[i..<crlf], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw HarnessError("bad chunk size") }
                let start = crlf + 2
                if size == 0 {
                    r.body = body
                    return (r, true)
                }
                guard rest.count >= start + size + 2 else { return (r, false) }
                body += rest[start..<start + size]
                i = start + size + 2
            }
        }
        if status == 204 || status == 304 || (100..<200).contains(status) { return (r, true) }
        r.body = rest
        return (r, false)  // until the connection closes
    }

    /// `?k=v&...` with form escaping (empty for no parameters).
    static func query(_ params: [(String, String)]) -> String {
        params.isEmpty ? "" : "?" + form(params)
    }

    /// `k=v&...`, application/x-www-form-urlencoded.
    static func form(_ params: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        func esc(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s }
        return params.map { esc($0.0) + "=" + esc($0.1) }.joined(separator: "&")
    }
}

// MARK: JSON

/// `o[k1][k2]...` through dictionaries and arrays (Int keys index arrays).
func jsonPath(_ o: Any?, _ keys: Any...) -> Any? {
    var cur = o
    for k in keys {
        if let s = k as? String { cur = (cur as? [String: Any])?[s] } else if let i = k as? Int {
            guard let a = cur as? [Any], i < a.count else { return nil }
            cur = a[i]
        }
    }
    return cur
}

func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

/// A counter several threads add to.
final class Counter: Sendable {
    private let value = Mutex(0)
    func add(_ n: Int = 1) { value.withLock { $0 += n } }
    var current: Int { value.withLock { $0 } }
}

/// A value several threads share.
final class Locked<T: Sendable>: Sendable {
    private let value: Mutex<T>
    init(_ v: T) { value = Mutex(v) }
    func withLock<R: Sendable>(_ body: (inout T) -> R) -> R { value.withLock { body(&$0) } }
}
