/// A condition on the value of one number placeholder of a template.
struct SlotCondition: Sendable, Equatable {
    enum Kind: Sendable { case equal, prefix, suffix, contains }
    let slot: Int
    let kind: Kind
    let value: [UInt8]

    func holds(_ v: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = value.count
        guard v.count >= n else { return false }
        switch kind {
        case .equal: return v.count == n && v.elementsEqual(value)
        case .prefix: return UnsafeBufferPointer(rebasing: v[0..<n]).elementsEqual(value)
        case .suffix: return UnsafeBufferPointer(rebasing: v[(v.count - n)...]).elementsEqual(value)
        case .contains:
            return value.withUnsafeBytes { needle in ByteSearch.contains(UnsafeRawBufferPointer(v), needle) }
        }
    }
}

/// How to check one template's rows against literal filters by reading only number columns.
struct SlotCheck: Sendable {
    /// Per filter that the template leaves undecided: negated or not, and the ways the literal can
    /// occur (each a conjunction of slot conditions; the literal occurs iff one of them holds).
    let filters: [(negated: Bool, alignments: [[SlotCondition]])]
    /// The slots any condition reads.
    let slots: [Int]

    /// Counts the rows of a group that pass, reading only the number columns in `slots`; nil when a column is malformed.
    func count(rows: Int, columns: [Int: [UInt8]]) -> Int? {
        var cols: [[UInt8]] = []
        for s in slots {
            guard let c = columns[s] else { return nil }
            cols.append(c)
        }
        // Conditions rewritten to positions in `cols`.
        let position = Dictionary(uniqueKeysWithValues: slots.enumerated().map { ($1, $0) })
        var cursor = [Int](repeating: 0, count: cols.count)
        var values = [Range<Int>](repeating: 0..<0, count: cols.count)
        var n = 0
        for _ in 0..<rows {
            for (k, col) in cols.enumerated() {
                var at = cursor[k]
                var len = 0, shift = 0
                while true {
                    guard at < col.count, shift < 28 else { return nil }
                    let c = col[at]
                    at += 1
                    len |= Int(c & 0x7F) << shift
                    if c < 0x80 { break }
                    shift += 7
                }
                guard len <= col.count - at else { return nil }
                values[k] = at..<(at + len)
                cursor[k] = at + len
            }
            var pass = true
            for f in filters {
                let found = f.alignments.contains { conds in
                    conds.allSatisfy { c in
                        let k = position[c.slot]!
                        return cols[k].withUnsafeBufferPointer { c.holds(UnsafeBufferPointer(rebasing: $0[values[k]])) }
                    }
                }
                if found == f.negated {
                    pass = false
                    break
                }
            }
            if pass { n += 1 }
        }
        for (k, col) in cols.enumerated() where cursor[k] != col.count { return nil }
        return n
    }
}

extension TemplateDictionary {
    /// The slot check of template `t` under `lines`, or nil when some undecided filter is a regex or
    /// its literal can touch an id placeholder (then lines are rebuilt instead).
    func slotCheck(_ lines: [LineMatcher], template t: Int) -> SlotCheck? {
        var filters: [(Bool, [[SlotCondition]])] = []
        var slots = Set<Int>()
        for m in lines {
            let d = decision([m], template: t)
            if d == .all { continue }
            if d == .none { return SlotCheck(filters: [(false, [])], slots: []) }  // nothing passes
            let lit: [UInt8], folded: Bool
            switch m.kind {
            case .literal(let l): (lit, folded) = (l, false)
            case .literalFolded(let l): (lit, folded) = (l, true)
            case .regex: return nil
            }
            guard let a = alignments(lit, folded: folded, template: t) else { return nil }
            for conds in a { for c in conds { slots.insert(c.slot) } }
            filters.append((m.negated, a))
        }
        return SlotCheck(filters: filters, slots: slots.sorted())
    }

    /// Every way `lit` can occur in a line of template `t`, as conditions on its number slots; nil
    /// when a way involves an id placeholder, or there are more than 64 ways.
    func alignments(_ lit: [UInt8], folded: Bool, template t: Int) -> [[SlotCondition]]? {
        let tokens = self.tokens[t]
        let n = tokens.count
        guard !lit.isEmpty else { return [[]] }
        var slotOf = [Int](repeating: -1, count: n)
        var k = 0
        for (p, tok) in tokens.enumerated() where tok == -Int16(LineTemplate.number) || tok == -Int16(LineTemplate.hexRun) {
            slotOf[p] = k
            k += 1
        }
        var results: [[SlotCondition]] = []
        var complex = false
        func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
        func walk(_ p: Int, _ i: Int, _ conds: [SlotCondition], inside: Bool) {
            if complex || p >= n { return }
            let tok = tokens[p]
            if tok >= 0 {
                let b = folded ? asciiLower(UInt8(tok)) : UInt8(tok)
                guard b == lit[i] else { return }
                if i + 1 == lit.count {
                    results.append(conds)
                } else {
                    walk(p + 1, i + 1, conds, inside: false)
                }
            } else if tok == -Int16(LineTemplate.number) {
                var j = 0
                while i + j < lit.count && isDigit(lit[i + j]) {
                    j += 1
                    let part = Array(lit[i..<(i + j)])
                    if i + j == lit.count {
                        results.append(conds + [SlotCondition(slot: slotOf[p], kind: inside ? .contains : .prefix, value: part)])
                    } else {
                        walk(p + 1, i + j, conds + [SlotCondition(slot: slotOf[p], kind: inside ? .suffix : .equal, value: part)], inside: false)
                    }
                }
            } else if TemplateDictionary.inClass(-tok, lit[i]) {
                complex = true
            }
            if results.count > 64 { complex = true }
        }
        for p in 0..<n {
            walk(p, 0, [], inside: tokens[p] < 0)
            if complex { return nil }
        }
        return results
    }
}
