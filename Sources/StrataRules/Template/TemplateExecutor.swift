/// The functions a template can call: Go's builtins and Prometheus's `funcMap`.
enum TemplateFunction: String, Sendable, CaseIterable {
    // text/template builtins.
    case and, or, not, len, index, slice, print, printf, println, html, js, urlquery, eq, ne, lt, le, gt, ge, call
    // Prometheus's template functions (template/template.go).
    case query, first, label, value, strvalue, args, reReplaceAll, safeHtml, match, title, toUpper, toLower
    case graphLink, tableLink, sortByLabel, stripPort, stripDomain, humanize, humanize1024, humanizeDuration
    case humanizePercentage, humanizeTimestamp, toTime, toDuration, now, pathPrefix, externalURL, parseDuration
    case urlQueryEscape

    var isBuiltin: Bool { Self.builtins.contains(self) }
    static let builtins: Set<TemplateFunction> = [
        .and, .or, .not, .len, .index, .slice, .print, .printf, .println, .html, .js, .urlquery, .eq, .ne, .lt, .le, .gt, .ge,
        .call,
    ]

    /// A parameter's Go type, as far as argument checking needs it.
    enum Param {
        /// `interface{}` or `reflect.Value`: anything, nil included.
        case value
        case string
        /// `*template.sample`.
        case sample
        /// `template.queryResult`.
        case samples
        /// `time.Duration` (a method's parameter).
        case duration
        /// `time.Time` (a method's parameter).
        case time

        var goName: String {
            switch self {
            case .value: return "interface {}"
            case .string: return "string"
            case .sample: return "*template.sample"
            case .samples: return "template.queryResult"
            case .duration: return "time.Duration"
            case .time: return "time.Time"
            }
        }
        var canBeNil: Bool { self == .value || self == .sample || self == .samples }
    }

    /// Fixed parameters, then the type of the variadic ones if any.
    var signature: (fixed: [Param], variadic: Param?) {
        switch self {
        case .and, .or, .index, .slice, .eq, .call: return ([.value], .value)
        case .not, .len: return ([.value], nil)
        case .print, .println, .html, .js, .urlquery, .args: return ([], .value)
        case .printf: return ([.string], .value)
        case .ne, .lt, .le, .gt, .ge: return ([.value, .value], nil)
        case .query, .safeHtml, .title, .toUpper, .toLower, .graphLink, .tableLink, .stripPort, .stripDomain, .parseDuration,
            .urlQueryEscape:
            return ([.string], nil)
        case .first: return ([.samples], nil)
        case .label: return ([.string, .sample], nil)
        case .value, .strvalue: return ([.sample], nil)
        case .reReplaceAll: return ([.string, .string, .string], nil)
        case .match: return ([.string, .string], nil)
        case .sortByLabel: return ([.string, .samples], nil)
        case .humanize, .humanize1024, .humanizeDuration, .humanizePercentage, .humanizeTimestamp, .toTime, .toDuration:
            return ([.value], nil)
        case .now, .pathPrefix, .externalURL: return ([], nil)
        }
    }
}

/// One execution of a parsed template (`text/template/exec.go`): the variable stack, the output,
/// the environment.
struct TemplateExecutor {
    let src: [UInt8]
    let env: TemplateEnvironment
    var vars: [(name: String, value: TemplateValue)] = []
    var out = ""

    enum Flow { case normal, breakLoop, continueLoop }

    init(source: [UInt8], environment: TemplateEnvironment, data: TemplateValue) {
        src = source
        env = environment
        vars.reserveCapacity(8)
        vars.append(("$", data))
        out.reserveCapacity(128)
    }

    func text(_ start: Int, _ end: Int) -> String { String(decoding: src[start..<end], as: UTF8.self) }

    func failure(_ message: String, _ start: Int, _ end: Int) -> TemplateFailure {
        TemplateFailure("executing at <\(text(start, end))>: \(message)", at: start)
    }

    // MARK: - Walking

