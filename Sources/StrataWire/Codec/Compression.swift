import CSnappy
import CZlib

/// Snappy's block format, as remote_write, remote_read and Loki's protobuf push use it.
public enum Snappy {
    /// Decompresses `input`, refusing before allocating anything when the length the header
    /// announces is over `limit` (a snappy bomb costs nothing).
    /// - Throws: `WireError(.tooLarge)` over the limit, `.malformed` for bytes that are not snappy.
    public static func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws(WireError) -> [UInt8] {
        guard let base = input.baseAddress?.assumingMemoryBound(to: CChar.self), input.count > 0 else {
            throw WireError(.malformed, "empty snappy body")
        }
        var length = 0
        guard snappy_uncompressed_length(base, input.count, &length) == SNAPPY_OK else {
            throw WireError(.malformed, "not snappy block format: bad length header", offset: 0)
        }
        guard length <= limit else {
            throw WireError(.tooLarge, "snappy body decompresses to \(length) bytes, over the limit of \(limit) (--max-decompressed-bytes)")
        }
        var out = [UInt8](repeating: 0, count: length)
        var outLength = length
        let status = out.withUnsafeMutableBufferPointer { o in
            o.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(length, 1)) {
                snappy_uncompress(base, input.count, $0, &outLength)
            }
        }
        guard status == SNAPPY_OK, outLength == length else {
            throw WireError(.malformed, "corrupt snappy block data")
        }
        return out
    }

    public static func decompress(_ input: [UInt8], limit: Int) throws(WireError) -> [UInt8] {
        let r: Result<[UInt8], WireError> = input.withUnsafeBytes { b in
            do throws(WireError) { return .success(try decompress(b, limit: limit)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    /// Compresses `input` in snappy's block format.
    public static func compress(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        let capacity = snappy_max_compressed_length(input.count)
        var out = [UInt8](repeating: 0, count: capacity)
        var n = capacity
        out.withUnsafeMutableBufferPointer { o in
            o.baseAddress!.withMemoryRebound(to: CChar.self, capacity: capacity) { dst in
                let src = input.baseAddress?.assumingMemoryBound(to: CChar.self)
                var empty: CChar = 0
                _ = snappy_compress(src ?? withUnsafePointer(to: &empty) { $0 }, input.count, dst, &n)
            }
        }
        out.removeLast(capacity - n)
        return out
    }

    public static func compress(_ input: [UInt8]) -> [UInt8] { input.withUnsafeBytes { compress($0) } }
}

/// gzip (and zlib) bodies, inflated with a running limit: a gzip bomb stops at `limit` bytes.
public enum Gzip {
    /// - Throws: `WireError(.tooLarge)` once the output passes `limit`, `.malformed` for bad data.
    public static func decompress(_ input: [UInt8], limit: Int) throws(WireError) -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 32: detect gzip or zlib headers.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw WireError(.malformed, "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var input = input
        let result: WireError? = input.withUnsafeMutableBufferPointer { inBuf -> WireError? in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = UInt32(inBuf.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { c -> (Int32, Int) in
                    stream.next_out = c.baseAddress
                    stream.avail_out = UInt32(c.count)
                    let s = inflate(&stream, Z_NO_FLUSH)
                    return (s, c.count - Int(stream.avail_out))
                }
                if out.count + produced > limit {
                    return WireError(.tooLarge, "gzip body inflates past the limit of \(limit) bytes (--max-decompressed-bytes)")
                }
                out.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END: return nil
                case Z_OK: if stream.avail_in == 0 && produced == 0 { return WireError(.malformed, "truncated gzip body") }
                case Z_BUF_ERROR: if stream.avail_in == 0 { return WireError(.malformed, "truncated gzip body") }
                default:
                    return WireError(.malformed, "corrupt gzip body at byte \(Int(stream.total_in))")
                }
            }
        }
        if let result { throw result }
        return out
    }

    /// Compresses `input` as gzip (for tests and clients).
    public static func compress(_ input: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        _ = deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        defer { deflateEnd(&stream) }
        var input = input
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
        let n = input.withUnsafeMutableBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o -> Int in
                stream.next_in = i.baseAddress
                stream.avail_in = UInt32(i.count)
                stream.next_out = o.baseAddress
                stream.avail_out = UInt32(o.count)
                _ = deflate(&stream, Z_FINISH)
                return o.count - Int(stream.avail_out)
            }
        }
        out.removeLast(out.count - n)
        return out
    }
}
