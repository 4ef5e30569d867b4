import ArgumentParser
import Strata
import StrataServer
import StrataQuery
import StrataRules
import StrataWire

#if canImport(Glibc)
import Glibc
#endif

/// `strata-server` (what `strata serve` runs): a Strata database behind the Prometheus, Loki,
/// OTLP and Tempo HTTP APIs.
@main
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata serve",
        abstract: "Serve a database over Prometheus's, Loki's, OTLP's and Tempo's HTTP APIs.",
        discussion: """
            Metrics: /api/v1/query, query_range, series, labels, label/<name>/values, metadata, status/buildinfo, format_query; remote_write at /api/v1/write (1.0 and 2.0) and remote_read at /api/v1/read. Logs: /loki/api/v1/push (JSON, gzip JSON, protobuf + snappy), query, query_range, labels, label/<name>/values, series, index/stats. Traces: OTLP/HTTP at /v1/traces, osprofiler event JSON at /api/v1/osprofiler, Tempo's /api/traces/<id> and /api/search. The server's own metrics at /metrics; /-/healthy and /-/ready. Docs/serve.md has the details.

            Rules: --rule-file (repeatable, globs) loads Prometheus rule files, evaluated every --evaluation-interval (a group's own interval wins); alerts go to each --alertmanager-url (POST <url>/api/v2/alerts) with the --external-label labels they lack. GET /api/v1/rules and /api/v1/alerts show them; SIGHUP or POST /-/reload reads the rule files again (bad files keep the previous rules).

            Writes are acknowledged once the WAL holds them on disk (one fsync shared by the requests that arrive together). SIGTERM or SIGINT stops accepting, finishes what is in flight and closes the database.

            Examples:
              strata serve /var/lib/strata
              strata serve /var/lib/strata --listen 0.0.0.0:9090 --tokens /etc/strata/tokens
              strata serve /var/lib/strata --rule-file '/etc/strata/rules/*.yml' --alertmanager-url http://127.0.0.1:9093 --external-label cluster=eu1
              curl -s 'http://127.0.0.1:9090/api/v1/query?query=up'
            """)

    @Argument(help: "The database directory (created when missing).")
    var db: String

    @Option(help: "A YAML file of these options (Docs/serve.md); options given here win over it.")
    var config: String?

    @Option(help: "Address and port to listen on (default 127.0.0.1:9090; port 0 picks a free one).")
    var listen: String?

    @Option(help: "A file of bearer tokens, one `<token> <scopes>` per line (scopes: read, write or read,write). Without it, no authentication.")
    var tokens: String?

    @Option(help: "Run maintenance (deletions, the stored retention policy, downsampling, merges) this often (default 10m; 0 turns it off).")
    var maintenanceInterval: String?

    @Option(help: "Bytes a request body may have as sent (default 32 MiB).") var maxBodyBytes: Int?
    @Option(help: "Bytes a body may have once decompressed, snappy or gzip (default 64 MiB).") var maxDecompressedBytes: Int?
    @Option(help: "Series in one remote_write request (default 100000).") var maxSeriesPerRequest: Int?
    @Option(help: "Samples, log entries or spans in one request (default 1000000).") var maxSamplesPerRequest: Int?
    @Option(help: "Bytes of a label name (default 1024).") var maxLabelNameLength: Int?
    @Option(help: "Bytes of a label value (default 4096).") var maxLabelValueLength: Int?
    @Option(help: "Labels of one series or stream (default 64).") var maxLabelsPerSeries: Int?
    @Option(help: "Bytes of one pushed log line (default 256 KiB).") var maxLineBytes: Int?
    @Option(help: "Queries running at once at most; more wait (default 20).") var maxConcurrentQueries: Int?
    @Option(help: "Threads that run queries (default: one per core).") var queryThreads: Int?
    @Option(help: "Longest a query may run (default 2m).") var queryTimeout: String?
    @Option(help: "Samples a query may hold in memory (default 50000000).") var queryMaxSamples: Int?
    @Option(help: "Bytes of a query's text (default 128 KiB).") var maxQueryLength: Int?
    @Option(name: .customLong("rule-file"), help: "A Prometheus rule file, or a glob of them (repeatable; read again on SIGHUP and POST /-/reload).")
    var ruleFiles: [String] = []
    @Option(help: "How often rule groups without their own interval are evaluated (default 1m).") var evaluationInterval: String?
    @Option(name: .customLong("alertmanager-url"), help: "An Alertmanager to send alerts to, e.g. http://127.0.0.1:9093 (repeatable).")
    var alertmanagerURLs: [String] = []
    @Option(name: .customLong("external-label"), help: "name=value added to the alerts sent that lack the label; $externalLabels in templates (repeatable).")
    var externalLabels: [String] = []
    @Option(name: .customLong("external-url"), help: "The URL users reach this server at: the alerts' generatorURL and $externalURL in templates.")
    var externalURL: String?
    @Flag(help: "Acknowledge writes once the OS has them, without fsync (survives a crash of the server, not of the machine).")
    var noFsync = false

    func parseDuration(_ s: String, _ flag: String) throws -> Duration {
        if s == "0" { return .zero }
        guard case .success(let ms) = DurationLiteral.parse(s) else {
            throw ValidationError("\(flag): cannot parse \"\(s)\" as a duration (e.g. 10m)")
        }
        return .milliseconds(ms)
    }

    static func readFile(_ path: String, _ what: String) throws -> String {
        guard let f = fopen(path, "r") else { throw ValidationError("\(what): cannot read \(path)") }
        defer { fclose(f) }
        var text = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            text += buf[0..<n]
        }
        return String(decoding: text, as: UTF8.self)
    }

    mutating func run() async throws {
        var file = ServerConfigFile()
        if let config {
            do { file = try ServerConfigFile.parse(try Self.readFile(config, "--config"), path: config) } catch let e as ServerConfigError {
                throw ValidationError(e.description)
            }
        }
        let configPath = config ?? ""
        /// The flag, else the config file's value, else the default.
        func int(_ flag: Int?, _ key: String, _ d: Int) throws -> Int {
            if let flag { return flag }
            guard let v = file[key] else { return d }
            guard let n = Int(v), n >= 0 else { throw ValidationError("\(configPath):\(file.lines[key] ?? 0): \(key): expected a whole number, not \"\(v)\"") }
            return n
        }
        func text(_ flag: String?, _ key: String, _ d: String) -> String { flag ?? file[key] ?? d }
        var o = ServerOptions()
        let listen = text(self.listen, "listen", "127.0.0.1:9090")
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen: expected HOST:PORT, e.g. 127.0.0.1:9090")
        }
        o.host = String(listen[..<colon].filter { $0 != "[" && $0 != "]" })
        o.port = port
        o.maxBodyBytes = try int(maxBodyBytes, "limits.max_body_bytes", o.maxBodyBytes)
        o.wire.maxDecompressedBytes = try int(maxDecompressedBytes, "limits.max_decompressed_bytes", o.wire.maxDecompressedBytes)
        o.wire.maxSeriesPerRequest = try int(maxSeriesPerRequest, "limits.max_series_per_request", o.wire.maxSeriesPerRequest)
        o.wire.maxSamplesPerRequest = try int(maxSamplesPerRequest, "limits.max_samples_per_request", o.wire.maxSamplesPerRequest)
        o.wire.maxLabelNameLength = try int(maxLabelNameLength, "limits.max_label_name_length", o.wire.maxLabelNameLength)
        o.wire.maxLabelValueLength = try int(maxLabelValueLength, "limits.max_label_value_length", o.wire.maxLabelValueLength)
        o.wire.maxLabelsPerSeries = try int(maxLabelsPerSeries, "limits.max_labels_per_series", o.wire.maxLabelsPerSeries)
        o.wire.maxLineBytes = try int(maxLineBytes, "limits.max_line_bytes", o.wire.maxLineBytes)
        o.maxQueryLength = try int(maxQueryLength, "limits.max_query_length", o.maxQueryLength)
        o.maxConcurrentQueries = try int(maxConcurrentQueries, "query.max_concurrent", o.maxConcurrentQueries)
        if queryThreads != nil || file["query.threads"] != nil { o.queryThreads = try int(queryThreads, "query.threads", 1) }
        o.queryTimeout = try parseDuration(text(queryTimeout, "query.timeout", "2m"), "--query-timeout")
        o.maxQuerySamples = try int(queryMaxSamples, "query.max_samples", o.maxQuerySamples)
        switch file["fsync"] {
        case nil, "true": o.fsync = !noFsync
        case "false": o.fsync = false
        case let v?: throw ValidationError("\(configPath):\(file.lines["fsync"] ?? 0): fsync: true or false, not \"\(v)\"")
        }
        if let tokens = self.tokens ?? file["tokens"] {
            do { o.tokens = try BearerToken.parseFile(try Self.readFile(tokens, "--tokens"), path: tokens) } catch let e as ServerConfigError {
                throw ValidationError(e.description)
            }
        }
        if o.tokens.isEmpty && !["127.0.0.1", "localhost", "::1"].contains(o.host) {
            FileHandleStderr.write("strata serve: warning: listening on \(o.host) without --tokens: anyone who reaches the port can read and write\n")
        }
        o.rules = try ruleOptions(file: file, configPath: configPath)
        let maintenanceInterval = text(self.maintenanceInterval, "maintenance_interval", "10m")
        var dbOptions = StrataServer.databaseOptions()
        let interval = try parseDuration(maintenanceInterval, "--maintenance-interval")
        dbOptions.compactionInterval = interval == .zero ? nil : interval
        let database: Database
        do { database = try Database(path: db, options: dbOptions) } catch {
            FileHandleStderr.write("strata serve: \(error)\n")
            throw ExitCode(2)
        }
        let server = StrataServer(database: database, options: o)
        do { try await server.loadRules() } catch {
            for e in error.errors { FileHandleStderr.write("strata serve: \(e)\n") }
            FileHandleStderr.write("strata serve: \(error.errors.count) problem\(error.errors.count == 1 ? "" : "s") in the rule files; not starting\n")
            try? database.close()
            throw ExitCode(1)
        }
        let listenHost = o.host
        try await server.run { port in
            FileHandleStderr.write("strata serve: listening on \(listenHost):\(port)\n")
        }
        do { try database.close() } catch {
            FileHandleStderr.write("strata serve: closing: \(error)\n")
            throw ExitCode(2)
        }
    }
}

