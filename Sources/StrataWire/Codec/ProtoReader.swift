/// A reader of the protobuf wire format over bytes: the hot request paths (remote_write, Loki push)
/// decode with it straight into the stores' structures, without building message objects.
/// Every read is bounds-checked and throws `WireError` with the offset; nothing traps on bad bytes.
struct ProtoReader {
    let bytes: UnsafeRawBufferPointer
    var position: Int
    let end: Int

    init(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>? = nil) {
        self.bytes = bytes
        position = range?.lowerBound ?? 0
        end = range?.upperBound ?? bytes.count
    }

    var atEnd: Bool { position >= end }

    /// Wire types.
    static let varintType = 0, fixed64Type = 1, lengthType = 2, fixed32Type = 5

    @inline(__always)
    mutating func varint() throws(WireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = position
        while position < end {
            let b = bytes[position]
            position += 1
            if shift == 63 && b > 1 { throw WireError(.malformed, "varint overflows 64 bits", offset: start) }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw WireError(.malformed, "varint longer than 10 bytes", offset: start) }
        }
        throw WireError(.malformed, "truncated varint", offset: start)
    }

    /// The next field's number and wire type.
    @inline(__always)
    mutating func tag() throws(WireError) -> (field: Int, wire: Int) {
        let at = position
        let t = try varint()
        let field = t >> 3
        guard field > 0, field <= 536_870_911 else { throw WireError(.malformed, "invalid field number \(field)", offset: at) }
        return (Int(field), Int(t & 7))
    }

    /// A length-delimited field's byte range.
    @inline(__always)
    mutating func lengthDelimited() throws(WireError) -> Range<Int> {
        let at = position
        let n = try varint()
        guard n <= UInt64(end - position) else {
            throw WireError(.malformed, "length \(n) runs past the end of its message", offset: at)
        }
        let r = position..<(position + Int(n))
        position = r.upperBound
        return r
    }

    @inline(__always)
    mutating func fixed64() throws(WireError) -> UInt64 {
        guard end - position >= 8 else { throw WireError(.malformed, "truncated fixed64", offset: position) }
        let v = bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return UInt64(littleEndian: v)
    }

    @inline(__always)
    mutating func fixed32() throws(WireError) -> UInt32 {
        guard end - position >= 4 else { throw WireError(.malformed, "truncated fixed32", offset: position) }
        let v = bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position += 4
        return UInt32(littleEndian: v)
    }

    /// Skips a field of wire type `wire`.
    mutating func skip(wire: Int) throws(WireError) {
        switch wire {
        case Self.varintType: _ = try varint()
        case Self.fixed64Type: _ = try fixed64()
        case Self.lengthType: _ = try lengthDelimited()
        case Self.fixed32Type: _ = try fixed32()
        default: throw WireError(.malformed, "unsupported wire type \(wire)", offset: position)
        }
    }

    /// Checks that a field has the wire type its schema gives it.
    @inline(__always)
    func expect(_ wire: Int, _ wanted: Int, _ what: StaticString) throws(WireError) {
        if wire != wanted { throw WireError(.malformed, "field \(what) has wire type \(wire), expected \(wanted)", offset: position) }
    }

    func string(_ r: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[r]), as: UTF8.self)
    }
}

/// A writer of the protobuf wire format (responses and test bodies).
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, _ wire: Int) { varint(UInt64(field << 3 | wire)) }

    mutating func bytesField(_ field: Int, _ b: some Collection<UInt8>) {
        tag(field, ProtoReader.lengthType)
        varint(UInt64(b.count))
        bytes.append(contentsOf: b)
    }

    mutating func stringField(_ field: Int, _ s: String) { bytesField(field, s.utf8) }

    mutating func varintField(_ field: Int, _ v: UInt64) {
        tag(field, ProtoReader.varintType)
        varint(v)
    }

    mutating func doubleField(_ field: Int, _ v: Double) {
        tag(field, ProtoReader.fixed64Type)
        withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func message(_ field: Int, _ build: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        build(&inner)
        bytesField(field, inner.bytes)
    }
}
