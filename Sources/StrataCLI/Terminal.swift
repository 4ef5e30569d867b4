#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes straight to file descriptor 2 (unbuffered, no shared C `FILE` state).
func writeStderr(_ s: String) {
    var s = s
    s.withUTF8 { u in _ = write(2, u.baseAddress, u.count) }
}

/// Writes bytes straight to file descriptor 1; flushes Swift's `print` buffer first so order holds.
func writeStdout(_ bytes: UnsafeRawBufferPointer) {
    fflush(nil)
    var off = 0
    while off < bytes.count {
        let n = write(1, bytes.baseAddress! + off, bytes.count - off)
        if n <= 0 { return }
        off += n
    }
}

/// A plain-text table with aligned columns (numbers right-aligned).
struct Table {
    var header: [String]
    var rows: [[String]]
    /// Columns of text that are never right-aligned, even when a cell starts with a digit.
    var textColumns: Set<Int> = []

    func render() -> String {
        var widths = header.map { $0.count }
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return !textColumns.contains(i) && looksNumeric(c) ? pad + c : c + pad
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var out = [line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        out += rows.map(line)
        return out.joined(separator: "\n")
    }

    private func looksNumeric(_ s: String) -> Bool {
        guard let f = s.first else { return false }
        return f.isNumber || ((f == "-" || f == "+") && s.count > 1)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }

    init(format3 v: Double) {
        let r = (v * 1000).rounded() / 1000
        var s = String(r)
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < 3 { s += String(repeating: "0", count: 3 - decimals) }
        }
        self = s
    }
}

func formatBytes(_ n: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var v = Double(n)
    var u = 0
    while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
    return u == 0 ? "\(n) B" : "\(String(format1: v)) \(units[u])"
}

func formatRate(_ v: Double, unit: String) -> String {
    if v >= 1e6 { return "\(String(format1: v / 1e6)) M \(unit)" }
    if v >= 1e3 { return "\(String(format1: v / 1e3)) k \(unit)" }
    return "\(Int(v)) \(unit)"
}

extension String {
    init(format1 v: Double) {
        let r = (v * 10).rounded() / 10
        self = String(r)
    }
}

/// A one-line progress display on stderr, only when stderr is a terminal.
struct ProgressLine {
    let total: Int
    let enabled: Bool
    private var lastDraw: UInt64 = 0
    private let start = Clock.now()
    private var drawn = false

    /// Counted things instead of bytes (e.g. "phases"): drawn as "3 of 5 phases", no rate.
    var unit: String? = nil

    init(total: Int, enabled: Bool, unit: String? = nil) {
        self.total = total
        self.enabled = enabled
        self.unit = unit
    }

    mutating func update(_ done: Int) {
        guard enabled else { return }
        let now = Clock.now()
        guard now - lastDraw > 100_000_000 else { return }
        lastDraw = now
        let frac = total > 0 ? min(1, Double(done) / Double(total)) : 0
        let width = 30
        let filled = Int(frac * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let secs = Double(now - start) / 1e9
        let rate = secs > 0 ? Double(done) / secs : 0
        if let unit {
            writeStderr("\r\(bar) \(done) of \(total) \(unit)  \(String(format1: secs)) s ")
        } else {
            writeStderr("\r\(bar) \(Int(frac * 100))%  \(formatBytes(done)) of \(formatBytes(total))  \(formatBytes(Int(rate)))/s ")
        }
        drawn = true
    }

    mutating func clear() {
        if drawn {
            writeStderr("\r\u{1B}[2K")
            drawn = false
        }
    }
}

/// Expands paths: files as given, directories walked recursively (sorted, hidden files skipped).
enum FileWalker {
    static func files(at path: String) -> [String]? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        if (st.st_mode & S_IFMT) != S_IFDIR { return [path] }
        var out: [String] = []
        guard let d = opendir(path) else { return nil }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name.hasPrefix(".") { continue }
            names.append(name)
        }
        closedir(d)
        for n in names.sorted() { out += files(at: path + "/" + n) ?? [] }
        return out
    }

    static func size(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : 0
    }

    static func head(_ path: String) -> [UInt8] {
        guard let f = fopen(path, "rb") else { return [] }
        defer { fclose(f) }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = fread(&buf, 1, buf.count, f)
        return Array(buf.prefix(n))
    }
}
