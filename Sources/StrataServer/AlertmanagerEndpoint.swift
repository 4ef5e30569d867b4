#if canImport(Glibc)
import Glibc
#endif

/// One Alertmanager: `http://host:port[/prefix]`, to which alerts are POSTed as JSON at
/// `<prefix>/api/v2/alerts` over a plain HTTP/1.1 connection (one per request, closed after the
/// answer). Blocking: it runs on the notifier's own thread, never on an event loop.
struct AlertmanagerEndpoint: Sendable, Equatable {
    /// The URL as given (the label of its metrics).
    let url: String
    let host: String
    let port: Int
    /// The request path: the URL's path, then `/api/v2/alerts`.
    let path: String

    /// Parses `http://host[:port][/prefix]` (port 80 by default; IPv6 hosts in brackets).
    /// - Throws: why the URL is refused (HTTPS is not supported).
    init(parsing text: String) throws(ServerConfigError) {
        url = text
        guard text.hasPrefix("http://") else {
            throw ServerConfigError("--alertmanager-url \(text): expected http://host:port (https is not supported)")
        }
        var rest = Substring(text.dropFirst(7))
        var prefix = ""
        if let slash = rest.firstIndex(of: "/") {
            prefix = String(rest[slash...])
            rest = rest[..<slash]
        }
        while prefix.hasSuffix("/") { prefix.removeLast() }
        var hostPart = rest
        var port = 80
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw ServerConfigError("--alertmanager-url \(text): unclosed [ in the host") }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    throw ServerConfigError("--alertmanager-url \(text): bad port")
                }
                port = p
            }
        } else if let colon = rest.lastIndex(of: ":") {
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else {
                throw ServerConfigError("--alertmanager-url \(text): bad port")
            }
            port = p
            hostPart = rest[..<colon]
        }
        guard !hostPart.isEmpty else { throw ServerConfigError("--alertmanager-url \(text): no host") }
        host = String(hostPart)
        self.port = port
        path = prefix + "/api/v2/alerts"
    }

    /// POSTs `body` (a JSON array of alerts). Returns nil when Alertmanager answered 2xx, else
    /// what went wrong (connection, timeout, or the status and the start of the answer).
    func post(_ body: [UInt8], timeoutMilliseconds: Int64) -> String? {
        let deadline = Self.monotonicMilliseconds() + timeoutMilliseconds
        let fd: Int32
        switch connectSocket(timeoutMilliseconds: timeoutMilliseconds) {
        case .success(let s): fd = s
        case .failure(let e): return e.description
        }
        defer { close(fd) }
        var head = "POST \(path) HTTP/1.1\r\nHost: \(host.contains(":") ? "[\(host)]" : host):\(port)\r\n"
        head += "User-Agent: strata\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let out = Array(head.utf8) + body
        var sent = 0
        while sent < out.count {
            let n = out[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                sent += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return "sending to \(url): \(Self.errnoText(errno))"
            }
            if Self.monotonicMilliseconds() > deadline { return "sending to \(url): timed out" }
        }
        // The status line is all that matters; read until it and the headers are in.
        var received: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while !Self.hasHeaders(received) {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                received += buf[0..<n]
            } else if n == 0 {
                break
            } else if errno == EINTR {
                continue
            } else {
                return "reading the answer of \(url): \(errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : Self.errnoText(errno))"
            }
            if Self.monotonicMilliseconds() > deadline { return "reading the answer of \(url): timed out" }
            if received.count > 1 << 20 { break }
        }
        let text = String(decoding: received.prefix(512), as: UTF8.self)
        let statusLine = text.split(separator: "\r\n", maxSplits: 1).first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            return "\(url): not an HTTP answer: \(text.prefix(100))"
        }
        guard (200..<300).contains(status) else {
            let bodyStart = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...].prefix(200)) } ?? ""
            return "\(url): bad response status \(statusLine.dropFirst(parts[0].count + 1)): \(bodyStart)"
        }
        return nil
    }

    static func hasHeaders(_ b: [UInt8]) -> Bool {
        guard b.count >= 4 else { return false }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return true }
        return false
    }

    struct SocketError: Error, CustomStringConvertible {
        var description: String
    }

    /// A connected TCP socket (getaddrinfo, then each address in turn with a bounded connect),
    /// with send and receive timeouts set.
    func connectSocket(timeoutMilliseconds: Int64) -> Result<Int32, SocketError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            return .failure(SocketError(description: "\(url): cannot resolve \(host): \(String(cString: gai_strerror(rc)))"))
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            ai = a.pointee.ai_next
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            if fd < 0 {
                lastError = Self.errnoText(errno)
                continue
            }
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var r = connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen)
            if r != 0 && errno == EINPROGRESS {
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let ready = poll(&p, 1, Int32(clamping: timeoutMilliseconds))
                if ready == 1 {
                    var err: Int32 = 0
                    var len = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                    r = err == 0 ? 0 : -1
                    if err != 0 { lastError = Self.errnoText(err) }
                } else {
                    lastError = "connect timed out"
                    r = -1
                }
            } else if r != 0 {
                lastError = Self.errnoText(errno)
            }
            if r != 0 {
                close(fd)
                continue
            }
            _ = fcntl(fd, F_SETFL, flags)
            var tv = timeval(tv_sec: Int(timeoutMilliseconds / 1000), tv_usec: Int(timeoutMilliseconds % 1000) * 1000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            return .success(fd)
        }
        return .failure(SocketError(description: "\(url): cannot connect to \(host):\(port): \(lastError)"))
    }

    static func errnoText(_ e: Int32) -> String { String(cString: strerror(e)) }

    static func monotonicMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

extension RuleOptions {
    /// Checks an `--alertmanager-url` the way the server will read it.
    /// - Throws: why it is refused (not `http://host[:port][/prefix]`).
    public static func checkAlertmanagerURL(_ url: String) throws(ServerConfigError) {
        _ = try AlertmanagerEndpoint(parsing: url)
    }
}
