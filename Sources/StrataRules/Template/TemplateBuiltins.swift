extension TemplateExecutor {
    /// Calls `f` with arguments already checked against its signature.
    func invoke(_ f: TemplateFunction, _ a: [TemplateValue]) throws(FunctionFailure) -> TemplateValue {
        switch f {
        case .and, .or: return a.last ?? .null  // handled, short-circuiting, by `call`
        case .not: return .bool(!a[0].isTrue)
        case .len: return try Builtins.length(a[0])
        case .index: return try Builtins.index(a[0], a.dropFirst())
        case .slice: return try Builtins.slice(a[0], a.dropFirst())
        case .print: return .string(GoPrinter.sprint(a))
        case .println: return .string(GoPrinter.sprintln(a))
        case .printf:
            guard case .string(let format) = a[0] else { return .null }
            return .string(GoPrinter.sprintf(format, Array(a.dropFirst())))
        case .html: return .string(GoText.htmlEscape(Builtins.evalArgs(a)))
        case .js: return .string(GoText.jsEscape(Builtins.evalArgs(a)))
        case .urlquery: return .string(GoText.queryEscape(Builtins.evalArgs(a)))
        case .eq: return .bool(try Builtins.eq(a[0], a.dropFirst()))
        case .ne: return .bool(!(try Builtins.eq(a[0], a.dropFirst())))
        case .lt: return .bool(try Builtins.lt(a[0], a[1]))
        case .le: return .bool(try Builtins.le(a[0], a[1]))
        case .gt: return .bool(!(try Builtins.le(a[0], a[1])))
        case .ge: return .bool(!(try Builtins.lt(a[0], a[1])))
        case .call:
            if case .null = a[0] { throw FunctionFailure("call of nil") }
            throw FunctionFailure("non-function of type \(a[0].goTypeName)")
        default:
            return try PrometheusFunctions.invoke(f, a, env)
        }
    }
}

/// text/template's builtin functions (`funcs.go`).
enum Builtins {
    static func length(_ v: TemplateValue) throws(FunctionFailure) -> TemplateValue {
        switch v {
        case .string(let s), .html(let s): return .int(s.utf8.count)
        case .list(let l): return .int(l.count)
        case .samples(let l): return .int(l.count)
        case .map(let m): return .int(m.count)
        case .stringMap(let m): return .int(m.count)
        case .null: throw FunctionFailure("len of nil pointer")
        case .sample: throw FunctionFailure("len of type template.sample")
        default: throw FunctionFailure("len of type \(v.goTypeName)")
        }
    }

    /// An index into something of length `cap`.
    static func indexArg(_ v: TemplateValue, _ cap: Int) throws(FunctionFailure) -> Int {
        switch v {
        case .int(let x):
            if x < 0 || x > cap { throw FunctionFailure("index out of range: \(x)") }
            return x
        case .null: throw FunctionFailure("cannot index slice/array with nil")
        default: throw FunctionFailure("cannot index slice/array with type \(v.goTypeName)")
        }
    }

    static func mapKey(_ v: TemplateValue) throws(FunctionFailure) -> String {
        switch v {
        case .string(let s): return s
        case .null: throw FunctionFailure("value is nil; should be of type string")
        default: throw FunctionFailure("value has type \(v.goTypeName); should be string")
        }
    }

    /// `index x 1 2` is x[1][2]; a missing map key gives the map's zero value.
    static func index(_ item: TemplateValue, _ indexes: ArraySlice<TemplateValue>) throws(FunctionFailure) -> TemplateValue {
        if case .null = item { throw FunctionFailure("index of untyped nil") }
        var item = item
        for i in indexes {
            switch item {
            case .null:
                throw FunctionFailure("index of nil pointer")
            case .list(let l):
                let x = try indexArg(i, l.count)
                if x == l.count { throw FunctionFailure("index out of range: \(x)") }
                item = l[x]
            case .samples(let l):
                let x = try indexArg(i, l.count)
                if x == l.count { throw FunctionFailure("index out of range: \(x)") }
                item = .sample(l[x])
            case .string(let s), .html(let s):
                let bytes = Array(s.utf8)
                let x = try indexArg(i, bytes.count)
                if x == bytes.count { throw FunctionFailure("index out of range: \(x)") }
                item = .int(Int(bytes[x]))
            case .map(let m):
                item = m[try mapKey(i)] ?? .null
            case .stringMap(let m):
                item = .string(m[try mapKey(i)] ?? "")
            case .sample:
                throw FunctionFailure("can't index item of type template.sample")
            default:
                throw FunctionFailure("can't index item of type \(item.goTypeName)")
            }
        }
        return item
    }

