import StrataIngest
import StrataTraces

/// Simulator traces scaled up: replica r of the template spans has fresh ids (base, trace,
/// parent, and the UUIDs in request paths) and is shifted by r template durations, so the
/// density per hour stays the simulator's.
struct SimulatorReplica {
    let template: [Span]
    let period: Int64

    init(template: [Span]) {
        self.template = template
        let lo = template.map(\.start).min() ?? 0
        let hi = template.map(\.end).max() ?? 0
        period = max(1, hi - lo + 1_000_000)
    }

    static func fresh(_ id: TraceID, _ r: Int) -> TraceID {
        var x = UInt64(r) &* 0x9E37_79B9_7F4A_7C15 &+ 0x632B_E59B_D9B4_E019
        x ^= x >> 29
        return TraceID(high: id.high ^ x, low: id.low ^ (x &* 0xBF58_476D_1CE4_E5B9))
    }

    func spans(_ r: Int) -> [Span] {
        let shift = Int64(r) * period
        return template.map { s in
            var c = s
            c.baseID = Self.fresh(s.baseID, r)
            c.traceID = Self.fresh(s.traceID, r)
            c.parentID = Self.fresh(s.parentID, r)
            c.start = s.start + shift
            if !s.info.requestPath.isEmpty { c.info.requestPath = Self.freshUUIDs(s.info.requestPath, r) }
            return c
        }
    }

    /// `text` with every canonical lowercase UUID replaced by its fresh counterpart.
    static func freshUUIDs(_ text: String, _ r: Int) -> String {
        let b = Array(text.utf8)
        guard b.count >= 36 else { return text }
        var out: [UInt8] = []
        var i = 0
        while i < b.count {
            if i + 36 <= b.count, b[i + 8] == 0x2D, b[i + 13] == 0x2D,
                let id = TraceID(parsing: String(decoding: b[i..<(i + 36)], as: UTF8.self))
            {
                out += Array(fresh(id, r).description.utf8)
                i += 36
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Writes spans as osprofiler driver events, one JSON object per line, keys in the drivers'
/// order (as the simulator writes them).
enum EventJSON {
    static func append(_ spans: [Span], to out: inout [UInt8]) {
        for s in spans {
            var start = "{\"host\": \"\(s.host)\""
            if !s.info.requestPath.isEmpty {
                start += ", \"request\": {\"path\": \"\(s.info.requestPath)\", \"scheme\": \"\(s.info.requestScheme)\", \"method\": \"\(s.info.requestMethod)\", \"query\": \"\(s.info.requestQuery)\"}"
            }
            if !s.info.dbStatement.isEmpty { start += ", \"db\": {\"statement\": \"\(s.info.dbStatement)\", \"params\": \(s.info.dbParams.isEmpty ? "{}" : s.info.dbParams)}" }
            if !s.info.functionName.isEmpty {
                start += ", \"function\": {\"name\": \"\(s.info.functionName)\", \"args\": \(s.info.functionArgs), \"kwargs\": \(s.info.functionKwargs)}"
            }
            start += "}"
            var stop = "{\"host\": \"\(s.host)\""
            if s.isError { stop += ", \"etype\": \"\(s.info.errorType)\", \"message\": \"\(s.info.errorMessage.replacing("\"", with: "\\\""))\"" }
            stop += "}"
            let head = "\"service\": \"\(s.service)\", \"timestamp\": \""
            let tail = "\", \"trace_id\": \"\(s.traceID)\", \"project\": \"\(s.project)\", \"parent_id\": \"\(s.parentID)\", \"base_id\": \"\(s.baseID)\"}\n"
            out += "{\"info\": \(start), \"name\": \"\(s.name)-start\", ".utf8
            out += head.utf8
            out += OsprofilerTimestamp.format(s.start).utf8
            out += tail.utf8
            out += "{\"info\": \(stop), \"name\": \"\(s.name)-stop\", ".utf8
            out += head.utf8
            out += OsprofilerTimestamp.format(s.start + s.duration).utf8
            out += tail.utf8
        }
    }
}
