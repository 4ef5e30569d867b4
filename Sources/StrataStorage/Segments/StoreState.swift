import StrataEncoding

/// The store-level state every store keeps in its manifest (`SegmentSnapshot.storeState`),
/// published in the same atomic manifest write as the segments (Docs/format/manifest.md):
///
/// ```
/// version 1: [version u8 = 1][walStart uvarint]
/// version 2: [version u8 = 2][walStart uvarint][tombstone count uvarint]
///            ([tombstone length uvarint][tombstone bytes])*
/// ```
/// Version 1 is written while a store has no tombstone, so older readers keep reading it.
package struct StoreState: Sendable, Equatable {
    /// The first WAL segment holding records not yet in published segments.
    package var walStart: Int
    /// Deletions (`strata delete`) not yet applied to every file, in the order they were made:
    /// opaque bytes each store encodes and decodes itself. Queries hide what they cover; a
    /// compaction that rewrites the files removes them in the manifest write that publishes the
    /// rewritten files.
    package var tombstones: [[UInt8]]

    /// The most tombstones a state holds, and the largest one (the manifest's state is at most 16 MiB).
    package static let maxTombstones = 4096
    package static let maxTombstoneBytes = 1024

    package init(walStart: Int, tombstones: [[UInt8]] = []) {
        self.walStart = walStart
        self.tombstones = tombstones
    }

    /// The manifest bytes of this state.
    package var encoded: [UInt8] {
        var w = ByteWriter(capacity: 8 + tombstones.reduce(0) { $0 + $1.count + 2 })
        w.appendUInt8(tombstones.isEmpty ? 1 : 2)
        w.appendVarint(UInt64(walStart))
        if !tombstones.isEmpty {
            w.appendVarint(UInt64(tombstones.count))
            for t in tombstones { w.appendLengthPrefixed(bytes: t) }
        }
        return w.bytes
    }

    /// The state in `snapshot`'s manifest; `walStart` 0 when the manifest has none (a new store).
    package init(_ snapshot: SegmentSnapshot) throws(FormatError) {
        try self.init(bytes: snapshot.storeState)
    }

    /// - Throws: `FormatError` for a version this build does not read or bytes that do not parse
    ///   (the manifest's checksum passed, so this is a newer or a broken writer).
    package init(bytes b: [UInt8]) throws(FormatError) {
        walStart = 0
        tombstones = []
        guard !b.isEmpty else { return }
        var r = ByteReader(b)
        let version = try r.readUInt8()
        guard version == 1 || version == 2 else {
            throw FormatError(.unsupportedVersion, at: 0, "store state version \(version) (this build reads 1 and 2)")
        }
        let v = try r.readVarint()
        guard v < UInt64(Int32.max) else { throw FormatError(.invalid, at: 1, "walStart \(v)") }
        walStart = Int(v)
        if version == 2 {
            let n = try r.readLength(limit: Self.maxTombstones)
            tombstones.reserveCapacity(n)
            for _ in 0..<n {
                let len = try r.readLength(limit: Self.maxTombstoneBytes)
                tombstones.append(Array(try r.readBytes(len)))
            }
        }
        guard r.isAtEnd else { throw FormatError(.invalid, at: r.position, "\(r.remaining) bytes after the store state") }
    }
}

extension SegmentSet {
    /// Publishes `adding` and retires `removing` in one manifest write that also moves the
    /// store state's `walStart` to `walStart` (nil keeps it); the tombstones are kept.
    package func publish(adding: [SegmentEntry], removing: [String], walStart: Int?) throws(StorageError) {
        try publish(adding: adding, removing: removing, changingState: { state in
            if let walStart { state.walStart = walStart }
        })
    }

    /// Publishes `adding` and retires `removing` in one manifest write whose store state is
    /// the current one changed by `change` (run under the publish lock, so two publishes that
    /// change different parts of the state cannot lose each other's change).
    package func publish(
        adding: [SegmentEntry], removing: [String], changingState change: (inout StoreState) -> Void
    ) throws(StorageError) {
        try publish(adding: adding, removing: removing, transformingState: { (bytes: [UInt8]) throws(StorageError) -> [UInt8] in
            var state: StoreState
            do throws(FormatError) { state = try StoreState(bytes: bytes) } catch { throw StorageError(path: manifestPath, error) }
            change(&state)
            return state.encoded
        })
    }

    /// The store state of the current manifest.
    package func currentState() throws(StorageError) -> StoreState {
        let snap = snapshot()
        defer { snap.release() }
        do { return try StoreState(snap) } catch { throw StorageError(path: manifestPath, error) }
    }
}
