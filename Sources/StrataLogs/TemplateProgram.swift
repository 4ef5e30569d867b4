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

    init(_ template: [UInt8]) {
        var steps: [Step] = []
        var lit: [UInt8] = []
        var runStart = 0
        var ids = 0
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
            case LineTemplate.number: endRun(); steps.append(.number)
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
    }

    /// Rebuilds `rows` lines from a group's variable streams into one buffer, with line starts
    /// (and the end). Returns nil when the streams do not hold exactly `rows` rows of this template.
    func rebuild(rows: Int, numbers: [UInt8], ids: [UInt8]) -> (bytes: [UInt8], starts: [Int])? {
        let bound = rows * (literal.count + idSlots * 36) + numbers.count
        var starts = [Int](repeating: 0, count: rows + 1)
        var ok = true
        let hex = LineTemplate.hexDigits
        let bytes = [UInt8](unsafeUninitializedCapacity: max(bound, 1)) { out, count in
            count = 0
            var o = 0
            var nAt = 0, iAt = 0
            literal.withUnsafeBufferPointer { lit in
                numbers.withUnsafeBufferPointer { nb in
                    ids.withUnsafeBufferPointer { ib in
                        hex.withUnsafeBufferPointer { hx in
                            rowLoop: for r in 0..<rows {
                                starts[r] = o
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
                                        var len = 0, shift = 0
                                        while true {
                                            guard nAt < nb.count, shift < 28 else { ok = false; break rowLoop }
                                            let c = nb[nAt]
                                            nAt += 1
                                            len |= Int(c & 0x7F) << shift
                                            if c < 0x80 { break }
                                            shift += 7
                                        }
                                        guard len <= nb.count - nAt, o + len <= bound else { ok = false; break rowLoop }
                                        (out.baseAddress! + o).update(from: nb.baseAddress! + nAt, count: len)
                                        o += len
                                        nAt += len
                                    }
                                }
                            }
                            if nAt != nb.count || iAt != ib.count { ok = false }
                        }
                    }
                }
            }
            starts[rows] = o
            count = o
        }
        return ok ? (bytes, starts) : nil
    }
}
