/// What one run wrote.
struct GeneratorSummary {
    var hosts: Int
    var series: Int
    var samples: Int
    var bytes: Int
}

/// Runs the simulation and writes the OpenMetrics text: for each scrape, for each family, its
/// `# TYPE` line and then the family's series of every host, with the host's scrape timestamp.
/// Families therefore repeat once per scrape, as in a concatenation of scrapes (and as
/// `promtool tsdb dump-openmetrics` writes them); samples are in time order.
struct Generator {
    let options: Options

    func run(fd: Int32) throws(GeneratorError) -> GeneratorSummary {
        let catalog = Catalog.nodeExporter()
        let slots = catalog.slotCount
        let hosts = max(1, Int((Double(options.series) / Double(slots)).rounded()))
        let names = (0..<hosts).map { HostModel.hostName(index: $0) }
        let startMs = options.startSeconds * 1000

        let values = UnsafeMutablePointer<Int64>.allocate(capacity: hosts * slots)
        values.initialize(repeating: 0, count: hosts * slots)
        defer { values.deallocate() }
        var models = (0..<hosts).map {
            HostModel(index: $0, seed: options.seed, startMs: startMs, catalog: catalog, values: values + $0 * slots)
        }
        var jitter = (0..<hosts).map { Xoshiro256(seed: options.seed, stream: UInt64($0) &* 2 &+ 2) }
        var previousMs = [Int64](repeating: startMs - options.intervalMs, count: hosts)

        // "name{labels} " of every (host, slot), back to back.
        var prefixBytes: [UInt8] = []
        var prefixStart: [Int] = []
        var scales = [Int](repeating: 0, count: slots)
        for name in names {
            for family in catalog.families {
                for (i, series) in family.series.enumerated() {
                    scales[family.firstSlot + i] = series.scale
                    prefixStart.append(prefixBytes.count)
                    prefixBytes += Self.seriesPrefix(series, host: name)
                }
            }
        }
        prefixStart.append(prefixBytes.count)
        let longestLine = zip(prefixStart.dropFirst(), prefixStart).map { $0 - $1 }.max()! + 64
        let typeLines = catalog.families.map { Array("# TYPE \($0.name) \($0.type.rawValue)\n".utf8) }

        // " <seconds>.<mmm>\n" of every host at the current scrape.
        let stampStride = 32
        var stamps = [UInt8](repeating: 0, count: hosts * stampStride)
        var stampLength = [Int](repeating: 0, count: hosts)

        var out = OutputBuffer(fd: fd)
        try prefixBytes.withUnsafeBufferPointer { (prefixes) throws(GeneratorError) in
            let prefixes = prefixes.baseAddress!
            for scrape in 0..<options.samples {
                let nominalMs = startMs + Int64(scrape) * options.intervalMs
                for h in 0..<hosts {
                    let offset = options.jitterMs > 0 ? Int64(jitter[h].int(in: -Int(options.jitterMs)...Int(options.jitterMs))) : 0
                    let timeMs = nominalMs + offset
                    models[h].scrape(timeMs: timeMs, elapsedMs: timeMs - previousMs[h], values: values + h * slots)
                    previousMs[h] = timeMs
                    stampLength[h] = Self.renderTimestamp(timeMs, into: &stamps, at: h * stampStride)
                }
                try stamps.withUnsafeBufferPointer { (stamps) throws(GeneratorError) in
                    for (f, family) in catalog.families.enumerated() {
                        try out.reserve(typeLines[f].count)
                        typeLines[f].withUnsafeBufferPointer { out.append($0.baseAddress!, count: $0.count) }
                        let end = family.firstSlot + family.series.count
                        for h in 0..<hosts {
                            let hostValues = values + h * slots
                            let stamp = stamps.baseAddress! + h * stampStride
                            for slot in family.firstSlot..<end {
                                let p = h * slots + slot
                                try out.reserve(longestLine)
                                out.append(prefixes + prefixStart[p], count: prefixStart[p + 1] - prefixStart[p])
                                out.append(decimal: hostValues[slot], scale: scales[slot])
                                out.append(stamp, count: stampLength[h])
                            }
                        }
                    }
                }
            }
        }
        try out.reserve(16)
        Array("# EOF\n".utf8).withUnsafeBufferPointer { out.append($0.baseAddress!, count: $0.count) }
        try out.flush()
        return GeneratorSummary(hosts: hosts, series: hosts * slots, samples: hosts * slots * options.samples, bytes: out.flushedBytes)
    }

    /// `name{label="value",...} ` with the host's `instance` and `job` added and labels sorted by name.
    static func seriesPrefix(_ series: SeriesSpec, host: String) -> [UInt8] {
        var labels = series.labels.map { ($0.name, $0.value == Catalog.hostPlaceholder ? host : $0.value) }
        labels += [("instance", "\(host):9100"), ("job", "node")]
        labels.sort { $0.0 < $1.0 }
        let body = labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",")
        return Array("\(series.sampleName){\(body)} ".utf8)
    }

    /// OpenMetrics label-value escaping: backslash, double quote and newline.
    static func escape(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// Writes " <seconds>.<mmm>\n" (milliseconds always as three digits) and returns its length.
    static func renderTimestamp(_ ms: Int64, into bytes: inout [UInt8], at offset: Int) -> Int {
        let text = " \(ms / 1000)." + String(String(1000 + ms % 1000).dropFirst()) + "\n"
        var i = offset
        for byte in text.utf8 {
            bytes[i] = byte
            i += 1
        }
        return i - offset
    }
}
