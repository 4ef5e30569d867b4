import StrataLabels
import StrataLogs
import StrataQuery
import StrataTraces

/// What a database keeps, for how long and within what size: the policy `strata policy set`
/// stores and `strata compact` (or `DatabaseOptions.compactionInterval`) applies.
///
/// ```yaml
/// retention:
///   metrics: 30d          # default age per store; omitted: kept forever
///   logs: 14d
///   traces: 7d
///   size: 50GiB           # budget for everything under the database directory
///   rules:                # the first rule that matches a series/stream/trace wins
///     - {store: logs,    selector: '{level="DEBUG"}',        keep: 2d}
///     - {store: metrics, selector: '{__name__=~"node_.*"}',  keep: 90d}
///     - {store: traces,  selector: '{error=true}',           keep: 30d}
/// downsample:             # metrics only
///   - {after: 2d,  resolution: 5m}
///   - {after: 30d, resolution: 1h}
/// ```
/// Durations are Prometheus's (`1y2w3d4h5m6s7ms`), or `forever`. Sizes are a number with `B`,
/// `KiB`, `MiB`, `GiB`, `TiB` (or `KB`, `MB`, `GB`, `TB`, which mean the same powers of 1024, as in
/// Prometheus's `--storage.tsdb.retention.size`).
public struct RetentionPolicy: Sendable {
    /// The three stores a rule can name.
    public enum Store: String, Sendable, CaseIterable {
        case metrics, logs, traces
    }

    /// A rule's selector, parsed by the store's query language.
    public enum Selector: Sendable {
        /// A PromQL series selector (`node_load1{host="cmp-1"}`, `{__name__=~"node_.*"}`).
        case metrics([LabelMatcher])
        /// A LogQL stream selector with optional line filters (`{program="nova-api"} |= "DEBUG"`).
        case logs(streams: [LabelMatcher], lineFilters: [LineFilter])
        /// A trace selector (`{service="glance", error=true}`): a trace matches when one of its spans does.
        case traces(TraceSearch)
    }

    /// A more specific keep for the series, streams or traces its selector matches.
    public struct Rule: Sendable {
        public var store: Store
        /// The selector as written.
        public var text: String
        public var selector: Selector
        /// How long matching data is kept; nil: forever.
        public var keep: Duration?
        /// The rule's line in the policy file.
        public var line: Int
    }

    /// One downsampling level: raw samples (or the previous level's aggregates) older than
    /// `after` become aggregates per `resolution` step.
    public struct DownsampleLevel: Sendable, Equatable {
        public var after: Duration
        public var resolution: Duration
        public init(after: Duration, resolution: Duration) {
            self.after = after
            self.resolution = resolution
        }
    }

    /// Default keeps per store (nil: forever).
    public var metrics: Duration?
    public var logs: Duration?
    public var traces: Duration?
    /// The size budget for every byte under the database directory, or nil.
    public var sizeBudget: Int64?
    /// The rules, in the order written (the first that matches wins).
    public var rules: [Rule]
    /// Downsampling levels, by increasing `after`.
    public var downsample: [DownsampleLevel]
    /// The policy's text as given.
    public var text: String

    /// The default keep of `store`.
    public func keep(_ store: Store) -> Duration? {
        switch store {
        case .metrics: metrics
        case .logs: logs
        case .traces: traces
        }
    }

    /// A policy that keeps everything.
    public init() {
        rules = []
        downsample = []
        text = ""
    }

    /// Parses and validates a policy.
    /// - Parameters:
    ///   - file: named in errors.
    ///   - minimumSizeBudget: the smallest `size` accepted (the database's WAL segments, which no
    ///     retention can remove, must fit).
    /// - Throws: `PolicyError` with the file, line, column and reason: an unknown key, a bad
    ///   duration or size, a bad selector, a rule for an unknown store, a budget below the minimum.
    public static func parse(_ text: String, file: String = "policy", minimumSizeBudget: Int64 = 0) throws(PolicyError)
        -> RetentionPolicy
    {
        let root: PolicyYAML.Node
        do { root = try PolicyYAML.parse(text) } catch {
            throw PolicyError(file: file, line: error.at.line, column: error.at.column, message: error.message)
        }
        var d = PolicyDecoder(file: file)
        var policy = try d.decode(root, minimumSizeBudget: minimumSizeBudget)
        policy.text = text
        return policy
    }
}

/// A policy refused: where and why.
public struct PolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based line and column in the policy file.
    public var line: Int
    public var column: Int
    public var message: String
    public var description: String { "\(file):\(line):\(column): \(message)" }
}

