import StrataEncoding

/// Encoders and decoders of the timestamp column (Docs/format/metric-chunks.md § Timestamp column).
enum TimestampColumn {
    static func encode(_ ts: UnsafeBufferPointer<Int64>, into out: inout ByteWriter) {
        let n = ts.count
        if n < 2 {
            out.appendUInt8(TimestampEncoding.regular.rawValue)
            out.appendVarint(UInt64(n))
            if n == 1 { out.appendSignedVarint(ts[0]) }
            return
        }
        let step = ts[1] &- ts[0]
        var regular = true
        for i in 2..<n where ts[i] &- ts[i - 1] != step {
            regular = false
            break
        }
        if regular {
            out.appendUInt8(TimestampEncoding.regular.rawValue)
            out.appendVarint(UInt64(n))
            out.appendSignedVarint(ts[0])
            out.appendSignedVarint(step)
            return
        }
        var best = ByteWriter(capacity: n)
        encodeDeltaOfDelta(ts, into: &best)
        var grid = ByteWriter(capacity: n)
        encodeGrid(ts, into: &grid)
        if grid.count < best.count { best = grid }
        out.append(contentsOf: best.bytes)
    }

    /// Offsets from the line `start + i * step`, where `step` is the mean interval and `start`
    /// centres the offsets on zero.
    static func encodeGrid(_ ts: UnsafeBufferPointer<Int64>, into out: inout ByteWriter) {
        let n = ts.count
        let span = ts[n - 1] &- ts[0]
        let step = Int64((Double(span) / Double(n - 1)).rounded())
        var low = Int64.max
        var high = Int64.min
        var offsets = [Int64](repeating: 0, count: n)
        var nominal = ts[0]
        for i in 0..<n {
            let o = ts[i] &- nominal
            offsets[i] = o
            low = min(low, o)
            high = max(high, o)
            nominal &+= step
        }
        let centre = low &+ Int64(bitPattern: UInt64(bitPattern: high &- low) / 2)
        let residuals = offsets.map { zigzag($0 &- centre) }
        out.appendUInt8(TimestampEncoding.grid.rawValue)
        out.appendVarint(UInt64(n))
        out.appendSignedVarint(ts[0] &+ centre)
        out.appendSignedVarint(step)
        residuals.withUnsafeBufferPointer { IntColumn.encode($0, into: &out) }
    }

    static func encodeDeltaOfDelta(_ ts: UnsafeBufferPointer<Int64>, into out: inout ByteWriter) {
        let n = ts.count
        var residuals = [UInt64](repeating: 0, count: n - 2)
        var prevDelta = ts[1] &- ts[0]
        for i in 2..<n {
            let d = ts[i] &- ts[i - 1]
            residuals[i - 2] = zigzag(d &- prevDelta)
            prevDelta = d
        }
        out.appendUInt8(TimestampEncoding.deltaOfDelta.rawValue)
        out.appendVarint(UInt64(n))
        out.appendSignedVarint(ts[0])
        out.appendSignedVarint(ts[1] &- ts[0])
        residuals.withUnsafeBufferPointer { IntColumn.encode($0, into: &out) }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, baseOffset: Int, into out: inout [Int64]) throws(FormatError) {
        var c = RawBufferReader(bytes, baseOffset: baseOffset)
        let tag = try c.uint8()
        guard let encoding = TimestampEncoding(rawValue: tag) else {
            throw FormatError(.invalid, at: baseOffset, "unknown timestamp encoding \(tag)")
        }
        let n = try c.count(limit: ChunkColumns.maxSamples, "sample count")
        if n == 0 {
            try c.expectEnd("an empty timestamp column")
            return
        }
        let first = try c.signedVarint()
        if n == 1 && encoding == .regular {
            try c.expectEnd("a one-sample timestamp column")
            out.append(first)
            return
        }
        let step = try c.signedVarint()
        switch encoding {
        case .regular:
            try c.expectEnd("a regular timestamp column")
            try out.appendDecoded(n, zero: 0) { dst throws(FormatError) in
                var t = first
                for i in 0..<n {
                    dst[i] = t
                    t &+= step
                }
            }
        case .grid:
            try out.appendDecoded(n, zero: 0) { dst throws(FormatError) in
                try dst.withMemoryRebound(to: UInt64.self, capacity: n) { (z: UnsafeMutablePointer<UInt64>) throws(FormatError) in
                    try IntColumn.decode(&c, count: n, into: z)
                }
                var t = first
                for i in 0..<n {
                    dst[i] = t &+ unzigzag(UInt64(bitPattern: dst[i]))
                    t &+= step
                }
                try c.expectEnd("a grid timestamp column")
            }
        case .deltaOfDelta:
            guard n >= 2 else { throw FormatError(.invalid, at: baseOffset, "delta-of-delta column of one sample") }
            try out.appendDecoded(n, zero: 0) { dst throws(FormatError) in
                try (dst + 2).withMemoryRebound(to: UInt64.self, capacity: n - 2) {
                    (z: UnsafeMutablePointer<UInt64>) throws(FormatError) in
                    try IntColumn.decode(&c, count: n - 2, into: z)
                }
                try c.expectEnd("a delta-of-delta timestamp column")
                dst[0] = first
                dst[1] = first &+ step
                var t = dst[1]
                var delta = step
                for i in 2..<n {
                    delta &+= unzigzag(UInt64(bitPattern: dst[i]))
                    t &+= delta
                    dst[i] = t
                }
            }
        }
    }
}
