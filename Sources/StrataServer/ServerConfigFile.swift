import Strata

/// `strata serve --config FILE`: the server's options as YAML, for what a service manager starts.
/// Options given on the command line win over the file.
///
/// ```yaml
/// listen: 127.0.0.1:9090
/// tokens: /etc/strata/tokens          # bearer tokens file (see --tokens)
/// maintenance_interval: 10m           # 0 turns background maintenance off
/// fsync: true
/// limits:
///   max_body_bytes: 33554432
///   max_decompressed_bytes: 67108864
///   max_series_per_request: 100000
///   max_samples_per_request: 1000000
///   max_label_name_length: 1024
///   max_label_value_length: 4096
///   max_labels_per_series: 64
///   max_line_bytes: 262144
///   max_query_length: 131072
/// query:
///   timeout: 2m
///   max_samples: 50000000
///   max_concurrent: 20
///   threads: 2
/// rule_files:                         # Prometheus rule files; globs; relative to this file
///   - rules/*.yml
/// evaluation_interval: 1m
/// alertmanagers:                      # Alertmanager base URLs (POST <url>/api/v2/alerts)
///   - http://127.0.0.1:9093
/// external_labels:                    # added to alerts sent (when they lack the label)
///   cluster: eu1
/// external_url: http://strata.example:9090
/// ```
public struct ServerConfigFile: Sendable, Equatable {
    /// Every value as written, by dotted key (`limits.max_body_bytes`).
    public var values: [String: String] = [:]
    /// The line of each value.
    public var lines: [String: Int] = [:]
    /// The list options (`rule_files`, `alertmanagers`), as written; one value is a list of one.
    public var lists: [String: [String]] = [:]
    /// `external_labels`, in file order.
    public var externalLabels: [(name: String, value: String)] = []

    public static func == (a: ServerConfigFile, b: ServerConfigFile) -> Bool {
        a.values == b.values && a.lines == b.lines && a.lists == b.lists
            && a.externalLabels.map { [$0.name, $0.value] } == b.externalLabels.map { [$0.name, $0.value] }
    }

    static let keys: Set<String> = [
        "listen", "tokens", "maintenance_interval", "fsync",
        "limits.max_body_bytes", "limits.max_decompressed_bytes", "limits.max_series_per_request",
        "limits.max_samples_per_request", "limits.max_label_name_length", "limits.max_label_value_length",
        "limits.max_labels_per_series", "limits.max_line_bytes", "limits.max_query_length",
        "query.timeout", "query.max_samples", "query.max_concurrent", "query.threads",
        "evaluation_interval", "external_url",
    ]
    /// Options that take a list of values.
    static let listKeys: Set<String> = ["rule_files", "alertmanagers"]

    public init() {}

    /// Parses a config file; unknown keys, lists and malformed YAML are refused with
    /// `file:line:column: reason`.
    public static func parse(_ text: String, path: String) throws(ServerConfigError) -> ServerConfigFile {
        let root: PolicyYAML.Node
        do { root = try PolicyYAML.parse(text) } catch {
            throw ServerConfigError("\(path):\(error.at.line):\(error.at.column): \(error.message)")
        }
        var out = ServerConfigFile()
        func walk(_ node: PolicyYAML.Node, _ prefix: String) throws(ServerConfigError) {
            switch node {
            case .mapping(let items, _):
                for item in items {
                    let key = prefix.isEmpty ? item.key : prefix + "." + item.key
                    if listKeys.contains(key) {
                        switch item.value {
                        case .scalar(let v, _, _): out.lists[key] = [v]
                        case .sequence(let nodes, _):
                            var values: [String] = []
                            for n in nodes {
                                guard case .scalar(let v, _, _) = n else {
                                    throw ServerConfigError("\(path):\(n.position.line):\(n.position.column): \(key) takes a list of strings")
                                }
                                values.append(v)
                            }
                            out.lists[key] = values
                        case .mapping(_, let p):
                            throw ServerConfigError("\(path):\(p.line):\(p.column): \(key) takes a list of strings, not a mapping")
                        }
                        out.lines[key] = item.keyAt.line
                        continue
                    }
                    if key == "external_labels" {
                        guard case .mapping(let pairs, _) = item.value else {
                            let p = item.value.position
                            throw ServerConfigError("\(path):\(p.line):\(p.column): external_labels takes a mapping of label names to values")
                        }
                        for pair in pairs {
                            guard case .scalar(let v, _, _) = pair.value else {
                                let p = pair.value.position
                                throw ServerConfigError("\(path):\(p.line):\(p.column): external label \(pair.key) takes one value")
                            }
                            out.externalLabels.append((pair.key, v))
                        }
                        out.lines[key] = item.keyAt.line
                        continue
                    }
                    if case .mapping = item.value {
                        guard ["limits", "query"].contains(key) else {
                            throw ServerConfigError("\(path):\(item.keyAt.line):\(item.keyAt.column): unknown section \"\(key)\"")
                        }
                        try walk(item.value, key)
                        continue
                    }
                    guard keys.contains(key) else {
                        throw ServerConfigError("\(path):\(item.keyAt.line):\(item.keyAt.column): unknown key \"\(key)\"")
                    }
                    guard case .scalar(let v, _, _) = item.value else {
                        let p = item.value.position
                        throw ServerConfigError("\(path):\(p.line):\(p.column): \(key) takes one value, not a list")
                    }
                    out.values[key] = v
                    out.lines[key] = item.keyAt.line
                }
            default:
                let p = node.position
                throw ServerConfigError("\(path):\(p.line):\(p.column): expected a mapping of options")
            }
        }
        try walk(root, "")
        return out
    }

    public subscript(_ key: String) -> String? { values[key] }
}
