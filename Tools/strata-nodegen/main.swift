import Foundation

// strata-nodegen: deterministic node-exporter-like metrics as OpenMetrics text (see --help and Tools/README.md).

func report(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

do {
    let options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
    if options.showHelp {
        print(Options.usage)
        exit(0)
    }
    var fd: Int32 = 1
    if let path = options.outputPath {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 { throw GeneratorError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
    }
    let clock = ContinuousClock()
    let began = clock.now
    let summary = try Generator(options: options).run(fd: fd)
    if fd != 1, close(fd) != 0 {
        throw GeneratorError(description: "closing \(options.outputPath ?? ""): \(String(cString: strerror(errno)))")
    }
    let elapsed = clock.now - began
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    report(
        "strata-nodegen: \(summary.series) series (\(summary.hosts) host\(summary.hosts == 1 ? "" : "s")), \(summary.samples) samples, "
            + "\(summary.bytes) bytes, \(String(format: "%.2f", seconds)) s")
} catch let error as GeneratorError {
    report("strata-nodegen: \(error)")
    exit(1)
}
