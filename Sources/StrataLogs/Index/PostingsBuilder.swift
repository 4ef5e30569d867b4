import StrataEncoding

/// Collects (key, row) pairs for the field index without an array per key: rows go into one flat
/// list, each pointing at the key's previous row (rows are added in ascending order).
struct PostingsBuilder {
    /// Key → 1-based index of its latest node.
    private var heads: [UInt64: UInt32] = [:]
    private var rows: [UInt32] = []
    /// Per node, the 1-based index of the key's previous node (0 = none).
    private var previous: [UInt32] = []

    init(capacity: Int) {
        heads.reserveCapacity(capacity / 2)
        rows.reserveCapacity(capacity)
        previous.reserveCapacity(capacity)
    }

    mutating func add(_ key: UInt64, _ row: UInt32) {
        let node = UInt32(rows.count + 1)
        rows.append(row)
        previous.append(heads.updateValue(node, forKey: key) ?? 0)
    }

    /// `[count varint]` then per key, ascending: `[hash u64 LE][rows varint][first row varint][deltas varint]*`.
    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: heads.count * 12 + rows.count * 2 + 16)
        w.appendVarint(UInt64(heads.count))
        var list: [UInt32] = []
        for key in heads.keys.sorted() {
            list.removeAll(keepingCapacity: true)
            var node = heads[key]!
            while node != 0 {
                list.append(rows[Int(node - 1)])
                node = previous[Int(node - 1)]
            }
            w.appendUInt64(key)
            w.appendVarint(UInt64(list.count))
            var last: UInt32 = 0
            for (i, r) in list.reversed().enumerated() {
                w.appendVarint(UInt64(i == 0 ? r : r &- last))
                last = r
            }
        }
        return w.bytes
    }
}