extension ServeCommand {
    /// The rule options: flags, else the config file's keys (its `rule_files` relative to its own
    /// directory, as Prometheus reads them), else the defaults.
    func ruleOptions(file: ServerConfigFile, configPath: String) throws -> RuleOptions {
        var r = RuleOptions()
        if !ruleFiles.isEmpty {
            r.files = ruleFiles
        } else if let files = file.lists["rule_files"] {
            let dir = configPath.contains("/") ? String(configPath[...configPath.lastIndex(of: "/")!]) : ""
            r.files = files.map { $0.hasPrefix("/") ? $0 : dir + $0 }
        }
        if let text = evaluationInterval ?? file["evaluation_interval"] {
            guard case .success(let ms) = DurationLiteral.parse(text), ms > 0 else {
                throw ValidationError("--evaluation-interval: cannot parse \"\(text)\" as a positive duration (e.g. 1m)")
            }
            r.evaluationInterval = ms
        }
        r.alertmanagers = alertmanagerURLs.isEmpty ? file.lists["alertmanagers"] ?? [] : alertmanagerURLs
        for url in r.alertmanagers {
            do { try RuleOptions.checkAlertmanagerURL(url) } catch { throw ValidationError(error.description) }
        }
        if !externalLabels.isEmpty {
            r.externalLabels = []
            for pair in externalLabels {
                guard let eq = pair.firstIndex(of: "="), pair.startIndex != eq else {
                    throw ValidationError("--external-label: expected name=value, not \"\(pair)\"")
                }
                r.externalLabels.append((String(pair[..<eq]), String(pair[pair.index(after: eq)...])))
            }
        } else {
            r.externalLabels = file.externalLabels
        }
        for l in r.externalLabels where !Labels.isValidLabelName(l.name) {
            throw ValidationError("--external-label: \"\(l.name)\" is not a valid label name")
        }
        r.externalURL = externalURL ?? file["external_url"] ?? ""
        while r.externalURL.hasSuffix("/") { r.externalURL.removeLast() }
        return r
    }
}

enum FileHandleStderr {
    static func write(_ s: String) {
        var s = s
        s.withUTF8 { b in
            var off = 0
            while off < b.count {
                let n = Glibc.write(2, b.baseAddress! + off, b.count - off)
                if n <= 0 { break }
                off += n
            }
        }
    }
}
