// strata-loadgen: a loopback load generator for `strata serve` (and any Prometheus/Loki peer).
//
//   strata-loadgen remote-write http://127.0.0.1:9090 [--series 20000] [--per-request 2000]
//                  [--requests 3000] [--connections 8] [--pid PID]
//   strata-loadgen loki-push http://127.0.0.1:9090 --file LOGFILE [--batch-bytes 1048576]
//                  [--megabytes 200] [--connections 4] [--pid PID]
//   strata-loadgen query http://127.0.0.1:9090 --query 'EXPR' [--clients 20] [--seconds 10] [--pid PID]
//
// Bodies are built before the clock starts. With --pid, the server's CPU seconds (utime+stime
// from /proc/PID/stat) over the run give the rate per core, and its VmHWM/VmRSS are reported.
import Dispatch
import Foundation
import StrataWire

#if canImport(Glibc)
import Glibc
#endif

struct Args {
    var mode = ""
    var url = ""
    var options: [String: String] = [:]
    init() {
        let a = Array(CommandLine.arguments.dropFirst())
        if a.first == "--help" || a.first == "-h" {
            print("""
                strata-loadgen: loopback load for `strata serve` (or any Prometheus/Loki peer).

                  strata-loadgen remote-write URL [--series 20000] [--per-request 2000] [--requests 3000] [--connections 8] [--pid PID]
                  strata-loadgen loki-push URL --file LOGFILE [--batch-bytes 1048576] [--megabytes 200] [--connections 4] [--pid PID]
                  strata-loadgen query URL --query 'EXPR' [--time T] [--clients 20] [--seconds 10] [--pid PID]

                With --pid, the server's CPU seconds and memory are reported too.
                Example: strata-loadgen remote-write http://127.0.0.1:9090 --pid $(pgrep strata-server)
                """)
            exit(0)
        }
        guard a.count >= 2 else {
            print("usage: strata-loadgen remote-write|loki-push|query URL [--option value]... (--help for more)")
            exit(2)
        }
        mode = a[0]
        url = a[1]
        var i = 2
        while i + 1 < a.count {
            options[String(a[i].dropFirst(2))] = a[i + 1]
            i += 2
        }
    }
    func int(_ k: String, _ d: Int) -> Int { options[k].flatMap { Int($0) } ?? d }
}

/// One keep-alive HTTP/1.1 connection over a blocking socket.
final class Connection {
    let fd: Int32
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    init(host: String, port: UInt16) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &addr.sin_addr)
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        precondition(r == 0, "connect failed: \(errno)")
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(4))
    }
    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var off = 0
        bytes.withUnsafeBytes { b in
            while off < b.count {
                let n = Glibc.send(fd, b.baseAddress! + off, b.count - off, Int32(MSG_NOSIGNAL))
                precondition(n > 0, "send failed")
                off += n
            }
        }
    }

    /// Sends a request and reads the response; returns the status.
    func request(_ head: String, body: [UInt8]) -> Int {
        send(Array(head.utf8) + body)
        var got: [UInt8] = []
        var headerEnd = -1
        var contentLength = 0
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            precondition(n > 0, "connection closed")
            got += buffer[0..<n]
            if headerEnd < 0, let r = find(got, [13, 10, 13, 10]) {
                headerEnd = r + 4
                let text = String(decoding: got[0..<r], as: UTF8.self).lowercased()
                for line in text.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                    contentLength = Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if headerEnd >= 0 && got.count >= headerEnd + contentLength {
                let status = Int(String(decoding: got[9..<12], as: UTF8.self)) ?? 0
                return status
            }
        }
    }

    func find(_ a: [UInt8], _ p: [UInt8]) -> Int? {
        guard a.count >= p.count else { return nil }
        for i in 0...(a.count - p.count) where a[i] == p[0] && Array(a[i..<(i + p.count)]) == p { return i }
        return nil
    }
}

func hostPort(_ url: String) -> (String, UInt16) {
    let rest = url.replacingOccurrences(of: "http://", with: "")
    let hp = rest.split(separator: "/").first.map(String.init) ?? rest
    let parts = hp.split(separator: ":")
    return (String(parts[0]), UInt16(parts[1]) ?? 80)
}

