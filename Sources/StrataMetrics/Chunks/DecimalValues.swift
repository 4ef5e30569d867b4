import StrataEncoding

/// Values that are short decimals, coded as integer mantissas (Docs/format/metric-chunks.md § Decimal values).
///
/// A chunk qualifies when one scale `d` in `0...maxScale` makes every value `v` equal, bit for bit,
/// to `Double(m) / 10^d` for an integer `m` with `|m| <= 2^53`: exactly what parsing the text
/// "12.34" gives. The mantissas' deltas are divided by their greatest common divisor (4096 for
/// page-sized byte gauges), then coded as deltas or deltas of deltas, whichever packs smaller.
enum DecimalValues {
    static let maxScale = 18
    static let powers: [Double] = (0...18).map { d in
        var p = 1.0
        for _ in 0..<d { p *= 10 }
        return p
    }
    static let mantissaLimit = Double(1 << 53)

    enum Order: UInt8 {
        case delta = 1
        case deltaOfDelta = 2
    }

    /// The mantissa of `v` at scale `d`, if `v` is exactly `Double(m) / 10^d`.
    @inline(__always)
    static func mantissa(_ v: Double, scale d: Int) -> Int64? {
        let p = powers[d]
        let x = (v * p).rounded()
        guard abs(x) <= mantissaLimit else { return nil }
        let m = Int64(x)
        return (Double(m) / p).bitPattern == v.bitPattern ? m : nil
    }

    /// Appends the decimal coding of `vs` (header included) and returns true, or returns false
    /// (writing nothing) when the values are not short decimals.
    static func encode(_ vs: UnsafeBufferPointer<Double>, into out: inout ByteWriter) -> Bool {
        let n = vs.count
        guard n >= 1 else { return false }
        var scale = 0
        for v in vs {
            guard v.isFinite else { return false }
            while mantissa(v, scale: scale) == nil {
                scale += 1
                if scale > maxScale { return false }
            }
        }
        var ms = [Int64](repeating: 0, count: n)
        for i in 0..<n {
            guard let m = mantissa(vs[i], scale: scale) else { return false }
            ms[i] = m
        }
        var factor: UInt64 = 0
        for i in 1..<max(n, 1) {
            factor = gcd(factor, (ms[i] &- ms[i - 1]).magnitude)
            if factor == 1 { break }
        }
        if factor == 0 { factor = 1 }
        let f = Int64(factor)

        var deltas = [UInt64](repeating: 0, count: max(n - 1, 0))
        var dods = [UInt64](repeating: 0, count: max(n - 2, 0))
        var prevDelta: Int64 = 0
        for i in 1..<max(n, 1) {
            let d = (ms[i] &- ms[i - 1]) / f
            deltas[i - 1] = zigzag(d)
            if i >= 2 { dods[i - 2] = zigzag(d &- prevDelta) }
            prevDelta = d
        }
        var best = ByteWriter(capacity: n * 2 + 32)
        header(.delta, scale: scale, factor: factor, first: ms[0], count: n, into: &best)
        deltas.withUnsafeBufferPointer { IntColumn.encode($0, into: &best) }
        if n >= 3 {
            var w = ByteWriter(capacity: best.count)
            header(.deltaOfDelta, scale: scale, factor: factor, first: ms[0], count: n, into: &w)
            w.appendSignedVarint((ms[1] &- ms[0]) / f)
            dods.withUnsafeBufferPointer { IntColumn.encode($0, into: &w) }
            if w.count < best.count { best = w }
        }
        out.append(contentsOf: best.bytes)
        return true
    }

    static func header(_ order: Order, scale: Int, factor: UInt64, first: Int64, count: Int, into w: inout ByteWriter) {
        w.appendUInt8(ValueEncoding.decimal.rawValue)
        w.appendVarint(UInt64(count))
        w.appendUInt8(UInt8(scale))
        w.appendUInt8(order.rawValue)
        w.appendVarint(factor)
        w.appendSignedVarint(first)
    }

    static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var a = a
        var b = b
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }

    /// Decodes the payload after the header's encoding byte and count.
    static func decode(_ c: inout RawBufferReader, count n: Int, into dst: UnsafeMutablePointer<Double>) throws(FormatError) {
        let at = c.fileOffset
        let scale = Int(try c.uint8())
        guard scale <= maxScale else { throw FormatError(.invalid, at: at, "decimal scale \(scale) > \(maxScale)") }
        let orderByte = try c.uint8()
        guard let order = Order(rawValue: orderByte) else {
            throw FormatError(.invalid, at: at + 1, "unknown decimal order \(orderByte)")
        }
        let f = Int64(bitPattern: try c.varint())
        var m = try c.signedVarint()
        let p = powers[scale]
        let residualCount: Int
        var delta: Int64 = 0
        switch order {
        case .delta:
            residualCount = n - 1
        case .deltaOfDelta:
            guard n >= 2 else { throw FormatError(.invalid, at: at + 1, "delta-of-delta of one value") }
            delta = try c.signedVarint()
            residualCount = n - 2
        }
        // The residuals are decoded in place over the output: slot i holds the bits of
        // sample i's residual until the loop below overwrites it with the value.
        let skip = n - residualCount
        try (dst + skip).withMemoryRebound(to: UInt64.self, capacity: residualCount) {
            (z: UnsafeMutablePointer<UInt64>) throws(FormatError) in
            try IntColumn.decode(&c, count: residualCount, into: z)
        }
        dst[0] = Double(m) / p
        switch order {
        case .delta:
            for i in 1..<max(n, 1) {
                m &+= unzigzag(dst[i].bitPattern) &* f
                dst[i] = Double(m) / p
            }
        case .deltaOfDelta:
            m &+= delta &* f
            dst[1] = Double(m) / p
            for i in 2..<max(n, 2) {
                delta &+= unzigzag(dst[i].bitPattern)
                m &+= delta &* f
                dst[i] = Double(m) / p
            }
        }
    }
}
