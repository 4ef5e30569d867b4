import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// `strata serve`: runs `strata-server`, built next to `strata`, with the same arguments. The server
/// is its own executable so that its HTTP stack (SwiftNIO, Hummingbird, Foundation) stays out of
/// every other command, which start in a few milliseconds.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a database over Prometheus's, Loki's, OTLP's and Tempo's HTTP APIs.",
        discussion: """
            Runs strata-server (installed next to strata) with these arguments; `strata serve --help`
            lists its options.

            Examples:
              strata serve /var/lib/strata
              strata serve /var/lib/strata --listen 0.0.0.0:9090 --tokens /etc/strata/tokens
              curl -s 'http://127.0.0.1:9090/api/v1/query?query=up'
            """,
        helpNames: [])

    @Argument(parsing: .allUnrecognized, help: "The database directory, then strata-server's options.")
    var arguments: [String] = []

    /// The directory of the running executable (`/proc/self/exe`).
    static func executableDirectory() -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        let path = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return String(path[..<slash])
    }

    func run() throws {
        guard let dir = Self.executableDirectory() else { throw CLIFailure(status: 2, lines: ["strata serve: cannot find my own executable"]) }
        let server = dir + "/strata-server"
        guard access(server, X_OK) == 0 else {
            throw CLIFailure(status: 2, lines: ["strata serve: \(server) is missing (build it with `swift build --product strata-server`)"])
        }
        let args = [server] + arguments
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cargs.append(nil)
        execv(server, cargs)
        throw CLIFailure(status: 2, lines: ["strata serve: cannot run \(server): \(String(cString: strerror(errno)))"])
    }
}
