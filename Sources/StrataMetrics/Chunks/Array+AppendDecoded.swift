import StrataEncoding

extension Array {
    /// Appends `n` copies of `zero`, lets `body` overwrite them, and removes them again if `body` throws.
    @inlinable
    mutating func appendDecoded(
        _ n: Int, zero: Element, _ body: (UnsafeMutablePointer<Element>) throws(FormatError) -> Void
    ) throws(FormatError) {
        let start = count
        append(contentsOf: repeatElement(zero, count: n))
        if n == 0 { return }
        do {
            try withUnsafeMutableBufferPointer { (b: inout UnsafeMutableBufferPointer<Element>) throws(FormatError) in
                try body(b.baseAddress! + start)
            }
        } catch {
            removeSubrange(start...)
            throw error
        }
    }
}
