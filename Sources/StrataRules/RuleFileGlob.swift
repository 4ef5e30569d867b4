#if canImport(Glibc)
import Glibc
#endif

/// Rule file patterns as Prometheus's `rule_files` takes them: a path, or a glob (`*`, `?`,
/// `[...]`) whose matches are read in sorted order. A glob that matches nothing adds no file;
/// a plain path that does not exist is an error (Prometheus ignores it silently).
package enum RuleFileGlob {
    package static func isPattern(_ s: String) -> Bool { s.contains { $0 == "*" || $0 == "?" || $0 == "[" } }

    /// The files the patterns name, each once, in the patterns' order.
    /// - Throws: `RuleFileErrors` for a malformed pattern.
    package static func expand(_ patterns: [String]) throws(RuleFileErrors) -> [String] {
        var out: [String] = []
        var seen: Set<String> = []
        for p in patterns {
            guard isPattern(p) else {
                if seen.insert(p).inserted { out.append(p) }
                continue
            }
            var g = glob_t()
            defer { globfree(&g) }
            let rc = glob(p, 0, nil, &g)
            if rc == GLOB_NOMATCH { continue }
            guard rc == 0 else {
                throw RuleFileErrors([RuleFileError(file: p, line: 1, column: 1, message: "cannot expand the pattern (glob error \(rc))")])
            }
            var matches: [String] = []
            for i in 0..<Int(g.gl_pathc) {
                if let c = g.gl_pathv[i] { matches.append(String(cString: c)) }
            }
            for m in matches.sorted() where seen.insert(m).inserted { out.append(m) }
        }
        return out
    }
}
