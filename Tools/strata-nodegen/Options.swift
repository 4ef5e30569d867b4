/// Command-line options of `strata-nodegen`.
struct Options {
    var series = 1000
    var samples = 7200
    var intervalMs: Int64 = 10_000
    var startSeconds: Int64 = 1_700_000_000  // 2023-11-14T22:13:20Z
    var jitterMs: Int64 = 0
    var seed: UInt64 = 1
    var outputPath: String?
    var showHelp = false

    static let usage = """
        strata-nodegen: writes deterministic node-exporter-like metrics as OpenMetrics 1.0 text with timestamps.

        USAGE: strata-nodegen [--series N] [--samples N] [--interval D] [--start S] [--jitter-ms N] [--seed N] [--out FILE]

        OPTIONS:
          --series N      approximate number of series (default 1000); the generator simulates
                          round(N / 200) hosts, at least one, each with 200 series
          --samples N     samples per series, one per scrape (default 7200)
          --interval D    scrape interval: 10s, 15s, 1m, 500ms, or plain seconds (default 10s)
          --start S       first scrape time in Unix seconds (default 1700000000, 2023-11-14T22:13:20Z)
          --jitter-ms N   per-scrape timestamp jitter, uniform in [-N, +N] ms, shared by all series of
                          one host at one scrape (default 0); must be below half the interval
          --seed N        seed of the simulation (default 1); the same flags give the same bytes
          --out FILE      output file (default standard output)
          -h, --help      show this help

        EXAMPLE:
          strata-nodegen --series 1000 --samples 7200 --interval 10s --jitter-ms 3 --out node.om
          promtool tsdb create-blocks-from openmetrics node.om ./data
        """

    /// Parses the arguments after the program name.
    static func parse(_ arguments: [String]) throws(GeneratorError) -> Options {
        var options = Options()
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            if flag == "-h" || flag == "--help" {
                options.showHelp = true
                continue
            }
            var name = flag
            var value: String?
            if let equals = flag.firstIndex(of: "="), flag.hasPrefix("--") {
                name = String(flag[..<equals])
                value = String(flag[flag.index(after: equals)...])
            }
            func argument() throws(GeneratorError) -> String {
                if let value { return value }
                guard let next = rest.popFirst() else { throw GeneratorError(description: "\(name) needs a value") }
                return next
            }
            switch name {
            case "--series": options.series = try integer(try argument(), for: name, in: 1...10_000_000)
            case "--samples": options.samples = try integer(try argument(), for: name, in: 1...100_000_000)
            case "--interval": options.intervalMs = try duration(try argument())
            case "--start": options.startSeconds = Int64(try integer(try argument(), for: name, in: 0...100_000_000_000))
            case "--jitter-ms": options.jitterMs = Int64(try integer(try argument(), for: name, in: 0...3_600_000))
            case "--seed":
                let text = try argument()
                guard let seed = UInt64(text) else { throw GeneratorError(description: "--seed: not a number: \(text)") }
                options.seed = seed
            case "--out": options.outputPath = try argument()
            default: throw GeneratorError(description: "unknown option \(flag) (see --help)")
            }
        }
        if options.jitterMs * 2 >= options.intervalMs {
            throw GeneratorError(description: "--jitter-ms must be below half the interval so scrapes stay in time order")
        }
        if options.startSeconds * 1000 < options.jitterMs {
            throw GeneratorError(description: "--start minus the jitter must not be before 1970")
        }
        return options
    }

    private static func integer(_ text: String, for flag: String, in range: ClosedRange<Int>) throws(GeneratorError) -> Int {
        guard let n = Int(text), range.contains(n) else {
            throw GeneratorError(description: "\(flag): expected an integer in \(range), got \(text)")
        }
        return n
    }

    /// "10s", "500ms", "1m", "1h" or plain seconds, as milliseconds.
    static func duration(_ text: String) throws(GeneratorError) -> Int64 {
        let units: [(suffix: String, ms: Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        var number = Substring(text)
        var scale: Int64 = 1000
        for unit in units where text.hasSuffix(unit.suffix) {
            number = text.dropLast(unit.suffix.count)
            scale = unit.ms
            break
        }
        guard let n = Int64(number), n > 0, n <= 86_400_000 / scale else {
            throw GeneratorError(description: "--interval: expected a positive duration like 10s or 500ms, got \(text)")
        }
        return n * scale
    }
}
