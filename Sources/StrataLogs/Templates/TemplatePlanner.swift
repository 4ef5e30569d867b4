/// What the template dictionary says about one template's rows for a query's line filters.
enum TemplateDecision: UInt8 {
    /// No row of the template can pass.
    case none = 0
    /// Every row of the template passes (the literal is in the template's own text).
    case all = 1
    /// Rows must be rebuilt and checked.
    case verify = 2
}

/// A segment's template dictionary, prepared for planning.
struct TemplateDictionary: Sendable {
    let templates: [[UInt8]]
    /// Tokens: literal bytes (>= 0) and placeholders (`-kind`).
    let tokens: [[Int16]]
    /// Literal runs between placeholders (unescaped), and the same runs folded to lowercase.
    let runs: [[[UInt8]]]
    let foldedRuns: [[[UInt8]]]
    /// Per template, how many number and id placeholders it has.
    let numberSlots: [Int]
    let idSlots: [Int]
    let trigrams: TrigramIndex
    /// Per template, the program that rebuilds its lines.
    let programs: [TemplateProgram]

    init(_ templates: [[UInt8]], trigrams: TrigramIndex) {
        self.templates = templates
        self.trigrams = trigrams
        programs = templates.map(TemplateProgram.init)
        var tk: [[Int16]] = [], rs: [[[UInt8]]] = [], fr: [[[UInt8]]] = [], ns: [Int] = [], ids: [Int] = []
        for t in templates {
            let tokens = LineTemplate.tokens(t)
            tk.append(tokens)
            var runs: [[UInt8]] = [[]]
            var n = 0, d = 0
            for x in tokens {
                if x >= 0 {
                    runs[runs.count - 1].append(UInt8(x))
                } else {
                    if -x == Int16(LineTemplate.number) || -x == Int16(LineTemplate.hexRun) { n += 1 } else { d += 1 }
                    runs.append([])
                }
            }
            runs = runs.filter { !$0.isEmpty }
            rs.append(runs)
            fr.append(runs.map { $0.map(asciiLower) })
            ns.append(n)
            ids.append(d)
        }
        tokens = tk
        runs = rs
        foldedRuns = fr
        numberSlots = ns
        idSlots = ids
    }

    /// The decision for every template under all of `lines` (all must hold).
    func decisions(_ lines: [LineMatcher]) -> [TemplateDecision] {
        var out = [TemplateDecision](repeating: .all, count: templates.count)
        for m in lines {
            let d = decisions(m)
            for t in 0..<out.count {
                switch (out[t], d[t]) {
                case (.none, _), (_, .none): out[t] = .none
                case (.verify, _), (_, .verify): out[t] = .verify
                default: out[t] = .all
                }
            }
        }
        return out
    }

    /// The decision for every template under one filter, negation applied.
    func decisions(_ m: LineMatcher) -> [TemplateDecision] {
        var positive: [TemplateDecision]
        switch m.kind {
        case .literal(let lit): positive = literalDecisions(lit, folded: false)
        case .literalFolded(let lit): positive = literalDecisions(lit, folded: true)
        case .regex(let r):
            positive = [TemplateDecision](repeating: .verify, count: templates.count)
            if let branches = RequiredLiterals.extract(r.pattern) {
                let folded = r.caseInsensitive
                var cache: [[UInt8]: [TemplateDecision]] = [:]
                func lit(_ l: [UInt8]) -> [TemplateDecision] {
                    let key = folded ? l.map(asciiLower) : l
                    if let c = cache[key] { return c }
                    let d = literalDecisions(key, folded: folded)
                    cache[key] = d
                    return d
                }
                for t in 0..<templates.count {
                    var possible = false
                    for branch in branches where branch.allSatisfy({ lit($0)[t] != .none }) {
                        possible = true
                        break
                    }
                    if !possible { positive[t] = .none }
                }
            }
        }
        guard m.negated else { return positive }
        return positive.map { $0 == .all ? .none : $0 == .none ? .all : .verify }
    }

    /// The decision for template `t` alone under all of `lines` (for the few templates of index candidates).
    func decision(_ lines: [LineMatcher], template t: Int) -> TemplateDecision {
        var out = TemplateDecision.all
        for m in lines {
            var d: TemplateDecision
            switch m.kind {
            case .literal(let lit): d = literalDecision(lit, folded: false, template: t)
            case .literalFolded(let lit): d = literalDecision(lit, folded: true, template: t)
            case .regex(let r):
                d = .verify
                if let branches = RequiredLiterals.extract(r.pattern) {
                    let folded = r.caseInsensitive
                    let possible = branches.contains { branch in
                        branch.allSatisfy { l in literalDecision(folded ? l.map(asciiLower) : l, folded: folded, template: t) != .none }
                    }
                    if !possible { d = .none }
                }
            }
            if m.negated { d = d == .all ? .none : d == .none ? .all : .verify }
            if d == .none { return .none }
            if d == .verify { out = .verify }
        }
        return out
    }

    /// The positive decision for a literal on one template.
    func literalDecision(_ lit: [UInt8], folded: Bool, template t: Int) -> TemplateDecision {
        if lit.isEmpty { return .all }
        let rs = folded ? foldedRuns[t] : runs[t]
        let inText = lit.withUnsafeBytes { l in
            rs.contains { r in r.withUnsafeBytes { ByteSearch.contains($0, l) } }
        }
        if inText { return .all }
        return TemplateDictionary.canMatch(lit, tokens[t], folded: folded) ? .verify : .none
    }

    @inline(__always)
    static func isVariableByte(_ c: UInt8) -> Bool {
        (c &- 0x30) < 10 || (c &- 0x61) < 6 || c == 0x2D
    }

