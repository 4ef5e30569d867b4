import StrataWire

/// Options of `strata serve`.
public struct ServerOptions: Sendable {
    /// Address to listen on; 127.0.0.1 unless told otherwise.
    public var host = "127.0.0.1"
    /// Port (0: any free port, reported by `onListening`).
    public var port = 9090
    /// Per-request limits on bodies that are decoded (label lengths, series, samples, lines).
    public var wire = WireLimits()
    /// Bytes a request body may have as sent (`--max-body-bytes`).
    public var maxBodyBytes = 32 << 20
    /// Queries that run at once at most (`--max-concurrent-queries`, Prometheus's
    /// `--query.max-concurrency`); more wait for a slot.
    public var maxConcurrentQueries = 20
    /// Threads that run queries (`--query-threads`); nil: one per core. Queries past this many
    /// wait for a thread: more threads than cores only adds context switches and lock convoys.
    public var queryThreads: Int? = nil
    /// Time a query may run (`--query-timeout`), unless its `timeout` parameter asks for less.
    public var queryTimeout: Duration = .seconds(120)
    /// Samples a query may hold in memory (`--query-max-samples`).
    public var maxQuerySamples = 50_000_000
    /// Bytes of a query's text (`--max-query-length`).
    public var maxQueryLength = 128 << 10
    /// Points per series of a range query (Prometheus's 11,000).
    public var maxPointsPerSeries = 11_000
    /// Bearer tokens and their scopes; empty: no authentication (only sensible on loopback).
    public var tokens: [BearerToken] = []
    /// Fsync after every write request's WAL write, shared between concurrent requests (group
    /// commit); false acknowledges after the write reached the OS (survives a crash of the
    /// server, not of the machine).
    public var fsync = true
    /// Rule files, their evaluation and where alerts go.
    public var rules = RuleOptions()
    public init() {}
}

/// Rules and alerts (`--rule-file`, `--evaluation-interval`, `--alertmanager-url`,
/// `--external-label`, `--external-url`): Prometheus's `rule_files`, `evaluation_interval`,
/// `alerting.alertmanagers`, `external_labels` and `--web.external-url`.
public struct RuleOptions: Sendable {
    /// Rule file paths or globs (`*`, `?`, `[...]`), expanded again at every reload.
    public var files: [String] = []
    /// The interval of groups without their own `interval` (ms; Prometheus's default 1m).
    public var evaluationInterval: Int64 = 60_000
    /// Alertmanager base URLs (`http://host:port[/prefix]`); alerts go to `<url>/api/v2/alerts`.
    public var alertmanagers: [String] = []
    /// Added to the labels of alerts sent that lack them; `$externalLabels` of templates.
    public var externalLabels: [(name: String, value: String)] = []
    /// The server's public URL: `$externalURL` of templates and the alerts' `generatorURL`.
    public var externalURL = ""
    /// A firing alert is sent again after this long (ms; Prometheus's `--rules.alert.resend-delay`).
    public var resendDelay: Int64 = 60_000
    /// Alerts waiting to be sent at most; past it the oldest are dropped (Prometheus's
    /// `--alertmanager.notification-queue-capacity`).
    public var notificationQueueCapacity = 10_000
    /// Alerts per POST at most.
    public var notificationBatchSize = 64
    /// Time one POST to an Alertmanager may take (ms; Prometheus's default 10s).
    public var notificationTimeout: Int64 = 10_000
    /// `for` state is restored after a restart when the alerts were active within this long (ms;
    /// Prometheus's `--rules.alert.for-outage-tolerance`) and for rules whose `for` is at least
    /// the grace period (`--rules.alert.for-grace-period`).
    public var outageTolerance: Int64 = 3_600_000
    public var forGracePeriod: Int64 = 600_000
    public init() {}
}

/// A bearer token and what it may do.
public struct BearerToken: Sendable, Equatable {
    public var token: String
    public var read: Bool
    public var write: Bool
    public init(token: String, read: Bool, write: Bool) {
        self.token = token
        self.read = read
        self.write = write
    }

    /// Reads a tokens file: one `<token> <scopes>` per line, scopes `read`, `write` or
    /// `read,write`; `#` starts a comment.
    /// - Throws: a message naming the file and line.
    public static func parseFile(_ text: String, path: String) throws(ServerConfigError) -> [BearerToken] {
        var out: [BearerToken] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if parts.isEmpty { continue }
            guard parts.count == 2 else {
                throw ServerConfigError("\(path):\(i + 1): expected `<token> <scopes>` (scopes: read, write or read,write)")
            }
            var t = BearerToken(token: String(parts[0]), read: false, write: false)
            guard t.token.count >= 16 else { throw ServerConfigError("\(path):\(i + 1): a token needs at least 16 characters") }
            for scope in parts[1].split(separator: ",") {
                switch scope {
                case "read": t.read = true
                case "write": t.write = true
                default: throw ServerConfigError("\(path):\(i + 1): unknown scope \"\(scope)\" (read, write)")
                }
            }
            out.append(t)
        }
        return out
    }
}

public struct ServerConfigError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}
