import HTTPTypes
import Hummingbird
import NIOCore
import Strata
import StrataCLIKit
import StrataWire

/// Loki's HTTP API (`/loki/api/v1/...`): push, queries, labels, series and index stats.
extension StrataServer {
    func registerLoki(_ router: Router<BasicRequestContext>) {
        route(router, .post, "/loki/api/v1/push", "/loki/api/v1/push", .write) { r, _, _ in try await self.lokiPush(r) }
        for method in [HTTPRequest.Method.get, .post] {
            route(router, method, "/loki/api/v1/query", "/loki/api/v1/query", .read) { _, _, p in try await self.lokiInstant(p) }
            route(router, method, "/loki/api/v1/query_range", "/loki/api/v1/query_range", .read) { r, _, p in
                let flags = r.headers[HTTPField.Name("X-Loki-Response-Encoding-Flags")!] ?? ""
                return try await self.lokiRange(p, categorized: flags.contains("categorize-labels"))
            }
            route(router, method, "/loki/api/v1/series", "/loki/api/v1/series", .read) { _, _, p in try await self.lokiSeries(p) }
        }
        route(router, .get, "/loki/api/v1/labels", "/loki/api/v1/labels", .read) { _, _, _ in
            let db = self.database
            return Reply.success(Reply.strings(try await self.blockingQuery { try db.logs.labelNames() }))
        }
        route(router, .get, "/loki/api/v1/label/:name/values", "/loki/api/v1/label/:name/values", .read) { _, c, _ in
            let db = self.database
            let name = c.parameters.get("name") ?? ""
            return Reply.success(Reply.strings(try await self.blockingQuery { try db.logs.labelValues(name) }))
        }
        route(router, .get, "/loki/api/v1/index/stats", "/loki/api/v1/index/stats", .read) { _, _, p in try await self.lokiStats(p) }
    }

    func lokiPush(_ request: Request) async throws -> Response {
        var request = request
        let type = request.headers[.contentType] ?? "application/json"
        let proto = type.hasPrefix("application/x-protobuf")
        guard proto || type.hasPrefix("application/json") else {
            throw APIError(status: .unsupportedMediaType, type: "bad_data", message: "push takes application/json or application/x-protobuf, not \(type)")
        }
        let body = try await decodedBody(&request, defaultEncoding: proto ? "snappy" : nil)
        let ingester = logPush
        let outcome = try await blockingWrite {
            try body.withUnsafeBytes { b throws(WireError) in proto ? try ingester.ingestProtobuf(b) : try ingester.ingestJSON(b) }
        }
        if outcome.entriesAccepted > 0 { try await logCommit.commit() }
        metrics.add("strata_log_entries_ingested_total", "", outcome.entriesAccepted)
        metrics.add("strata_log_bytes_ingested_total", "", outcome.bytesAccepted)
        metrics.add("strata_log_entries_rejected_total", "", outcome.entriesRejected)
        if outcome.entriesRejected > 0 {
            let msg = "\(outcome.entriesAccepted) entries stored, \(outcome.entriesRejected) refused: " + outcome.problems.joined(separator: "; ")
            return Reply.text(msg + "\n", status: .badRequest)
        }
        return Reply.noContent()
    }

    /// The query and its parse (on the query threads, whose stacks hold any query's depth).
    func logQueryText(_ p: Params) async throws -> (String, LogQLExpr) {
        let q = try queryText(p)
        return (q, try await runQuery { () throws(QueryError) in try LogQL.parse(q) })
    }

    func lokiDirection(_ p: Params) throws(APIError) -> LogDirection {
        switch p["direction"]?.lowercased() {
        case nil, "", "backward": return .backward
        case "forward": return .forward
        case let d?: throw APIError.badData("invalid direction \"\(d)\" (forward, backward)")
        }
    }

    func lokiLimit(_ p: Params) throws(APIError) -> Int {
        guard let l = p["limit"] else { return 100 }
        guard let n = Int(l), n > 0 else { throw APIError.badData("invalid parameter \"limit\": \(l) is not a positive integer") }
        return min(n, 100_000)
    }

    func lokiInstant(_ p: Params) async throws -> Response {
        let (q, parsed) = try await logQueryText(p)
        guard case .metric = parsed else {
            throw APIError.badData("log queries are not supported as an instant query type, please change your query to a range query type")
        }
        let time = try p["time"].map { s throws(APIError) in try APITime.loki(s, "time") } ?? APITime.nowMilliseconds() * 1_000_000
        let opts = try engineOptions(p)
        let db = database
        let r = try await runQuery { () throws(QueryError) in
            try LogQLEngine(store: db.logs, options: opts).instantQuery(q, at: .nanoseconds(time))
        }
        return Reply.json(QueryOutput.prometheusJSON(r))
    }

