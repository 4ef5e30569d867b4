import ArgumentParser
import Strata

/// How `strata ingest` decides what a file is, and its `--json-keys` option.
extension IngestCommand {
    /// `time=ts,level=severity,...` → a mapping; a role may repeat (`time=ts,time=@t` tries both).
    static func jsonMapping(_ spec: String) throws -> JSONLogMapping {
        var m = JSONLogMapping()
        var given: [String: [String]] = [:]
        for part in spec.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, !kv[1].isEmpty, ["time", "level", "message", "host", "program"].contains(kv[0]) else {
                throw ValidationError("invalid --json-keys part '\(part)': use time=, level=, message=, host= or program= followed by a key")
            }
            given[kv[0], default: []].append(kv[1])
        }
        if let v = given["time"] { m.timestamp = v }
        if let v = given["level"] { m.level = v }
        if let v = given["message"] { m.message = v }
        if let v = given["host"] { m.host = v }
        if let v = given["program"] { m.program = v }
        return m
    }

    enum Detection {
        case kind(FileKind)
        case skip(String)
        case unknown
    }

    /// Metric files by their strong signs first (extension, `# EOF`, `# TYPE`, a Glances header),
    /// then the structured log formats, then plain text for `.log`/`.txt` files, files under a
    /// `logs` directory, `messages` and `secure`; last the looser Prometheus-text guess.
    /// osprofiler JSON (by its trace_id/base_id keys) goes to the trace store; the simulator's
    /// ground truth is skipped.
    static func detect(path: String, head: [UInt8], jsonMapping: JSONLogMapping = JSONLogMapping()) -> Detection {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let lower = name.lowercased()
        if lower == "ground_truth.json" { return .skip("simulator ground truth, not data") }
        if TraceFileIngester.looksLikeOsprofiler(head: head) { return .kind(.traces) }
        let text = String(decoding: head.prefix(4096), as: UTF8.self)
        let strongMetric =
            lower.hasSuffix(".om") || lower.hasSuffix(".prom") || lower.hasSuffix(".csv") || text.contains("# EOF")
            || text.contains("# TYPE ") || text.contains("# HELP ") || text.hasPrefix("now,")
        if strongMetric, let f = MetricFileIngester.detectFormat(path: path, head: head) { return .kind(.metric(f)) }
        if head.isEmpty { return lower.hasSuffix(".log") ? .kind(.log(.plain)) : .unknown }
        let logFormat = LogFileIngester.detectFormat(head: head, jsonMapping: jsonMapping)
        if logFormat != .plain { return .kind(.log(logFormat)) }
        let stem = lower.split(separator: ".").first.map(String.init) ?? lower
        if lower.hasSuffix(".log") || lower.contains(".log.") || lower.hasSuffix(".txt") || lower.hasSuffix(".jsonl")
            || path.contains("/logs/") || ["messages", "secure", "syslog"].contains(stem)
        {
            return .kind(.log(.plain))
        }
        if let f = MetricFileIngester.detectFormat(path: path, head: head) { return .kind(.metric(f)) }
        return .unknown
    }
}