    mutating func walk(_ nodes: [TemplateNode], dot: TemplateValue) throws(TemplateFailure) -> Flow {
        for node in nodes {
            switch node {
            case .text(let s):
                out += s
            case .action(let pipe):
                let v = try evalPipeline(pipe, dot: dot)
                if pipe.declarations.isEmpty { out += GoPrinter.actionText(v) }
            case .ifBlock(let pipe, let list, let elseList), .withBlock(let pipe, let list, let elseList):
                let mark = vars.count
                defer { vars.removeSubrange(mark...) }
                let v = try evalPipeline(pipe, dot: dot)
                var flow = Flow.normal
                if v.isTrue {
                    if case .withBlock = node { flow = try walk(list, dot: v) } else { flow = try walk(list, dot: dot) }
                } else if let elseList {
                    flow = try walk(elseList, dot: dot)
                }
                if flow != .normal { return flow }
            case .rangeBlock(let pipe, let list, let elseList):
                let flow = try walkRange(pipe, list, elseList, dot: dot)
                if flow != .normal { return flow }
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            }
        }
        return .normal
    }

    mutating func walkRange(_ pipe: TemplatePipe, _ list: [TemplateNode], _ elseList: [TemplateNode]?, dot: TemplateValue)
        throws(TemplateFailure) -> Flow
    {
        let outerMark = vars.count
        defer { vars.removeSubrange(outerMark...) }
        let collection = try evalPipeline(pipe, dot: dot)
        let mark = vars.count
        var ran = false
        func iterate(_ this: inout TemplateExecutor, _ index: TemplateValue, _ element: TemplateValue) throws(TemplateFailure) -> Bool {
            ran = true
            let decl = pipe.declarations
            if !decl.isEmpty {
                if pipe.isAssign {
                    try this.setVariable(decl[0], decl.count > 1 ? index : element, pipe)
                } else {
                    this.vars[this.vars.count - 1].value = element
                }
            }
            if decl.count > 1 {
                if pipe.isAssign {
                    try this.setVariable(decl[1], element, pipe)
                } else {
                    this.vars[this.vars.count - 2].value = index
                }
            }
            defer { this.vars.removeSubrange(mark...) }
            return try this.walk(list, dot: element) != .breakLoop
        }
        switch collection {
        case .list(let l):
            for (k, e) in l.enumerated() where try !iterate(&self, .int(k), e) { break }
        case .samples(let l):
            for (k, e) in l.enumerated() where try !iterate(&self, .int(k), .sample(e)) { break }
        case .map(let m):
            for k in GoSort.keys(m) where try !iterate(&self, .string(k), m[k]!) { break }
        case .stringMap(let m):
            for k in GoSort.keys(m) where try !iterate(&self, .string(k), .string(m[k]!)) { break }
        case .int(let n):
            if pipe.declarations.count > 1 {
                throw failure("can't use \(n) to iterate over more than one variable", pipe.commands[0].start, pipe.end)
            }
            if n > 0 { for k in 0..<n where try !iterate(&self, .null, .int(k)) { break } }
        case .null:
            break
        default:
            throw failure("range can't iterate over \(GoPrinter.sprint([collection]))", pipe.commands[0].start, pipe.end)
        }
        if !ran, let elseList { return try walk(elseList, dot: dot) }
        return .normal
    }

    // MARK: - Pipelines and commands

    mutating func evalPipeline(_ pipe: TemplatePipe, dot: TemplateValue) throws(TemplateFailure) -> TemplateValue {
        var value: TemplateValue? = nil
        for cmd in pipe.commands { value = try evalCommand(cmd, dot: dot, final: value) }
        let result = value ?? .null
        for name in pipe.declarations {
            if pipe.isAssign { try setVariable(name, result, pipe) } else { vars.append((name, result)) }
        }
        return result
    }

    mutating func setVariable(_ name: String, _ value: TemplateValue, _ pipe: TemplatePipe) throws(TemplateFailure) {
        for k in stride(from: vars.count - 1, through: 0, by: -1) where vars[k].name == name {
            vars[k].value = value
            return
        }
        throw failure("undefined variable: \(name)", pipe.commands[0].start, pipe.end)
    }

    func variable(_ name: String, _ node: TemplateOperand) throws(TemplateFailure) -> TemplateValue {
        for k in stride(from: vars.count - 1, through: 0, by: -1) where vars[k].name == name { return vars[k].value }
        throw failure("undefined variable: \(name)", node.start, node.end)
    }