extension Duration {
    /// Whole milliseconds (rounded down): what a policy's durations are kept in.
    package var policyMilliseconds: Int64 {
        let c = components
        return c.seconds &* 1000 &+ c.attoseconds / 1_000_000_000_000_000
    }
}

/// Turns the YAML tree into a `RetentionPolicy`, checking every key and value.
private struct PolicyDecoder {
    typealias Node = PolicyYAML.Node
    let file: String

    func fail(_ at: PolicyYAML.Position, _ message: String) -> PolicyError {
        PolicyError(file: file, line: at.line, column: at.column, message: message)
    }

    func mapping(_ n: Node, _ what: String) throws(PolicyError) -> [(key: String, keyAt: PolicyYAML.Position, value: Node)] {
        if case .mapping(let pairs, _) = n { return pairs }
        if case .scalar(let s, _, _) = n, s.isEmpty { return [] }
        throw fail(n.position, "\(what) must be a mapping (key: value)")
    }

    func sequence(_ n: Node, _ what: String) throws(PolicyError) -> [Node] {
        if case .sequence(let items, _) = n { return items }
        if case .scalar(let s, _, _) = n, s.isEmpty { return [] }
        throw fail(n.position, "\(what) must be a list (- item)")
    }

    func scalar(_ n: Node, _ what: String) throws(PolicyError) -> String {
        guard case .scalar(let s, _, _) = n else { throw fail(n.position, "\(what) must be a single value") }
        return s
    }

    func unknown(_ key: String, _ at: PolicyYAML.Position, expected: [String]) -> PolicyError {
        fail(at, "unknown key \(key) (expected \(expected.joined(separator: ", ")))")
    }

    /// A Prometheus duration or `forever` (nil).
    func keep(_ n: Node, _ what: String) throws(PolicyError) -> Duration? {
        let s = try scalar(n, what)
        if s == "forever" || s == "inf" { return nil }
        return try positiveDuration(n, what)
    }

    func positiveDuration(_ n: Node, _ what: String) throws(PolicyError) -> Duration {
        let s = try scalar(n, what)
        switch DurationLiteral.parse(s) {
        case .success(let ms):
            guard ms > 0 else { throw fail(n.position, "\(what) must be longer than 0") }
            return .milliseconds(ms)
        case .failure(let e):
            throw fail(n.position, "bad duration for \(what): \(e.message) (write e.g. 30d, 12h, 90m, or forever)")
        }
    }

    func size(_ n: Node) throws(PolicyError) -> Int64 {
        let s = try scalar(n, "size")
        let units: [(String, Int64)] = [
            ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10),
            ("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10), ("B", 1),
        ]
        var number = Substring(s)
        var mult: Int64 = 1
        for (u, m) in units where s.hasSuffix(u) {
            number = s.dropLast(u.count)
            mult = m
            break
        }
        number = number.drop { $0 == " " }
        while number.last == " " { number = number.dropLast() }
        guard let v = Double(String(number)), v.isFinite, v > 0, !number.contains("e"), !number.contains("E") else {
            throw fail(n.position, "bad size \(s) (write e.g. 50GiB, 500MiB or 1TB)")
        }
        let bytes = v * Double(mult)
        guard bytes < 9e18 else { throw fail(n.position, "size \(s) is too large") }
        return Int64(bytes)
    }

    mutating func decode(_ root: Node, minimumSizeBudget: Int64) throws(PolicyError) -> RetentionPolicy {
        var policy = RetentionPolicy()
        for (key, at, value) in try mapping(root, "the policy") {
            switch key {
            case "retention":
                for (k, kat, v) in try mapping(value, "retention") {
                    switch k {
                    case "metrics": policy.metrics = try keep(v, "retention.metrics")
                    case "logs": policy.logs = try keep(v, "retention.logs")
                    case "traces": policy.traces = try keep(v, "retention.traces")
                    case "size":
                        let b = try size(v)
                        guard b >= minimumSizeBudget else {
                            throw fail(
                                v.position,
                                "size \(b) bytes is smaller than one write-ahead log segment per store (\(minimumSizeBudget) bytes), which no retention can remove")
                        }
                        policy.sizeBudget = b
                    case "rules":
                        for item in try sequence(v, "retention.rules") { policy.rules.append(try rule(item)) }
                    default: throw unknown(k, kat, expected: ["metrics", "logs", "traces", "size", "rules"])
                    }
                }
            case "downsample":
                for item in try sequence(value, "downsample") {
                    var after: Duration?, resolution: Duration?
                    for (k, kat, v) in try mapping(item, "a downsample level") {
                        switch k {
                        case "after": after = try positiveDuration(v, "after")
                        case "resolution": resolution = try positiveDuration(v, "resolution")
                        default: throw unknown(k, kat, expected: ["after", "resolution"])
                        }
                    }
                    guard let after, let resolution else {
                        throw fail(item.position, "a downsample level needs after and resolution, e.g. {after: 2d, resolution: 5m}")
                    }
                    if let previous = policy.downsample.last {
                        guard after > previous.after else {
                            throw fail(item.position, "downsample levels go by increasing after (\(after) is not after \(previous.after))")
                        }
                        let r = resolution.policyMilliseconds, p = previous.resolution.policyMilliseconds
                        guard r > p, r % p == 0 else {
                            throw fail(item.position, "each resolution must be a multiple of the one before it (\(resolution) after \(previous.resolution))")
                        }
                    }
                    guard resolution.policyMilliseconds >= 1000 else { throw fail(item.position, "a resolution of at least 1s") }
                    policy.downsample.append(.init(after: after, resolution: resolution))
                }
            default:
                throw unknown(key, at, expected: ["retention", "downsample"])
            }
        }
        return policy
    }

