/// Writes a stream of bits, most significant bit first, 64 bits at a time.
///
/// Bits fill each byte from its high bit down, the order Prometheus's `bstream` uses, so a
/// stream of `n` bits occupies `(n + 7) / 8` bytes with zero padding at the end. Finished
/// 64-bit words go to a reserved array; the partial word stays in a register.
///
/// ```swift
/// var w = BitWriter(capacity: 1024)
/// w.writeBit(true)
/// w.write(0b101, bits: 3)
/// let bytes = w.bytes          // [0b1101_0000]
/// ```
@frozen
public struct BitWriter: Sendable {
    /// Finished words, in stream order (each holds 64 bits, first bit in the high bit).
    @usableFromInline var words: [UInt64]
    /// Pending bits, left-aligned: the first pending bit is bit 63.
    @usableFromInline var pending: UInt64
    /// Number of valid bits in `pending` (0...63).
    @usableFromInline var used: Int

    /// Creates an empty writer with room for about `capacity` bytes.
    @inlinable
    public init(capacity: Int = 0) {
        words = []
        words.reserveCapacity(max(0, capacity) / 8 + 1)
        pending = 0
        used = 0
    }

    /// Number of bits written so far.
    @inlinable public var bitCount: Int { words.count &* 64 &+ used }

    /// Number of bytes `bytes` will hold: the bit count rounded up to whole bytes.
    @inlinable public var byteCount: Int { (bitCount &+ 7) &>> 3 }

    /// Appends the low `n` bits of `value`, most significant first.
    ///
    /// - Parameters:
    ///   - value: Bits above the low `n` are ignored.
    ///   - n: 0...64.
    @inlinable @inline(__always)
    public mutating func write(_ value: UInt64, bits n: Int) {
        if n == 0 { return }
        let v = n == 64 ? value : value & ((1 &<< UInt64(n)) &- 1)
        let free = 64 &- used
        if n < free {
            pending |= v &<< UInt64(free &- n)
            used &+= n
        } else {
            let rest = n &- free
            pending |= v &>> UInt64(rest)
            words.append(pending)
            pending = rest == 0 ? 0 : v &<< UInt64(64 &- rest)
            used = rest
        }
    }

    /// Appends one bit.
    @inlinable @inline(__always)
    public mutating func writeBit(_ bit: Bool) {
        if bit { pending |= 1 &<< UInt64(63 &- used) }
        used &+= 1
        if used == 64 {
            words.append(pending)
            pending = 0
            used = 0
        }
    }

    /// The stream as bytes, zero-padded to a whole byte.
    @inlinable
    public var bytes: [UInt8] {
        var out = ByteWriter(capacity: byteCount)
        append(to: &out)
        return out.bytes
    }

    /// Appends the stream's bytes (zero-padded to a whole byte) to `writer`.
    @inlinable
    public func append(to writer: inout ByteWriter) {
        let total = byteCount
        let start = writer.bytes.count
        writer.bytes.append(contentsOf: repeatElement(0, count: total))
        writer.bytes.withUnsafeMutableBytes { raw in
            var at = start
            words.withUnsafeBufferPointer { ws in
                for w in ws {
                    raw.storeBytes(of: w.bigEndian, toByteOffset: at, as: UInt64.self)
                    at &+= 8
                }
            }
            var p = pending
            for _ in 0..<((used &+ 7) &>> 3) {
                raw[at] = UInt8(truncatingIfNeeded: p &>> 56)
                p &<<= 8
                at &+= 1
            }
        }
    }
}

/// Reads a stream written by `BitWriter`, most significant bit first, from borrowed bytes.
///
/// The reader keeps up to 64 bits in a register and refills it with one unaligned 8-byte load
/// where it can. Reading past the end throws `FormatError(.truncated)`; it never traps. The
/// bytes must outlive the reader (it holds a raw pointer).
///
/// ```swift
/// try bytes.withUnsafeBytes { raw throws(FormatError) in
///     var r = BitReader(raw)
///     let first = try r.readBit()
///     let three = try r.read(bits: 3)
/// }
/// ```
@frozen
public struct BitReader {
    @usableFromInline let base: UnsafeRawPointer?
    @usableFromInline let count: Int
    /// Next byte to load into `buffer`.
    @usableFromInline var position: Int
    /// Loaded bits, left-aligned. Bits below `available` may hold already-loaded stream bits.
    @usableFromInline var buffer: UInt64
    /// Number of valid bits at the top of `buffer`.
    @usableFromInline var available: Int
    /// Added to byte positions in errors.
    @usableFromInline let baseOffset: Int

    /// Creates a reader over `bytes`; errors report `baseOffset` plus the byte position.
    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, baseOffset: Int = 0) {
        base = bytes.baseAddress
        count = bytes.count
        position = 0
        buffer = 0
        available = 0
        self.baseOffset = baseOffset
    }

    /// Bits not read yet (including the zero padding of the last byte).
    @inlinable public var bitsRemaining: Int { (count &- position) &* 8 &+ available }

    /// The byte position just after the last bit read so far.
    @inlinable public var bytesConsumed: Int { position &- (available &>> 3) }

    @inlinable @inline(__always)
    mutating func refill() {
        if position &+ 8 <= count, let base {
            let w = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: position, as: UInt64.self))
            buffer |= w &>> UInt64(available)
            let take = (63 &- available) &>> 3
            position &+= take
            available &+= take &* 8
        } else if let base {
            while available <= 56 && position < count {
                let b = UInt64(base.load(fromByteOffset: position, as: UInt8.self))
                buffer |= b &<< UInt64(56 &- available)
                position &+= 1
                available &+= 8
            }
        }
    }

    @usableFromInline
    func truncated(_ n: Int) -> FormatError {
        FormatError(.truncated, at: baseOffset &+ count, "bit stream ended; needed \(n) more bits")
    }

    /// Reads one bit.
    @inlinable @inline(__always)
    public mutating func readBit() throws(FormatError) -> Bool {
        if available == 0 {
            refill()
            if available == 0 { throw truncated(1) }
        }
        let bit = buffer &>> 63
        buffer &<<= 1
        available &-= 1
        return bit != 0
    }

    /// Reads `n` bits (0...64) as the low bits of the result.
    @inlinable @inline(__always)
    public mutating func read(bits n: Int) throws(FormatError) -> UInt64 {
        if n > 56 { return try readWide(bits: n) }
        return try readNarrow(bits: n)
    }

    /// 57...64 bits: two narrow reads. Kept out of line so `read(bits:)` has no recursion and inlines.
    @inlinable @inline(never)
    mutating func readWide(bits n: Int) throws(FormatError) -> UInt64 {
        let high = try readNarrow(bits: n &- 32)
        let low = try readNarrow(bits: 32)
        return high &<< 32 | low
    }

    /// 0...56 bits from the buffer.
    @inlinable @inline(__always)
    mutating func readNarrow(bits n: Int) throws(FormatError) -> UInt64 {
        if available < n {
            refill()
            if available < n { throw truncated(n &- available) }
        }
        if n == 0 { return 0 }
        let v = buffer &>> UInt64(64 &- n)
        buffer &<<= UInt64(n)
        available &-= n
        return v
    }
}