    /// `slice x 1 2` is x[1:2]; `slice x` is x[:].
    static func slice(_ item: TemplateValue, _ indexes: ArraySlice<TemplateValue>) throws(FunctionFailure) -> TemplateValue {
        if case .null = item { throw FunctionFailure("slice of untyped nil") }
        if indexes.count > 3 { throw FunctionFailure("too many slice indexes: \(indexes.count)") }
        let length: Int
        switch item {
        case .string(let s):
            if indexes.count == 3 { throw FunctionFailure("cannot 3-index slice a string") }
            length = s.utf8.count
        case .list(let l): length = l.count
        case .samples(let l): length = l.count
        default: throw FunctionFailure("can't slice item of type \(item.goTypeName)")
        }
        var idx = [0, length, length]
        for (k, i) in indexes.enumerated() { idx[k] = try indexArg(i, length) }
        if idx[0] > idx[1] { throw FunctionFailure("invalid slice index: \(idx[0]) > \(idx[1])") }
        if indexes.count == 3 && idx[1] > idx[2] { throw FunctionFailure("invalid slice index: \(idx[1]) > \(idx[2])") }
        switch item {
        case .string(let s): return .string(String(decoding: Array(s.utf8)[idx[0]..<idx[1]], as: UTF8.self))
        case .list(let l): return .list(Array(l[idx[0]..<idx[1]]))
        case .samples(let l): return .samples(Array(l[idx[0]..<idx[1]]))
        default: return .null
        }
    }

    /// What `html`, `js` and `urlquery` escape: the arguments printed as an action prints them.
    static func evalArgs(_ a: [TemplateValue]) -> String {
        if a.count == 1, case .string(let s) = a[0] { return s }
        return GoPrinter.sprint(
            a.map { v in
                switch v {
                case .null: return .string("<no value>")
                case .sample(let s): return .record(s.fields)
                default: return v
                }
            })
    }

    // MARK: - Comparison

    enum Basic {
        case bool(Bool), int(Int), float(Double), string(String)
    }

    static func basic(_ v: TemplateValue) -> Basic? {
        switch v {
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .float(let f): return .float(f)
        case .string(let s), .html(let s): return .string(s)
        default: return nil
        }
    }

    static func incompatible(_ a: TemplateValue, _ b: TemplateValue) -> FunctionFailure {
        FunctionFailure("incompatible types for comparison: \(a.goTypeName) and \(b.goTypeName)")
    }

    /// `eq a b c` is a == b || a == c; basic kinds must match (an int is not a float64).
    static func eq(_ a: TemplateValue, _ rest: ArraySlice<TemplateValue>) throws(FunctionFailure) -> Bool {
        if rest.isEmpty { throw FunctionFailure("missing argument for comparison") }
        let k1 = basic(a)
        for b in rest {
            let truth: Bool
            switch (k1, basic(b)) {
            case (.bool(let x)?, .bool(let y)?): truth = x == y
            case (.int(let x)?, .int(let y)?): truth = x == y
            case (.float(let x)?, .float(let y)?): truth = x == y
            case (.string(let x)?, .string(let y)?): truth = x.utf8.elementsEqual(y.utf8)
            case (nil, nil):
                switch (a, b) {
                case (.null, .null): truth = true
                case (.null, _), (_, .null): truth = false
                case (.sample(let x), .sample(let y)): truth = x == y
                case (.time(let x), .time(let y)), (.duration(let x), .duration(let y)): truth = x == y
                case (.stringMap, .stringMap), (.map, .map), (.list, .list), (.samples, .samples), (.record, .record):
                    throw FunctionFailure("non-comparable type \(b.goTypeName)")
                default:
                    throw FunctionFailure("non-comparable types \(a.goTypeName) and \(b.goTypeName)")
                }
            default:
                if case .null = a { truth = false } else if case .null = b { truth = false } else { throw incompatible(a, b) }
            }
            if truth { return true }
        }
        return false
    }

    static func lt(_ a: TemplateValue, _ b: TemplateValue) throws(FunctionFailure) -> Bool {
        guard let k1 = basic(a), let k2 = basic(b) else { throw FunctionFailure("invalid type for comparison") }
        switch (k1, k2) {
        case (.int(let x), .int(let y)): return x < y
        case (.float(let x), .float(let y)): return x < y
        case (.string(let x), .string(let y)): return GoSort.less(x, y)
        case (.bool, .bool): throw FunctionFailure("invalid type for comparison")
        default: throw incompatible(a, b)
        }
    }

    static func le(_ a: TemplateValue, _ b: TemplateValue) throws(FunctionFailure) -> Bool {
        if try lt(a, b) { return true }
        return try eq(a, [b])
    }
}
