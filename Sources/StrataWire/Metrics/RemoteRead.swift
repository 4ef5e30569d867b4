import StrataLabels
import StrataMetrics
import SwiftProtobuf

/// remote_read: a `ReadRequest` answered with a `ReadResponse` of raw samples (the SAMPLES
/// response type, which every Prometheus version reads).
public enum RemoteRead {
    /// Answers a decoded (snappy-decompressed) `ReadRequest`; the result is not compressed.
    /// - Throws: `WireError(.malformed)` for a bad request, `.tooLarge` past `maxSamples`.
    public static func respond(to body: [UInt8], store: MetricStore, maxSamples: Int) throws -> [UInt8] {
        let request: Prometheus_ReadRequest
        do { request = try Prometheus_ReadRequest(serializedBytes: body) } catch {
            throw WireError(.malformed, "malformed ReadRequest: \(error)")
        }
        if !request.acceptedResponseTypes.isEmpty && !request.acceptedResponseTypes.contains(.samples) {
            throw WireError(.unsupported, "only the SAMPLES response type is served")
        }
        var response = Prometheus_ReadResponse()
        var total = 0
        for q in request.queries {
            var matchers: [LabelMatcher] = []
            for m in q.matchers {
                let kind: LabelMatcher.Kind
                switch m.type {
                case .eq: kind = .equal
                case .neq: kind = .notEqual
                case .re: kind = .regex
                case .nre: kind = .notRegex
                case .UNRECOGNIZED(let v): throw WireError(.malformed, "unknown matcher type \(v)")
                }
                do { matchers.append(try LabelMatcher(kind, m.name, m.value)) } catch {
                    throw WireError(.malformed, "bad matcher \(m.name): \(error)")
                }
            }
            var result = Prometheus_QueryResult()
            let set = try store.select(matchers, from: .milliseconds(q.startTimestampMs), through: .milliseconds(q.endTimestampMs))
            for s in set.series {
                var ts = Prometheus_TimeSeries()
                ts.labels = s.labels.labels.map { l in
                    var p = Prometheus_Label()
                    p.name = l.name
                    p.value = l.value
                    return p
                }
                var it = s.makeIterator()
                while let sample = try it.next() {
                    total += 1
                    if total > maxSamples {
                        throw WireError(.tooLarge, "remote_read would return more than \(maxSamples) samples (--query-max-samples)")
                    }
                    var p = Prometheus_Sample()
                    p.timestamp = sample.timestamp
                    p.value = sample.value
                    ts.samples.append(p)
                }
                if !ts.samples.isEmpty { result.timeseries.append(ts) }
            }
            response.results.append(result)
        }
        return try response.serializedBytes()
    }
}
