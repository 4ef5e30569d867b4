/// A hash map keyed by `TraceID`, for the head's pairing tables.
///
/// The ids are (mostly random) UUIDs, so a seeded multiply-xorshift of the two words spreads
/// them as well as `Hasher` does at a fraction of the cost; the per-process seed keeps crafted
/// ids from aiming at collisions. Open addressing with linear probing and backward-shift
/// deletion (no tombstones), at most half full.
struct TraceIDMap<Value> {
    /// One slot: key and value side by side, so a probe touches one cache line.
    fileprivate struct Entry {
        var key: TraceID
        var value: Value?
    }
    private var entries: [Entry] = []
    private var mask = -1
    private(set) var count = 0

    init() {}

    /// A map sized for `capacity` entries without growing.
    init(capacity: Int) {
        var size = 64
        while size < capacity * 2 { size <<= 1 }
        entries = [Entry](repeating: Entry(key: TraceID(high: 0, low: 0), value: nil), count: size)
        mask = size - 1
    }

    static var seed: UInt64 { ByteHash.seed }

    @inline(__always)
    private func slot(_ id: TraceID) -> Int {
        var x = (id.high ^ TraceIDMap.seed) &* 0x9E37_79B9_7F4A_7C15 ^ id.low
        x = (x ^ (x >> 32)) &* 0xD6E8_FEB8_6659_FD93
        return Int(truncatingIfNeeded: x ^ (x >> 32)) & mask
    }

    /// The slot holding `id`, or nil.
    @inline(__always)
    private func find(_ id: TraceID) -> Int? {
        guard count > 0 else { return nil }
        var i = slot(id)
        while entries[i].value != nil {
            if entries[i].key == id { return i }
            i = (i &+ 1) & mask
        }
        return nil
    }

    subscript(id: TraceID) -> Value? {
        get { find(id).flatMap { entries[$0].value } }
        set {
            if let v = newValue { insert(id, v) } else { _ = removeValue(forKey: id) }
        }
    }

    func contains(_ id: TraceID) -> Bool { find(id) != nil }

    /// Sets the value of `id`.
    mutating func insert(_ id: TraceID, _ value: Value) {
        if (count &+ 1) &* 2 > mask &+ 1 { grow() }
        var i = slot(id)
        while entries[i].value != nil {
            if entries[i].key == id {
                entries[i].value = value
                return
            }
            i = (i &+ 1) & mask
        }
        entries[i] = Entry(key: id, value: value)
        count &+= 1
    }

    /// Removes `id`, returning its value.
    mutating func removeValue(forKey id: TraceID) -> Value? {
        guard var hole = find(id) else { return nil }
        let old = entries[hole].value
        entries[hole].value = nil
        count &-= 1
        // Backward shift: move later entries of the run into the hole when their home allows.
        var i = (hole &+ 1) & mask
        while entries[i].value != nil {
            let home = slot(entries[i].key)
            // Move when `home` is not cyclically in (hole, i].
            let between = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i)
            if !between {
                entries[hole] = entries[i]
                entries[i].value = nil
                hole = i
            }
            i = (i &+ 1) & mask
        }
        return old
    }

    /// Empties the map; keeps its memory when `keepingCapacity`.
    mutating func removeAll(keepingCapacity: Bool = false) {
        if keepingCapacity {
            for i in entries.indices { entries[i].value = nil }
        } else {
            entries = []
            mask = -1
        }
        count = 0
    }

    private mutating func grow() {
        let old = entries
        let size = max(64, (mask &+ 1) * 2)
        entries = [Entry](repeating: Entry(key: TraceID(high: 0, low: 0), value: nil), count: size)
        mask = size - 1
        count = 0
        for e in old {
            if let v = e.value { insert(e.key, v) }
        }
    }

    /// Every entry, in slot order.
    func forEach(_ body: (TraceID, Value) throws -> Void) rethrows {
        for e in entries {
            if let v = e.value { try body(e.key, v) }
        }
    }

    /// The values, in slot order.
    var allValues: [Value] {
        var out: [Value] = []
        out.reserveCapacity(count)
        forEach { _, v in out.append(v) }
        return out
    }
}

extension TraceIDMap: Sendable where Value: Sendable {}
extension TraceIDMap.Entry: Sendable where Value: Sendable {}
