import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Strata
import StrataCLIKit
import StrataWire

/// Prometheus's HTTP API (`/api/v1/...`): queries, metadata, remote_write and remote_read.
extension StrataServer {
    func registerPrometheus(_ router: Router<BasicRequestContext>) {
        for method in [HTTPRequest.Method.get, .post] {
            route(router, method, "/api/v1/query", "/api/v1/query", .read) { _, _, p in try await self.instantQuery(p) }
            route(router, method, "/api/v1/query_range", "/api/v1/query_range", .read) { _, _, p in try await self.rangeQuery(p) }
            route(router, method, "/api/v1/series", "/api/v1/series", .read) { _, _, p in try await self.series(p) }
            route(router, method, "/api/v1/labels", "/api/v1/labels", .read) { _, _, p in try await self.labelNames(p) }
            route(router, method, "/api/v1/format_query", "/api/v1/format_query", .read) { _, _, p in try await self.formatQuery(p) }
        }
        route(router, .get, "/api/v1/label/:name/values", "/api/v1/label/:name/values", .read) { _, c, p in
            try await self.labelValues(c.parameters.get("name") ?? "", p)
        }
        route(router, .get, "/api/v1/metadata", "/api/v1/metadata", .read) { _, _, p in self.metadata(p) }
        route(router, .get, "/api/v1/status/buildinfo", "/api/v1/status/buildinfo", .read) { _, _, _ in
            Reply.success(
                #"{"version":"2.42.0-strata","revision":"strata","branch":"main","buildUser":"strata","buildDate":"","goVersion":"swift6"}"#)
        }
        route(router, .post, "/api/v1/write", "/api/v1/write", .write) { r, _, _ in try await self.remoteWrite(r) }
        route(router, .post, "/api/v1/read", "/api/v1/read", .read) { r, _, _ in try await self.remoteRead(r) }
    }

    // MARK: Queries

    func queryText(_ p: Params) throws(APIError) -> String {
        guard let q = p["query"], !q.isEmpty else { throw APIError.badData("invalid parameter \"query\": query is empty") }
        guard q.utf8.count <= options.maxQueryLength else {
            metrics.add("strata_limit_refusals_total", "max-query-length", 1)
            throw APIError.badData("query of \(q.utf8.count) bytes is over the limit of \(options.maxQueryLength) (--max-query-length)")
        }
        try Self.checkNesting(q)
        return q
    }

    /// Parsers and evaluators recurse once per level of nesting; a query nested deeper than
    /// this is refused before it reaches them (a stack overflow would take the server down).
    static let maxQueryDepth = 256

    /// Refuses text nested deeper than `maxQueryDepth`: brackets of every kind, and runs of unary
    /// signs, each of which is a level.
    static func checkNesting(_ q: String) throws(APIError) {
        var depth = 0, deepest = 0, signs = 0
        var quote: UInt8 = 0
        var escaped = false
        for c in q.utf8 {
            if quote != 0 {
                if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true } else if c == quote { quote = 0 }
                continue
            }
            switch c {
            case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"): quote = c
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            case UInt8(ascii: "-"), UInt8(ascii: "+"): signs += 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): break
            default: signs = 0
            }
            deepest = max(deepest, depth + signs)
        }
        if deepest > maxQueryDepth {
            throw APIError.badData("invalid parameter \"query\": nested more than \(maxQueryDepth) levels deep")
        }
    }

    func engineOptions(_ p: Params) throws(APIError) -> PromQLEngineOptions {
        var o = PromQLEngineOptions()
        o.maxSamples = options.maxQuerySamples
        let limit = Int64(options.queryTimeout.components.seconds * 1000)
        o.timeoutMilliseconds = limit
        if let t = p["timeout"] { o.timeoutMilliseconds = min(limit, try APITime.duration(t, "timeout")) }
        return o
    }

    func limitParam(_ p: Params) throws(APIError) -> Int? {
        guard let l = p["limit"] else { return nil }
        guard let n = Int(l), n >= 0 else { throw APIError.badData("invalid parameter \"limit\": cannot parse \"\(l)\" to a non-negative integer") }
        return n == 0 ? nil : n
    }

    static func apiError(_ e: QueryError, param: String = "query") -> APIError {
        switch e.kind {
        case .parse:
            let where_ = e.column.map { "1:\($0): " } ?? ""
            return .badData("invalid parameter \"\(param)\": \(where_)parse error: \(e.message)")
        case .execution: return .execution(e.message)
        case .tooManySamples: return .execution("\(e.message) (--query-max-samples)")
        case .timeout: return .timeout("\(e.message) (--query-timeout, or the request's timeout parameter)")
        case .cancelled: return APIError(status: .serviceUnavailable, type: "canceled", message: e.message)
        case .storage: return .internalError(e.message)
        }
    }

    func instantQuery(_ p: Params) async throws -> Response {
        let q = try queryText(p)
        let time = try p["time"].map { s throws(APIError) in try APITime.prometheus(s, "time") } ?? APITime.nowMilliseconds()
        let opts = try engineOptions(p)
        let limit = try limitParam(p)
        let db = database
        let r = try await runQuery { () throws(QueryError) in
            try PromQLEngine(store: db.metrics, options: opts).instantQuery(try PromQL.parse(q), query: q, at: .milliseconds(time))
        }
        return Reply.json(QueryOutput.prometheusJSON(r, limit: limit))
    }

    func rangeQuery(_ p: Params) async throws -> Response {
        let q = try queryText(p)
        guard let s = p["start"] else { throw APIError.badData("invalid parameter \"start\": cannot parse \"\" to a valid timestamp") }
        guard let e = p["end"] else { throw APIError.badData("invalid parameter \"end\": cannot parse \"\" to a valid timestamp") }
        guard let st = p["step"] else { throw APIError.badData("invalid parameter \"step\": cannot parse \"\" to a valid duration") }
        let start = try APITime.prometheus(s, "start"), end = try APITime.prometheus(e, "end")
        let step = try APITime.duration(st, "step")
        guard end >= start else { throw APIError.badData("invalid parameter \"end\": end timestamp must not be before start time") }
        guard step > 0 else {
            throw APIError.badData("invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer")
        }
        guard (end - start) / step < Int64(options.maxPointsPerSeries) else {
            throw APIError.badData("exceeded maximum resolution of \(options.maxPointsPerSeries) points per timeseries. Try decreasing the query resolution (?step=XX)")
        }
        let opts = try engineOptions(p)
        let limit = try limitParam(p)
        let db = database
        let r = try await runQuery { () throws(QueryError) in
                let expr = try PromQL.parse(q)
                let type = PromQL.type(of: expr)
                if type == .matrix || type == .string {
                    throw QueryError(
                        .parse, "invalid expression type \"\(type == .matrix ? "range vector" : "string")\" for range query, must be Scalar or instant Vector")
                }
                return try PromQLEngine(store: db.metrics, options: opts).rangeQuery(
                    expr, query: q, start: .milliseconds(start), end: .milliseconds(end), step: .milliseconds(step))
        }
        return Reply.json(QueryOutput.prometheusJSON(r, limit: limit))
    }

    func formatQuery(_ p: Params) async throws -> Response {
        let q = try queryText(p)
        let text = try await runQuery { () throws(QueryError) in try PromQL.parse(q).description }
        return Reply.success(QueryOutput.jsonString(text))
    }

    // MARK: Series and labels

    /// The `match[]` selectors as matcher lists.
    func matchers(_ p: Params, required: Bool) async throws -> [[LabelMatcher]] {
        let texts = p.all("match[]")
        if required && texts.isEmpty { throw APIError.badData("no match[] parameter provided") }
        for t in texts { try Self.checkNesting(t) }
        return try await blockingQuery { () throws -> [[LabelMatcher]] in
            var out: [[LabelMatcher]] = []
            for t in texts {
                let parsed: Result<Expr, QueryError>
                do throws(QueryError) { parsed = .success(try PromQL.parse(t)) } catch { parsed = .failure(error) }
                let expr: Expr
                switch parsed {
                case .success(let e): expr = e
                case .failure(let e): throw Self.apiError(e, param: "match[]")
                }
                guard case .vectorSelector(let vs) = expr else {
                    throw APIError.badData("invalid parameter \"match[]\": \(t) is not a series selector")
                }
                out.append(vs.matchers)
            }
            return out
        }
    }

    func timeRange(_ p: Params) throws(APIError) -> (Timestamp, Timestamp) {
        let start = try p["start"].map { s throws(APIError) in Timestamp.milliseconds(try APITime.prometheus(s, "start")) } ?? .distantPast
        let end = try p["end"].map { s throws(APIError) in Timestamp.milliseconds(try APITime.prometheus(s, "end")) } ?? .distantFuture
        return (start, end)
    }

    /// The label sets of the series matching any of `sets` in the range.
    func selectedSeries(_ sets: [[LabelMatcher]], _ range: (Timestamp, Timestamp), limit: Int?) async throws -> [Labels] {
        let db = database
        return try await blockingQuery {
            var seen = Set<Labels>()
            for m in sets {
                for s in try db.metrics.select(m, from: range.0, through: range.1).series { seen.insert(s.labels) }
            }
            let sorted = seen.sorted()
            return limit.map { Array(sorted.prefix($0)) } ?? sorted
        }
    }

    func series(_ p: Params) async throws -> Response {
        let sets = try await matchers(p, required: true)
        let range = try timeRange(p)
        let limit = try limitParam(p)
        let found = try await selectedSeries(sets, range, limit: limit)
        return Reply.success("[" + found.map(QueryOutput.jsonLabels).joined(separator: ",") + "]")
    }

    func labelNames(_ p: Params) async throws -> Response {
        let sets = try await matchers(p, required: false)
        let limit = try limitParam(p)
        var names: [String]
        if sets.isEmpty {
            let db = database
            names = try await blockingQuery { try db.metrics.labelNames() }
        } else {
            let found = try await selectedSeries(sets, try timeRange(p), limit: nil)
            names = Set(found.flatMap { $0.labels.map(\.name) }).sorted()
        }
        if let limit { names = Array(names.prefix(limit)) }
        return Reply.success(Reply.strings(names))
    }

    func labelValues(_ name: String, _ p: Params) async throws -> Response {
        let sets = try await matchers(p, required: false)
        let limit = try limitParam(p)
        var values: [String]
        if sets.isEmpty {
            let db = database
            values = try await blockingQuery { try db.metrics.labelValues(name) }
        } else {
            let found = try await selectedSeries(sets, try timeRange(p), limit: nil)
            values = Set(found.compactMap { $0[name] }).sorted()
        }
        if let limit { values = Array(values.prefix(limit)) }
        return Reply.success(Reply.strings(values))
    }

    func metadata(_ p: Params) -> Response {
        var table = remoteWrite.metadata
        if let m = p["metric"], !m.isEmpty { table = table.filter { $0.key == m } }
        var names = table.keys.sorted()
        if let l = p["limit"], let n = Int(l), n > 0 { names = Array(names.prefix(n)) }
        let items = names.map { name -> String in
            let m = table[name]!
            return QueryOutput.jsonString(name) + ":[{\"type\":" + QueryOutput.jsonString(m.type) + ",\"help\":"
                + QueryOutput.jsonString(m.help) + ",\"unit\":" + QueryOutput.jsonString(m.unit) + "}]"
        }
        return Reply.success("{" + items.joined(separator: ",") + "}")
    }

    // MARK: remote_write and remote_read

    func remoteWrite(_ request: Request) async throws -> Response {
        var request = request
        let type = request.headers[.contentType] ?? "application/x-protobuf"
        let v2 = type.contains("io.prometheus.write.v2.Request")
        guard type.hasPrefix("application/x-protobuf") else {
            throw APIError(status: .unsupportedMediaType, type: "bad_data", message: "remote_write takes Content-Type application/x-protobuf, not \(type)")
        }
        if let enc = request.headers[.contentEncoding], enc.lowercased() != "snappy" {
            throw APIError(status: .unsupportedMediaType, type: "bad_data", message: "remote_write takes Content-Encoding snappy, not \(enc)")
        }
        let body = try await decodedBody(&request, defaultEncoding: "snappy")
        let ingester = remoteWrite
        let outcome = try await blockingWrite {
            try body.withUnsafeBytes { b throws(WireError) in v2 ? try ingester.ingestV2(b) : try ingester.ingestV1(b) }
        }
        if outcome.samplesAccepted > 0 { try await metricCommit.commit() }
        metrics.add("strata_samples_ingested_total", "", outcome.samplesAccepted)
        metrics.add("strata_samples_rejected_total", "too_old", outcome.tooOld)
        metrics.add("strata_samples_rejected_total", "conflict", outcome.conflicts)
        metrics.add("strata_samples_rejected_total", "invalid_series", outcome.samplesOfInvalidSeries)
        metrics.add("strata_metadata_received_total", "", outcome.metadata)
        metrics.add("strata_exemplars_dropped_total", "", outcome.exemplarsDropped)
        if outcome.samplesRejected > 0 {
            // As Prometheus: 400 so that the sender drops the batch instead of retrying; what
            // was good in it is stored.
            let msg = "\(outcome.samplesAccepted) samples stored, \(outcome.samplesRejected) refused: " + outcome.problems.joined(separator: "; ")
            return Reply.text(msg + "\n", status: .badRequest)
        }
        var r = Reply.noContent()
        if v2 {
            r.headers[HTTPField.Name("X-Prometheus-Remote-Write-Samples-Written")!] = String(outcome.samplesAccepted)
            r.headers[HTTPField.Name("X-Prometheus-Remote-Write-Histograms-Written")!] = "0"
            r.headers[HTTPField.Name("X-Prometheus-Remote-Write-Exemplars-Written")!] = "0"
        }
        return r
    }

    func remoteRead(_ request: Request) async throws -> Response {
        var request = request
        let body = try await decodedBody(&request, defaultEncoding: "snappy")
        let db = database
        let maxSamples = options.maxQuerySamples
        let bytes = try await blockingQuery { () throws -> [UInt8] in
            let out = try RemoteRead.respond(to: body, store: db.metrics, maxSamples: maxSamples)
            return Snappy.compress(out)
        }
        return Reply.bytes(bytes, headers: [.contentType: "application/x-protobuf", .contentEncoding: "snappy"])
    }
}
