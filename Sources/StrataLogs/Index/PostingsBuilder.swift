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

    /// The distinct keys added so far (any order).
    var keys: [UInt64] { Array(heads.keys) }

    mutating func add(_ key: UInt64, _ row: UInt32) {
        let node = UInt32(rows.count + 1)
        rows.append(row)
        previous.append(heads.updateValue(node, forKey: key) ?? 0)
    }

    /// `[count varint]` then per key, ascending: `[hash u64 LE][rows varint][first row varint][deltas varint]*`
    /// (the whole field index of a version 1-2 segment, and one chunk of a version 3 segment's).
    func encoded() -> [UInt8] {
        chunks(maxKeys: Int.max).first?.bytes ?? [0]
    }

    /// One chunk of the field index: its first and last key and its encoding (as `encoded()`).
    struct Chunk {
        var firstKey: UInt64
        var lastKey: UInt64
        var keys: Int
        var bytes: [UInt8]
    }

    /// The keys in ascending order cut into chunks of at most `maxKeys` keys, each encoded as
    /// `encoded()` encodes the whole: a reader decodes only the chunk that can hold a key.
    func chunks(maxKeys: Int) -> [Chunk] {
        var out: [Chunk] = []
        var w = ByteWriter(capacity: 1 << 16)
        var inChunk: [UInt64] = []
        var list: [UInt32] = []
        func close() {
            guard let first = inChunk.first, let last = inChunk.last else { return }
            var c = ByteWriter(capacity: w.bytes.count + 4)
            c.appendVarint(UInt64(inChunk.count))
            c.append(contentsOf: w.bytes)
            out.append(Chunk(firstKey: first, lastKey: last, keys: inChunk.count, bytes: c.bytes))
            w = ByteWriter(capacity: 1 << 16)
            inChunk.removeAll(keepingCapacity: true)
        }
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
            inChunk.append(key)
            if inChunk.count >= maxKeys { close() }
        }
        close()
        return out
    }
}
