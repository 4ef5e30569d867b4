
extension LogSegmentReader {
    /// What a query needs from this segment, worked out once from the dictionary and indexes.
    final class Plan {
        let streamOK: [Bool]
        /// Per template: a decision, or nil until first needed (when index candidates are few).
        var decisions: [TemplateDecision?]
        /// Rows the field and line-id indexes allow (sorted); nil when no index applies.
        let candidates: [UInt32]?
        let lines: [LineMatcher]
        let dictionary: TemplateDictionary
        /// The segment's blocks (decoded for the plan: a segment no plan reaches never decodes them).
        let blocks: [Block]

        init(
            streamOK: [Bool], decisions: [TemplateDecision?], candidates: [UInt32]?, lines: [LineMatcher],
            dictionary: TemplateDictionary, blocks: [Block]
        ) {
            self.streamOK = streamOK
            self.decisions = decisions
            self.candidates = candidates
            self.lines = lines
            self.dictionary = dictionary
            self.blocks = blocks
        }

        /// Per template, the slot check (computed on first use; `.some(nil)` = rebuild lines instead).
        var slotChecks: [UInt32: SlotCheck?] = [:]

        func slotCheck(_ t: UInt32) -> SlotCheck? {
            if let c = slotChecks[t] { return c }
            let c = dictionary.slotCheck(lines, template: Int(t))
            slotChecks[t] = .some(c)
            return c
        }

        func decision(_ t: UInt32) -> TemplateDecision {
            if let d = decisions[Int(t)] { return d }
            let d = dictionary.decision(lines, template: Int(t))
            decisions[Int(t)] = d
            return d
        }
    }

    /// The plan, or nil when the segment cannot hold a match.
    func plan(_ q: CompiledLogQuery, _ stats: inout LogSearchStats) throws(LogStoreError) -> Plan? {
        stats.segmentsConsidered += 1
        guard rowCount > 0, maxTime >= q.start, minTime < q.end else {
            stats.segmentsSkipped += 1
            return nil
        }
        let streamOK = streams.map { q.streamMatches($0) }
        guard streamOK.contains(true) else {
            stats.segmentsSkipped += 1
            return nil
        }
        var candidates: [UInt32]? = nil
        func narrow(_ rows: [UInt32]) {
            if let c = candidates { candidates = LogSegmentReader.intersect(c, rows) } else { candidates = rows }
        }
        let labelNames = Set(streams.flatMap { $0.labels.map(\.name) })
        for p in q.fields {
            guard let v = p.exactValue, !labelNames.contains(p.filter.name) else { continue }
            var rows = try self.rows(forKey: KeyHash.field(p.filter.name, v))
            for id in LogSegmentReader.uuids(in: Array(v.utf8)) {
                let key = id.withUnsafeBytes { KeyHash.lineID(LineTemplate.uuid, $0) }
                rows = LogSegmentReader.union(rows, try self.rows(forKey: key))
            }
            narrow(rows)
        }
        for m in q.lines where !m.negated {
            guard case .literal(let lit) = m.kind else { continue }
            for id in LogSegmentReader.uuids(in: lit) {
                let key = id.withUnsafeBytes { KeyHash.lineID(LineTemplate.uuid, $0) }
                narrow(try self.rows(forKey: key))
            }
        }
        if let c = candidates, c.isEmpty {
            stats.segmentsSkipped += 1
            return nil
        }
        let dictionary = try self.dictionary()
        if candidates != nil {
            return Plan(streamOK: streamOK, decisions: [TemplateDecision?](repeating: nil, count: dictionary.templates.count),
                        candidates: candidates, lines: q.lines, dictionary: dictionary, blocks: try blocks())
        }
        let decisions = dictionary.decisions(q.lines)
        guard decisions.contains(where: { $0 != .none }) else {
            stats.segmentsSkipped += 1
            return nil
        }
        return Plan(streamOK: streamOK, decisions: decisions, candidates: nil, lines: q.lines, dictionary: dictionary, blocks: try blocks())
    }

    /// The 16-byte forms of every lowercase UUID in `bytes`.
    static func uuids(in bytes: [UInt8]) -> [[UInt8]] {
        guard bytes.count >= 36 else { return [] }
        var out: [[UInt8]] = []
        bytes.withUnsafeBytes { p in
            var i = 0
            while i + 36 <= p.count {
                if LineTemplate.isUUID(p, i) {
                    var id: [UInt8] = []
                    LineTemplate.appendBinary(p, i, uuid: true, to: &id)
                    out.append(id)
                    i += 36
                } else {
                    i += 1
                }
            }
        }
        return out
    }

