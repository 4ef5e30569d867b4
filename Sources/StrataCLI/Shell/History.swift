#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The shell's history, kept across sessions in a file: one entry per line, oldest first
/// (`$STRATA_HISTORY`, else `~/.strata_history`). Each entry is appended as it is entered, so
/// concurrent sessions and crashes keep what was typed; the file is cut back to `limit` entries
/// when a session starts with more than twice that many.
final class History {
    private(set) var entries: [String] = []
    let path: String?
    let limit: Int

    init(path: String?, limit: Int = 1000) {
        self.path = path
        self.limit = limit
        load()
    }

    /// `$STRATA_HISTORY` when set and non-empty, else `$HOME/.strata_history`, else none.
    static func defaultPath() -> String? {
        if let p = getenv("STRATA_HISTORY").map({ String(cString: $0) }), !p.isEmpty { return p }
        if let h = getenv("HOME").map({ String(cString: $0) }), !h.isEmpty { return h + "/.strata_history" }
        return nil
    }

    /// Records an entry (newlines become spaces); skips blanks and a repeat of the last entry.
    func add(_ entry: String) {
        let line = entry.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).joined(separator: " ").trimmingWhitespace()
        guard !line.isEmpty, line != entries.last else { return }
        entries.append(line)
        if entries.count > limit { entries.removeFirst(entries.count - limit) }
        guard let path else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var bytes = line + "\n"
        bytes.withUTF8 { u in _ = write(fd, u.baseAddress, u.count) }
    }

    private func load() {
        guard let path, let f = fopen(path, "r") else { return }
        var all: [String] = []
        var line: UnsafeMutablePointer<CChar>?
        var cap = 0
        while getline(&line, &cap, f) > 0, let l = line {
            let s = String(cString: l).trimmingWhitespace()
            if !s.isEmpty { all.append(s) }
        }
        free(line)
        fclose(f)
        entries = Array(all.suffix(limit))
        if all.count > 2 * limit { rewrite() }
    }

    /// Replaces the file with the kept entries (write a temporary file, then rename over).
    private func rewrite() {
        guard let path else { return }
        let tmp = path + ".tmp.\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        var text = entries.joined(separator: "\n") + "\n"
        let ok = text.withUTF8 { u in write(fd, u.baseAddress, u.count) == u.count }
        close(fd)
        if ok { rename(tmp, path) } else { unlink(tmp) }
    }
}