    func lokiRange(_ p: Params, categorized: Bool = false) async throws -> Response {
        let (q, parsed) = try await logQueryText(p)
        let now = APITime.nowMilliseconds() * 1_000_000
        let end = try p["end"].map { s throws(APIError) in try APITime.loki(s, "end") } ?? now
        let start: Int64
        if let since = p["since"] {
            start = end - (try APITime.duration(since, "since")) * 1_000_000
        } else {
            start = try p["start"].map { s throws(APIError) in try APITime.loki(s, "start") } ?? (end - 3_600_000_000_000)
        }
        guard end >= start else { throw APIError.badData("the end time must not be before the start time") }
        let opts = try engineOptions(p)
        let db = database
        switch parsed {
        case .logs(let selector):
            let limit = try lokiLimit(p)
            let direction = try lokiDirection(p)
            let clock = ContinuousClock.now
            let r = try await runQuery { () throws(QueryError) in
                try LogQLEngine(store: db.logs, options: opts).search(
                    selector, start: .nanoseconds(start), end: .nanoseconds(end), limit: limit, direction: direction, query: q)
            }
            let d = ContinuousClock.now - clock
            let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            return Reply.json(LogQueryOutput.lokiStreamsJSON(r, execSeconds: seconds, categorized: categorized))
        case .metric:
            let step = try p["step"].map { s throws(APIError) in try APITime.duration(s, "step") }
                ?? max(1000, ((end - start) / 1_000_000 / 250) / 1000 * 1000)
            guard step > 0 else { throw APIError.badData("zero or negative query resolution step widths are not accepted. Try a positive integer") }
            guard (end - start) / 1_000_000 / step < Int64(options.maxPointsPerSeries) else {
                throw APIError.badData("exceeded maximum resolution of \(options.maxPointsPerSeries) points per timeseries. Try decreasing the query resolution (?step=XX)")
            }
            let r = try await runQuery { () throws(QueryError) in
                try LogQLEngine(store: db.logs, options: opts).rangeQuery(
                    q, start: .nanoseconds(start), end: .nanoseconds(end), step: .milliseconds(step))
            }
            return Reply.json(QueryOutput.prometheusJSON(r))
        }
    }

    /// The stream matchers of each `match[]` (LogQL stream selectors).
    func streamMatchers(_ p: Params) async throws -> [[LabelMatcher]] {
        let texts = p.all("match[]") + p.all("match")
        guard !texts.isEmpty else { throw APIError.badData("no match[] parameter provided") }
        for t in texts { try Self.checkNesting(t) }
        return try await blockingQuery { () throws -> [[LabelMatcher]] in try Self.parseStreamSelectors(texts) }
    }

    static func parseStreamSelectors(_ texts: [String]) throws -> [[LabelMatcher]] {
        var out: [[LabelMatcher]] = []
        for t in texts {
            do {
                guard case .logs(let s) = try LogQL.parse(t) else { throw APIError.badData("invalid parameter \"match[]\": \(t) is not a stream selector") }
                out.append(s.streams)
            } catch let e as QueryError { throw Self.apiError(e, param: "match[]") } catch let e as APIError { throw e } catch {
                throw APIError.badData("\(error)")
            }
        }
        return out
    }

    func lokiSeries(_ p: Params) async throws -> Response {
        let sets = try await streamMatchers(p)
        let db = database
        let found: [Labels] = try await blockingQuery {
            var seen = Set<Labels>()
            for m in sets { for s in try db.logs.streams(matching: m) { seen.insert(s) } }
            return seen.sorted()
        }
        return Reply.success("[" + found.map(QueryOutput.jsonLabels).joined(separator: ",") + "]")
    }

    func lokiStats(_ p: Params) async throws -> Response {
        let (q, parsed) = try await logQueryText(p)
        guard case .logs(let selector) = parsed else { throw APIError.badData("index/stats takes a stream selector") }
        let now = APITime.nowMilliseconds() * 1_000_000
        let end = try p["end"].map { s throws(APIError) in try APITime.loki(s, "end") } ?? now
        let start = try p["start"].map { s throws(APIError) in try APITime.loki(s, "start") } ?? (end - 3_600_000_000_000)
        let db = database
        let opts = try engineOptions(p)
        let (streams, entries, bytes, segments) = try await blockingQuery { () throws -> (Int, Int, Int, Int) in
            let r = try LogQLEngine(store: db.logs, options: opts).search(
                selector, start: .nanoseconds(start), end: .nanoseconds(end), limit: 0, direction: .forward, query: q)
            let streams = Set(r.hits.map(\.record.stream)).count
            return (streams, r.hits.count, r.hits.reduce(0) { $0 + $1.record.line.count }, r.stats.segmentsConsidered - r.stats.segmentsSkipped)
        }
        return Reply.json("{\"streams\":\(streams),\"chunks\":\(segments),\"entries\":\(entries),\"bytes\":\(bytes)}")
    }
}