    static func intersect(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        var out: [UInt32] = []
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] < b[j] { i += 1 } else if a[i] > b[j] { j += 1 } else { out.append(a[i]); i += 1; j += 1 }
        }
        return out
    }

    static func union(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        return Array(Set(a).union(b)).sorted()
    }

    /// Calls `visit` for every matching row.
    func scan(_ q: CompiledLogQuery, stats: inout LogSearchStats, _ visit: (Match) -> Void) throws {
        guard let plan = try plan(q, &stats) else { return }
        var failure: LogStoreError? = nil
        try forEachMatch(q, plan, &stats) { cursor, i in
            // Index candidates are few: build their records now, while their block is decoded.
            var record: LogRecord? = nil
            if cursor.singleRows && failure == nil {
                var s = LogSearchStats()
                do throws(LogStoreError) { record = try cursor.record(i, &s) } catch { failure = error }
            }
            visit(
                Match(
                    id: LogRecordID(segment: number, row: UInt32(cursor.block.rowStart + i)),
                    timestamp: cursor.timestamps[i], stream: streams[Int(cursor.streamIDs[i])], record: record,
                    order: order, reader: self))
        }
        if let failure { throw failure }
    }

    /// The number of matching rows; whole groups decided by the dictionary are counted without reading rows.
    func count(_ q: CompiledLogQuery, stats: inout LogSearchStats) throws -> Int {
        guard let plan = try plan(q, &stats) else { return 0 }
        if plan.candidates != nil || !q.fields.isEmpty {
            var n = 0
            try forEachMatch(q, plan, &stats) { _, _ in n += 1 }
            return n
        }
        var n = 0
        let blocks = plan.blocks
        for b in blocks.indices {
            let block = blocks[b]
            stats.blocksConsidered += 1
            guard block.maxTime >= q.start, block.minTime < q.end, block.streams.contains(where: { plan.streamOK[Int($0)] }),
                block.groups.contains(where: { plan.decision($0.tid) != .none })
            else {
                stats.blocksSkipped += 1
                continue
            }
            let whole = block.minTime >= q.start && block.maxTime < q.end && block.streams.allSatisfy { plan.streamOK[Int($0)] }
            guard whole else {
                n += try countRows(q, plan, b, &stats)
                continue
            }
            let cursor = LogBlockCursor(self, b, block)
            for (g, group) in block.groups.enumerated() {
                switch plan.decision(group.tid) {
                case .none: continue
                case .all:
                    n += group.rows
                    stats.rowsDecidedByIndex += group.rows
                case .verify:
                    if let check = plan.slotCheck(group.tid) {
                        var columns: [Int: [UInt8]] = [:]
                        for s in check.slots { columns[s] = try frame(group.numbersAt[s], &stats) }
                        guard let c = check.count(rows: group.rows, columns: columns) else {
                            throw LogStoreError.corrupt(path: path, offset: group.numbersAt[check.slots.first ?? 0], detail: "numbers of template \(group.tid) do not fit its \(group.rows) rows")
                        }
                        n += c
                        stats.rowsVerified += group.rows
                        continue
                    }
                    let l = try cursor.lines(ofGroup: g, &stats)
                    stats.rowsVerified += group.rows
                    l.bytes.withUnsafeBytes { p in
                        for k in 0..<group.rows where q.linePasses(UnsafeRawBufferPointer(rebasing: p[l.starts[k]..<l.starts[k + 1]])) {
                            n += 1
                        }
                    }
                }
            }
        }
        return n
    }

    private func countRows(_ q: CompiledLogQuery, _ plan: Plan, _ b: Int, _ stats: inout LogSearchStats) throws -> Int {
        var n = 0
        let cursor = LogBlockCursor(self, b, plan.blocks[b])
        try matchRows(q, plan, cursor, 0..<plan.blocks[b].rowCount, &stats) { _, _ in n += 1 }
        return n
    }

    /// Runs `body` on every matching row (a cursor and the row within its block).
    func forEachMatch(_ q: CompiledLogQuery, _ plan: Plan, _ stats: inout LogSearchStats, _ body: (LogBlockCursor, Int) -> Void) throws {
        let blocks = plan.blocks
        if let candidates = plan.candidates {
            var considered = 0
            var i = 0
            while i < candidates.count {
                guard let b = LogSegmentReader.blockIndex(of: Int(candidates[i]), in: blocks) else { break }
                let block = blocks[b]
                var rows: [Int] = []
                while i < candidates.count && Int(candidates[i]) < block.rowStart + block.rowCount {
                    rows.append(Int(candidates[i]) - block.rowStart)
                    i += 1
                }
                considered += 1
                guard block.maxTime >= q.start, block.minTime < q.end else { continue }
                let cursor = LogBlockCursor(self, b, block)
                cursor.singleRows = rows.count < 64
                try matchRows(q, plan, cursor, rows, &stats, body)
            }
            stats.blocksConsidered += blocks.count
            stats.blocksSkipped += blocks.count - considered
            return
        }
        for b in blocks.indices {
            let block = blocks[b]
            stats.blocksConsidered += 1
            guard block.maxTime >= q.start, block.minTime < q.end, block.streams.contains(where: { plan.streamOK[Int($0)] }),
                block.groups.contains(where: { plan.decision($0.tid) != .none })
            else {
                stats.blocksSkipped += 1
                continue
            }
            try matchRows(q, plan, LogBlockCursor(self, b, block), 0..<block.rowCount, &stats, body)
        }
    }

    /// Checks `rows` of one block: time, stream, template decision, line filters, field filters.
    func matchRows<S: Sequence<Int>>(
        _ q: CompiledLogQuery, _ plan: Plan, _ cursor: LogBlockCursor, _ rows: S, _ stats: inout LogSearchStats,
        _ body: (LogBlockCursor, Int) -> Void
    ) throws {
        let block = cursor.block
        try cursor.loadTimestamps(&stats)
        try cursor.loadStreams(&stats)
        try cursor.loadTemplates(&stats)
        let needFields = !q.fields.isEmpty
        if needFields { try cursor.loadFields(&stats) }
        for i in rows {
            guard i < block.rowCount else { continue }
            let t = cursor.timestamps[i]
            guard t >= q.start, t < q.end, plan.streamOK[Int(cursor.streamIDs[i])] else { continue }
            let d = plan.decision(cursor.templateIDs[i])
            if d == .none { continue }
            if d == .verify {
                stats.rowsVerified += 1
                guard try cursor.withLine(i, &stats, { q.linePasses($0) }) else { continue }
            } else {
                stats.rowsDecidedByIndex += 1
            }
            if needFields {
                let fields = try cursor.fields(i, &stats)
                guard q.fieldsPass(fields, stream: streams[Int(cursor.streamIDs[i])]) else { continue }
            }
            body(cursor, i)
        }
    }
}
