import StrataMetrics

/// Series refs by the bytes a client sends for their labels: a repeated series costs one hash and
/// one compare, no `Labels`, no strings. Open addressing over flat arrays; refs never go stale
/// (the metric store's head keeps every series it registered for its lifetime).
struct SeriesCache {
    private var slots: [Int32]
    private var hashes: [UInt64] = []
    private var starts: [Int] = []
    private var lengths: [Int32] = []
    private var refs: [SeriesRef] = []
    private var arena: [UInt8] = []

    init() { slots = [Int32](repeating: -1, count: 1024) }

    var count: Int { refs.count }
    /// Bytes held (keys and tables).
    var memoryBytes: Int { arena.capacity + slots.capacity * 4 + refs.count * 32 }

    static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(key.count)
        var i = 0
        let n = key.count
        while i + 8 <= n {
            h = (h ^ key.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            tail |= UInt64(key[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 29
        return h
    }

    func lookup(_ key: UnsafeRawBufferPointer, hash h: UInt64) -> SeriesRef? {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = slots[i]
            if e < 0 { return nil }
            let k = Int(e)
            if hashes[k] == h && Int(lengths[k]) == key.count {
                let equal = arena.withUnsafeBytes { a in
                    key.count == 0 || memcmpEqual(a.baseAddress! + starts[k], key.baseAddress!, key.count)
                }
                if equal { return refs[k] }
            }
            i = (i + 1) & mask
        }
    }

    mutating func insert(_ key: UnsafeRawBufferPointer, hash h: UInt64, ref: SeriesRef) {
        if (refs.count + 1) * 2 > slots.count { grow() }
        let k = refs.count
        hashes.append(h)
        starts.append(arena.count)
        lengths.append(Int32(key.count))
        refs.append(ref)
        arena.append(contentsOf: key)
        place(k)
    }

    private mutating func place(_ k: Int) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hashes[k]) & mask
        while slots[i] >= 0 { i = (i + 1) & mask }
        slots[i] = Int32(k)
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        for k in 0..<refs.count { place(k) }
    }
}

@inline(__always)
func memcmpEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
        i += 8
    }
    while i < n {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}
