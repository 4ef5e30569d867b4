import Foundation
import Hummingbird
import NIOCore
import Strata
import StrataCLIKit
import StrataIngest
import StrataWire
import SwiftProtobuf

/// Traces: OTLP/HTTP in, osprofiler event JSON in, Tempo's trace-by-id and search out.
extension StrataServer {
    func registerTraces(_ router: Router<BasicRequestContext>) {
        route(router, .post, "/v1/traces", "/v1/traces", .write) { r, _, _ in try await self.otlpTraces(r) }
        route(router, .post, "/api/v1/osprofiler", "/api/v1/osprofiler", .write) { r, _, _ in try await self.osprofilerEvents(r) }
        route(router, .get, "/api/traces/:id", "/api/traces/:id", .read) { r, c, _ in
            try await self.tempoTrace(c.parameters.get("id") ?? "", accept: r.headers[.accept] ?? "")
        }
        route(router, .get, "/api/v2/traces/:id", "/api/v2/traces/:id", .read) { r, c, _ in
            try await self.tempoTrace(c.parameters.get("id") ?? "", accept: r.headers[.accept] ?? "", v2: true)
        }
        route(router, .get, "/api/search", "/api/search", .read) { _, _, p in try await self.tempoSearch(p) }
        route(router, .get, "/api/echo", "/api/echo", .none) { _, _, _ in Reply.text("echo") }
    }

    func otlpTraces(_ request: Request) async throws -> Response {
        var request = request
        let type = request.headers[.contentType] ?? "application/x-protobuf"
        let json = type.hasPrefix("application/json")
        guard json || type.hasPrefix("application/x-protobuf") || type.hasPrefix("application/protobuf") else {
            throw APIError(status: .unsupportedMediaType, type: "bad_data", message: "OTLP/HTTP takes application/x-protobuf or application/json, not \(type)")
        }
        let body = try await decodedBody(&request)
        let maxSpans = options.wire.maxSamplesPerRequest
        let db = database
        let outcome = try await blockingWrite { () throws -> OTLPTraces.Outcome in
            let o = try OTLPTraces.decode(body, json: json, maxSpans: maxSpans)
            if !o.spans.isEmpty { try db.traces.append(spans: o.spans) }
            return o
        }
        if !outcome.spans.isEmpty { try await traceCommit.commit() }
        metrics.add("strata_spans_ingested_total", "", outcome.spans.count)
        if outcome.rejected > 0 {
            // OTLP's partial success: 200 with the count and the reason.
            var resp = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse()
            resp.partialSuccess.rejectedSpans = Int64(outcome.rejected)
            resp.partialSuccess.errorMessage = outcome.problems.joined(separator: "; ")
            return try otlpResponse(resp, json: json)
        }
        return try otlpResponse(Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse(), json: json)
    }

    func otlpResponse(_ r: Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse, json: Bool) throws -> Response {
        if json { return Reply.json(try r.jsonString()) }
        return Reply.bytes(try r.serializedBytes(), headers: [.contentType: "application/x-protobuf"])
    }

    func osprofilerEvents(_ request: Request) async throws -> Response {
        var request = request
        let body = try await decodedBody(&request)
        let db = database
        let (events, problems) = try await blockingWrite { () throws -> (Int, [String]) in
            var parser = OsprofilerParser()
            var batch = SpanEventBatch()
            var problems: [String] = []
            body.withUnsafeBytes { b in
                _ = parser.parse(b, final: true, into: &batch) { p in
                    if problems.count < 10 { problems.append("byte \(p.offset): \(p.message)") }
                }
            }
            if !batch.isEmpty { try db.traces.append(batch) }
            return (batch.count, problems)
        }
        if events > 0 { try await traceCommit.commit() }
        metrics.add("strata_spans_ingested_total", "", events)
        if !problems.isEmpty {
            return Reply.text("\(events) events stored; refused: " + problems.joined(separator: "; ") + "\n", status: .badRequest)
        }
        if events == 0 { return Reply.text("no osprofiler events in the body\n", status: .badRequest) }
        return Reply.noContent()
    }

    func tempoTrace(_ id: String, accept: String, v2: Bool = false) async throws -> Response {
        guard let base = TraceID(parsing: id) ?? Self.shortHex(id) else {
            throw APIError.badData("invalid trace id \"\(id)\": 32 hex digits or a UUID")
        }
        let db = database
        let spans = try await blockingQuery { try db.traces.trace(base) }
        guard !spans.isEmpty else { return Reply.text("trace not found\n", status: .notFound) }
        let batches = Self.otlpBatches(spans)
        if accept.contains("application/protobuf") || accept.contains("application/x-protobuf") {
            var data = Opentelemetry_Proto_Trace_V1_TracesData()
            data.resourceSpans = batches
            return Reply.bytes(try data.serializedBytes(), headers: [.contentType: "application/protobuf"])
        }
        let items = try batches.map { try $0.jsonString() }.joined(separator: ",")
        return Reply.json(v2 ? "{\"trace\":{\"resourceSpans\":[\(items)]}}" : "{\"batches\":[\(items)]}")
    }

    /// A trace id of up to 32 hex digits (Tempo drops leading zeros).
    static func shortHex(_ s: String) -> TraceID? {
        guard !s.isEmpty, s.count <= 32, s.allSatisfy(\.isHexDigit) else { return nil }
        return TraceID(parsing: String(repeating: "0", count: 32 - s.count) + s)
    }

