import StrataMetrics

/// Series refs by the bytes a client sends for their labels: a repeated series costs one hash and
/// one compare, no `Labels`, no strings. Open addressing over flat arrays; refs never go stale
/// (the metric store's head keeps every series it registered for its lifetime).
struct SeriesCache {
    /// A slot holds the key's hash beside the entry index, so that a probe touches one cache line
    /// until the hashes agree.
    private struct Slot {
        var hash: UInt64
        var entry: Int32  // -1: empty
    }

    private struct Entry {
        var start: Int
        var length: Int32
        var ref: SeriesRef
    }

    private var slots: [Slot]
    private var entries: [Entry] = []
    private var arena: [UInt8] = []

    init() { slots = [Slot](repeating: Slot(hash: 0, entry: -1), count: 1024) }

    var count: Int { entries.count }
    /// Bytes held (keys and tables).
    var memoryBytes: Int { arena.capacity + slots.capacity * MemoryLayout<Slot>.stride + entries.capacity * MemoryLayout<Entry>.stride }

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
        slots.withUnsafeBufferPointer { slots in
            entries.withUnsafeBufferPointer { entries in
                arena.withUnsafeBytes { arena -> SeriesRef? in
                    let mask = slots.count - 1
                    var i = Int(truncatingIfNeeded: h) & mask
                    while true {
                        let s = slots[i]
                        if s.entry < 0 { return nil }
                        if s.hash == h {
                            let e = entries[Int(s.entry)]
                            if Int(e.length) == key.count
                                && (key.count == 0 || memcmpEqual(arena.baseAddress! + e.start, key.baseAddress!, key.count))
                            {
                                return e.ref
                            }
                        }
                        i = (i + 1) & mask
                    }
                }
            }
        }
    }

    mutating func insert(_ key: UnsafeRawBufferPointer, hash h: UInt64, ref: SeriesRef) {
        if (entries.count + 1) * 2 > slots.count { grow() }
        entries.append(Entry(start: arena.count, length: Int32(key.count), ref: ref))
        arena.append(contentsOf: key)
        place(Slot(hash: h, entry: Int32(entries.count - 1)))
    }

    private mutating func place(_ slot: Slot) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: slot.hash) & mask
        while slots[i].entry >= 0 { i = (i + 1) & mask }
        slots[i] = slot
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(hash: 0, entry: -1), count: slots.count * 2)
        for s in old where s.entry >= 0 { place(s) }
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
