/// Limits on what one request may carry. Each refusal names the limit and the server option that
/// raises it.
public struct WireLimits: Sendable {
    /// Bytes a decompressed body may have (`--max-decompressed-bytes`).
    public var maxDecompressedBytes = 64 << 20
    /// Series in one remote_write request (`--max-series-per-request`).
    public var maxSeriesPerRequest = 100_000
    /// Samples in one remote_write request, or records in one push (`--max-samples-per-request`).
    public var maxSamplesPerRequest = 1_000_000
    /// Bytes of a label name (`--max-label-name-length`).
    public var maxLabelNameLength = 1024
    /// Bytes of a label value (`--max-label-value-length`).
    public var maxLabelValueLength = 4096
    /// Labels of one series or stream (`--max-labels-per-series`).
    public var maxLabelsPerSeries = 64
    /// Bytes of one log line (`--max-line-bytes`); a longer line is refused, as Loki's
    /// `max_line_size` does.
    public var maxLineBytes = 256 << 10

    public init() {}

    /// The problem with a label, or nil: lengths, name syntax, UTF-8 of the value.
    func labelProblem(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> String? {
        if name.count > maxLabelNameLength {
            return "label name of \(name.count) bytes is over the limit of \(maxLabelNameLength) (--max-label-name-length)"
        }
        if value.count > maxLabelValueLength {
            return "label \(String(decoding: name, as: UTF8.self)) has a value of \(value.count) bytes, over the limit of \(maxLabelValueLength) (--max-label-value-length)"
        }
        guard let first = name.first else { return "empty label name" }
        func letter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A || c == 0x5F }
        guard letter(first), name.dropFirst().allSatisfy({ letter($0) || ($0 >= 0x30 && $0 <= 0x39) }) else {
            return "invalid label name \"\(String(decoding: name, as: UTF8.self))\""
        }
        if !Self.isUTF8(value) { return "label \(String(decoding: name, as: UTF8.self)) has a value that is not UTF-8" }
        return nil
    }

    static func isUTF8(_ b: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = b.count
        while i < n {
            // ASCII runs, 8 at a time.
            if i + 8 <= n && b.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            let len: Int
            var cp: UInt32
            switch c {
            case 0xC2...0xDF: len = 2; cp = UInt32(c & 0x1F)
            case 0xE0...0xEF: len = 3; cp = UInt32(c & 0x0F)
            case 0xF0...0xF4: len = 4; cp = UInt32(c & 0x07)
            default: return false
            }
            guard i + len <= n else { return false }
            for k in 1..<len {
                let d = b[i + k]
                guard d & 0xC0 == 0x80 else { return false }
                cp = cp << 6 | UInt32(d & 0x3F)
            }
            if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) {
                return false
            }
            i += len
        }
        return true
    }
}
