import HTTPTypes
import Hummingbird
import Dispatch
import Logging
import NIOCore
import NIOPosix
import Strata
import StrataCLIKit
import StrataQuery
import StrataRules
import StrataWire

#if canImport(Glibc)
import Glibc
#endif

/// The HTTP surface of a Strata database: Prometheus's query API with remote_write and
/// remote_read, Loki's push and query API, OTLP/HTTP traces and Tempo's trace API, and the
/// server's own `/metrics`, `/-/healthy` and `/-/ready`.
///
/// ```swift
/// let db = try Database(path: "/var/lib/strata", options: StrataServer.databaseOptions())
/// let server = StrataServer(database: db, options: ServerOptions())
/// try await server.run()          // until SIGTERM or SIGINT; then close the database
/// try db.close()
/// ```
public final class StrataServer: Sendable {
    public let database: Database
    public let options: ServerOptions
    let metrics = ServerMetrics()
    let remoteWrite: RemoteWriteIngester
    let logPush: LogPushIngester
    let queryThreads: QueryThreads
    let writePool: NIOThreadPool
    let metricCommit: GroupCommit
    let logCommit: GroupCommit
    let traceCommit: GroupCommit
    /// Sends alerts to the Alertmanagers of `options.rules`.
    let notifier: AlertNotifier
    /// Evaluates the rule files of `options.rules` (after `loadRules()`).
    let rules: RuleManager

    /// Database options for a server: WAL writes are buffered by the stores and made durable by
    /// the server's group commit (one fsync for many concurrent requests).
    public static func databaseOptions(base: DatabaseOptions = DatabaseOptions()) -> DatabaseOptions {
        var o = base
        o.metrics.durability = .buffered
        o.logs.durability = .buffered
        o.traces.durability = .buffered
        return o
    }

    public init(database: Database, options: ServerOptions) {
        self.database = database
        self.options = options
        remoteWrite = RemoteWriteIngester(store: database.metrics, limits: options.wire)
        logPush = LogPushIngester(store: database.logs, limits: options.wire)
        queryThreads = QueryThreads(count: max(1, min(options.maxConcurrentQueries, options.queryThreads ?? System.coreCount)))
        writePool = NIOThreadPool(numberOfThreads: max(2, System.coreCount))
        writePool.start()
        let m = metrics
        let fsync = options.fsync
        let db = database
        metricCommit = GroupCommit(pool: writePool, sync: { if fsync { try db.metrics.syncWAL() } }, onSync: { m.synced(requests: $0) })
        logCommit = GroupCommit(pool: writePool, sync: { if fsync { try db.logs.syncWAL() } }, onSync: { m.synced(requests: $0) })
        traceCommit = GroupCommit(pool: writePool, sync: { if fsync { try db.traces.syncWAL() } }, onSync: { m.synced(requests: $0) })
        let endpoints = options.rules.alertmanagers.compactMap { try? AlertmanagerEndpoint(parsing: $0) }
        notifier = AlertNotifier(endpoints: endpoints, options: options.rules, metrics: metrics)
        var engine = PromQLEngineOptions()
        engine.maxSamples = options.maxQuerySamples
        engine.timeoutMilliseconds = Int64(options.queryTimeout.components.seconds * 1000)
        let context = RuleContext(
            queryRunner: RuleQueryRunner(database: database, options: engine), threads: queryThreads, notifier: notifier, metrics: metrics,
            options: options.rules)
        rules = RuleManager(context: context, patterns: options.rules.files)
    }

    /// Reads the rule files of `options.rules` (their globs expanded) and installs their groups,
    /// which `run()` starts. Call it before `run()`: a bad file should keep the server from starting.
    /// - Throws: `RuleFileErrors` with every problem (file, line, column).
    public func loadRules() async throws(RuleFileErrors) {
        let groups = try RuleManager.load(options.rules.files)
        await rules.install(groups)
    }

    /// Reads the rule files again (what SIGHUP and `POST /-/reload` do). On errors the rules in
    /// place stay; the errors are returned.
    public func reloadRules() async -> RuleFileErrors? { await rules.reload() }

    deinit {
        notifier.shutdown()
        queryThreads.shutdown()
        try? writePool.syncShutdownGracefully()
    }

    enum Scope { case none, read, write }

