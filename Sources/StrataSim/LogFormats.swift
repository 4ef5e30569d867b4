/// oslo.log levels.
enum LogLevel {
    case debug, info, warning, error, critical

    var text: StaticString {
        switch self {
        case .debug: "DEBUG"
        case .info: "INFO"
        case .warning: "WARNING"
        case .error: "ERROR"
        case .critical: "CRITICAL"
        }
    }
}

/// The request context oslo.log prints between brackets.
struct RequestContext {
    /// The request id of the first API the call entered (nil at that API itself).
    var global: ID128?
    var request: ID128
    var user: ID128?
    var project: ID128?
}

extension LineBytes {
    /// `2019-11-19 21:22:13.166 25746 INFO nova.compute.manager [ctx] [instance: uuid] ` — the
    /// oslo.log prefix up to the message; `[-]` without context.
    mutating func osloPrefix(
        _ t: Int64, pid: Int, _ level: LogLevel, _ logger: StaticString, _ ctx: RequestContext?, instance: ID128?
    ) {
        timeMillis(t)
        byte(0x20)
        int(pid)
        byte(0x20)
        ascii(level.text)
        byte(0x20)
        ascii(logger)
        if let ctx {
            ascii(" [")
            if let g = ctx.global {
                ascii("req-")
                uuid(g)
                byte(0x20)
            }
            ascii("req-")
            uuid(ctx.request)
            byte(0x20)
            if let u = ctx.user { hex32(u) } else { byte(UInt8(ascii: "-")) }
            byte(0x20)
            if let p = ctx.project { hex32(p) } else { byte(UInt8(ascii: "-")) }
            ascii(" - - -] ")
        } else {
            ascii(" [-] ")
        }
        if let instance {
            ascii("[instance: ")
            uuid(instance)
            ascii("] ")
        }
    }

    /// A Python traceback after an ERROR record: `frames` are (file, line, function, code).
    mutating func traceback(_ frames: [(StaticString, Int, StaticString, StaticString)], exception: (inout LineBytes) -> Void) {
        ascii("Traceback (most recent call last):\n")
        for f in frames {
            ascii("  File \"")
            ascii(f.0)
            ascii("\", line ")
            int(f.1)
            ascii(", in ")
            ascii(f.2)
            ascii("\n    ")
            ascii(f.3)
            byte(0x0A)
        }
        exception(&self)
        byte(0x0A)
    }

    /// A JSON string body (no quotes) with the escapes JSON needs.
    mutating func jsonEscaped(_ s: String) {
        for b in s.utf8 {
            switch b {
            case 0x22: ascii("\\\"")
            case 0x5C: ascii("\\\\")
            case 0x0A: ascii("\\n")
            case 0..<0x20:
                ascii("\\u00")
                hexDigits(UInt64(b), count: 2)
            default: byte(b)
            }
        }
    }
}

/// Writes log records into a host's pending log files.
struct LogWriter {
    var line = LineBytes(capacity: 4096)

    /// One oslo.log record; `message` appends the text after the prefix (no newline).
    @inline(__always)
    mutating func oslo(
        _ host: SimHost, _ program: Program, _ t: Int64, _ level: LogLevel, _ logger: StaticString,
        _ ctx: RequestContext?, instance: ID128? = nil, _ message: (inout LineBytes) -> Void
    ) {
        guard let log = host.log(program) else { return }
        line.clear()
        line.osloPrefix(t, pid: host.pid(program), level, logger, ctx, instance: instance)
        message(&line)
        line.byte(0x0A)
        log.add(time: t, line)
    }

    /// A whole prepared record (may hold continuation lines), stamped `t`.
    mutating func raw(_ host: SimHost, _ program: Program, _ t: Int64, _ build: (inout LineBytes) -> Void) {
        guard let log = host.log(program) else { return }
        line.clear()
        build(&line)
        log.add(time: t, line)
    }

    /// RFC 3164: `Nov 19 21:22:13 wally113 systemd[1]: message`.
    mutating func syslog(
        _ host: SimHost, _ program: Program, _ t: Int64, tag: StaticString, pid: Int?, _ message: (inout LineBytes) -> Void
    ) {
        raw(host, program, t) { l in
            l.timeSyslog(t)
            l.byte(0x20)
            l.text(host.name)
            l.byte(0x20)
            l.ascii(tag)
            if let pid {
                l.byte(UInt8(ascii: "["))
                l.int(pid)
                l.byte(UInt8(ascii: "]"))
            }
            l.ascii(": ")
            message(&l)
            l.byte(0x0A)
        }
    }

    /// ovs-vswitchd: `2019-11-19T21:22:13.166Z|00012|module|LEVEL|message`.
    mutating func ovs(_ host: SimHost, _ t: Int64, module: StaticString, level: StaticString, _ message: (inout LineBytes) -> Void) {
        let seq = host.ovsSequence
        host.ovsSequence = seq >= 99_999 ? 1 : seq + 1
        raw(host, .ovsVswitchd, t) { l in
            l.timeOVS(t)
            l.byte(UInt8(ascii: "|"))
            l.int(seq, width: 5)
            l.byte(UInt8(ascii: "|"))
            l.ascii(module)
            l.byte(UInt8(ascii: "|"))
            l.ascii(level)
            l.byte(UInt8(ascii: "|"))
            message(&l)
            l.byte(0x0A)
        }
    }

    /// libvirtd: `2019-11-19 21:22:13.166+0000: 2931: info : function:123 : message`.
    mutating func libvirt(_ host: SimHost, _ t: Int64, level: StaticString, function: StaticString, _ message: (inout LineBytes) -> Void) {
        raw(host, .libvirtd, t) { l in
            l.timeMillis(t)
            l.ascii("+0000: ")
            l.int(host.pid(.libvirtd))
            l.ascii(": ")
            l.ascii(level)
            l.ascii(" : ")
            l.ascii(function)
            l.ascii(" : ")
            message(&l)
            l.byte(0x0A)
        }
    }

    /// MariaDB error log: `2019-11-19 21:22:13 140 [Note] message`.
    mutating func mysql(_ host: SimHost, _ t: Int64, thread: Int, level: StaticString, _ message: (inout LineBytes) -> Void) {
        raw(host, .mysqld, t) { l in
            l.dateTime(CivilTime(micros: t))
            l.byte(0x20)
            l.int(thread)
            l.ascii(" [")
            l.ascii(level)
            l.ascii("] ")
            message(&l)
            l.byte(0x0A)
        }
    }

    /// RabbitMQ 3.7: `2019-11-19 21:22:13.166 [info] <0.1234.0> message`.
    mutating func rabbit(_ host: SimHost, _ t: Int64, level: StaticString, process: Int, _ message: (inout LineBytes) -> Void) {
        raw(host, .rabbitmq, t) { l in
            l.timeMillis(t)
            l.ascii(" [")
            l.ascii(level)
            l.ascii("] <0.")
            l.int(process)
            l.ascii(".0> ")
            message(&l)
            l.byte(0x0A)
        }
    }
}
