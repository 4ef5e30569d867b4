import StrataLabels
/// Where a file's records come from: the stream labels the file itself implies.
public struct LogSource: Sendable, Equatable {
    /// Label `host` (nil: taken from the line when the format names one, else absent).
    public var host: String?
    /// Label `program` (a line's own program, e.g. a syslog tag, takes precedence).
    public var program: String?
    /// Label `file`: the file's base name.
    public var file: String?

    public init(host: String? = nil, program: String? = nil, file: String? = nil) {
        self.host = host
        self.program = program
        self.file = file
    }

    /// The labels a path implies: `file` is the base name; `program` is the base name up to
    /// `.log`, else up to its first dot (`nova-api.log.1` → `nova-api`, `app.jsonl` → `app`,
    /// `messages` → `messages`); `host` is `host` when given,
    /// else the directory holding the file when that directory sits in one named `logs`
    /// (the simulator's `logs/<host>/<program>.log`), else nil.
    public init(path: String, host: String? = nil) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let base = parts.last ?? path
        self.file = base
        let b = Array(base.utf8)
        let dot = (0..<max(0, b.count - 3)).first { b[$0] == 0x2E && b[$0 + 1] == 0x6C && b[$0 + 2] == 0x6F && b[$0 + 3] == 0x67 }
        let firstDot = b.firstIndex(of: 0x2E)
        let cut = dot ?? firstDot
        self.program = cut.map { $0 > 0 ? String(decoding: b[..<$0], as: UTF8.self) : base } ?? base
        if let host {
            self.host = host
        } else if parts.count >= 3, parts[parts.count - 3] == "logs" {
            self.host = parts[parts.count - 2]
        } else {
            self.host = nil
        }
    }
}
