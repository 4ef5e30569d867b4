/// A log text format `LogTextParser` reads.
public enum LogFormat: String, Sendable, CaseIterable {
    /// oslo.log (OpenStack services), with Loghub's file-name prefix accepted.
    case oslo
    /// Syslog RFC 3164 and RFC 5424 (/var/log/messages, secure, haproxy).
    case syslog
    /// mysqld/mariadb, rabbitmq, ovs-vswitchd and libvirtd logs.
    case platform
    /// One JSON object per line (`JSONLogMapping` says which keys mean what).
    case jsonl
    /// Any text: one record per line, timestamp read from the line start when there is one.
    case plain

    /// Guesses the format of a file from its first bytes: the structured format that reads the
    /// most of the first 64 non-blank lines, provided it reads at least half of them; else
    /// `plain`. Continuation lines (starting with white space or `Traceback`) are not counted.
    public static func detect(head: [UInt8], jsonMapping: JSONLogMapping = JSONLogMapping()) -> LogFormat {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        for (i, b) in head.enumerated() where b == 0x0A {
            lines.append(head[start..<i])
            start = i + 1
            if lines.count >= 80 { break }
        }
        if lines.isEmpty || (start < head.count && lines.count < 80) { lines.append(head[start...]) }
        let sample = lines.filter { l in
            guard let c = l.first else { return false }
            return c != 0x20 && c != 0x09 && c != 0x0D && !l.starts(with: "Traceback".utf8)
        }.prefix(64)
        guard !sample.isEmpty else { return .plain }
        let year = 2000
        var best: (LogFormat, Int) = (.plain, 0)
        for format in [LogFormat.jsonl, .oslo, .platform, .syslog] {
            var n = 0
            for l in sample {
                let ok = Array(l).withUnsafeBufferPointer { p -> Bool in
                    var q = UnsafeBufferPointer(start: p.baseAddress, count: p.count)
                    if q.last == 0x0D { q = UnsafeBufferPointer(start: p.baseAddress, count: p.count - 1) }
                    switch format {
                    case .jsonl: return JSONLineParser.parse(q, mapping: jsonMapping) != nil
                    case .oslo: return OsloLineParser.parse(q) != nil
                    case .platform: return PlatformLineParser.parse(q) != nil
                    case .syslog: return SyslogLineParser.parse(q, year: year) != nil
                    case .plain: return true
                    }
                }
                if ok { n += 1 }
            }
            if n > best.1 { best = (format, n) }
        }
        return best.1 * 2 >= sample.count ? best.0 : .plain
    }
}
