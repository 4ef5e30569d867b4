/// A hash map from the raw bytes of a series (`name{a="b",...}` exactly as written) to a
/// dense series index, so a series seen before costs one hash and one compare, no allocation.
///
/// Keys live back to back in one byte arena; the table is open addressing with linear probing
/// on a power-of-two slot array holding entry numbers.
struct RawSeriesCache {
    private var slots: [Int32]
    private var hashes: [UInt64] = []
    private var offsets: [Int] = []
    private var lengths: [Int32] = []
    private var series: [Int32] = []
    private var arena: [UInt8] = []

    init() {
        slots = [Int32](repeating: -1, count: 1024)
    }

    var count: Int { series.count }

    /// A 64-bit hash of `n` bytes at `p`, eight bytes at a time.
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: n)
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i &+ 8 <= n {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ w) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h &>> 29
            i &+= 8
        }
        if i < n {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                w |= UInt64(p[i]) &<< shift
                shift &+= 8
                i &+= 1
            }
            h = (h ^ w) &* 0xC4CE_B9FE_1A85_EC53
        }
        h ^= h &>> 32
        h = h &* 0x9E37_79B9_7F4A_7C15
        return h ^ (h &>> 29)
    }

    /// The series index stored for these bytes, or nil.
    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> Int32? {
        slots.withUnsafeBufferPointer { slots in
            let mask = slots.count &- 1
            var s = Int(truncatingIfNeeded: h) & mask
            while true {
                let e = slots[s]
                if e < 0 { return nil }
                let ei = Int(e)
                if hashes[ei] == h && Int(lengths[ei]) == n {
                    let equal = arena.withUnsafeBufferPointer { a in
                        memoryEqual(a.baseAddress! + offsets[ei], p, n)
                    }
                    if equal { return series[ei] }
                }
                s = (s &+ 1) & mask
            }
        }
    }

    /// Records `bytes -> index`; the key must not be present.
    mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64, series index: Int32) {
        if (series.count &+ 1) &* 2 > slots.count { grow() }
        let e = Int32(series.count)
        hashes.append(h)
        offsets.append(arena.count)
        lengths.append(Int32(n))
        series.append(index)
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        place(e, hash: h)
    }

    private mutating func place(_ e: Int32, hash h: UInt64) {
        let mask = slots.count &- 1
        var s = Int(truncatingIfNeeded: h) & mask
        while slots[s] >= 0 { s = (s &+ 1) & mask }
        slots[s] = e
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count &* 2)
        for e in 0..<series.count { place(Int32(e), hash: hashes[e]) }
    }
}

@inline(__always)
func memoryEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    while i &+ 8 <= n {
        if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        {
            return false
        }
        i &+= 8
    }
    while i < n {
        if a[i] != b[i] { return false }
        i &+= 1
    }
    return true
}
