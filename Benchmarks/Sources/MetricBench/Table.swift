/// A plain text table: columns padded to their widest cell, numbers right-aligned.
struct Table {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: String...) { self.header = header }

    mutating func add(_ cells: String...) { rows.append(cells) }

    func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { $0.count > c ? $0[c].count : 0 }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.indices.map { c in
                let cell = cells[c]
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return c == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }
}

/// `x` with `decimals` digits after the point (no Foundation).
func fixed(_ x: Double, _ decimals: Int = 1) -> String {
    guard x.isFinite else { return "\(x)" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let r = (abs(x) * scale).rounded()
    let whole = Int(r / scale)
    let frac = Int(r - Double(whole) * scale)
    let sign = x < 0 && r != 0 ? "-" : ""
    if decimals == 0 { return sign + "\(whole)" }
    let f = String(frac)
    return sign + "\(whole)." + String(repeating: "0", count: decimals - f.count) + f
}

/// Mebibytes with one decimal.
func mib(_ bytes: Int) -> String { fixed(Double(bytes) / 1_048_576, 1) + " MiB" }
