/// An osprofiler service: the `project` and `service` fields of its events.
struct ProfiledService {
    var project: StaticString
    var service: StaticString

    static let keystone = ProfiledService(project: "keystone", service: "public")
    static let novaAPI = ProfiledService(project: "nova", service: "osapi_compute")
    static let conductor = ProfiledService(project: "nova", service: "conductor")
    static let scheduler = ProfiledService(project: "nova", service: "scheduler")
    static let compute = ProfiledService(project: "nova", service: "compute")
    static let placement = ProfiledService(project: "placement", service: "placement-api")
    static let neutron = ProfiledService(project: "neutron", service: "neutron-server")
    static let glance = ProfiledService(project: "glance", service: "api")
}

/// What a span's start event carries besides the host.
enum SpanInfo {
    case wsgi(method: StaticString, path: String)
    case db(statement: StaticString)
    case function(name: StaticString)
}

/// Writes osprofiler driver events (one JSON object per line) into the traces file.
struct TraceWriter {
    var line = LineBytes(capacity: 1024)
    private(set) var spans = 0

    /// A `<name>-start` / `<name>-stop` pair; returns the span's trace_id.
    @discardableResult
    mutating func span(
        _ log: PendingLog, rng: inout SimRandom, base: ID128, parent: ID128, name: StaticString, _ svc: ProfiledService,
        host: SimHost, start: Int64, stop: Int64, _ info: SpanInfo, error: (etype: StaticString, message: String)? = nil,
        id: ID128? = nil
    ) -> ID128 {
        let trace = id ?? rng.id128()
        spans += 1
        line.clear()
        line.ascii("{\"info\": {\"host\": \"")
        line.text(host.name)
        line.byte(0x22)
        switch info {
        case .wsgi(let method, let path):
            line.ascii(", \"request\": {\"path\": \"")
            line.jsonEscaped(path)
            line.ascii("\", \"scheme\": \"http\", \"method\": \"")
            line.ascii(method)
            line.ascii("\", \"query\": \"\"}")
        case .db(let statement):
            line.ascii(", \"db\": {\"statement\": \"")
            line.ascii(statement)
            line.ascii("\", \"params\": {}}")
        case .function(let fname):
            line.ascii(", \"function\": {\"name\": \"")
            line.ascii(fname)
            line.ascii("\", \"args\": \"()\", \"kwargs\": \"{}\"}")
        }
        line.ascii("}, \"name\": \"")
        line.ascii(name)
        line.ascii("-start\"")
        tail(svc, time: start, trace: trace, parent: parent, base: base)
        log.add(time: start, line)

        line.clear()
        line.ascii("{\"info\": {\"host\": \"")
        line.text(host.name)
        line.byte(0x22)
        if let error {
            line.ascii(", \"etype\": \"")
            line.ascii(error.etype)
            line.ascii("\", \"message\": \"")
            line.jsonEscaped(error.message)
            line.byte(0x22)
        }
        line.ascii("}, \"name\": \"")
        line.ascii(name)
        line.ascii("-stop\"")
        tail(svc, time: stop, trace: trace, parent: parent, base: base)
        log.add(time: stop, line)
        return trace
    }

    private mutating func tail(_ svc: ProfiledService, time: Int64, trace: ID128, parent: ID128, base: ID128) {
        line.ascii(", \"service\": \"")
        line.ascii(svc.service)
        line.ascii("\", \"timestamp\": \"")
        line.timeISOMicros(time)
        line.ascii("\", \"trace_id\": \"")
        line.uuid(trace)
        line.ascii("\", \"project\": \"")
        line.ascii(svc.project)
        line.ascii("\", \"parent_id\": \"")
        line.uuid(parent)
        line.ascii("\", \"base_id\": \"")
        line.uuid(base)
        line.ascii("\"}\n")
    }
}