    func notAFunction(_ cmd: TemplateCommand, _ final: TemplateValue?) throws(TemplateFailure) {
        if cmd.args.count > 1 || final != nil {
            let first = cmd.args[0]
            throw failure("can't give argument to non-function \(text(first.start, first.end))", first.start, first.end)
        }
    }

    mutating func evalCommand(_ cmd: TemplateCommand, dot: TemplateValue, final: TemplateValue?) throws(TemplateFailure)
        -> TemplateValue
    {
        let first = cmd.args[0]
        switch first.kind {
        case .field(let idents):
            return try fieldChain(dot, idents, args: cmd.args.dropFirst(), final: final, dot: dot, first)
        case .chain(let inner, let idents):
            let receiver = try evalArg(inner, .value, dot: dot)
            return try fieldChain(receiver, idents, args: cmd.args.dropFirst(), final: final, dot: dot, first)
        case .variable(let name, let idents):
            let v = try variable(name, first)
            if idents.isEmpty {
                try notAFunction(cmd, final)
                return v
            }
            return try fieldChain(v, idents, args: cmd.args.dropFirst(), final: final, dot: dot, first)
        case .function(let f):
            return try call(f, cmd.args.dropFirst(), final: final, dot: dot, node: first, start: cmd.start, end: cmd.end)
        case .pipe(let p):
            try notAFunction(cmd, final)
            return try evalPipeline(p, dot: dot)
        case .nilValue:
            try notAFunction(cmd, final)
            throw failure("nil is not a command", first.start, first.end)
        case .dot:
            try notAFunction(cmd, final)
            return dot
        case .bool(let b):
            try notAFunction(cmd, final)
            return .bool(b)
        case .int(let i):
            try notAFunction(cmd, final)
            return .int(i)
        case .float(let f):
            try notAFunction(cmd, final)
            return .float(f)
        case .string(let s):
            try notAFunction(cmd, final)
            return .string(s)
        }
    }

    /// `.A.B.C` from `receiver`; only the last may be given arguments (those after it in the
    /// command, and the pipeline's value), which only a method takes.
    mutating func fieldChain(
        _ receiver: TemplateValue, _ idents: [String], args: ArraySlice<TemplateOperand> = [], final: TemplateValue? = nil,
        dot: TemplateValue, _ node: TemplateOperand
    ) throws(TemplateFailure) -> TemplateValue {
        var v = receiver
        for (k, name) in idents.enumerated() {
            let last = k == idents.count - 1
            if let method = TemplateMethod(receiver: v, name: name) {
                v = try callMethod(method, v, args: last ? args : [], final: last ? final : nil, dot: dot, node: node)
            } else {
                v = try field(v, name, hasArgs: last && (!args.isEmpty || final != nil), node)
            }
        }
        return v
    }

    func field(_ receiver: TemplateValue, _ name: String, hasArgs: Bool, _ node: TemplateOperand) throws(TemplateFailure)
        -> TemplateValue
    {
        func structField(_ fields: [TemplateField]) throws(TemplateFailure) -> TemplateValue? {
            guard let f = fields.first(where: { $0.name == name }) else { return nil }
            if hasArgs { throw failure("\(name) has arguments but cannot be invoked as function", node.start, node.end) }
            return f.value
        }
        switch receiver {
        case .null:
            return .null
        case .record(let fields):
            if let v = try structField(fields) { return v }
        case .sample(let s):
            if name == "Labels" || name == "Value", let v = try structField(s.fields) { return v }
        case .stringMap(let m):
            if hasArgs { throw failure("\(name) is not a method but has arguments", node.start, node.end) }
            return .string(m[name] ?? "")
        case .map(let m):
            if hasArgs { throw failure("\(name) is not a method but has arguments", node.start, node.end) }
            return m[name] ?? .null
        default:
            break
        }
        throw failure("can't evaluate field \(name) in type \(receiver.goTypeName)", node.start, node.end)
    }

    // MARK: - Calls and arguments

