import StrataLabels
import StrataMetrics
import StrataStorage
import StrataTestSupport
import Testing

@testable import StrataTraces

@Suite struct TraceStoreTests {
    func events(_ spans: [Span]) -> [SpanEvent] {
        var out: [SpanEvent] = []
        for s in spans {
            var start = s
            start.duration = 0
            start.status = .incomplete
            start.info.errorType = ""
            start.info.errorMessage = ""
            var stop = s
            stop.start = s.start + s.duration
            stop.duration = 0
            stop.status = .missingStart
            stop.info = SpanInfo()
            stop.info.errorType = s.info.errorType
            stop.info.errorMessage = s.info.errorMessage
            out.append(SpanEvent(kind: .start, span: start))
            out.append(SpanEvent(kind: .stop, span: stop))
        }
        return out
    }

    @Test func walReplayFlushAndReopenKeepEveryTrace() throws {
        let dir = TemporaryDirectory()
        var options = TraceStoreOptions()
        options.durability = .buffered
        let a = TraceFixture.spans(trace: 1, spans: 5)
        let b = TraceFixture.spans(trace: 2, spans: 4, error: true)
        do {
            let store = try TraceStore(directory: dir.path, options: options)
            try store.append(events: events(a))
            // Only the starts of b: its spans stay open across the flush.
            try store.append(events: events(b).filter { $0.kind == .start })
            #expect(try store.flush() == 5)
        }
        do {
            let store = try TraceStore(directory: dir.path, options: options)
            #expect(try store.trace(a[0].baseID).count == 5)
            #expect(try store.trace(b[0].baseID).allSatisfy { $0.status == .incomplete })
            try store.append(events: events(b).filter { $0.kind == .stop })  // the stops, after a reopen
        }
        let store = try TraceStore(directory: dir.path, options: options)
        let got = try store.trace(b[0].baseID)
        #expect(got.count == 4 && got.allSatisfy { $0.status.isDisjoint(with: SpanStatus.flagged) })
        #expect(got.filter(\.isError).count == 1)
        try store.flush()
        let stats = try store.stats()
        #expect(stats.spans == 9 && stats.segments == 2 && stats.pendingEvents == 0)
        #expect(store.verify().isEmpty)
    }

