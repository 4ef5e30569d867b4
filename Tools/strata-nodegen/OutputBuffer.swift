import Foundation

/// A failure the generator reports on stderr before exiting with status 1.
struct GeneratorError: Error, CustomStringConvertible {
    var description: String
}

/// A large byte buffer in front of a file descriptor, with the number formatting the
/// generator needs. Numbers are written as exact decimals from integers, never through `Double`.
struct OutputBuffer: ~Copyable {
    private let fd: Int32
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private var count = 0
    /// Bytes handed to the file descriptor so far.
    private(set) var flushedBytes = 0

    private static let powersOfTen: [Int64] = (0...18).map { (0..<$0).reduce(Int64(1)) { acc, _ in acc * 10 } }

    init(fd: Int32, capacity: Int = 8 << 20) {
        self.fd = fd
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Flushes first if fewer than `bytes` bytes are free.
    @inline(__always)
    mutating func reserve(_ bytes: Int) throws(GeneratorError) {
        if count + bytes > capacity { try flush() }
    }

    mutating func flush() throws(GeneratorError) {
        var offset = 0
        while offset < count {
            let n = write(fd, base + offset, count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw GeneratorError(description: "write failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        flushedBytes += count
        count = 0
    }

    /// Appends raw bytes; the caller reserved room.
    @inline(__always)
    mutating func append(_ bytes: UnsafePointer<UInt8>, count n: Int) {
        (base + count).update(from: bytes, count: n)
        count += n
    }

    @inline(__always)
    mutating func append(byte: UInt8) {
        base[count] = byte
        count += 1
    }

    /// Appends a non-negative integer in decimal.
    @inline(__always)
    mutating func append(unsigned value: UInt64) {
        var digits = 1
        var rest = value / 10
        while rest != 0 {
            digits += 1
            rest /= 10
        }
        var v = value
        var i = count + digits - 1
        while i >= count {
            base[i] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
            v /= 10
            i -= 1
        }
        count += digits
    }

    /// Appends `value / 10^scale` as the shortest exact decimal: "1234", "12.5", "0.000125",
    /// the same text Go's and Swift's shortest round-trip formatting give for that double.
    @inline(__always)
    mutating func append(decimal value: Int64, scale: Int) {
        var magnitude = value.magnitude
        if value < 0 { append(byte: UInt8(ascii: "-")) }
        if scale == 0 {
            append(unsigned: magnitude)
            return
        }
        let divisor = UInt64(Self.powersOfTen[scale])
        append(unsigned: magnitude / divisor)
        magnitude %= divisor
        if magnitude == 0 { return }
        var digits = scale
        while magnitude % 10 == 0 {
            magnitude /= 10
            digits -= 1
        }
        append(byte: UInt8(ascii: "."))
        var i = count + digits - 1
        while i >= count {
            base[i] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30
            magnitude /= 10
            i -= 1
        }
        count += digits
    }
}
