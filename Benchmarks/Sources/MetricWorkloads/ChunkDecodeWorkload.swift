import StrataEncoding
import StrataMetrics

/// The chunks of a `NodeLikeWorkload`, encoded once as a block writer would (each series cut
/// into chunks of `chunkSamples`), plus the same series as Prometheus-style XOR chunks.
public struct ChunkDecodeWorkload: Sendable {
    /// One encoded chunk: its two columns and what they hold.
    public struct Chunk: Sendable {
        public let timestamps: [UInt8]
        public let values: [UInt8]
        public let count: Int
        public let timestampEncoding: TimestampEncoding
        public let valueEncoding: ValueEncoding
        public let family: SeriesFamily
        /// How the integer residuals of the value column are packed (decimal columns only).
        public let valuePacking: IntegerPacking?
        /// How the integer residuals of the timestamp column are packed (grid and delta-of-delta only).
        public let timestampPacking: IntegerPacking?
    }

    /// The packing byte of an integer residual column (Docs/format/metric-chunks.md § Integer columns).
    public enum IntegerPacking: UInt8, CaseIterable, Sendable, CustomStringConvertible {
        case bitPacked = 0, zstdVarints = 1, zstdBytePlanes = 2
        public var description: String {
            switch self {
            case .bitPacked: "bit-packed"
            case .zstdVarints: "zstd varints"
            case .zstdBytePlanes: "zstd byte planes"
            }
        }
    }

    /// Which columns a decode pass reads.
    public enum Columns: Sendable { case both, timestamps, values }

    public let chunks: [Chunk]
    /// `GorillaChunk` encodings of the same series, `gorillaSamples` samples each.
    public let gorilla: [[UInt8]]
    public let gorillaCounts: [Int]

    public init(_ w: NodeLikeWorkload, chunkSamples: Int, gorillaSamples: Int = 120) {
        var chunks: [Chunk] = [], gorilla: [[UInt8]] = [], gorillaCounts: [Int] = []
        for s in 0..<w.seriesCount {
            let ts = w.timestamps[w.hostOf[s]], vs = w.values[s]
            var start = 0
            while start < vs.count {
                let end = min(vs.count, start + chunkSamples)
                let tb = ts[start..<end].withUnsafeBufferPointer { ChunkColumns.encodeTimestamps($0) }
                let vb = vs[start..<end].withUnsafeBufferPointer { ChunkColumns.encodeValues($0) }
                let te = tb.withUnsafeBytes { ChunkColumns.timestampEncoding(of: $0)! }
                let ve = vb.withUnsafeBytes { ChunkColumns.valueEncoding(of: $0)! }
                chunks.append(
                    Chunk(
                        timestamps: tb, values: vb, count: end - start, timestampEncoding: te, valueEncoding: ve,
                        family: w.families[s], valuePacking: Self.valuePacking(vb),
                        timestampPacking: Self.timestampPacking(tb)))
                start = end
            }
            start = 0
            while start < vs.count {
                let end = min(vs.count, start + gorillaSamples)
                let g = ts[start..<end].withUnsafeBufferPointer { t in
                    vs[start..<end].withUnsafeBufferPointer { v in GorillaChunk.encode(timestamps: t, values: v) }
                }
                gorilla.append(g)
                gorillaCounts.append(end - start)
                start = end
            }
        }
        self.chunks = chunks
        self.gorilla = gorilla
        self.gorillaCounts = gorillaCounts
    }

    /// The packing of a decimal value column's residuals: the byte after its header.
    static func valuePacking(_ column: [UInt8]) -> IntegerPacking? {
        var r = ByteReader(column)
        do {
            guard try r.readUInt8() == ValueEncoding.decimal.rawValue else { return nil }
            let n = try r.readVarint()
            _ = try r.readUInt8()  // scale
            let order = try r.readUInt8()
            _ = try r.readVarint()  // common factor
            _ = try r.readSignedVarint()  // first mantissa
            if order == 2 { _ = try r.readSignedVarint() }  // first delta
            if n < 2 || (order == 2 && n < 3) { return nil }
            return IntegerPacking(rawValue: try r.readUInt8())
        } catch {
            return nil
        }
    }