func cpuSeconds(_ pid: Int) -> Double {
    guard let s = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = s.lastIndex(of: ")") else { return 0 }
    let f = s[s.index(after: close)...].split(separator: " ")
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    return ((Double(f[11]) ?? 0) + (Double(f[12]) ?? 0)) / ticks
}

func memory(_ pid: Int) -> String {
    guard let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return "" }
    return s.split(separator: "\n").filter { $0.hasPrefix("VmHWM") || $0.hasPrefix("VmRSS") }
        .map { $0.replacingOccurrences(of: "\t", with: "").replacingOccurrences(of: "  ", with: "") }.joined(separator: ", ")
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Counters shared by the client threads (under `lock`).
final class Shared: @unchecked Sendable {
    let lock = NSLock()
    var next = 0
    var failures = 0
    var latencies: [Double] = []
    func take() -> Int { lock.lock(); defer { lock.unlock() }; next += 1; return next - 1 }
    func fail() { lock.lock(); failures += 1; lock.unlock() }
}

/// Runs `body(i)` for i in 0..<n, each on its own thread (`concurrentPerform` would run only as
/// many at a time as there are cores, which is not n concurrent clients).
func onThreads(_ n: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let done = DispatchSemaphore(value: 0)
    for i in 0..<n {
        let t = Thread {
            body(i)
            done.signal()
        }
        t.start()
    }
    for _ in 0..<n { done.wait() }
}

/// Runs `work(connection, index)` for each of `count` jobs over `connections` connections.
func blast(_ url: String, connections: Int, count: Int, _ work: @escaping @Sendable (Connection, Int) -> Void) {
    let (h, p) = hostPort(url)
    let shared = Shared()
    onThreads(connections) { _ in
        let c = Connection(host: h, port: p)
        while true {
            let i = shared.take()
            if i >= count { break }
            work(c, i)
        }
    }
}

let args = Args()
let pid = args.int("pid", 0)
let (host, port) = hostPort(args.url)