    @Test func searchFindsSlowAndFailingTracesThroughPostings() throws {
        let dir = TemporaryDirectory()
        var options = TraceStoreOptions()
        options.durability = .none
        options.blockSpans = 16
        let store = try TraceStore(directory: dir.path, options: options)
        var all: [Span] = []
        for t in 0..<120 {
            all += TraceFixture.spans(trace: UInt64(t), spans: t % 10 == 0 ? 9 : 3, start: 1_000_000_000 + Int64(t) * 60_000_000, error: t % 30 == 0)
        }
        try store.append(spans: all)
        try store.flush()
        // Traces start from 1,000 s to 8,140 s: one segment per hour window of trace starts.
        #expect(store.segments.entries.count == 3)
        #expect(store.segments.entries.map(\.recordCount).reduce(0, +) == UInt64(all.count))
        // glance wsgi spans last spans * 300 ms: only the 9-span traces pass 2 s.
        var q = TraceSearch(service: "glance", minDuration: 2_000_000, limit: 0)
        let slow = try store.search(q)
        #expect(slow.count == 12)
        #expect(slow.allSatisfy { $0.spanCount == 9 && $0.services == ["glance", "keystone"] })
        #expect(slow.first!.start > slow.last!.start)  // newest first
        q.error = true
        #expect(try store.search(q).count == 4)
        q = TraceSearch(service: "api", name: "wsgi", error: true, start: 1_000_000_000, end: 1_000_000_000 + 3_600_000_000, limit: 0)
        #expect(try store.search(q).count == 2)  // traces 0 and 30 in the first hour
        q = TraceSearch(host: "nowhere")
        #expect(try store.search(q).isEmpty)
        let r = try store.reader(for: store.segments.entries[0].name)
        let pruned = try store.candidateBlocks(r, TraceSearch(service: "glance", minDuration: 2_000_000))
        #expect(try pruned.count < r.blocks.count)
        // The same answers come from a plain scan of every span.
        let brute = Set(all.filter { TraceSearch(service: "glance", minDuration: 2_000_000).matches($0) }.map(\.baseID))
        #expect(Set(slow.map(\.baseID)) == brute)
        // Regex and negated matchers, from segments and from the head, agree with the scan.
        var more: [Span] = []
        for t in 120..<130 {
            for var s in TraceFixture.spans(trace: UInt64(t), spans: 3, start: 1_000_000_000 + Int64(t) * 60_000_000, error: t % 2 == 0) {
                s.host = "compute-\(t % 3)"
                more.append(s)
            }
        }
        try store.append(spans: more)
        let everything = all + more
        let hosts = Set(everything.map(\.host)).sorted()
        #expect(hosts.count > 1)
        var cases: [TraceSearch] = []
        for m in [
            try LabelMatcher(.regex, "host", hosts[0] + "|" + hosts[1]), try LabelMatcher(.notEqual, "name", "wsgi"),
            try LabelMatcher(.notRegex, "service", "glance|keystone"), try LabelMatcher(.regex, "service", "gl.*"),
            try LabelMatcher(.regex, "name", "nothing.*"), try LabelMatcher(.notRegex, "project", ""),
            try LabelMatcher(.regex, "host", "compute-.*"), try LabelMatcher(.notEqual, "host", "wally113"),
        ] {
            var c = TraceSearch(limit: 0)
            c.matchers = [m]
            cases.append(c)
            c.error = true
            cases.append(c)
        }
        // In the head, then in segments.
        for round in 0..<2 {
            if round == 1 { try store.flush() }
            for c in cases {
                let want = Set(everything.filter { c.matches($0) }.map(\.baseID))
                let got = try store.search(c)
                #expect(Set(got.map(\.baseID)) == want, "\(c.matchers), round \(round)")
                #expect(got.count == want.count)
            }
        }
        // A regex prunes blocks through the postings as an equality does.
        var glance = TraceSearch(minDuration: 2_000_000, limit: 0)
        glance.matchers = [try LabelMatcher(.regex, "service", "gl.*")]
        #expect(try store.candidateBlocks(r, glance) == store.candidateBlocks(r, TraceSearch(service: "glance", minDuration: 2_000_000)))
        #expect(try store.candidateBlocks(r, glance).count < r.blocks.count)
        let viaRegex = Set(try store.search(glance).map(\.baseID))
        #expect(viaRegex == Set(try store.search(TraceSearch(service: "glance", minDuration: 2_000_000, limit: 0)).map(\.baseID)))
        #expect(viaRegex.count == 12)
    }

    @Test func treeOrphansAndCriticalPath() {
        var spans = TraceFixture.spans(trace: 5, spans: 4)
        let orphan = Span(
            baseID: spans[0].baseID, traceID: TraceFixture.id(77, 3), parentID: TraceFixture.id(78, 3), name: "rpc",
            start: spans[0].start + 10, duration: 5)
        spans.append(orphan)
        let tree = TraceTree(baseID: spans[0].baseID, spans: spans)
        #expect(tree.roots.count == 3)
        #expect(tree.roots.filter(\.isOrphan).map(\.span.traceID) == [orphan.traceID])
        let glance = tree.roots.first { $0.span.project == "glance" }
        #expect(glance?.children.count == 2)
        let path = tree.criticalPath()
        // The glance request ends last; inside it both db calls (sequential, the later one first
        // from the end backwards); before it the keystone call. The orphan overlaps keystone: off the path.
        #expect(path.map(\.span.name) == ["wsgi", "wsgi", "db", "db"])
        #expect(!path.contains { $0.span.traceID == orphan.traceID })
        #expect(path[2].start < path[3].start && path[1].start < path[2].start)
        #expect(path.first?.span.project == "keystone")
    }

    @Test func statisticsPerServiceAndBucket() {
        var spans: [Span] = []
        for t in 0..<100 { spans += TraceFixture.spans(trace: UInt64(t), spans: 3, start: Int64(t) * 1_000_000, error: t % 10 == 0) }
        let stats = SpanStatistics(spans: spans, start: 0, end: 100_000_000, step: 50_000_000)
        let key = SpanStatistics.Key(project: "glance", service: "api", name: "wsgi")
        let rows = stats.rows[key]!
        #expect(rows.count == 2 && rows[0]?.count == 50 && rows[0]?.errors == 5)
        #expect(rows[0]?.p99 == 900_000)
        #expect(SpanStatistics.quantile([1, 2, 3, 4], 0.5) == 2)
    }
}
