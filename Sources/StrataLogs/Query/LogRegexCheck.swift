/// Checks a line-filter regular expression the way the log store will compile it (POSIX
/// extended syntax with the RE2 spellings `LineFilter` documents), so a query front end can
/// reject a bad one with its position before anything runs.
public enum LogRegexCheck {
    /// nil when `pattern` compiles, else the reason (e.g. "Unmatched ( or \\(").
    public static func problem(_ pattern: String, caseInsensitive: Bool = false) -> String? {
        do {
            _ = try PosixRegex(pattern, caseInsensitive: caseInsensitive)
            return nil
        } catch {
            if case .invalidRegex(_, let reason) = error { return reason }
            return error.description
        }
    }
}