switch args.mode {
case "remote-write":
    let series = args.int("series", 20_000), perRequest = args.int("per-request", 2000), requests = args.int("requests", 3000)
    let shards = max(1, series / perRequest)
    let t0: Int64 = 1_700_000_000_000
    var bodies: [[UInt8]] = []
    var raw = 0
    for i in 0..<requests {
        let shard = i % shards
        let t = t0 + Int64(i / shards) * 10_000
        var req = Prometheus_WriteRequest()
        req.timeseries = (0..<perRequest).map { k in
            let n = shard * perRequest + k
            var ts = Prometheus_TimeSeries()
            func l(_ a: String, _ b: String) -> Prometheus_Label { var x = Prometheus_Label(); x.name = a; x.value = b; return x }
            ts.labels = [
                l("__name__", "node_cpu_seconds_total"), l("cpu", String(n % 64)), l("instance", "compute-\(n / 512).example.org:9100"),
                l("job", "node"), l("mode", ["user", "system", "idle", "iowait", "irq", "softirq", "steal", "nice"][(n / 64) % 8]),
            ]
            var s = Prometheus_Sample()
            s.timestamp = t
            s.value = Double(i * 7 + k % 13) * 0.25
            ts.samples = [s]
            return ts
        }
        let pb: [UInt8] = try! req.serializedBytes()
        raw += pb.count
        let body = Snappy.compress(pb)
        let head = "POST /api/v1/write HTTP/1.1\r\nHost: \(host)\r\nContent-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\nX-Prometheus-Remote-Write-Version: 0.1.0\r\nContent-Length: \(body.count)\r\n\r\n"
        bodies.append(Array(head.utf8) + body)
    }
    let all = bodies
    let c0 = pid > 0 ? cpuSeconds(pid) : 0
    let start = now()
    let failures = Shared()
    // Each connection sends the requests of its own shards, in order, as Prometheus's shards do
    // (a series always goes through the same shard, so its samples arrive in time order).
    let connections = args.int("connections", 8)
    onThreads(connections) { lane in
        let c = Connection(host: host, port: port)
        for i in 0..<requests where (i % shards) % connections == lane {
            let status = c.request("", body: all[i])
            if status != 204 && status != 200 { failures.fail() }
        }
    }
    let secs = now() - start
    let cpu = pid > 0 ? cpuSeconds(pid) - c0 : 0
    let samples = Double(requests * perRequest)
    print("remote-write: \(requests) requests x \(perRequest) samples (\(series) series, \(raw / requests) B protobuf/request) in \(String(format: "%.2f", secs)) s: \(Int(samples / secs)) samples/s; server CPU \(String(format: "%.2f", cpu)) s -> \(cpu > 0 ? Int(samples / cpu) : 0) samples per CPU-second; failures \(failures.failures); \(memory(pid))")

case "loki-push":
    guard let path = args.options["file"], let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        print("--file LOGFILE required"); exit(2)
    }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    let batch = args.int("batch-bytes", 1 << 20), total = args.int("megabytes", 200) << 20
    var bodies: [[UInt8]] = []
    var lineBytes = 0
    var k = 0
    var t: Int64 = 1_700_000_000_000_000_000
    func esc(_ s: String) -> String {
        var o = ""
        for c in s.unicodeScalars {
            switch c {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            case "\t": o += "\\t"
            default: if c.value < 0x20 { o += " " } else { o.unicodeScalars.append(c) }
            }
        }
        return o
    }
    while lineBytes < total {
        var values: [String] = []
        var size = 0
        while size < batch {
            let l = lines[k % lines.count]
            k += 1
            t += 1_000_000
            values.append("[\"\(t)\",\"\(esc(l))\"]")
            size += l.utf8.count
        }
        lineBytes += size
        let body = Array("{\"streams\":[{\"stream\":{\"job\":\"loadgen\",\"host\":\"h\(bodies.count % 8)\"},\"values\":[\(values.joined(separator: ","))]}]}".utf8)
        let head = "POST /loki/api/v1/push HTTP/1.1\r\nHost: \(host)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
        bodies.append(Array(head.utf8) + body)
    }
    let all = bodies
    let c0 = pid > 0 ? cpuSeconds(pid) : 0
    let start = now()
    let failures = Shared()
    blast(args.url, connections: args.int("connections", 4), count: all.count) { c, i in
        if c.request("", body: all[i]) != 204 { failures.fail() }
    }
    let secs = now() - start
    let cpu = pid > 0 ? cpuSeconds(pid) - c0 : 0
    let mb = Double(lineBytes) / 1e6
    print("loki-push: \(all.count) pushes, \(k) lines, \(String(format: "%.1f", mb)) MB of lines in \(String(format: "%.2f", secs)) s: \(String(format: "%.1f", mb / secs)) MB/s; server CPU \(String(format: "%.2f", cpu)) s -> \(String(format: "%.1f", cpu > 0 ? mb / cpu : 0)) MB per CPU-second; failures \(failures.failures); \(memory(pid))")

case "query":
    guard let q = args.options["query"] else { print("--query required"); exit(2) }
    let clients = args.int("clients", 20), seconds = Double(args.int("seconds", 10))
    var path = "/api/v1/query?query=" + q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    if let t = args.options["time"] { path += "&time=" + t }
    let head = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\n\r\n"
    let failures = Shared()
    let c0 = pid > 0 ? cpuSeconds(pid) : 0
    let end = now() + seconds
    onThreads(clients) { _ in
        let c = Connection(host: host, port: port)
        var mine: [Double] = []
        var bad = 0
        while now() < end {
            let s = now()
            if c.request(head, body: []) != 200 { bad += 1 }
            mine.append(now() - s)
        }
        failures.lock.lock()
        failures.latencies += mine
        failures.failures += bad
        failures.lock.unlock()
    }
    let l = failures.latencies.sorted()
    func pct(_ p: Double) -> String { String(format: "%.2f ms", l.isEmpty ? 0 : l[min(l.count - 1, Int(Double(l.count) * p))] * 1000) }
    let cpu = pid > 0 ? cpuSeconds(pid) - c0 : 0
    print("query: \(clients) clients, \(l.count) queries in \(Int(seconds)) s (\(Int(Double(l.count) / seconds))/s): p50 \(pct(0.5)), p90 \(pct(0.9)), p99 \(pct(0.99)), max \(pct(1)); server CPU \(String(format: "%.2f", cpu)) s; failures \(failures.failures); \(memory(pid))")

default:
    print("unknown mode \(args.mode)")
    exit(2)
}
