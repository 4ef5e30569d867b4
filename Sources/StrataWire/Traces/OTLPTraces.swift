import StrataTraces
import SwiftProtobuf

/// OTLP/HTTP traces (`POST /v1/traces`, protobuf or JSON `ExportTraceServiceRequest`) as spans.
///
/// osprofiler's OTLP driver (osprofiler 4.4, `drivers/otlp.py`) sends its base_id as the 128-bit
/// trace id and the low 64 bits of each osprofiler trace_id as the span id; a top-level point has
/// no parent. So: `baseID` is the trace id; a span's `traceID` and `parentID` are its span id and
/// parent span id in the low 64 bits (the high 64 bits are not sent: they are zero here); a span
/// without a parent hangs off the base id, as osprofiler's top-level points do. The resource's
/// `service.name` is osprofiler's `<project>-<service>` when the scope is osprofiler's driver;
/// for any other OTLP client it is the service, and `service.namespace` the project.
public enum OTLPTraces {
    public struct Outcome: Sendable, Equatable {
        public var spans: [Span] = []
        /// Spans refused (bad ids), with the first reasons.
        public var rejected = 0
        public var problems: [String] = []
    }

    /// Decodes a protobuf (`json` false) or OTLP/JSON body.
    public static func decode(_ body: [UInt8], json: Bool, maxSpans: Int) throws(WireError) -> Outcome {
        let request: Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest
        do {
            if json {
                var o = JSONDecodingOptions()
                o.ignoreUnknownFields = true
                request = try .init(jsonUTF8Bytes: body, options: o)
            } else {
                request = try .init(serializedBytes: body)
            }
        } catch {
            throw WireError(.malformed, "malformed OTLP ExportTraceServiceRequest: \(error)")
        }
        var out = Outcome()
        for rs in request.resourceSpans {
            var serviceName = "", namespace = "", host = ""
            for kv in rs.resource.attributes {
                switch kv.key {
                case "service.name": serviceName = text(kv.value)
                case "service.namespace": namespace = text(kv.value)
                case "host.name": host = text(kv.value)
                default: break
                }
            }
            for ss in rs.scopeSpans {
                let osprofiler = ss.scope.name.hasPrefix("osprofiler")
                var service = serviceName, project = namespace
                if osprofiler, project.isEmpty, let dash = serviceName.firstIndex(of: "-") {
                    project = String(serviceName[..<dash])
                    service = String(serviceName[serviceName.index(after: dash)...])
                }
                for s in ss.spans {
                    guard out.spans.count < maxSpans else {
                        throw WireError(.tooLarge, "more than \(maxSpans) spans in one request (--max-samples-per-request)")
                    }
                    guard s.traceID.count == 16, s.spanID.count == 8, s.parentSpanID.isEmpty || s.parentSpanID.count == 8 else {
                        out.rejected += 1
                        if out.problems.count < 10 {
                            out.problems.append("span \(s.name): trace id of \(s.traceID.count) bytes, span id of \(s.spanID.count) (16 and 8 expected)")
                        }
                        continue
                    }
                    out.spans.append(span(s, service: service, project: project, host: host))
                }
            }
        }
        return out
    }

    static func id128(_ b: some Collection<UInt8>) -> TraceID {
        var high: UInt64 = 0, low: UInt64 = 0
        for (i, x) in b.enumerated() {
            if i < 8 { high = high << 8 | UInt64(x) } else { low = low << 8 | UInt64(x) }
        }
        return TraceID(high: high, low: low)
    }

    static func id64(_ b: some Collection<UInt8>) -> TraceID {
        var low: UInt64 = 0
        for x in b { low = low << 8 | UInt64(x) }
        return TraceID(high: 0, low: low)
    }

    static func text(_ v: Opentelemetry_Proto_Common_V1_AnyValue) -> String {
        switch v.value {
        case .stringValue(let s): s
        case .boolValue(let b): b ? "true" : "false"
        case .intValue(let i): String(i)
        case .doubleValue(let d): String(d)
        default: ""
        }
    }

    static func span(_ s: Opentelemetry_Proto_Trace_V1_Span, service: String, project: String, host: String) -> Span {
        let base = id128(s.traceID)
        let parent = s.parentSpanID.isEmpty ? base : id64(s.parentSpanID)
        var info = SpanInfo()
        var status: SpanStatus = s.status.code == .error ? .error : []
        if s.status.code == .error { info.errorMessage = s.status.message }
        var spanHost = host
        for kv in s.attributes {
            let v = text(kv.value)
            switch kv.key {
            case "error": if v == "true" { status.insert(.error) }
            case "db.statement": info.dbStatement = v
            case "db.params": info.dbParams = v
            case "http.method", "http.request.method": info.requestMethod = v
            case "http.path", "url.path", "http.target": info.requestPath = v
            case "http.query", "url.query": info.requestQuery = v
            case "http.scheme", "url.scheme": info.requestScheme = v
            case "name", "code.function": info.functionName = v
            case "args": info.functionArgs = v
            case "kwargs": info.functionKwargs = v
            case "host.name", "net.host.name": spanHost = v
            default: break
            }
        }
        for e in s.events {
            var kind = "", message = ""
            for kv in e.attributes {
                switch kv.key {
                case "error.kind", "exception.type": kind = text(kv.value)
                case "message", "exception.message": message = text(kv.value)
                default: break
                }
            }
            if !kind.isEmpty || e.name == "exception" {
                status.insert(.error)
                info.errorType = kind
                info.errorMessage = message
            }
        }
        let start = Int64(clamping: s.startTimeUnixNano / 1000)
        let end = Int64(clamping: s.endTimeUnixNano / 1000)
        return Span(
            baseID: base, traceID: id64(s.spanID), parentID: parent, name: s.name, service: service, project: project,
            host: spanHost, start: start, duration: max(0, end - start), status: status, info: info)
    }
}
