import StrataLabels

/// A `LogQuery` with its filters compiled, and the record-at-a-time test every source shares.
struct CompiledLogQuery: Sendable {
    let query: LogQuery
    let lines: [LineMatcher]
    let fields: [FieldPredicate]

    init(_ q: LogQuery) throws(LogStoreError) {
        query = q
        var ls: [LineMatcher] = []
        for f in q.lineFilters { ls.append(try LineMatcher(f)) }
        lines = ls
        var fs: [FieldPredicate] = []
        for f in q.fieldFilters { fs.append(try FieldPredicate(f)) }
        fields = fs
    }

    var start: Int64 { query.start }
    var end: Int64 { query.end }

    /// True when the stream's labels satisfy every stream matcher (absent labels are empty).
    func streamMatches(_ labels: Labels) -> Bool {
        for m in query.streams where !m.matches(labels[m.name] ?? "") { return false }
        return true
    }

    func inTime(_ t: Int64) -> Bool { t >= query.start && t < query.end }

    /// True when `line` passes every line filter.
    func linePasses(_ line: UnsafeRawBufferPointer) -> Bool {
        for m in lines where !m.passes(line) { return false }
        return true
    }

    /// The value a field filter sees: the field, else the stream label, else "".
    static func value(_ name: String, fields: [LogField], stream: Labels) -> String {
        for f in fields where f.name == name { return f.value }
        return stream[name] ?? ""
    }

    func fieldsPass(_ fields: [LogField], stream: Labels) -> Bool {
        for p in self.fields where !p.passes(CompiledLogQuery.value(p.filter.name, fields: fields, stream: stream)) {
            return false
        }
        return true
    }

    /// The whole test on one record.
    func matches(_ r: LogRecord) -> Bool {
        guard inTime(r.timestamp), streamMatches(r.stream) else { return false }
        guard r.line.withUnsafeBytes({ linePasses($0) }) else { return false }
        return fieldsPass(r.fields, stream: r.stream)
    }
}
