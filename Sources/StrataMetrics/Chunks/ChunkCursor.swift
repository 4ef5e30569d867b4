import StrataEncoding

/// A bounds-checked reader over borrowed chunk bytes; errors name `baseOffset + position`.
@usableFromInline
struct ChunkCursor {
    @usableFromInline let buffer: UnsafeRawBufferPointer
    @usableFromInline var position: Int
    @usableFromInline let baseOffset: Int

    @inlinable
    init(_ buffer: UnsafeRawBufferPointer, baseOffset: Int) {
        self.buffer = buffer
        self.position = 0
        self.baseOffset = baseOffset
    }

    @inlinable var remaining: Int { buffer.count &- position }
    @inlinable var fileOffset: Int { baseOffset &+ position }

    @inlinable
    mutating func uint8() throws(FormatError) -> UInt8 {
        guard position < buffer.count else { throw FormatError(.truncated, at: fileOffset, "need 1 byte") }
        defer { position &+= 1 }
        return buffer[position]
    }

    @inlinable
    mutating func uint64() throws(FormatError) -> UInt64 {
        guard remaining >= 8 else { throw FormatError(.truncated, at: fileOffset, "need 8 bytes") }
        defer { position &+= 8 }
        return UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }

    @inlinable
    mutating func varint() throws(FormatError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = position
        while true {
            guard position < buffer.count else {
                throw FormatError(.truncated, at: baseOffset &+ start, "varint runs past the end")
            }
            let b = buffer[position]
            position &+= 1
            if shift == 63 && b > 1 { throw FormatError(.badVarint, at: baseOffset &+ start, "varint overflows 64 bits") }
            result |= UInt64(b & 0x7f) &<< shift
            if b < 0x80 { return result }
            shift &+= 7
            if shift > 63 { throw FormatError(.badVarint, at: baseOffset &+ start, "varint longer than 10 bytes") }
        }
    }

    @inlinable
    mutating func signedVarint() throws(FormatError) -> Int64 { unzigzag(try varint()) }

    /// A varint that must be at most `limit`.
    @inlinable
    mutating func count(limit: Int, _ what: String) throws(FormatError) -> Int {
        let at = fileOffset
        let v = try varint()
        guard v <= UInt64(max(0, limit)) else { throw FormatError(.invalid, at: at, "\(what) \(v) exceeds \(limit)") }
        return Int(v)
    }

    /// The next `n` bytes, which must be present.
    @inlinable
    mutating func bytes(_ n: Int) throws(FormatError) -> UnsafeRawBufferPointer {
        guard n >= 0, n <= remaining else {
            throw FormatError(.truncated, at: fileOffset, "need \(n) bytes, \(remaining) left")
        }
        defer { position &+= n }
        return UnsafeRawBufferPointer(rebasing: buffer[position..<position &+ n])
    }

    /// Throws unless every byte was read.
    @inlinable
    func expectEnd(_ what: String) throws(FormatError) {
        guard position == buffer.count else {
            throw FormatError(.invalid, at: fileOffset, "\(buffer.count &- position) trailing bytes after \(what)")
        }
    }
}

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