    static func idBytes(_ id: TraceID) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: id.high >> (56 - 8 * UInt64($0))) }
            + (0..<8).map { UInt8(truncatingIfNeeded: id.low >> (56 - 8 * UInt64($0))) }
    }

    static func spanIDBytes(_ id: TraceID) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: id.low >> (56 - 8 * UInt64($0))) } }

    /// Spans as OTLP resource batches (one per project and service).
    static func otlpBatches(_ spans: [Span]) -> [Opentelemetry_Proto_Trace_V1_ResourceSpans] {
        var groups: [String: [Span]] = [:]
        var order: [String] = []
        for s in spans {
            let key = s.project.isEmpty ? s.service : s.project + "-" + s.service
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(s)
        }
        func attr(_ k: String, _ v: String) -> Opentelemetry_Proto_Common_V1_KeyValue {
            var kv = Opentelemetry_Proto_Common_V1_KeyValue()
            kv.key = k
            kv.value.stringValue = v
            return kv
        }
        return order.map { key in
            var rs = Opentelemetry_Proto_Trace_V1_ResourceSpans()
            rs.resource.attributes = [attr("service.name", key)]
            var ss = Opentelemetry_Proto_Trace_V1_ScopeSpans()
            ss.scope.name = "strata"
            ss.spans = groups[key]!.map { s in
                var o = Opentelemetry_Proto_Trace_V1_Span()
                o.traceID = Data(idBytes(s.baseID))
                o.spanID = Data(spanIDBytes(s.traceID))
                if s.parentID != s.baseID { o.parentSpanID = Data(spanIDBytes(s.parentID)) }
                o.name = s.name
                o.kind = .internal
                o.startTimeUnixNano = UInt64(max(0, s.start)) * 1000
                o.endTimeUnixNano = UInt64(max(0, s.end)) * 1000
                var attrs: [Opentelemetry_Proto_Common_V1_KeyValue] = []
                if !s.host.isEmpty { attrs.append(attr("host.name", s.host)) }
                attrs.append(attr("osprofiler.trace_id", s.traceID.description))
                attrs.append(attr("osprofiler.parent_id", s.parentID.description))
                let i = s.info
                for (k, v) in [
                    ("http.method", i.requestMethod), ("http.path", i.requestPath), ("http.query", i.requestQuery),
                    ("db.statement", i.dbStatement), ("db.params", i.dbParams), ("name", i.functionName),
                    ("error.kind", i.errorType), ("error.message", i.errorMessage),
                ] where !v.isEmpty {
                    attrs.append(attr(k, v))
                }
                o.attributes = attrs
                if s.isError {
                    o.status.code = .error
                    o.status.message = i.errorMessage
                }
                return o
            }
            rs.scopeSpans = [ss]
            return rs
        }
    }

    func tempoSearch(_ p: Params) async throws -> Response {
        let q = p["q"] ?? ""
        try Self.checkNesting(q)
        var search: TraceSearch = try await blockingQuery { () throws -> TraceSearch in
            if q.isEmpty || q == "{}" { return TraceSearch() }
            do {
                guard case .search(let s) = try TraceQuery.parse(q) else {
                    throw APIError.badData("invalid parameter \"q\": a trace selector such as {service=\"nova\", duration > 1s}")
                }
                return s
            } catch let e as QueryError { throw Self.apiError(e, param: "q") }
        }
        if let s = p["start"], let v = Int64(s) { search.start = max(search.start, v * 1_000_000) }
        if let e = p["end"], let v = Int64(e) { search.end = min(search.end, v * 1_000_000 + 1_000_000) }
        if let d = p["minDuration"] { search.minDuration = try APITime.duration(d, "minDuration") * 1000 }
        if let d = p["maxDuration"] { search.maxDuration = try APITime.duration(d, "maxDuration") * 1000 }
        if let l = p["limit"] {
            guard let n = Int(l), n > 0 else { throw APIError.badData("invalid parameter \"limit\": \(l)") }
            search.limit = min(n, 10_000)
        }
        let db = database
        let query = search
        let found = try await blockingQuery { try db.traces.search(query) }
        let items = found.map { t -> String in
            let hex = Self.idBytes(t.baseID).map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined()
            // rootName is "project service name" of the root span; Tempo's root service is the
            // resource's service.name, which /api/traces writes as "project-service".
            let parts = t.rootName.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            let service = parts.count == 3 ? (parts[0].isEmpty ? parts[1] : parts[0] + "-" + parts[1]) : t.rootName
            let name = parts.count == 3 ? parts[2] : t.rootName
            return "{\"traceID\":\"\(hex)\",\"rootServiceName\":" + QueryOutput.jsonString(service)
                + ",\"rootTraceName\":" + QueryOutput.jsonString(name) + ",\"startTimeUnixNano\":\"\(max(0, t.start) * 1000)\""
                + ",\"durationMs\":\(t.duration / 1000),\"spanCount\":\(t.spanCount),\"errorCount\":\(t.errorCount)}"
        }
        return Reply.json("{\"traces\":[" + items.joined(separator: ",") + "],\"metrics\":{\"inspectedTraces\":\(found.count)}}")
    }
}
