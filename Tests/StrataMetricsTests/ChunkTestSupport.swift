import StrataEncoding
import Testing

@testable import StrataMetrics

/// Helpers shared by the chunk tests.
enum ChunkTestSupport {
    static func encode(_ vs: [Double]) -> [UInt8] { vs.withUnsafeBufferPointer { ChunkColumns.encodeValues($0) } }
    static func encode(_ ts: [Int64]) -> [UInt8] { ts.withUnsafeBufferPointer { ChunkColumns.encodeTimestamps($0) } }

    static func decodeValues(_ bytes: [UInt8], baseOffset: Int = 0) -> Result<[Double], FormatError> {
        var out: [Double] = [-1]  // decoding appends; this sentinel must survive
        let r = bytes.withUnsafeBytes { raw in
            Result { () throws(FormatError) in try ChunkColumns.decodeValues(raw, baseOffset: baseOffset, into: &out) }
        }
        return r.map {
            precondition(out.first?.bitPattern == (-1.0).bitPattern)
            return Array(out.dropFirst())
        }
    }

    static func decodeTimestamps(_ bytes: [UInt8], baseOffset: Int = 0) -> Result<[Int64], FormatError> {
        var out: [Int64] = [-7]
        let r = bytes.withUnsafeBytes { raw in
            Result { () throws(FormatError) in try ChunkColumns.decodeTimestamps(raw, baseOffset: baseOffset, into: &out) }
        }
        return r.map {
            precondition(out.first == -7)
            return Array(out.dropFirst())
        }
    }

    static func gorillaRoundTrip(_ ts: [Int64], _ vs: [Double]) -> Result<([Int64], [Double]), FormatError> {
        let bytes = ts.withUnsafeBufferPointer { t in
            vs.withUnsafeBufferPointer { GorillaChunk.encode(timestamps: t, values: $0) }
        }
        return gorillaDecode(bytes)
    }

    static func gorillaDecode(_ bytes: [UInt8]) -> Result<([Int64], [Double]), FormatError> {
        var ts: [Int64] = []
        var vs: [Double] = []
        let r = bytes.withUnsafeBytes { raw in
            Result { () throws(FormatError) in try GorillaChunk.decode(raw, timestamps: &ts, values: &vs) }
        }
        return r.map { (ts, vs) }
    }

    static func bits(_ vs: [Double]) -> [UInt64] { vs.map(\.bitPattern) }

    static func encoding(_ bytes: [UInt8]) -> ValueEncoding? {
        bytes.withUnsafeBytes { ChunkColumns.valueEncoding(of: $0) }
    }

    static func timestampEncoding(_ bytes: [UInt8]) -> TimestampEncoding? {
        bytes.withUnsafeBytes { ChunkColumns.timestampEncoding(of: $0) }
    }

    /// Maps a random 64-bit seed to an awkward Float64: NaN payloads, infinities, the stale
    /// marker, signed zeros, subnormals, extremes, short decimals, or any bit pattern.
    static func awkwardValue(_ seed: UInt64) -> Double {
        let payload = seed >> 8
        switch seed & 0xf {
        case 0: return Double(bitPattern: 0x7ff0_0000_0000_0000 | (payload & 0x000f_ffff_ffff_ffff) | 1 | (seed & 0x80 == 0 ? 0 : 1 << 63))
        case 1: return seed & 0x10 == 0 ? .infinity : -.infinity
        case 2: return Sample.staleNaN
        case 3: return seed & 0x10 == 0 ? 0.0 : -0.0
        case 4: return Double(bitPattern: payload & 0x000f_ffff_ffff_ffff)  // subnormal (or zero)
        case 5: return [1e308, -1e308, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -.leastNormalMagnitude][Int(payload % 5)]
        case 6, 7, 8: return Double(Int64(payload % 2_000_000) - 1_000_000) / 100
        case 9: return 0.1 + 0.2
        default: return Double(bitPattern: seed)
        }
    }
}
