/// A template compiled for fast rebuilding: literal runs (unescaped) and placeholders, in order.
struct TemplateProgram: Sendable {
    enum Step: Sendable {
        /// Copy `literal[start..<end]`.
        case text(Int, Int)
        case uuid, hex32, number
    }
    let steps: [Step]
    let literal: [UInt8]
    let idSlots: Int
    let numberSlots: Int

    init(_ template: [UInt8]) {
        var steps: [Step] = []
        var lit: [UInt8] = []
        var runStart = 0
        var ids = 0, nums = 0
        func endRun() {
            if lit.count > runStart { steps.append(.text(runStart, lit.count)) }
            runStart = lit.count
        }
        var i = 0
        while i < template.count {
            let b = template[i]
            i += 1
            switch b {
            case LineTemplate.uuid: endRun(); steps.append(.uuid); ids += 1
            case LineTemplate.hex32: endRun(); steps.append(.hex32); ids += 1
            case LineTemplate.number, LineTemplate.hexRun: endRun(); steps.append(.number); nums += 1
            case LineTemplate.escape:
                if i < template.count { lit.append(template[i]) }
                i += 1
            default: lit.append(b)
            }
        }
        endRun()
        self.steps = steps
        self.literal = lit
        self.idSlots = ids
        self.numberSlots = nums
    }

    /// Rebuilds `rows` lines from a group's variable streams into one buffer, with line starts
    /// (and the end). Returns nil when the streams do not hold exactly `rows` rows of this template.
    func rebuild(rows: Int, columns: [[UInt8]], ids: [UInt8]) -> (bytes: [UInt8], starts: [Int])? {
        let bound = rows * (literal.count + idSlots * 36) + columns.reduce(0) { $0 + $1.count }
        var starts = [Int](repeating: 0, count: rows + 1)
        var ok = true
        let hex = LineTemplate.hexDigits
        let bytes = [UInt8](unsafeUninitializedCapacity: max(bound, 1)) { out, count in
            count = 0
            var o = 0
            var iAt = 0
            var slot = 0
            literal.withUnsafeBufferPointer { lit in
                do {
                    guard columns.count == numberSlots else { ok = false; return }
                    var cursor = [Int](repeating: 0, count: columns.count)
                    ids.withUnsafeBufferPointer { ib in
                        hex.withUnsafeBufferPointer { hx in
                            rowLoop: for r in 0..<rows {
                                starts[r] = o
                                slot = 0
                                for s in steps {
                                    switch s {
                                    case .text(let a, let b):
                                        let n = b - a
                                        guard o + n <= bound else { ok = false; break rowLoop }
                                        (out.baseAddress! + o).update(from: lit.baseAddress! + a, count: n)
                                        o += n
                                    case .uuid, .hex32:
                                        guard iAt + 16 <= ib.count, o + 36 <= bound else { ok = false; break rowLoop }
                                        let dashed: Bool
                                        if case .uuid = s { dashed = true } else { dashed = false }
                                        for k in 0..<16 {
                                            if dashed && (k == 4 || k == 6 || k == 8 || k == 10) {
                                                out[o] = 0x2D
                                                o += 1
                                            }
                                            let v = ib[iAt + k]
                                            out[o] = hx[Int(v >> 4)]
                                            out[o + 1] = hx[Int(v & 15)]
                                            o += 2
                                        }
                                        iAt += 16
                                    case .number:
                                        let nb = columns[slot]
                                        let end = nb.count
                                        var nAt = cursor[slot]
                                        var len = 0, shift = 0
                                        while true {
                                            guard nAt < end, shift < 28 else { ok = false; break rowLoop }
                                            let c = nb[nAt]
                                            nAt += 1
                                            len |= Int(c & 0x7F) << shift
                                            if c < 0x80 { break }
                                            shift += 7
                                        }
                                        guard len <= end - nAt, o + len <= bound else { ok = false; break rowLoop }
                                        nb.withUnsafeBufferPointer { (out.baseAddress! + o).update(from: $0.baseAddress! + nAt, count: len) }
                                        o += len
                                        cursor[slot] = nAt + len
                                        slot += 1
                                    }
                                }
                            }
                            if iAt != ib.count { ok = false }
                            for k in 0..<columns.count where cursor[k] != columns[k].count { ok = false }
                        }
                    }
                }
            }
            starts[rows] = o
            count = o
        }
        return ok ? (bytes, starts) : nil
    }

    /// Rebuilds only the line of the group's row `rank` (skipping the rows before it in each column).
    func rebuildRow(_ rank: Int, columns: [[UInt8]], ids: [UInt8]) -> [UInt8]? {
        guard columns.count == numberSlots, (rank + 1) * idSlots * 16 <= ids.count else { return nil }
        var values: [Range<Int>] = []
        for col in columns {
            var at = 0
            var found: Range<Int>? = nil
            for r in 0...rank {
                var len = 0, shift = 0
                while true {
                    guard at < col.count, shift < 28 else { return nil }
                    let c = col[at]
                    at += 1
                    len |= Int(c & 0x7F) << shift
                    if c < 0x80 { break }
                    shift += 7
                }
                guard len <= col.count - at else { return nil }
                if r == rank { found = at..<(at + len) }
                at += len
            }
            guard let found else { return nil }
            values.append(found)
        }
        var out: [UInt8] = []
        out.reserveCapacity(literal.count + idSlots * 36 + 32)
        var slot = 0
        var idAt = rank * idSlots * 16
        for s in steps {
            switch s {
            case .text(let a, let b): out.append(contentsOf: literal[a..<b])
            case .uuid, .hex32:
                var dashed = false
                if case .uuid = s { dashed = true }
                for k in 0..<16 {
                    if dashed && (k == 4 || k == 6 || k == 8 || k == 10) { out.append(0x2D) }
                    let v = ids[idAt + k]
                    out.append(LineTemplate.hexDigits[Int(v >> 4)])
                    out.append(LineTemplate.hexDigits[Int(v & 15)])
                }
                idAt += 16
            case .number:
                out.append(contentsOf: columns[slot][values[slot]])
                slot += 1
            }
        }
        return out
    }
}
