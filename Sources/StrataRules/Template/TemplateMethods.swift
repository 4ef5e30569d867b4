/// The methods of `time.Time` and `time.Duration` that templates call on what `toTime` and
/// `toDuration` return (`{{ (.Value | toTime).Format "2006-01-02" }}`,
/// `{{ (1800 | toDuration).String }}`). Times are in UTC (`Local` is UTC too).
enum TemplateMethod: String {
    // time.Time
    case format = "Format", unix = "Unix", unixMilli = "UnixMilli", unixMicro = "UnixMicro", unixNano = "UnixNano"
    case utc = "UTC", local = "Local", add = "Add", sub = "Sub", year = "Year", day = "Day", hour = "Hour", minute = "Minute"
    case second = "Second", nanosecond = "Nanosecond", yearDay = "YearDay", isZero = "IsZero", before = "Before", after = "After"
    case equal = "Equal"
    // both
    case string = "String"
    // time.Duration
    case seconds = "Seconds", minutes = "Minutes", hours = "Hours", milliseconds = "Milliseconds", microseconds = "Microseconds"
    case nanoseconds = "Nanoseconds", abs = "Abs"

    static let durationMethods: Set<TemplateMethod> = [.string, .seconds, .minutes, .hours, .milliseconds, .microseconds, .nanoseconds, .abs]

    init?(receiver: TemplateValue, name: String) {
        guard let m = TemplateMethod(rawValue: name) else { return nil }
        switch receiver {
        case .time: if Self.durationMethods.contains(m) && m != .string { return nil }
        case .duration: if !Self.durationMethods.contains(m) { return nil }
        default: return nil
        }
        self = m
    }

    var parameters: [TemplateFunction.Param] {
        switch self {
        case .format: return [.string]
        case .add: return [.duration]
        case .sub, .before, .after, .equal: return [.time]
        default: return []
        }
    }

    func call(_ receiver: TemplateValue, _ a: [TemplateValue]) -> TemplateValue {
        switch receiver {
        case .time(let t): return callTime(t, a)
        case .duration(let d): return callDuration(d, a)
        default: return .null
        }
    }

    private func callTime(_ t: Int64, _ a: [TemplateValue]) -> TemplateValue {
        func arg() -> Int64 {
            switch a.first {
            case .time(let v)?, .duration(let v)?: return v
            default: return 0
            }
        }
        let c = GoTime.Civil(unixNanoseconds: t)
        switch self {
        case .format:
            guard case .string(let layout)? = a.first else { return .null }
            return .string(GoTime.format(unixNanoseconds: t, layout: layout))
        case .string: return .string(GoTime.timeString(unixNanoseconds: t))
        case .unix: return .int(Int(GoTime.floorDivMod(t, 1_000_000_000).0))
        case .unixMilli: return .int(Int(GoTime.floorDivMod(t, 1_000_000).0))
        case .unixMicro: return .int(Int(GoTime.floorDivMod(t, 1_000).0))
        case .unixNano: return .int(Int(t))
        case .utc, .local: return .time(nanoseconds: t)
        case .add: return .time(nanoseconds: t &+ arg())
        case .sub:
            let (d, overflow) = t.subtractingReportingOverflow(arg())
            return .duration(nanoseconds: overflow ? (t < arg() ? Int64.min : Int64.max) : d)
        case .year: return .int(Int(c.year))
        case .day: return .int(Int(c.day))
        case .hour: return .int(Int(c.hour))
        case .minute: return .int(Int(c.minute))
        case .second: return .int(Int(c.second))
        case .nanosecond: return .int(Int(c.nanosecond))
        case .yearDay: return .int(Int(c.yearDay))
        case .isZero: return .bool(false)
        case .before: return .bool(t < arg())
        case .after: return .bool(t > arg())
        case .equal: return .bool(t == arg())
        default: return .null
        }
    }

    private func callDuration(_ d: Int64, _ a: [TemplateValue]) -> TemplateValue {
        switch self {
        case .string: return .string(GoTime.durationString(d))
        case .seconds: return .float(Double(d / 1_000_000_000) + Double(d % 1_000_000_000) / 1e9)
        case .minutes: return .float(Double(d / 60_000_000_000) + Double(d % 60_000_000_000) / 6e10)
        case .hours: return .float(Double(d / 3_600_000_000_000) + Double(d % 3_600_000_000_000) / 3.6e12)
        case .milliseconds: return .int(Int(d / 1_000_000))
        case .microseconds: return .int(Int(d / 1_000))
        case .nanoseconds: return .int(Int(d))
        case .abs: return .duration(nanoseconds: d == Int64.min ? Int64.max : Swift.abs(d))
        default: return .null
        }
    }
}

extension TemplateExecutor {
    /// A method call on a time or duration: arguments from the command and the pipeline.
    mutating func callMethod(
        _ m: TemplateMethod, _ receiver: TemplateValue, args: ArraySlice<TemplateOperand>, final: TemplateValue?, dot: TemplateValue,
        node: TemplateOperand
    ) throws(TemplateFailure) -> TemplateValue {
        let params = m.parameters
        let numIn = args.count + (final == nil ? 0 : 1)
        if numIn != params.count {
            throw failure("wrong number of args for \(m.rawValue): want \(params.count) got \(numIn)", node.start, node.end)
        }
        var argv: [TemplateValue] = []
        for (k, a) in args.enumerated() { argv.append(try evalArg(a, params[k], dot: dot)) }
        if let final { argv.append(try validate(final, params[numIn - 1], node.start, node.end)) }
        return m.call(receiver, argv)
    }
}
