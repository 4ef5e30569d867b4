import Strata

extension TraceLogContext {
    /// The window query as LogQL text (what `strata query` would take), for the command line
    /// `strata trace --logs` prints and the shell's hint:
    /// `{host=~"wally113|wally117", program=~"(glance|nova).*"}`.
    package var logQL: String {
        var parts: [String] = []
        if !hosts.isEmpty { parts.append("host=~\(QueryOutput.jsonString(hosts.joined(separator: "|")))") }
        if !projects.isEmpty { parts.append("program=~\(QueryOutput.jsonString("(" + projects.joined(separator: "|") + ").*"))") }
        var q = "{" + parts.joined(separator: ", ") + "}"
        if requestIDs.count == 1 { q += " | request_id=\(QueryOutput.jsonString(requestIDs[0]))" }
        return q
    }
}