    /// The packing of a grid or delta-of-delta timestamp column's residuals.
    static func timestampPacking(_ column: [UInt8]) -> IntegerPacking? {
        var r = ByteReader(column)
        do {
            let tag = try r.readUInt8()
            guard tag == TimestampEncoding.grid.rawValue || tag == TimestampEncoding.deltaOfDelta.rawValue else {
                return nil
            }
            let n = try r.readVarint()
            _ = try r.readSignedVarint()  // first
            _ = try r.readSignedVarint()  // step
            if n < 3 { return nil }
            return IntegerPacking(rawValue: try r.readUInt8())
        } catch {
            return nil
        }
    }

    /// Indices of the chunks that pass `filter`, repeated in order until they hold at least
    /// `minSamples` samples (so every benchmark decodes about the same amount). Empty if none pass.
    public func selection(minSamples: Int, where filter: (Chunk) -> Bool = { _ in true }) -> [Int] {
        let matching = chunks.indices.filter { filter(chunks[$0]) }
        guard !matching.isEmpty else { return [] }
        var out: [Int] = [], total = 0
        while total < minSamples {
            for i in matching where total < minSamples {
                out.append(i)
                total += chunks[i].count
            }
        }
        return out
    }

    /// Gorilla chunk indices holding at least `minSamples` samples.
    public func gorillaSelection(minSamples: Int) -> [Int] {
        var out: [Int] = [], total = 0
        while total < minSamples {
            for i in gorilla.indices where total < minSamples {
                out.append(i)
                total += gorillaCounts[i]
            }
        }
        return out
    }

    /// Samples in the chunks at `indices`.
    public func samples(in indices: [Int]) -> Int { indices.reduce(0) { $0 + chunks[$1].count } }

    /// Bytes of the chosen columns of every chunk, and the samples they hold.
    public func bytes(where filter: (Chunk) -> Bool = { _ in true }, columns: Columns) -> (bytes: Int, samples: Int) {
        var b = 0, n = 0
        for c in chunks where filter(c) {
            if columns != .values { b += c.timestamps.count }
            if columns != .timestamps { b += c.values.count }
            n += c.count
        }
        return (b, n)
    }

    /// Decodes the chosen columns of the chunks at `indices` into `scratch`; returns samples decoded.
    public func decode(_ indices: [Int], columns: Columns, scratch: inout DecodeScratch) -> Int {
        var n = 0
        do {
            for i in indices {
                let c = chunks[i]
                if columns != .values {
                    scratch.timestamps.removeAll(keepingCapacity: true)
                    try c.timestamps.withUnsafeBytes { b in
                        try ChunkColumns.decodeTimestamps(b, into: &scratch.timestamps)
                    }
                    scratch.check &+= UInt64(bitPattern: scratch.timestamps[scratch.timestamps.count - 1])
                }
                if columns != .timestamps {
                    scratch.values.removeAll(keepingCapacity: true)
                    try c.values.withUnsafeBytes { b in
                        try ChunkColumns.decodeValues(b, into: &scratch.values)
                    }
                    scratch.check &+= scratch.values[scratch.values.count - 1].bitPattern
                }
                n += c.count
            }
        } catch {
            fatalError("decoding a chunk just encoded failed: \(error)")
        }
        return n
    }

    /// Decodes the Gorilla chunks at `indices`; returns samples decoded.
    public func decodeGorilla(_ indices: [Int], scratch: inout DecodeScratch) -> Int {
        var n = 0
        do {
            for i in indices {
                scratch.timestamps.removeAll(keepingCapacity: true)
                scratch.values.removeAll(keepingCapacity: true)
                try gorilla[i].withUnsafeBytes { b in
                    try GorillaChunk.decode(b, timestamps: &scratch.timestamps, values: &scratch.values)
                }
                scratch.check &+= scratch.values[scratch.values.count - 1].bitPattern
                n += gorillaCounts[i]
            }
        } catch {
            fatalError("decoding a Gorilla chunk just encoded failed: \(error)")
        }
        return n
    }
}

/// Reused output arrays for decode passes, and a checksum that keeps the work observable.
public struct DecodeScratch {
    public var timestamps: [Int64] = []
    public var values: [Double] = []
    public var check: UInt64 = 0

    public init(capacity: Int) {
        timestamps.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
    }
}
