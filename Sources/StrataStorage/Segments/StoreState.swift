import StrataEncoding

/// The store-level state every store keeps in its manifest (`SegmentSnapshot.storeState`):
/// `[version u8 = 1][walStart uvarint]` (Docs/format/manifest.md).
package struct StoreState: Sendable, Equatable {
    /// The first WAL segment holding records not yet in published segments.
    package var walStart: Int

    package init(walStart: Int) { self.walStart = walStart }

    /// The manifest bytes of this state.
    package var encoded: [UInt8] {
        var w = ByteWriter(capacity: 8)
        w.appendUInt8(1)
        w.appendVarint(UInt64(walStart))
        return w.bytes
    }

    /// The state in `snapshot`'s manifest; `walStart` 0 when the manifest has none (a new store)
    /// or holds bytes this version does not read.
    package init(_ snapshot: SegmentSnapshot) {
        self.init(bytes: snapshot.storeState)
    }

    package init(bytes b: [UInt8]) {
        walStart = 0
        guard !b.isEmpty else { return }
        var r = ByteReader(b)
        guard (try? r.readUInt8()) == 1, let v = try? r.readVarint(), v < UInt64(Int32.max) else { return }
        walStart = Int(v)
    }
}

extension SegmentSet {
    /// Publishes `adding` and retires `removing` in one manifest write that also moves the
    /// store state's `walStart` to `walStart` (nil keeps the current state).
    package func publish(adding: [SegmentEntry], removing: [String], walStart: Int?) throws(StorageError) {
        try publish(adding: adding, removing: removing, storeState: walStart.map { StoreState(walStart: $0).encoded })
    }
}