    /// The router with every endpoint (also what in-process tests drive).
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        registerPrometheus(router)
        registerLoki(router)
        registerTraces(router)
        registerRules(router)
        route(router, .get, "/metrics", "/metrics", .read) { _, _, _ in
            Reply.text(self.renderMetrics(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        route(router, .get, "/-/healthy", "/-/healthy", .none) { _, _, _ in Reply.text("Strata is Healthy.\n") }
        route(router, .get, "/-/ready", "/-/ready", .none) { _, _, _ in Reply.text("Strata is Ready.\n") }
        return router
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, finishes the requests in progress
    /// and returns; the caller closes the database.
    /// - Parameter onListening: called with the bound port once the server listens.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = Application(
            router: router(),
            configuration: ApplicationConfiguration(address: .hostname(options.host, port: options.port), serverName: "strata"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: {
                var l = Logger(label: "strata")
                l.logLevel = .warning
                return l
            }())
        await rules.start()
        // SIGHUP reads the rule files again, as it makes Prometheus read its configuration.
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        let manager = rules
        hangup.setEventHandler {
            Task {
                if let errors = await manager.reload() {
                    ServerLog.write("strata serve: SIGHUP: reloading rules failed, the previous rules stay:\n\(errors.description)")
                }
            }
        }
        hangup.resume()
        defer { hangup.cancel() }
        do {
            try await app.runService()
        } catch {
            await rules.stop()
            throw error
        }
        await rules.stop()
        notifier.shutdown()
        try await writePool.shutdownGracefully()
    }

    /// Registers a handler with authentication, error shaping and metrics.
    func route(
        _ router: Router<BasicRequestContext>, _ method: HTTPRequest.Method, _ path: RouterPath, _ name: String, _ scope: Scope,
        _ handler: @escaping @Sendable (Request, BasicRequestContext, Params) async throws -> Response
    ) {
        router.on(path, method: method) { request, context in
            let start = ContinuousClock.now
            var request = request
            var response: Response
            do {
                try self.authorize(request, scope)
                var form: [UInt8]? = nil
                if method == .post, let ct = request.headers[.contentType], ct.hasPrefix("application/x-www-form-urlencoded") {
                    form = Array(buffer: try await self.collect(&request))
                }
                let params = Params(query: request.uri.query, form: form)
                response = try await handler(request, context, params)
            } catch let e as APIError {
                if e.status == .unauthorized || e.status == .forbidden {
                    self.metrics.add("strata_auth_failures_total", String(e.status.code), 1)
                }
                response = Reply.error(e)
                if e.status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
            } catch let e as WireError {
                response = Reply.error(self.wireError(e))
            } catch {
                response = Reply.error(.internalError("\(error)"))
            }
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            self.metrics.request(name, code: response.status.code, seconds: seconds)
            return response
        }
    }

    func wireError(_ e: WireError) -> APIError {
        switch e.kind {
        case .tooLarge:
            metrics.add("strata_limit_refusals_total", limitName(e.message), 1)
            return .tooLarge(e.description)
        case .malformed: return .badData(e.description)
        case .unsupported: return .badData(e.description)
        case .storage: return .internalError(e.description)
        }
    }

    /// The option a limit message names, for the refusal counter.
    func limitName(_ message: String) -> String {
        guard let open = message.range(of: "(--"), let close = message[open.upperBound...].firstIndex(of: ")") else { return "other" }
        return String(message[open.upperBound..<close])
    }

    func authorize(_ request: Request, _ scope: Scope) throws(APIError) {
        guard scope != .none, !options.tokens.isEmpty else { return }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError(status: .unauthorized, type: "unauthorized", message: "a bearer token is required (Authorization: Bearer <token>)")
        }
        let given = Array(header.dropFirst(7).utf8)
        var found: BearerToken?
        for t in options.tokens {
            // Compares every byte, whatever the first difference.
            let want = Array(t.token.utf8)
            var diff = want.count ^ given.count
            for i in 0..<min(want.count, given.count) { diff |= Int(want[i] ^ given[i]) }
            if diff == 0 { found = t }
        }
        guard let t = found else { throw APIError(status: .unauthorized, type: "unauthorized", message: "unknown bearer token") }
        if (scope == .read && !t.read) || (scope == .write && !t.write) {
            throw APIError(status: .forbidden, type: "forbidden", message: "this token has no \(scope == .read ? "read" : "write") scope")
        }
    }

    /// The request's body, refused past `maxBodyBytes`.
    func collect(_ request: inout Request) async throws -> ByteBuffer {
        do {
            return try await request.collectBody(upTo: options.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            metrics.add("strata_limit_refusals_total", "max-body-bytes", 1)
            throw APIError.tooLarge("request body over the limit of \(options.maxBodyBytes) bytes (--max-body-bytes)")
        } catch {
            // The client closed or broke the connection before the body's end.
            throw APIError.badData("the request body could not be read whole: \(error)")
        }
    }

    /// The body decompressed per its Content-Encoding (`snappy`, `gzip`, or none) and the
    /// default of its format (`snappy` for protobuf formats that always use it).
    func decodedBody(_ request: inout Request, defaultEncoding: String? = nil) async throws -> [UInt8] {
        let buffer = try await collect(&request)
        let raw = Array(buffer: buffer)
        let encoding = request.headers[.contentEncoding]?.lowercased() ?? defaultEncoding ?? "identity"
        switch encoding {
        case "snappy": return try Snappy.decompress(raw, limit: options.wire.maxDecompressedBytes)
        case "gzip", "x-gzip", "deflate": return try Gzip.decompress(raw, limit: options.wire.maxDecompressedBytes)
        case "identity", "": return raw
        default: throw APIError(status: .unsupportedMediaType, type: "bad_data", message: "unsupported Content-Encoding \"\(encoding)\" (snappy, gzip)")
        }
    }

    /// Runs blocking work on the write pool.
    func blockingWrite<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await writePool.runIfActive(body)
    }

    /// Runs a query on the query pool (one thread per core, at most `maxConcurrentQueries`; the
    /// others wait their turn in arrival order).
    func blockingQuery<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        metrics.queryStarted()
        defer { metrics.queryEnded() }
        return try await queryThreads.run(body)
    }

    /// Runs a query's work on the query threads; its `QueryError` becomes Prometheus's error shape.
    func runQuery<T: Sendable>(_ body: @escaping @Sendable () throws(QueryError) -> T) async throws -> T {
        let r: Result<T, QueryError> = try await blockingQuery {
            do throws(QueryError) { return .success(try body()) } catch { return .failure(error) }
        }
        switch r {
        case .success(let v): return v
        case .failure(let e): throw Self.apiError(e)
        }
    }

    func renderMetrics() -> String {
        var extra: [(String, String, String, Double)] = []
        extra.append(("strata_remote_write_cached_series", "gauge", "Series known to the remote_write series cache.", Double(remoteWrite.cachedSeries)))
        return metrics.render(extra: extra.map { (name: $0.0, type: $0.1, help: $0.2, value: $0.3) }) + renderRuleMetrics()
    }
}