    mutating func call(
        _ f: TemplateFunction, _ argNodes: ArraySlice<TemplateOperand>, final: TemplateValue?, dot: TemplateValue,
        node: TemplateOperand, start: Int, end: Int
    ) throws(TemplateFailure) -> TemplateValue {
        let (fixed, variadic) = f.signature
        let numIn = argNodes.count + (final == nil ? 0 : 1)
        if variadic != nil {
            if numIn < fixed.count {
                throw failure(
                    "wrong number of args for \(f.rawValue): want at least \(fixed.count) got \(argNodes.count)", node.start, node.end)
            }
        } else if numIn != fixed.count {
            throw failure("wrong number of args for \(f.rawValue): want \(fixed.count) got \(numIn)", node.start, node.end)
        }
        if f == .and || f == .or {
            var v = TemplateValue.null
            for a in argNodes {
                v = try evalArg(a, .value, dot: dot)
                if v.isTrue == (f == .or) { return v }
            }
            return final ?? v
        }
        var argv: [TemplateValue] = []
        argv.reserveCapacity(numIn)
        for (k, a) in argNodes.enumerated() {
            argv.append(try evalArg(a, k < fixed.count ? fixed[k] : variadic!, dot: dot))
        }
        if let final {
            let param = numIn - 1 < fixed.count ? fixed[numIn - 1] : variadic!
            argv.append(try validate(final, param, start, end))
        }
        do {
            return try invoke(f, argv)
        } catch {
            throw failure("error calling \(f.rawValue): \(error.message)", start, end)
        }
    }

    mutating func evalArg(_ node: TemplateOperand, _ param: TemplateFunction.Param, dot: TemplateValue) throws(TemplateFailure)
        -> TemplateValue
    {
        switch node.kind {
        case .dot:
            return try validate(dot, param, node.start, node.end)
        case .nilValue:
            if param.canBeNil { return .null }
            throw failure("cannot assign nil to \(param.goName)", node.start, node.end)
        case .field(let idents):
            return try validate(fieldChain(dot, idents, dot: dot, node), param, node.start, node.end)
        case .variable(let name, let idents):
            let v = try variable(name, node)
            return try validate(idents.isEmpty ? v : fieldChain(v, idents, dot: dot, node), param, node.start, node.end)
        case .pipe(let p):
            return try validate(evalPipeline(p, dot: dot), param, node.start, node.end)
        case .function(let f):
            let v = try call(f, [], final: nil, dot: dot, node: node, start: node.start, end: node.end)
            return try validate(v, param, node.start, node.end)
        case .chain(let inner, let idents):
            let receiver = try evalArg(inner, .value, dot: dot)
            return try validate(fieldChain(receiver, idents, dot: dot, node), param, node.start, node.end)
        case .bool, .int, .float, .string:
            let literal: TemplateValue
            switch node.kind {
            case .bool(let b): literal = .bool(b)
            case .int(let i): literal = .int(i)
            case .float(let f): literal = .float(f)
            case .string(let s): literal = .string(s)
            default: literal = .null
            }
            switch param {
            case .value: return literal
            case .string:
                if case .string = literal { return literal }
                throw failure("expected string; found \(text(node.start, node.end))", node.start, node.end)
            case .duration:
                if case .int(let i) = literal { return .duration(nanoseconds: Int64(i)) }
                throw failure("expected integer; found \(text(node.start, node.end))", node.start, node.end)
            case .sample, .samples, .time:
                throw failure("can't handle \(text(node.start, node.end)) for arg of type \(param.goName)", node.start, node.end)
            }
        }
    }

    /// Go's `validateType`: whether the value may be passed as that parameter.
    func validate(_ v: TemplateValue, _ param: TemplateFunction.Param, _ start: Int, _ end: Int) throws(TemplateFailure)
        -> TemplateValue
    {
        switch (param, v) {
        case (.value, _), (.string, .string), (.sample, .sample), (.sample, .null), (.samples, .samples), (.duration, .duration),
            (.time, .time):
            return v
        case (.samples, .null): return .samples([])
        case (.string, .null), (.duration, .null), (.time, .null): throw failure("invalid value; expected \(param.goName)", start, end)
        default: throw failure("wrong type for value; expected \(param.goName); got \(v.goTypeName)", start, end)
        }
    }
}

/// Go's ordering of strings (byte-wise), as map iteration and printing use it.
enum GoSort {
    static func less(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
    static func keys<V>(_ m: [String: V]) -> [String] { m.keys.sorted(by: less) }
}
