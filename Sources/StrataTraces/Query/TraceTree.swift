/// A trace as a tree: children under their parents, ordered by start.
///
/// Top-level spans (parent_id == base_id) are roots. A span whose parent is not in the
/// trace is an orphan: it is a root too, marked `isOrphan`, never hidden. A parent cycle
/// (bad input) cannot loop: each span appears once.
public struct TraceTree: Sendable {
    /// One span and the spans it called.
    public struct Node: Sendable {
        public var span: Span
        public var children: [Node]
        /// The span's parent is neither the base nor a span of this trace.
        public var isOrphan: Bool
        /// Microseconds from the trace's start to this span's start.
        public var offset: Int64
    }

    public var baseID: TraceID
    public var roots: [Node]
    /// Earliest start and latest end, µs.
    public var start: Int64
    public var end: Int64
    public var spanCount: Int

    /// Builds the tree of `spans` (one trace).
    public init(baseID: TraceID, spans: [Span]) {
        self.baseID = baseID
        spanCount = spans.count
        start = spans.map(\.start).min() ?? 0
        end = spans.map(\.end).max() ?? 0
        let sorted = spans.sorted { $0.start != $1.start ? $0.start < $1.start : $0.traceID < $1.traceID }
        var byID: [TraceID: Int] = [:]
        for (i, s) in sorted.enumerated() where byID[s.traceID] == nil { byID[s.traceID] = i }
        var children: [[Int]] = Array(repeating: [], count: sorted.count)
        var rootIndices: [(Int, Bool)] = []
        for (i, s) in sorted.enumerated() {
            if s.parentID == baseID || s.parentID == s.traceID {
                rootIndices.append((i, s.parentID != baseID))
            } else if let p = byID[s.parentID], p != i {
                children[p].append(i)
            } else {
                rootIndices.append((i, true))
            }
        }
        var visited = [Bool](repeating: false, count: sorted.count)
        let start = self.start
        func build(_ i: Int) -> Node {
            visited[i] = true
            var kids: [Node] = []
            for c in children[i] where !visited[c] { kids.append(build(c)) }
            return Node(span: sorted[i], children: kids, isOrphan: false, offset: sorted[i].start - start)
        }
        var roots: [Node] = []
        for (i, orphan) in rootIndices where !visited[i] {
            var n = build(i)
            n.isOrphan = orphan
            roots.append(n)
        }
        // Spans only reachable through a cycle: shown as orphans.
        for i in 0..<sorted.count where !visited[i] {
            var n = build(i)
            n.isOrphan = true
            roots.append(n)
        }
        self.roots = roots.sorted { $0.span.start < $1.span.start }
    }

    /// Nodes depth-first (parents before children) with their depth.
    public func flattened() -> [(depth: Int, node: Node)] {
        var out: [(Int, Node)] = []
        func walk(_ n: Node, _ d: Int) {
            out.append((d, n))
            for c in n.children { walk(c, d + 1) }
        }
        for r in roots { walk(r, 0) }
        return out
    }

    /// The critical path: the chain of spans that determined the trace's duration.
    ///
    /// From the end of the trace backwards, the path follows the span that finished last
    /// before the current point, descends into it the same way, then continues from that
    /// span's start. Returns spans in time order with the part of each on the path.
    public func criticalPath() -> [CriticalPathStep] {
        var steps: [CriticalPathStep] = []
        func walk(_ nodes: [Node], from lower: Int64, to upper: Int64) {
            var cursor = upper
            let byEnd = nodes.sorted { $0.span.end > $1.span.end }
            for n in byEnd {
                guard cursor > lower else { break }
                let s = n.span
                guard s.start < cursor else { continue }
                let stepEnd = min(s.end, cursor)
                let stepStart = max(s.start, lower)
                let before = steps.count
                walk(n.children, from: stepStart, to: stepEnd)
                // Self time of `n`: what its children on the path did not cover.
                steps.insert(CriticalPathStep(span: s, start: stepStart, end: stepEnd), at: before)
                cursor = stepStart
            }
        }
        walk(roots, from: start, to: end)
        return steps.sorted { $0.start != $1.start ? $0.start < $1.start : $0.end > $1.end }
    }
}

/// One span on a trace's critical path and the interval of it that is on the path.
public struct CriticalPathStep: Sendable, Equatable {
    public var span: Span
    public var start: Int64
    public var end: Int64
}
