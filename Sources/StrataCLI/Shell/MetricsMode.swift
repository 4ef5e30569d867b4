import Strata
import StrataCLIKit
import StrataLabels

/// PromQL over the metric store, plus `\series`, `\labels` and `\values`.
final class MetricsMode: ShellMode {
    let name = "metrics"
    private let store: MetricStore
    private let cancellation: QueryCancellation
    private let engine: PromQLEngine
    private var cachedNames: [String]?
    private var cachedLabels: [String]?
    private var cachedValues: [String: [String]] = [:]
    private var cachedMetricLabels: [String: [String: [String]]] = [:]

    init(store: MetricStore, cancellation: QueryCancellation) {
        self.store = store
        self.cancellation = cancellation
        var options = PromQLEngineOptions()
        options.cancellation = cancellation
        engine = PromQLEngine(store: store, options: options)
    }

    let examples: [(query: String, meaning: String)] = [
        ("node_load1", "the latest value of every series of a metric"),
        ("node_load1{instance=~\"compute.*\"}", "only some series (=, !=, =~, !~)"),
        ("sum by (instance) (rate(node_cpu_seconds_total{mode!=\"idle\"}[5m]))", "busy CPU per host"),
        ("topk(3, node_memory_MemAvailable_bytes)", "the three hosts with the most free memory"),
        ("node_load1[5m]", "the raw samples of the last five minutes"),
    ]

    var commands: [ShellModeCommand] {
        [
            ShellModeCommand(
                name: "series", usage: "\\series [selector]",
                help: "list the series a selector matches (all when omitted)",
                completeArgument: { [unowned self] in self.complete($0) },
                run: { [unowned self] arg, ctx throws(ShellError) in try self.series(arg, ctx) }),
            ShellModeCommand(
                name: "labels", usage: "\\labels", help: "list label names and how many values each has",
                run: { [unowned self] _, ctx throws(ShellError) in try self.labels(ctx) }),
            ShellModeCommand(
                name: "values", usage: "\\values <label>", help: "list the values of one label",
                completeArgument: { [unowned self] prefix in
                    Completion.matching(self.labelNames(), prefix: prefix, replaceFrom: 0)
                },
                run: { [unowned self] arg, ctx throws(ShellError) in try self.values(arg, ctx) }),
        ]
    }

    func complete(_ textBeforeCursor: String) -> Completion {
        PromQLCompletion(
            metricNames: { [unowned self] in self.labelValues("__name__") },
            labelNames: { [unowned self] metric in metric.map { self.labels(of: $0).keys.sorted() } ?? self.labelNames() },
            labelValues: { [unowned self] metric, label in
                metric.map { self.labels(of: $0)[label] ?? [] } ?? self.labelValues(label)
            }
        ).complete(textBeforeCursor)
    }

    func run(_ query: String, context: ShellContext) throws(ShellError) -> ShellResult {
        let result: QueryResult
        do {
            switch context.time {
            case .instant(let t): result = try engine.instantQuery(query, at: t)
            case .range(let s, let e, let step): result = try engine.rangeQuery(query, start: s, end: e, step: step)
            }
        } catch {
            throw ShellError(error.kind == .cancelled ? "query cancelled (Ctrl-C)" : error.description)
        }
        var view = MetricResultView(result: result, style: context.style, width: context.width)
        if case .range(let s, let e, let step) = context.time { view.window = (s, e, step) }
        return ShellResult(
            text: view.render(context.format),
            notes: result.warnings.map { "warning: " + $0 } + result.infos.map { "info: " + $0 },
            readSummary: "\(Self.grouped(result.samplesRead)) samples read")
    }

    // MARK: Commands

    private func series(_ argument: String, _ ctx: ShellContext) throws(ShellError) -> ShellResult {
        let matchers: [LabelMatcher]
        if argument.isEmpty {
            matchers = [try! LabelMatcher(.regex, "__name__", ".+")]
        } else {
            do { matchers = try SeriesSelector.parse(argument) } catch { throw ShellError(error.description) }
        }
        let set: SeriesSet
        do { set = try store.select(matchers, from: .min, through: .max) } catch { throw ShellError("\(error)") }
        let all = set.series.map { $0.labels.description }
        let limit = 200
        var text = all.prefix(limit).joined(separator: "\n")
        if all.isEmpty { text = "(no series)" }
        if all.count > limit { text += "\n... \(all.count - limit) more; narrow the selector" }
        return ShellResult(text: text, readSummary: "\(Self.grouped(all.count)) series")
    }

    private func labels(_ ctx: ShellContext) throws(ShellError) -> ShellResult {
        let names = labelNames()
        if names.isEmpty { return ShellResult(text: "(no labels)") }
        let rows = names.map { [$0, String(labelValues($0).count)] }
        return ShellResult(text: ctx.style.header(Table(header: ["label", "values"], rows: rows).render()))
    }

    private func values(_ argument: String, _ ctx: ShellContext) throws(ShellError) -> ShellResult {
        let label = argument.trimmingWhitespace()
        guard !label.isEmpty else { throw ShellError("\\values needs a label name, e.g. \\values instance") }
        let all = labelValues(label)
        guard !all.isEmpty else { throw ShellError("no series has a label '\(label)'; \\labels lists them") }
        let limit = 500
        var text = all.prefix(limit).joined(separator: "\n")
        if all.count > limit { text += "\n... \(all.count - limit) more" }
        return ShellResult(text: text)
    }

    // MARK: Cached vocabulary (for completion and the commands above)

    private func labelNames() -> [String] {
        if let c = cachedLabels { return c }
        let names = (try? store.labelNames()) ?? []
        cachedLabels = names
        return names
    }

    private func labelValues(_ label: String) -> [String] {
        if let c = cachedValues[label] { return c }
        let v = (try? store.labelValues(label)) ?? []
        cachedValues[label] = v
        return v
    }

    /// The label names of one metric's series, each with its sorted values.
    private func labels(of metric: String) -> [String: [String]] {
        if let c = cachedMetricLabels[metric] { return c }
        var found: [String: Set<String>] = [:]
        if let set = try? store.select([.equal("__name__", metric)], from: .min, through: .max) {
            for s in set.series { for l in s.labels.labels { found[l.name, default: []].insert(l.value) } }
        }
        let sorted = found.mapValues { $0.sorted() }
        cachedMetricLabels[metric] = sorted
        return sorted
    }

    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(d)
        }
        return out
    }
}
