import ArgumentParser
import Strata
import StrataServer
import StrataQuery
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

            Writes are acknowledged once the WAL holds them on disk (one fsync shared by the requests that arrive together). SIGTERM or SIGINT stops accepting, finishes what is in flight and closes the database.

            Examples:
              strata serve /var/lib/strata
              strata serve /var/lib/strata --listen 0.0.0.0:9090 --tokens /etc/strata/tokens
              curl -s 'http://127.0.0.1:9090/api/v1/query?query=up'
            """)

    @Argument(help: "The database directory (created when missing).")
    var db: String

    @Option(help: "Address and port to listen on (127.0.0.1 unless told otherwise; port 0 picks a free one).")
    var listen = "127.0.0.1:9090"

    @Option(help: "A file of bearer tokens, one `<token> <scopes>` per line (scopes: read, write or read,write). Without it, no authentication.")
    var tokens: String?

    @Option(help: "Run maintenance (deletions, the stored retention policy, downsampling, merges) this often (e.g. 10m; 0 turns it off).")
    var maintenanceInterval = "10m"

    @Option(help: "Bytes a request body may have as sent.") var maxBodyBytes = 32 << 20
    @Option(help: "Bytes a body may have once decompressed (snappy, gzip).") var maxDecompressedBytes = 64 << 20
    @Option(help: "Series in one remote_write request.") var maxSeriesPerRequest = 100_000
    @Option(help: "Samples (or log entries, or spans) in one request.") var maxSamplesPerRequest = 1_000_000
    @Option(help: "Bytes of a label name.") var maxLabelNameLength = 1024
    @Option(help: "Bytes of a label value.") var maxLabelValueLength = 4096
    @Option(help: "Labels of one series or stream.") var maxLabelsPerSeries = 64
    @Option(help: "Bytes of one pushed log line.") var maxLineBytes = 256 << 10
    @Option(help: "Queries running at once at most; more wait.") var maxConcurrentQueries = 20
    @Option(help: "Threads that run queries (default: one per core).") var queryThreads: Int?
    @Option(help: "Longest a query may run (e.g. 2m).") var queryTimeout = "2m"
    @Option(help: "Samples a query may hold in memory.") var queryMaxSamples = 50_000_000
    @Option(help: "Bytes of a query's text.") var maxQueryLength = 128 << 10
    @Flag(help: "Acknowledge writes once the OS has them, without fsync (survives a crash of the server, not of the machine).")
    var noFsync = false

    func parseDuration(_ s: String, _ flag: String) throws -> Duration {
        if s == "0" { return .zero }
        guard case .success(let ms) = DurationLiteral.parse(s) else {
            throw ValidationError("\(flag): cannot parse \"\(s)\" as a duration (e.g. 10m)")
        }
        return .milliseconds(ms)
    }

    mutating func run() async throws {
        var o = ServerOptions()
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen: expected HOST:PORT, e.g. 127.0.0.1:9090")
        }
        o.host = String(listen[..<colon].filter { $0 != "[" && $0 != "]" })
        o.port = port
        o.maxBodyBytes = maxBodyBytes
        o.wire.maxDecompressedBytes = maxDecompressedBytes
        o.wire.maxSeriesPerRequest = maxSeriesPerRequest
        o.wire.maxSamplesPerRequest = maxSamplesPerRequest
        o.wire.maxLabelNameLength = maxLabelNameLength
        o.wire.maxLabelValueLength = maxLabelValueLength
        o.wire.maxLabelsPerSeries = maxLabelsPerSeries
        o.wire.maxLineBytes = maxLineBytes
        o.maxConcurrentQueries = maxConcurrentQueries
        o.queryThreads = queryThreads
        o.queryTimeout = try parseDuration(queryTimeout, "--query-timeout")
        o.maxQuerySamples = queryMaxSamples
        o.maxQueryLength = maxQueryLength
        o.fsync = !noFsync
        if let tokens {
            guard let f = fopen(tokens, "r") else { throw ValidationError("--tokens: cannot read \(tokens)") }
            var text = [UInt8]()
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = fread(&buf, 1, buf.count, f)
                if n <= 0 { break }
                text += buf[0..<n]
            }
            fclose(f)
            do { o.tokens = try BearerToken.parseFile(String(decoding: text, as: UTF8.self), path: tokens) } catch {
                throw ValidationError(error.description)
            }
        }
        var dbOptions = StrataServer.databaseOptions()
        let interval = try parseDuration(maintenanceInterval, "--maintenance-interval")
        dbOptions.compactionInterval = interval == .zero ? nil : interval
        let database: Database
        do { database = try Database(path: db, options: dbOptions) } catch {
            FileHandleStderr.write("strata serve: \(error)\n")
            throw ExitCode(2)
        }
        let server = StrataServer(database: database, options: o)
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