    /// Positive decisions for a literal (`folded`: the literal is lowercase and matching ignores ASCII case).
    func literalDecisions(_ lit: [UInt8], folded: Bool) -> [TemplateDecision] {
        if lit.isEmpty { return [TemplateDecision](repeating: .all, count: templates.count) }
        var keys: [UInt32] = []
        if lit.count >= 3 {
            for i in 0...(lit.count - 3)
            where !Self.isVariableByte(lit[i]) && !Self.isVariableByte(lit[i + 1]) && !Self.isVariableByte(lit[i + 2]) {
                keys.append(TrigramIndex.key(lit[i], lit[i + 1], lit[i + 2]))
            }
        }
        var out = [TemplateDecision](repeating: .none, count: templates.count)
        let candidates = trigrams.templates(containingAll: keys)
        func decide(_ t: Int) { out[t] = literalDecision(lit, folded: folded, template: t) }
        if let candidates {
            for t in candidates { decide(Int(t)) }
        } else {
            for t in 0..<templates.count { decide(t) }
        }
        return out
    }

    /// Whether `lit` can occur in some line of template `tokens`, each placeholder standing for one
    /// or more bytes of its class (a superset of what it really holds).
    static func canMatch(_ lit: [UInt8], _ tokens: [Int16], folded: Bool) -> Bool {
        let n = tokens.count
        if n == 0 { return false }
        var cur = [Bool](repeating: true, count: n + 1)
        cur[n] = false
        var next = [Bool](repeating: false, count: n + 1)
        for c in lit {
            var alive = false
            for p in 0..<n where cur[p] {
                let t = tokens[p]
                if t >= 0 {
                    let b = folded ? asciiLower(UInt8(t)) : UInt8(t)
                    if b == c { next[p + 1] = true; alive = true }
                } else if inClass(-t, c) {
                    next[p] = true
                    next[p + 1] = true
                    alive = true
                }
            }
            if !alive { return false }
            swap(&cur, &next)
            for i in 0...n { next[i] = false }
        }
        return true
    }

    @inline(__always)
    static func inClass(_ kind: Int16, _ c: UInt8) -> Bool {
        let digit = (c &- 0x30) < 10
        switch UInt8(kind) {
        case LineTemplate.number: return digit
        case LineTemplate.hex32, LineTemplate.hexRun: return digit || (c &- 0x61) < 6
        default: return digit || (c &- 0x61) < 6 || c == 0x2D
        }
    }
}

/// The literals a regular expression needs: an OR of branches, each an AND of literals
/// (codesearch's idea, kept to top-level alternation and plain runs of characters).
enum RequiredLiterals {
    /// nil when some branch needs no literal (no pruning possible).
    static func extract(_ pattern: String) -> [[[UInt8]]]? {
        var p = Array(pattern.utf8)
        if p.starts(with: Array("(?i)".utf8)) { p.removeFirst(4) }
        var branches: [[[UInt8]]] = []
        var runs: [[UInt8]] = []
        var run: [UInt8] = []
        func endRun() {
            if !run.isEmpty { runs.append(run) }
            run = []
        }
        func endBranch() -> Bool {
            endRun()
            if runs.isEmpty { return false }
            branches.append(runs)
            runs = []
            return true
        }
        func optionalFollows(_ j: Int) -> Bool {
            guard j < p.count else { return false }
            let q = p[j]
            return q == UInt8(ascii: "?") || q == UInt8(ascii: "*") || q == UInt8(ascii: "{")
        }
        let meta = Set("()[]{}*+?.^$|\\".utf8)
        var i = 0
        while i < p.count {
            let c = p[i]
            switch c {
            case UInt8(ascii: "|"):
                if !endBranch() { return nil }
                i += 1
            case UInt8(ascii: "("):
                endRun()
                var depth = 0
                var inBracket = false
                while i < p.count {
                    let d = p[i]
                    if d == UInt8(ascii: "\\") { i += 2; continue }
                    if inBracket {
                        if d == UInt8(ascii: "]") { inBracket = false }
                    } else if d == UInt8(ascii: "[") {
                        inBracket = true
                    } else if d == UInt8(ascii: "(") {
                        depth += 1
                    } else if d == UInt8(ascii: ")") {
                        depth -= 1
                        if depth == 0 { break }
                    }
                    i += 1
                }
                i += 1
            case UInt8(ascii: "["):
                endRun()
                i += 1
                if i < p.count && p[i] == UInt8(ascii: "^") { i += 1 }
                if i < p.count && p[i] == UInt8(ascii: "]") { i += 1 }
                while i < p.count && p[i] != UInt8(ascii: "]") { i += 1 }
                i += 1
            case UInt8(ascii: "\\"):
                guard i + 1 < p.count else { return nil }
                let e = p[i + 1]
                let isLetterOrDigit = LineTemplate.isAlnum(e)
                if isLetterOrDigit {
                    endRun()  // \d, \w, \b ...
                } else if optionalFollows(i + 2) {
                    endRun()
                } else {
                    run.append(e)
                    if i + 2 < p.count && p[i + 2] == UInt8(ascii: "+") { endRun() }
                }
                i += 2
            case _ where meta.contains(c):
                endRun()
                i += 1
            default:
                if optionalFollows(i + 1) {
                    endRun()
                } else {
                    run.append(c)
                    if i + 1 < p.count && p[i + 1] == UInt8(ascii: "+") { endRun() }
                }
                i += 1
            }
        }
        if !endBranch() { return nil }
        return branches
    }
}