    func rule(_ item: Node) throws(PolicyError) -> RetentionPolicy.Rule {
        var store: RetentionPolicy.Store?
        var selectorNode: Node?
        var keepValue: Duration?? = nil
        for (k, kat, v) in try mapping(item, "a rule") {
            switch k {
            case "store":
                let s = try scalar(v, "store")
                guard let st = RetentionPolicy.Store(rawValue: s) else {
                    throw fail(v.position, "unknown store \(s) (expected metrics, logs or traces)")
                }
                store = st
            case "selector": selectorNode = v
            case "keep": keepValue = .some(try keep(v, "keep"))
            default: throw unknown(k, kat, expected: ["store", "selector", "keep"])
            }
        }
        guard let store else { throw fail(item.position, "a rule needs store: metrics, logs or traces") }
        guard let selectorNode else { throw fail(item.position, "a rule needs a selector") }
        guard let keepValue else { throw fail(item.position, "a rule needs keep: a duration or forever") }
        let text = try scalar(selectorNode, "selector")
        let selector = try parseSelector(text, store: store, at: selectorNode)
        return RetentionPolicy.Rule(store: store, text: text, selector: selector, keep: keepValue, line: item.position.line)
    }

    /// The selector parsed by `store`'s language; an error points at the column inside the file.
    func parseSelector(_ text: String, store: RetentionPolicy.Store, at node: Node) throws(PolicyError) -> RetentionPolicy.Selector {
        guard case .scalar(_, let quoted, let pos) = node else { throw fail(node.position, "selector must be a single value") }
        func column(_ e: QueryError) -> PolicyYAML.Position {
            // Exact when the selector holds no escapes (the usual single-quoted selector).
            PolicyYAML.Position(line: pos.line, column: pos.column + (quoted ? 1 : 0) + (e.column ?? 1) - 1)
        }
        func refuse(_ message: String, _ e: QueryError? = nil) -> PolicyError {
            let p = e.map(column) ?? pos
            return PolicyError(file: file, line: p.line, column: p.column, message: message)
        }
        switch store {
        case .metrics:
            let expr: Expr
            do { expr = try PromQL.parse(text) } catch { throw refuse("bad PromQL selector: \(error.message)", error) }
            guard case .vectorSelector(let v) = expr, v.offset == 0, v.offsetExpression == nil, v.at == nil else {
                throw refuse("a metrics rule's selector is a series selector such as node_load1{host=\"cmp-1\"} or {__name__=~\"node_.*\"}")
            }
            var matchers = v.matchers
            if let name = v.name, !matchers.contains(where: { $0.name == "__name__" }) { matchers.append(.equal("__name__", name)) }
            return .metrics(matchers)
        case .logs:
            let expr: LogQLExpr
            do { expr = try LogQL.parse(text) } catch { throw refuse("bad LogQL selector: \(error.message)", error) }
            guard case .logs(let sel) = expr, sel.fieldFilters.isEmpty, sel.alternatives.isEmpty else {
                throw refuse("a logs rule's selector is a stream selector with optional line filters, such as {program=\"nova-api\"} |= \"DEBUG\"")
            }
            return .logs(streams: sel.streams, lineFilters: sel.lineFilters)
        case .traces:
            let q: TraceQuery
            do { q = try TraceQuery.parse(text) } catch { throw refuse("bad trace selector: \(error.message)", error) }
            guard case .search(var search) = q else {
                throw refuse("a traces rule's selector is a trace selector such as {service=\"glance\", error=true}")
            }
            search.start = .min
            search.end = .max
            search.limit = 0
            return .traces(search)
        }
    }
}
